"""The engine's front door: from a request to a georeferenced quicklook, in stages that the CLI, the dock
and the series share: search (candidates) -> assess (cloud over the view) -> plan (grid, mosaic order)
-> read -> compose. Every stage takes the run's state (``core.run.Run``)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

import numpy as np

from stac_quicklook_plugin.core import stac
from stac_quicklook_plugin.core.assets import AssetChoice, asset_href, choose_assets, to_gdal_path
from stac_quicklook_plugin.core.backend import backend
from stac_quicklook_plugin.core.bands.reflectance import Conversion, asset_conversions, stretch_uint8, to_reflectance
from stac_quicklook_plugin.core.candidates import search
from stac_quicklook_plugin.core.clouds import CloudMask, mask_source, read_masks, submit_mask_read
from stac_quicklook_plugin.core.compose import mosaic, plan_mosaic
from stac_quicklook_plugin.core.errors import APIError, Cancelled, NothingFound, QuicklookError, ReadError, RefusedHref
from stac_quicklook_plugin.core.models import Quicklook, QuicklookRequest
from stac_quicklook_plugin.core.read import Grid, ReadResult, crs_wkt, fetch_header, plan_grid, read_to_grid, source_crs
from stac_quicklook_plugin.core.redact import redact
from stac_quicklook_plugin.core.run import READ_THREADS, ProgressFn, Run, open_run
from stac_quicklook_plugin.core.validate import validate_request

CATEGORICAL_KEYS = ("scl", "SCL", "cloud", "snow")
ASSESS_DATES = 4  # view cloud is read for the candidates of this many dates (scene order), not for all
ASSESS_MAX_ITEMS = 16
ASSESS_WIDTH = 256  # pixels across the view for judging cloud: a 10 km view at 40 m, the SCL's overview 2
HEADER_PREFETCH = 2  # files of other candidates whose headers are fetched while the cloud is judged


def quicklook(request: QuicklookRequest, progress: Optional[ProgressFn] = None,
              is_cancelled: Optional[Callable[[], bool]] = None, gdal_config: Optional[dict[str, str]] = None
              ) -> Quicklook:
    """Search, rank by cloud over the view, read only the view's pixels from overviews, mosaic (filling
    cloud from the next scenes with ``mask_clouds``); raises QuicklookError."""
    with open_run(request, progress, is_cancelled, gdal_config) as run:
        return quicklook_of(run, search(run))


def quicklook_of(run: Run, outcome: stac.SearchOutcome) -> Quicklook:
    """Stages 2-5 over candidates already found (the series calls this once per date)."""
    assessment = assess(run, outcome.items)
    plan = plan_reads(run, assessment.items)
    run.checkpoint(40, f"Reading {len(plan.first)} scene(s) at about {plan.grid.resolution:.0f} m per pixel")
    layers = read_plan(run, plan)
    run.checkpoint(95, "Composing the result")
    return compose(run, plan, layers, outcome, assessment)


# -- stage 2: assess ---------------------------------------------------------------------------------
@dataclass
class Assessment:
    """The candidates in rank order, with their cloud over the view (percent; None where unknown)."""

    items: list[dict[str, Any]]
    view_cloud: dict[str, Optional[float]] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)


def assess(run: Run, items: list[dict[str, Any]]) -> Assessment:
    """Rank by cloud over the view (``rank="view"``): the scene classification of the first few dates' items
    is read over the view, while the scene-level winner's imagery is already being read (no extra round
    trip when it stays the winner). ``rank="scene"`` keeps the search order (``eo:cloud_cover``)."""
    if run.req.rank == "scene":
        return Assessment(list(items))
    items = [_with_assets(run, item, required=(i == 0)) for i, item in enumerate(items)]
    items = [item for item in items if item is not None]
    speculative = plan_reads(run, items)
    submit_reads(run, speculative, speculative.first)  # read while the classification is judged
    dates: list[str] = []
    to_assess = []
    for item in items:
        day = stac.item_date(item)
        if day not in dates:
            if len(dates) == ASSESS_DATES:
                break
            dates.append(day)
        if mask_source(item) and len(to_assess) < ASSESS_MAX_ITEMS:
            to_assess.append(item)
    if not to_assess:
        return Assessment(items)
    _prefetch_headers(run, speculative, [i for i in to_assess if i not in speculative.first][:HEADER_PREFETCH])
    grid = assessment_grid(run, speculative.grid.crs)
    run.checkpoint(32, f"Judging cloud over the view in {len(to_assess)} scene(s)")
    masks = read_masks(run, to_assess, grid,
                       lambda done, n: run.checkpoint(32 + 6 * done / n, f"Judged {done} of {n} scene(s)"))
    view_cloud = {k: (m.view_cloud if m else None) for k, m in masks.items()}
    coverage = {k: m.coverage for k, m in masks.items() if m is not None}
    assessed = set(masks)

    def rank_key(indexed: tuple[int, dict[str, Any]]) -> tuple:
        index, item = indexed
        item_id, scene = str(item.get("id")), stac.cloud_cover(item)
        scene = 100.0 if scene is None else scene
        if item_id in coverage and coverage[item_id] == 0:
            return (2, 0.0, scene, index)  # no data over the view at all
        if item_id not in assessed and mask_source(item):
            return (1, scene, scene, index)  # not judged: after the judged ones, in scene order
        cloud = view_cloud.get(item_id)
        return (0, scene if cloud is None else cloud, scene, index)  # index keeps newest-first ties

    ranked = [item for _, item in sorted(enumerate(items), key=rank_key)]
    return Assessment(ranked, view_cloud, coverage)


def _prefetch_headers(run: Run, plan: "ReadPlan", items: list[dict[str, Any]]) -> None:
    """Fetch the headers of the runner-up candidates' imagery while the cloud is judged (HEADER_PREFETCH files,
    or one runner-up's files: more would take CPU from the reads under way), so that if one of them wins,
    its read is one round trip (the tiles), not two."""
    hrefs = []
    for item in items:
        for key in plan.choice.keys:
            try:
                hrefs.append(asset_href(item, key, run.req.stac_api))
            except (QuicklookError, KeyError):
                continue
    for href in hrefs[:max(HEADER_PREFETCH, len(plan.choice.keys))]:  # one runner-up whole, at least
        run.submit(("header", href), lambda href=href: fetch_header(to_gdal_path(run.sign(href)), href,
                                                                    run.read_options(href)))


def assessment_grid(run: Run, crs_wkt_: str) -> Grid:
    """The grid cloud over the view is judged on: the view, ASSESS_WIDTH pixels across (same for every
    stage and date of a run, so a mask read once serves them all)."""
    return plan_grid(run.req.bbox_wgs84, crs_wkt_, min(run.req.width, ASSESS_WIDTH))


def _with_assets(run: Run, item: dict[str, Any], required: bool) -> Optional[dict[str, Any]]:
    try:
        return stac.ensure_assets(run.client, run.req.stac_api, item)
    except APIError:
        if required:
            raise
        return None


# -- stage 3: plan -----------------------------------------------------------------------------------
@dataclass
class ReadPlan:
    """What to read: the asset(s), the output grid, the scenes to read first and the spares for holes."""

    best: dict[str, Any]
    choice: AssetChoice
    grid: Grid
    first: list[dict[str, Any]]
    spare: list[dict[str, Any]]
    resampling: str
    # A composite of reflectance bands (kind "rgb" whose assets give scale/offset): each scene's values
    # become reflectance with its own item's metadata before the mosaic; None = stored values, as published.
    conversions: Optional[tuple[Conversion, ...]] = None
    notes: tuple[str, ...] = ()  # what was wrong with the band metadata (for the log)


def plan_reads(run: Run, items: list[dict[str, Any]]) -> ReadPlan:
    best = stac.ensure_assets(run.client, run.req.stac_api, items[0])
    choice = choose_assets(best, run.req.asset_key)
    grid = plan_grid(run.req.bbox_wgs84, output_crs(run, best, choice), run.req.width)
    first, spare = plan_mosaic([best] + list(items[1:]), run.req.bbox_wgs84, run.req.max_mosaic_items)
    resampling = "nearest" if any(k in CATEGORICAL_KEYS for k in choice.keys) else "average"
    conversions, notes = asset_conversions(best, choice.keys) if choice.kind == "rgb" else (None, ())
    return ReadPlan(best, choice, grid, first, spare, resampling, conversions, notes)


def item_conversions(plan: ReadPlan, item: dict[str, Any]) -> Optional[tuple[Conversion, ...]]:
    """How a scene's values become reflectance: its own item's scale/offset; for an item that gives none, the
    best scene's when both are of one collection (the same processing); else None (the scene is left out)."""
    own, _ = asset_conversions(item, plan.choice.keys)
    if own is None and item.get("collection") == plan.best.get("collection"):
        return plan.conversions
    return own


