"""Stage 3, plan: the asset(s) to read, the output grid, the scenes to read first and the spares for holes
(``plan_mosaic``), and how each scene's values become reflectance."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from stac_quicklook_plugin.core.bands.presets import BandMath, band_assets, band_math
from stac_quicklook_plugin.core.bands.reflectance import Conversion, asset_conversions
from stac_quicklook_plugin.core.engine.run import Run
from stac_quicklook_plugin.core.raster.grid import Grid, crs_wkt, plan_grid
from stac_quicklook_plugin.core.raster.read import source_crs
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac.assets import AssetChoice, asset_href, choose_assets
from stac_quicklook_plugin.core.stac.families import sensor
from stac_quicklook_plugin.core.stac.footprints import footprint_covers, sample_points

CATEGORICAL_KEYS = ("scl", "SCL", "cloud", "snow", "qa_pixel", "QA_PIXEL", "qa_radsat", "QA_RADSAT")


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
    # A preset or an expression (None: true colour or an asset): what to show, and each band's asset key
    math: Optional[BandMath] = None
    bands: dict[str, str] = field(default_factory=dict)


def plan_reads(run: Run, items: list[dict[str, Any]]) -> ReadPlan:
    best = stac.ensure_assets(run.client, run.req.stac_api, items[0])
    math = band_math(run.req.preset, run.req.expression)
    bands: dict[str, str] = {}
    if math is None:
        choice = choose_assets(best, run.req.asset_key)
    else:  # each band's asset, by common name (AssetError naming a missing band and the presets there are)
        bands = band_assets(best, math)
        keys = tuple(bands[n] for n in math.bands) if not math.is_index else tuple(dict.fromkeys(bands.values()))
        choice = AssetChoice(keys, "index" if math.is_index else "composite")
    grid = plan_grid(run.req.bbox_wgs84, output_crs(run, best, choice), run.req.width)
    others = list(items[1:])
    if not run.req.mask_clouds:  # one sensor a picture: no Landsat pixel in a Sentinel-2 mosaic, unless asked
        others = [i for i in others if sensor(i) == sensor(best)]
    first, spare = plan_mosaic([best] + others, run.req.bbox_wgs84, run.req.max_mosaic_items)
    resampling = "nearest" if any(k in CATEGORICAL_KEYS for k in choice.keys) else "average"
    if math is not None:
        resampling = "smooth"  # bands of several resolutions: averaged when shrunk, bilinear when enlarged
    converted = choice.kind in ("rgb", "composite", "index")
    conversions, notes = asset_conversions(best, choice.keys) if converted else (None, ())
    return ReadPlan(best, choice, grid, first, spare, resampling, conversions, notes, math, bands)


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
    return source_crs(run.remote(href))


def plan_mosaic(items: list[dict[str, Any]], bbox: tuple[float, float, float, float], max_items: int
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Scenes to read first to cover the bbox, and the rest in order of preference (to fill holes).

    The best scene comes first; then scenes from the same day (least cloudy first), then other days,
    each taken only if it covers sample points that are still uncovered.
    """
    if not items:
        return [], []
    best = items[0]
    x, y = sample_points(bbox)
    day = stac.item_date(best)
    same_day = [i for i in items[1:] if stac.item_date(i) == day]
    ordered = [best] + same_day + [i for i in items[1:] if stac.item_date(i) != day]
    covered = footprint_covers(best, x, y)
    chosen, rest = [best], []
    for item in ordered[1:]:
        gain = footprint_covers(item, x, y) & ~covered
        if gain.any() and len(chosen) < max_items and not covered.all():
            chosen.append(item)
            covered |= gain
        else:
            rest.append(item)
    rest = [i for i in rest if footprint_covers(i, x, y).any()]
    return chosen, rest
