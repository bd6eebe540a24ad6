"""Stage 5, compose: the mosaic of the layers read (first clear pixel wins), reflectance composites
stretched over the request's fixed range, and the result's provenance."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.bands.reflectance import asset_conversions, stretch_uint8
from stac_quicklook_plugin.core.engine.assess import Assessment
from stac_quicklook_plugin.core.engine.mosaic import mosaic
from stac_quicklook_plugin.core.engine.plan import ReadPlan
from stac_quicklook_plugin.core.engine.reads import Layer, item_conversions
from stac_quicklook_plugin.core.engine.run import Run
from stac_quicklook_plugin.core.errors import NothingFound
from stac_quicklook_plugin.core.models import DEFAULT_REFLECTANCE_RANGE, Quicklook, QuicklookRequest
from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.core.raster.backend import backend
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac.assets import asset_href, to_gdal_path
from stac_quicklook_plugin.core.stac.families import family_of


def compose(run: Run, plan: ReadPlan, layers: list[Layer], outcome: stac.SearchOutcome,
            assessment: Assessment) -> Quicklook:
    """The mosaic (first clear pixel wins; where no scene is clear, the first scene's pixel stays) and
    its provenance."""
    array, valid = mosaic([(ln.result.array, ln.clear) for ln in layers])
    used = [ln for ln in layers if ln.clear.any()]
    view_cloud = None
    index = plan.math is not None and plan.math.is_index
    if run.req.mask_clouds and index:  # an index stays NaN where no scene is clear: a cloud is no value
        if valid.any() and any(ln.mask is not None for ln in layers):
            view_cloud = 0.0
        elif any(ln.result.valid.any() for ln in layers):
            raise NothingFound(f"Every pixel of this view is cloudy in the scene(s) found ("
                               f"{', '.join(str(ln.item.get('id')) for ln in layers)}), so the index has no clear "
                               "value. Try a longer date range, or turn cloud masking off.")
    elif run.req.mask_clouds:
        # Where no scene is clear, the first scene with data keeps its (cloudy) pixel: better than a hole.
        remaining = np.zeros_like(valid)
        for layer in layers:
            remaining |= layer.result.valid
        remaining &= ~valid
        cloudy = np.zeros_like(valid)
        for layer in layers:
            take = layer.result.valid & remaining
            if take.any():
                np.copyto(array, layer.result.array, casting="unsafe", where=take)
                if layer.mask is not None:
                    cloudy |= take & layer.mask.cloudy
                valid |= take
                remaining &= ~take
                if layer not in used:
                    used.append(layer)
        if valid.any() and any(ln.mask is not None for ln in layers):
            view_cloud = round(100.0 * int(cloudy.sum()) / int(valid.sum()), 2)
    elif used:
        view_cloud = assessment.view_cloud.get(str(used[0].item.get("id")))
    if not valid.any():
        raise NothingFound(f"The scene(s) found ({', '.join(str(ln.item.get('id')) for ln in layers) or 'none'}) "
                           f"have no valid pixels over this area.{_landsat7_gaps(layers)} Try another date range "
                           "or area.")
    result = _result(run.req, plan, Mosaic(array, valid, view_cloud), used, outcome, assessment)
    result.meta["metadata_notes"] = list(dict.fromkeys(result.meta["metadata_notes"] + run.notes))
    return result


def _landsat7_gaps(layers: list[Layer]) -> str:
    """Why a Landsat 7 scene may have no pixel here: the stripes of its scan-line gaps (since 2003)."""
    for layer in layers:
        props = layer.item.get("properties")
        platform = props.get("platform") if isinstance(props, dict) else None
        if isinstance(platform, str) and platform.strip().lower() in ("landsat-7", "landsat_7", "landsat7"):
            return (" Landsat 7's images have had stripes of no data since its scan-line corrector failed in 2003 "
                    "(up to 14 pixels wide towards the edges of a scene), and this view lies in one: zoom out, "
                    "or include other dates or Landsat 8 and 9.")
    return ""


@dataclass
class Mosaic:
    """The composed pixels: values (bands, rows, cols), where they are valid, and the cloud left in them."""

    array: NDArray[Any]
    valid: NDArray[Any]
    view_cloud: Optional[float]


def _result(req: QuicklookRequest, plan: ReadPlan, mosaic: Mosaic, used: list[Layer], outcome: stac.SearchOutcome,
            assessment: Assessment) -> Quicklook:
    grid, choice, best = plan.grid, plan.choice, plan.best
    array, valid, view_cloud = mosaic.array, mosaic.valid, mosaic.view_cloud
    nodata = used[0].result.nodata if used else None
    reflectance = None
    if plan.math is not None and plan.math.is_index:  # one float32 band, NaN where no data
        np.copyto(array, np.nan, where=~valid)
        nodata = float("nan")
    elif plan.conversions is not None:  # a composite of reflectance: one fixed stretch, the same every date
        reflectance = array
        np.copyto(reflectance, np.nan, where=~valid)
        array, nodata = stretch_uint8(reflectance, valid, *stretch_range(req, plan)), 0
    elif nodata is not None:
        array = array.copy()
        np.copyto(array, np.array(nodata).astype(array.dtype), where=~valid)
    hrefs = [redact(h) for layer in used for h in layer.hrefs]
    first_href = used[0].hrefs[0] if used else asset_href(best, choice.keys[0], req.stac_api)
    profile = dict(used[0].result.profile) if used else {}
    be = backend()
    profile.update(width=grid.width, height=grid.height, count=int(array.shape[0]), crs=be.crs_label(grid.crs),
                   transform=grid.transform, dtype=str(array.dtype))
    meta = {
        "chosen_asset_key": choice.label,
        "href": redact(first_href),
        "vsi_href": redact(to_gdal_path(first_href)),
        "item_id": used[0].item["id"] if used else best["id"],
        "collection": ",".join(outcome.collections) or req.collection,
        "collections": list(outcome.collections),
        "duplicates": _duplicates_of(outcome, used),
        "reflectance": _reflectance_meta(req, plan, used),
        "metadata_notes": _metadata_notes(plan, used),
        "overview_factor": used[0].result.overview_factor if used else None,
        "kind": choice.kind,
        "preset": plan.math.name if plan.math is not None and plan.math.name != "expression" else
        ("" if plan.math is not None else "true-color"),
        "expression": plan.math.expression.text if plan.math is not None and plan.math.expression else "",
        "bands": dict(plan.bands),
        "value_range": list(stretch_range(req, plan)) if plan.math is not None else None,
        "ramp": plan.math.ramp if plan.math is not None else "",
        "label": plan.math.label if plan.math is not None else "",
        "search_notes": outcome.notes,
        "rank": str(req.rank),
        "mask_clouds": req.mask_clouds,
        "view_cloud": view_cloud,
        "scene_cloud": stac.cloud_cover(used[0].item) if used else None,
        **profile,
    }
    items = [replace(stac.summarize(layer.item), view_cloud=_item_view_cloud(layer, assessment)) for layer in used]
    return Quicklook(
        array=array, mask=valid, crs=grid.crs, crs_epsg=be.crs_epsg(grid.crs), transform=grid.transform,
        bounds=grid.bounds, items=items, asset_key=choice.label, hrefs=hrefs, strategy=str(outcome.strategy),
        nodata=nodata, meta=meta, reflectance=reflectance)


def stretch_range(req: QuicklookRequest, plan: ReadPlan) -> tuple[float, float]:
    """A composite's reflectance stretch (the request's, else the preset's default or, for true colour, the
    collection family's), or an index's colour range."""
    if plan.math is None:
        family = family_of(plan.best)
        if family is not None and tuple(req.reflectance_range) == DEFAULT_REFLECTANCE_RANGE:
            return family.display_range
        return req.reflectance_range
    if plan.math.is_index or tuple(req.reflectance_range) == DEFAULT_REFLECTANCE_RANGE:
        return plan.math.value_range
    return req.reflectance_range


def _duplicates_of(outcome: stac.SearchOutcome, used: list[Layer]) -> list[dict[str, Any]]:
    """The same acquisitions in another collection as the scenes used (left out by the search)."""
    ids = {str(layer.item.get("id")) for layer in used}
    return [d.as_json() for d in outcome.duplicates if d.kept_id in ids]


def _reflectance_meta(req: QuicklookRequest, plan: ReadPlan, used: list[Layer]) -> Optional[dict[str, Any]]:
    """The stretch and each scene's scale/offset, for a composite of reflectance bands."""
    if plan.conversions is None:
        if plan.math is not None:
            return {"range": None, "scale_offset": None,
                    "note": "the band metadata gives no scale/offset: computed on the values as published"}
        return None
    per_item = {str(layer.item.get("id")): {k: c.as_json() for k, c in
                                            zip(plan.choice.keys, item_conversions(plan, layer.item) or ())}
                for layer in used}
    return {"range": list(stretch_range(req, plan)), "scale_offset": per_item}


def _metadata_notes(plan: ReadPlan, used: list[Layer]) -> list[str]:
    """What was unusable in the band metadata of the scenes used (each note once)."""
    notes = list(plan.notes)
    if plan.choice.kind in ("rgb", "composite", "index"):
        for layer in used:
            notes += asset_conversions(layer.item, plan.choice.keys)[1]
    return list(dict.fromkeys(notes))


def _item_view_cloud(layer: Layer, assessment: Assessment) -> Optional[float]:
    """The scene's cloud over the view: as judged when ranking, else from the mask read for masking."""
    judged = assessment.view_cloud.get(str(layer.item.get("id")))
    return judged if judged is not None or layer.mask is None else layer.mask.view_cloud