def in_reflectance(plan: ReadPlan, item: dict[str, Any], result: ReadResult) -> Optional[ReadResult]:
    """A scene's composite as reflectance (float32, NaN where no data), or None when its values cannot be
    made reflectance (``item_conversions``)."""
    if plan.conversions is None:
        return result
    conversions = item_conversions(plan, item)
    if conversions is None:
        return None
    array = to_reflectance(result.array, result.valid, conversions)
    return ReadResult(array, result.valid, None, "float32", result.overview_factor, result.profile)


def output_crs(run: Run, item: dict[str, Any], choice: AssetChoice) -> str:
    """WKT of the output CRS: the user's, else the item's (proj:epsg / proj:code), else the file's."""
    if run.req.dst_crs:
        return crs_wkt(run.req.dst_crs)
    asset = item["assets"][choice.keys[0]]
    props = item.get("properties") or {}
    for source in (asset, props):
        epsg = source.get("proj:epsg")
        code = source.get("proj:code")
        if isinstance(epsg, int) and not isinstance(epsg, bool) and epsg > 0:
            return crs_wkt(f"EPSG:{epsg}")
        if isinstance(code, str) and code.upper().startswith("EPSG:") and code[5:].isdigit():
            return crs_wkt(code)
    href = asset_href(item, choice.keys[0], run.req.stac_api)
    return source_crs(to_gdal_path(run.sign(href)), href, run.read_options(href))


