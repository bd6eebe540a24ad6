"""How a place changes: one value of an index per acquisition date, cloud-free, at a point or over the view.

One search; then every date's reads in parallel (bounded by the run's read pool), each file contributing its
header and the tile(s) under the point or the view. At a point, the pixel containing it is read at the bands'
native resolution (a 1 x 1 grid aligned on the band's own pixels) with the scene classification at the same
place; over the view, the bands and the classification are read on the view's grid at about ``width`` pixels.
Values are on reflectance (each item's scale/offset), cloudy pixels (classes 3, 8, 9, 10) are left out, and a
cloudy point or a view with no clear pixel gives a null value, never a dip in the curve.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.bands.expression import evaluate
from stac_quicklook_plugin.core.bands.presets import BandMath, band_assets, band_math
from stac_quicklook_plugin.core.bands.reflectance import asset_conversions, to_reflectance
from stac_quicklook_plugin.core.engine.acquisitions import by_acquisition, item_collections
from stac_quicklook_plugin.core.engine.masks import submit_mask_read
from stac_quicklook_plugin.core.engine.plan import output_crs
from stac_quicklook_plugin.core.engine.run import ProgressFn, Run, open_run
from stac_quicklook_plugin.core.engine.search import search
from stac_quicklook_plugin.core.errors import BadInput, Cancelled, NothingFound, QuicklookError, ReadError
from stac_quicklook_plugin.core.masks.scl import CloudMask
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.raster.backend import backend
from stac_quicklook_plugin.core.raster.grid import WGS84, Grid, bounds_in, crs_wkt, plan_grid
from stac_quicklook_plugin.core.raster.read import ReadResult, read_to_grid
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac.assets import AssetChoice, asset_href
from stac_quicklook_plugin.core.stac.families import sensor
from stac_quicklook_plugin.core.stac.footprints import footprint_covers

MAX_DATES = 200  # a season or a few years of one tile; more is refused before any imagery is read
DATES_AT_ONCE = 16  # dates read at once; their files (two or three each) in the run's read pool
DEFAULT_PRESET = "ndvi"
SNAP = 0.15  # a view series' pixel becomes an overview's pixel size when this close to it
Point = tuple[float, float]  # lon, lat


@dataclass
class Entry:
    """One acquisition date of the series."""

    date: str
    value: Optional[float]  # None: cloudy, or no data
    cloudy: bool
    valid_fraction: float  # point: 1 or 0; view: share of the view's pixels with clear data
    items: list[str]
    scene_cloud: Optional[float] = None
    sensor: str = ""  # "S2", "Landsat" (stac.families), else the collection id: a mixed series has a date twice
    collections: tuple[str, ...] = ()  # its items' collections: a quicklook of this entry's sensor alone

    def as_json(self) -> dict[str, Any]:
        return {"date": self.date, "value": self.value, "cloudy": self.cloudy,
                "valid_fraction": self.valid_fraction, "items": self.items, "scene_cloud": self.scene_cloud,
                "sensor": self.sensor}


@dataclass
class Timeseries:
    """The series, oldest first, and what it is of."""

    entries: list[Entry]
    label: str  # "NDVI", or the expression
    preset: str
    expression: str
    point: Optional[Point]
    masked: bool  # False when no scene had a classification: the values are not cloud-free
    notes: list[str] = field(default_factory=list)

    @property
    def sensors(self) -> list[str]:
        """The sensors of the entries, in order of first appearance (more than one: a mixed series)."""
        return list(dict.fromkeys(e.sensor for e in self.entries))

    def as_json(self) -> dict[str, Any]:
        return {"timeseries": [e.as_json() for e in self.entries], "preset": self.preset,
                "expression": self.expression, "point": list(self.point) if self.point else None,
                "cloud_masked": self.masked, "notes": self.notes}


def timeseries(request: QuicklookRequest, point: Optional[Point] = None, progress: Optional[ProgressFn] = None,
               is_cancelled: Optional[Callable[[], bool]] = None, max_dates: int = MAX_DATES) -> Timeseries:
    """The index (the request's preset or expression; NDVI by default) per acquisition date over the request's
    dates, at ``point`` (lon, lat, inside the bbox) or over the view; BadInput for a composite preset or a point
    outside the view, NothingFound when no date has data there."""
    math_ = series_math(request)
    if point is not None:
        point = _checked_point(point, request.bbox_wgs84)
    with open_run(request, progress, is_cancelled) as run:
        outcome = search(run)
        days = by_acquisition([i for i in outcome.items if _covers(i, point)])
        if not days:
            raise NothingFound("No scene found has data at this point." if point else
                               "None of the scenes found has data over this view.")
        if len(days) > max_dates:
            raise BadInput(f"The date range has {len(days)} acquisition dates, more than the {max_dates} a time "
                           "series reads at once. Narrow the date range.")
        run.extend_budget(max(1.0, len(days) / 4))
        dates = sorted(days)  # oldest first (then by sensor)
        entries: list[Entry] = []
        errors: list[QuicklookError] = []
        masked = False
        # Dates in a pool of their own: each waits for reads in the run's read pool (never the same pool).
        with ThreadPoolExecutor(max_workers=DATES_AT_ONCE, thread_name_prefix="stac-quicklook-series") as dates_pool:
            futures = {key: dates_pool.submit(_one_date, run, days[key], math_, point) for key in dates}
            for index, acquisition in enumerate(dates):
                date = acquisition[0] if len({sensor for _, sensor in dates}) == 1 else " ".join(acquisition)
                try:
                    entry, had_mask = futures[acquisition].result()
                except Cancelled:
                    for future in futures.values():
                        future.cancel()
                    raise
                except QuicklookError as exc:
                    errors.append(exc)
                    run.checkpoint(100 * (index + 1) / len(dates), f"{date}: {exc}")
                    continue
                masked |= had_mask
                entries.append(entry)
                shown = "-" if entry.value is None else f"{entry.value:.3f}"
                run.checkpoint(100 * (index + 1) / len(dates), f"{date}: {shown}")
        if not entries:
            raise errors[0] if errors else NothingFound("No date of the range could be read at this place.")
    notes = ([] if masked else ["No scene had a scene classification: the values are not cloud-masked."]) + run.notes
    expression = math_.expression.text if math_.expression else ""
    return Timeseries(entries, math_.label if math_.name == "expression" else math_.name.upper(),
                      math_.name if math_.name != "expression" else "", expression, point, masked, notes)


def series_math(request: QuicklookRequest) -> BandMath:
    """The index a series plots: the request's preset or expression, NDVI when it asks for true colour;
    BadInput for a composite (three bands make no curve)."""
    found = band_math(request.preset, request.expression) or band_math(DEFAULT_PRESET)
    assert found is not None
    if not found.is_index:
        raise BadInput(f"A time series plots one value per date: the preset {found.name!r} is a composite of three "
                       "bands. Choose an index (ndvi, ndwi, ndmi, nbr, evi) or an expression.")
    return found


def _checked_point(point: Point, bbox: tuple[float, float, float, float]) -> Point:
    try:
        lon, lat = (float(v) for v in point)
    except (TypeError, ValueError):
        raise BadInput(f"The point must be two numbers, longitude and latitude, got {point!r}.") from None
    west, south, east, north = bbox
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (west <= lon <= east and south <= lat <= north):
        raise BadInput(f"The point ({lon:g}, {lat:g}) lies outside the view ({west:g}, {south:g}, {east:g}, "
                       f"{north:g}): give a point inside it.")
    return lon, lat


def _covers(item: dict[str, Any], point: Optional[Point]) -> bool:
    if point is None:
        return True
    return bool(footprint_covers(item, np.array([point[0]]), np.array([point[1]])).any())


def _one_date(run: Run, items: list[dict[str, Any]], math_: BandMath, point: Optional[Point]
              ) -> tuple[Entry, bool]:
    """The entry of one date: its scenes read in order until the point (or every view pixel) has data."""
    full = [stac.ensure_assets(run.client, run.req.stac_api, item) for item in items]
    grid = _point_grid(run, full[0], math_, point) if point else _view_grid(run, full[0], math_)
    value = np.full((grid.height, grid.width), np.nan, dtype=np.float32)
    data = np.zeros((grid.height, grid.width), dtype=bool)
    cloudy = np.zeros_like(data)
    used: list[str] = []
    had_mask = False
    for item in full:
        mask_future = submit_mask_read(run, item, grid)  # read beside the bands
        index, valid = _index_on(run, item, math_, grid)
        try:
            mask: Optional[CloudMask] = mask_future.result() if mask_future is not None else None
        except ReadError as exc:  # a mask that cannot be read (or is no mask): the date is read unmasked
            mask = None
            if str(exc) not in run.notes:
                run.notes.append(str(exc))
        _forget(run, [key for key, future in list(run.reads.items()) if future is mask_future])
        had_mask |= mask is not None
        fresh = valid & ~data
        if not fresh.any():
            continue
        used.append(str(item.get("id")))
        value[fresh] = index[fresh]
        if mask is not None:
            cloudy[fresh] = mask.cloudy[fresh]
        data |= fresh
        if data.all():
            break
    clear = data & ~cloudy
    scene_cloud = stac.cloud_cover(full[0]) if full else None
    date = stac.item_date(full[0])
    if point is not None:
        is_cloudy = bool(cloudy[0, 0])
        ok = bool(clear[0, 0]) and bool(np.isfinite(value[0, 0]))
        return Entry(date, round(float(value[0, 0]), 6) if ok else None, is_cloudy, 1.0 if ok else 0.0, used,
                     scene_cloud, sensor(full[0]), item_collections(full)), had_mask
    n_data = int(data.sum())
    good = clear & np.isfinite(value)
    share = float(good.sum()) / data.size
    mean = float(np.mean(value[good])) if good.any() else None
    return Entry(date, None if mean is None else round(mean, 6), bool(n_data and cloudy.sum() > n_data / 2),
                 round(share, 4), used, scene_cloud, sensor(full[0]), item_collections(full)), had_mask


def _index_on(run: Run, item: dict[str, Any], math_: BandMath, grid: Grid) -> tuple[NDArray[Any], NDArray[Any]]:
    """The index of one scene on ``grid`` (float32, NaN where no data) and where every band has data."""
    bands = band_assets(item, math_)
    keys = list(dict.fromkeys(bands.values()))
    resampling = "nearest" if grid.width * grid.height == 1 else "smooth"
    read_keys = [("series", k, str(item.get("id")), grid) for k in keys]
    futures = [run.submit(rk, _reader(run, item, k, grid, resampling))
               for rk, k in zip(read_keys, keys)]  # every band at once, in the run's read pool
    results: list[ReadResult] = [future.result() for future in futures]
    _forget(run, read_keys)  # a date's pixels are not kept for the run: memory bounded by the view, not the dates
    valid = np.logical_and.reduce([r.valid for r in results])
    stack = np.concatenate([r.array for r in results], axis=0)
    conversions, _ = asset_conversions(item, keys)
    array = to_reflectance(stack, valid, conversions) if conversions is not None else stack.astype(np.float32)
    np.copyto(array, np.float32(np.nan), where=~valid)
    assert math_.expression is not None  # series_math gives indices only
    index = evaluate(math_.expression, {name: array[keys.index(key)] for name, key in bands.items()})
    return index, valid


def _forget(run: Run, keys: list[Any]) -> None:
    with run.submit_lock:
        for key in keys:
            run.reads.pop(key, None)


def _reader(run: Run, item: dict[str, Any], key: str, grid: Grid, resampling: str) -> Callable[[], ReadResult]:
    href = asset_href(item, key, run.req.stac_api)
    return lambda: read_to_grid(run.remote(href), grid, resampling, None, run.cancelled)


def _point_grid(run: Run, item: dict[str, Any], math_: BandMath, point: Point) -> Grid:
    """A 1 x 1 grid on the pixel of the finest band that contains ``point``, in the item's CRS."""
    bands = band_assets(item, math_)
    wkt = output_crs(run, item, AssetChoice(tuple(bands.values()), "index"))
    x, y, _, _ = bounds_in(backend().NAME, crs_wkt(WGS84), wkt, (point[0], point[1], point[0], point[1]))
    transforms = [t for t in (_proj_transform(item["assets"][k]) for k in bands.values()) if t is not None]
    a, _, c, _, e, f = min(transforms, key=lambda t: abs(t[0])) if transforms else (10.0, 0.0, 0.0, 0.0, -10.0, 0.0)
    left = c + math.floor((x - c) / a) * a
    top = f + math.floor((y - f) / e) * e
    return Grid(wkt, (a, 0.0, left, 0.0, e, top), 1, 1)


def _view_grid(run: Run, item: dict[str, Any], math_: BandMath) -> Grid:
    """The view at about the request's width, its pixel snapped to the size of an overview of the finest band
    when within ``SNAP`` of it: a 10 km view at 256 px (39 m) is read at 40 m, from the 1/4 overview (a quarter
    of the bytes of the 1/2 one, which the engine's rule "no coarser than asked" would take), whole pixels."""
    bands = band_assets(item, math_)
    wkt = output_crs(run, item, AssetChoice(tuple(bands.values()), "index"))
    grid = plan_grid(run.req.bbox_wgs84, wkt, run.req.width)
    natives = [abs(t[0]) for t in (_proj_transform(item["assets"][k]) for k in bands.values()) if t is not None]
    res = grid.transform[0]
    if not natives or res < 2 * min(natives):
        return grid
    level = min(natives) * 2 ** round(math.log2(res / min(natives)))
    if abs(res / level - 1) > SNAP:
        return grid
    # floor: the snapped pixel is never smaller than the overview's (else the finer overview would be read)
    return plan_grid(run.req.bbox_wgs84, wkt, max(1, math.floor(run.req.width * res / level)))


def _proj_transform(asset: Any) -> Optional[tuple[float, ...]]:
    """The asset's ``proj:transform`` (a, b, c, d, e, f), when it is a north-up one."""
    found = asset.get("proj:transform") if isinstance(asset, dict) else None
    if not isinstance(found, list) or len(found) < 6 or not all(isinstance(v, (int, float)) for v in found[:6]):
        return None
    a, b, c, d, e, f = (float(v) for v in found[:6])
    if b or d or a <= 0 or e >= 0 or not all(math.isfinite(v) for v in (a, c, e, f)):
        return None
    return a, b, c, d, e, f


__all__ = ["Entry", "Timeseries", "timeseries", "series_math"]
