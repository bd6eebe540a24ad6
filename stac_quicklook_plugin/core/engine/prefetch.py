"""Stage 3b, prefetch: what is started before it is known to be needed, so that it costs no round trip
when it is: the scene-level winner's imagery while the cloud over the view is judged (``speculative_reads``),
the headers of the runners-up (``runner_up_headers``), and PROJ's answers for the output grid while the search
is under way (``warm_projection``)."""
from __future__ import annotations

import time
from typing import Any, Callable, Optional

from stac_quicklook_plugin.core.engine.masks import submit_mask_read
from stac_quicklook_plugin.core.engine.plan import ReadPlan
from stac_quicklook_plugin.core.engine.run import Run
from stac_quicklook_plugin.core.errors import APIError, QuicklookError, RefusedHref
from stac_quicklook_plugin.core.raster.backend import is_loaded as backend_loaded
from stac_quicklook_plugin.core.raster.grid import plan_grid
from stac_quicklook_plugin.core.raster.read import ReadResult, fetch_header, read_to_grid
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac.assets import asset_href

WARM_AFTER_S = 0.003  # the main thread sends the search in about 1-2 ms
HEADER_PREFETCH = 2  # files of other candidates whose headers are fetched while the cloud is judged


def warm_projection(run: Run) -> None:
    """While the search is under way, build the output grid the plan will most likely ask for: the user's CRS,
    else the UTM zone of the view's centre (Sentinel-2's and Landsat's grids). PROJ's database look-ups and the
    view's transform are then remembered (``core.raster.grid``) when the plan needs them: 8-12 ms of a first
    click's critical path. A wrong guess costs that CPU in a read thread, nothing else. Only once the read library
    is loaded (QGIS's warm-up loads it): importing it here would add its 50 MB to the search's own peak (a huge
    answer's parse), for a run that may never read."""
    if not backend_loaded():
        return
    crs = run.req.dst_crs or utm_zone(run.req.bbox_wgs84)
    run.submit(("warm projection", crs), lambda: _warm(run, crs))


def utm_zone(bbox_wgs84: tuple[float, float, float, float]) -> str:
    """The UTM zone (WGS 84) of a bbox's centre, as "EPSG:326nn" (north) or "EPSG:327nn" (south)."""
    west, south, east, north = bbox_wgs84
    lon, lat = (west + east) / 2, (south + north) / 2
    zone = min(60, max(1, int((lon + 180.0) // 6) + 1))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _warm(run: Run, crs: str) -> None:
    # PROJ's look-ups hold Python's lock: let the search go out first, then work while its answer is awaited
    time.sleep(WARM_AFTER_S)
    try:
        plan_grid(run.req.bbox_wgs84, crs, run.req.width)
    except Exception:  # noqa: BLE001 (a guess: whatever it meets, the plan meets again and says)
        pass


def speculative_reads(run: Run, plan: ReadPlan) -> None:
    """Start reading the plan's first scenes now (read while the classification is judged)."""
    submit_reads(run, plan, plan.first)


def runner_up_headers(run: Run, plan: ReadPlan, items: list[dict[str, Any]]) -> None:
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
        run.submit(("header", href), _header_job(run, href))


def with_assets(run: Run, item: dict[str, Any], required: bool) -> Optional[dict[str, Any]]:
    try:
        return stac.ensure_assets(run.client, run.req.stac_api, item)
    except APIError:
        if required:
            raise
        return None


def _jobs(run: Run, plan: ReadPlan, items: list[dict[str, Any]], required: bool
          ) -> list[tuple[dict[str, Any], list[str]]]:
    """(item, hrefs) for the items that have the plan's asset(s); refused or missing ones are skipped,
    except the first one when ``required``."""
    jobs = []
    for index, item in enumerate(items):
        full = with_assets(run, item, required and index == 0)
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


def submit_reads(run: Run, plan: ReadPlan, items: list[dict[str, Any]], required: bool = False
                 ) -> list[tuple[dict[str, Any], list[str]]]:
    """Start the reads of ``items`` (and their cloud masks when masking); returns their jobs."""
    jobs = _jobs(run, plan, items, required)
    for item, hrefs in jobs:
        for href in hrefs:
            run.submit(("image", href, plan.grid, plan.resampling), _reader(run, plan, href))
        if run.req.mask_clouds:
            submit_mask_read(run, item, plan.grid)
    return jobs


def _reader(run: Run, plan: ReadPlan, href: str) -> Callable[[], ReadResult]:
    return lambda: read_to_grid(run.remote(href), plan.grid, plan.resampling, run.req.overview_level,
                                run.cancelled)


def _header_job(run: Run, href: str) -> Callable[[], None]:
    """Fetch ``href``'s header in a read thread (signing, which may ask a token endpoint, happens there too)."""
    return lambda: fetch_header(run.remote(href))