# -- stage 4: read -----------------------------------------------------------------------------------
@dataclass
class Layer:
    """One scene read onto the grid: its pixels, and its cloud mask where masking."""

    item: dict[str, Any]
    result: ReadResult
    hrefs: list[str]
    mask: Optional[CloudMask] = None

    @property
    def clear(self) -> np.ndarray:
        """Pixels usable as they are: data, and not cloudy where the mask says so."""
        return self.result.valid if self.mask is None else self.result.valid & ~self.mask.cloudy


def _jobs(run: Run, plan: ReadPlan, items: list[dict[str, Any]], required: bool
          ) -> list[tuple[dict[str, Any], list[str]]]:
    """(item, hrefs) for the items that have the plan's asset(s); refused or missing ones are skipped,
    except the first one when ``required``."""
    jobs = []
    for index, item in enumerate(items):
        full = _with_assets(run, item, required and index == 0)
        if full is None:
            continue
        assets = full.get("assets") or {}
        if not all(k in assets and (assets[k] or {}).get("href") for k in plan.choice.keys):
            continue
        try:
            jobs.append((full, [asset_href(full, k, run.req.stac_api) for k in plan.choice.keys]))
        except RefusedHref:
            if required and index == 0:
                raise
    return jobs


def submit_reads(run: Run, plan: ReadPlan, items: list[dict[str, Any]], required: bool = False) -> list:
    """Start the reads of ``items`` (and their cloud masks when masking); returns their jobs."""
    jobs = _jobs(run, plan, items, required)
    for item, hrefs in jobs:
        for href in hrefs:
            run.submit(("image", href, plan.grid, plan.resampling), _reader(run, plan, href))
        if run.req.mask_clouds:
            submit_mask_read(run, item, plan.grid)
    return jobs


def _reader(run: Run, plan: ReadPlan, href: str) -> Callable[[], ReadResult]:
    return lambda: read_to_grid(to_gdal_path(run.sign(href)), href, plan.grid, plan.resampling,
                                run.req.overview_level, run.read_options(href), run.cancelled)


