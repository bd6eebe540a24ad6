"""When was this place clear? The acquisition dates over the view (a date = the scenes of one day and one sensor,
as mosaics group them) with their scene cloud, cloud over the view and coverage of the view, from the
scene classification alone: no imagery is read. A mixed collection list (Landsat and Sentinel-2) lists a day
once per sensor, as nothing mosaics two sensors into one picture unless asked."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Optional

import numpy as np

from stac_quicklook_plugin.core.engine.assess import assessment_grid
from stac_quicklook_plugin.core.engine.masks import read_masks
from stac_quicklook_plugin.core.engine.plan import output_crs
from stac_quicklook_plugin.core.engine.run import ProgressFn, Run, open_run
from stac_quicklook_plugin.core.engine.search import search
from stac_quicklook_plugin.core.errors import APIError, AssetError
from stac_quicklook_plugin.core.masks.scl import CloudMask, combine
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.raster.grid import crs_wkt
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac.assets import choose_assets
from stac_quicklook_plugin.core.stac.families import sensor
from stac_quicklook_plugin.core.stac.footprints import footprint_covers, sample_points


@dataclass(frozen=True)
class Acquisition:
    """One date over the view."""

    date: str  # YYYY-MM-DD
    items: tuple[str, ...]  # item ids, best scene first
    scene_cloud: Optional[float]  # mean eo:cloud_cover of the date's scenes
    view_cloud: Optional[float]  # percent cloudy of the view's pixels that have data; None = unknown
    view_coverage: float  # percent of the view where any scene of the date has data
    sensor: str = ""  # "S2", "Landsat" (stac.families), else the collection id
    collections: tuple[str, ...] = ()  # the collections of its items: a request for this sensor's date alone

    def as_json(self, with_sensor: bool = False) -> dict[str, Any]:
        """The listing's keys; ``with_sensor`` (a list of two sensors) adds ``sensor`` and ``collections``."""
        document = {"date": self.date, "items": list(self.items), "scene_cloud": self.scene_cloud,
                    "view_cloud": self.view_cloud, "view_coverage": self.view_coverage}
        if with_sensor:
            document.update(sensor=self.sensor, collections=list(self.collections))
        return document


def by_date(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Items grouped by acquisition day, newest day first; within a day, in the order given."""
    days: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        days.setdefault(stac.item_date(item), []).append(item)
    return dict(sorted(days.items(), key=lambda kv: kv[0], reverse=True))


def by_acquisition(items: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Items by (date, sensor), newest day first, then by sensor; within one, in the order given. A day of a
    mixed collection list (Landsat and Sentinel-2) is one acquisition per sensor, never one of two sensors."""
    days: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for day, day_items in by_date(items).items():
        for item in sorted(day_items, key=sensor):  # stable: the order given within a sensor
            days.setdefault((day, sensor(item)), []).append(item)
    return days


def item_collections(items: list[dict[str, Any]]) -> tuple[str, ...]:
    """The collections of ``items``, in order of first appearance: a request for their sensor alone."""
    return tuple(dict.fromkeys(c for c in (i.get("collection") for i in items) if isinstance(c, str)))


def one_sensor(request: QuicklookRequest, acquisition: Acquisition, mixed: bool) -> QuicklookRequest:
    """The request of one listed acquisition: its date, and in a mixed list its sensor's collections only."""
    if mixed and acquisition.collections:
        request = replace(request, collection=",".join(acquisition.collections))
    return replace(request, acquisition_date=acquisition.date)


def is_mixed(acquisitions: list[Acquisition]) -> bool:
    """Whether a list of acquisitions holds more than one sensor."""
    return len({a.sensor for a in acquisitions}) > 1


def list_acquisitions(request: QuicklookRequest, progress: Optional[ProgressFn] = None,
                      is_cancelled: Optional[Callable[[], bool]] = None,
                      gdal_config: Optional[dict[str, str]] = None) -> list[Acquisition]:
    """Every acquisition date over the view within the cloud limit, newest first. Raises NothingFound."""
    with open_run(request, progress, is_cancelled, gdal_config) as run:
        return acquisitions_of(run, search(run).items)


def judged_items(run: Run, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Optional[CloudMask]]]:
    """The items (with their assets) and each one's cloud mask over the run's view, on the assessment grid
    (None where an item has no classification). Masks are read once per run, whoever asks."""
    full = []
    for item in items:
        try:
            full.append(stac.ensure_assets(run.client, run.req.stac_api, item))
        except APIError:
            continue  # an item that cannot be fetched is left out of the list, not fatal for it
    if not full:
        return [], {}
    try:
        crs = output_crs(run, full[0], choose_assets(full[0], run.req.asset_key))
    except AssetError:  # no imagery asset to take the CRS from: judge the view in WGS 84
        crs = crs_wkt("EPSG:4326")
    grid = assessment_grid(run, crs)
    run.checkpoint(35, f"Judging cloud over the view in {len(full)} scene(s)")
    masks = read_masks(run, full, grid,
                       lambda done, n: run.checkpoint(35 + 60 * done / n, f"Judged {done} of {n} scene(s)"))
    return full, masks


def acquisitions_of(run: Run, items: list[dict[str, Any]]) -> list[Acquisition]:
    """The dates of ``items`` (search results) over the run's view, judged on the assessment grid."""
    return dates_of(run, *judged_items(run, items))


def dates_of(run: Run, full: list[dict[str, Any]], masks: dict[str, Optional[CloudMask]]) -> list[Acquisition]:
    """The acquisition dates of judged items (``judged_items``), newest first."""
    x, y = sample_points(run.req.bbox_wgs84)
    out = []
    for (day, day_sensor), day_items in by_acquisition(full).items():
        known = [m for m in (masks.get(str(i.get("id"))) for i in day_items) if m is not None]
        clouds = [c for c in (stac.cloud_cover(i) for i in day_items) if c is not None]
        scene_cloud = round(float(np.mean(clouds)), 2) if clouds else None
        if known:
            mask = combine(known)
            view_cloud, coverage = mask.view_cloud, round(mask.coverage, 2)
        else:  # no classification: coverage from the footprints, cloud unknown
            covered = np.zeros(x.shape, dtype=bool)
            for item in day_items:
                covered |= footprint_covers(item, x, y)
            view_cloud, coverage = None, round(100.0 * float(covered.mean()), 2)
        out.append(Acquisition(day, tuple(str(i.get("id")) for i in day_items), scene_cloud, view_cloud, coverage,
                               day_sensor, item_collections(day_items)))
    return out