def read_scenes(run: Run, plan: ReadPlan, items: list[dict[str, Any]], required: bool = True) -> list[Layer]:
    """Read every (scene, asset) pair concurrently. A scene that lacks the asset or fails is skipped,
    except the first one when ``required`` (the best scene; spares filling holes are never required)."""
    jobs = submit_reads(run, plan, items, required)
    futures = {(i, j): run.reads[("image", href, plan.grid, plan.resampling)]
               for i, (_, hrefs) in enumerate(jobs) for j, href in enumerate(hrefs)}
    results = run.gather(futures, lambda done, n: run.checkpoint(40 + 40 * done / n, f"Read {done} of {n} image(s)"))
    layers = []
    for i, (item, hrefs) in enumerate(jobs):
        parts = [results[(i, j)] for j in range(len(hrefs))]
        errors = [p for p in parts if isinstance(p, QuicklookError)]
        if errors:
            if isinstance(errors[0], Cancelled) or (required and i == 0):
                raise errors[0]
            continue
        converted = in_reflectance(plan, item, _stack(parts))
        if converted is None:
            if required and i == 0:
                raise ReadError(f"The values of item {item.get('id')} cannot be made reflectance.")
            continue  # a spare whose metadata says no scale/offset: not mixed with reflectance
        layers.append(Layer(item, converted, hrefs))
    if run.req.mask_clouds and layers:
        masks = read_masks(run, [layer.item for layer in layers], plan.grid)
        for layer in layers:
            layer.mask = masks.get(str(layer.item.get("id")))
    if not layers and required:
        raise ReadError("None of the scenes could be read.")
    return layers


def read_plan(run: Run, plan: ReadPlan) -> list[Layer]:
    """The plan's first scenes, then spares while pixels are still empty (or cloudy, when masking)."""
    layers = read_scenes(run, plan, plan.first)
    clear = mosaic([(l.result.array, l.clear) for l in layers])[1]
    spare = list(plan.spare)
    while not clear.all() and spare and len(layers) < run.req.max_mosaic_items:
        # Holes (nodata wedges at swath edges, gaps in footprints, clouds when masking): the next scenes.
        batch, spare = spare[:READ_THREADS], spare[READ_THREADS:]
        what = "cloudy or empty" if run.req.mask_clouds else "empty"
        run.checkpoint(80, f"Filling {100 * (1 - clear.mean()):.0f} % {what} pixels from {len(batch)} more scene(s)")
        more = read_scenes(run, plan, batch, required=False)
        layers.extend(more)
        for layer in more:
            clear |= layer.clear
    return layers


def _stack(parts: list[ReadResult]) -> ReadResult:
    if len(parts) == 1:
        return parts[0]
    array = np.concatenate([p.array for p in parts], axis=0)
    valid = np.logical_and.reduce([p.valid for p in parts])
    first = parts[0]
    return ReadResult(array, valid, first.nodata, first.dtype, first.overview_factor, first.profile)


# -- stage 5: compose --------------------------------------------------------------------------------
def compose(run: Run, plan: ReadPlan, layers: list[Layer], outcome: stac.SearchOutcome,
            assessment: Assessment) -> Quicklook:
    """The mosaic (first clear pixel wins; where no scene is clear, the first scene's pixel stays) and
    its provenance."""
    array, valid = mosaic([(l.result.array, l.clear) for l in layers])
    used = [l for l in layers if l.clear.any()]
    view_cloud = None
    if run.req.mask_clouds:
        # Where no scene is clear, the first scene with data keeps its (cloudy) pixel: better than a hole.
        remaining = np.zeros_like(valid)
        for layer in layers:
            remaining |= layer.result.valid
        remaining &= ~valid
        cloudy = np.zeros_like(valid)
        for layer in layers:
            take = layer.result.valid & remaining
            if take.any():
                array[:, take] = layer.result.array[:, take]
                if layer.mask is not None:
                    cloudy |= take & layer.mask.cloudy
                valid |= take
                remaining &= ~take
                if layer not in used:
                    used.append(layer)
        if valid.any() and any(l.mask is not None for l in layers):
            view_cloud = round(100.0 * int(cloudy.sum()) / int(valid.sum()), 2)
    elif used:
        view_cloud = assessment.view_cloud.get(str(used[0].item.get("id")))
    if not valid.any():
        raise NothingFound(f"The scene(s) found ({', '.join(str(l.item.get('id')) for l in layers) or 'none'}) "
                           "have no valid pixels over this area. Try another date range or area.")
    return _result(run.req, plan, array, valid, used, outcome, assessment, view_cloud)


def _result(req: QuicklookRequest, plan: ReadPlan, array: np.ndarray, valid: np.ndarray, used: list[Layer],
            outcome: stac.SearchOutcome, assessment: Assessment, view_cloud: Optional[float]) -> Quicklook:
    grid, choice, best = plan.grid, plan.choice, plan.best
    nodata = used[0].result.nodata if used else None
    reflectance = None
    if plan.conversions is not None:  # a composite of reflectance: one fixed stretch, the same every date
        reflectance = array
        reflectance[:, ~valid] = np.nan
        array, nodata = stretch_uint8(reflectance, valid, *req.reflectance_range), 0
    elif nodata is not None:
        array = array.copy()
        array[:, ~valid] = np.array(nodata).astype(array.dtype)
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
        "search_notes": outcome.notes,
        "rank": req.rank,
        "mask_clouds": req.mask_clouds,
        "view_cloud": view_cloud,
        "scene_cloud": stac.cloud_cover(used[0].item) if used else None,
        **profile,
    }
    items = [replace(stac.summarize(layer.item), view_cloud=_item_view_cloud(layer, assessment)) for layer in used]
    return Quicklook(
        array=array, mask=valid, crs=grid.crs, crs_epsg=be.crs_epsg(grid.crs), transform=grid.transform,
        bounds=grid.bounds, items=items, asset_key=choice.label, hrefs=hrefs, strategy=outcome.strategy,
        nodata=nodata, meta=meta, reflectance=reflectance)


def _duplicates_of(outcome: stac.SearchOutcome, used: list[Layer]) -> list[dict[str, Any]]:
    """The same acquisitions in another collection as the scenes used (left out by the search)."""
    ids = {str(layer.item.get("id")) for layer in used}
    return [d.as_json() for d in outcome.duplicates if d.kept_id in ids]


def _reflectance_meta(req: QuicklookRequest, plan: ReadPlan, used: list[Layer]) -> Optional[dict[str, Any]]:
    """The stretch and each scene's scale/offset, for a composite of reflectance bands."""
    if plan.conversions is None:
        return None
    per_item = {str(layer.item.get("id")): {k: c.as_json() for k, c in
                                            zip(plan.choice.keys, item_conversions(plan, layer.item) or ())}
                for layer in used}
    return {"range": list(req.reflectance_range), "scale_offset": per_item}


def _metadata_notes(plan: ReadPlan, used: list[Layer]) -> list[str]:
    """What was unusable in the band metadata of the scenes used (each note once)."""
    notes = list(plan.notes)
    if plan.choice.kind == "rgb":
        for layer in used:
            notes += asset_conversions(layer.item, plan.choice.keys)[1]
    return list(dict.fromkeys(notes))


def _item_view_cloud(layer: Layer, assessment: Assessment) -> Optional[float]:
    """The scene's cloud over the view: as judged when ranking, else from the mask read for masking."""
    judged = assessment.view_cloud.get(str(layer.item.get("id")))
    return judged if judged is not None or layer.mask is None else layer.mask.view_cloud


def whole_scene_bbox(request: QuicklookRequest) -> QuicklookRequest:
    """The request narrowed to the best scene's own bbox, at the overview level's width (seed parity:
    a whole-scene read). The search runs over ``request.bbox_wgs84``."""
    with open_run(request) as run:
        best = stac.ensure_assets(run.client, run.req.stac_api,
                                  stac.search_items(run.client, run.req, run.cancelled).items[0])
    bbox = best.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) >= 4):
        raise NothingFound(f"Item {best.get('id')} has no bbox; give a bbox for the quicklook.")
    choice = choose_assets(best, validate_request(request).asset_key)
    shape = best["assets"][choice.keys[0]].get("proj:shape") or [10980, 10980]
    level = request.overview_level if request.overview_level is not None else 4
    width = int(min(8192, max(16, round(shape[-1] / 2 ** level))))
    return replace(request, bbox_wgs84=(bbox[0], bbox[1], bbox[-2], bbox[-1]), width=width)
