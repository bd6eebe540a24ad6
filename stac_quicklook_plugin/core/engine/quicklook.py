"""The engine's front door: from a request to a georeferenced quicklook, in stages that the CLI, the dock
and the series share, each a module of this package: search -> assess (cloud over the view) -> plan (grid,
mosaic order) -> prefetch -> read -> compose. Every stage takes the run's state (``engine.run.Run``)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Optional

from stac_quicklook_plugin.core.engine.assess import Assessment, assess
from stac_quicklook_plugin.core.engine.compose import compose
from stac_quicklook_plugin.core.engine.plan import plan_reads
from stac_quicklook_plugin.core.engine.prefetch import speculative_reads, warm_projection, with_assets
from stac_quicklook_plugin.core.engine.reads import read_plan
from stac_quicklook_plugin.core.engine.run import ProgressFn, Run, open_run
from stac_quicklook_plugin.core.engine.search import search
from stac_quicklook_plugin.core.engine.validate import validate_request
from stac_quicklook_plugin.core.errors import NothingFound
from stac_quicklook_plugin.core.models import Quicklook, QuicklookRequest, Rank
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac.assets import choose_assets


def quicklook(request: QuicklookRequest, progress: Optional[ProgressFn] = None,
              is_cancelled: Optional[Callable[[], bool]] = None, gdal_config: Optional[dict[str, str]] = None
              ) -> Quicklook:
    """Search, rank by cloud over the view, read only the view's pixels from overviews, mosaic (filling
    cloud from the next scenes with ``mask_clouds``); raises QuicklookError."""
    with open_run(request, progress, is_cancelled, gdal_config) as run:
        warm_projection(run)
        return quicklook_of(run, search(run))


def quicklook_of(run: Run, outcome: stac.SearchOutcome) -> Quicklook:
    """Stages 2-5 over candidates already found (the series calls this once per date)."""
    assessment = rank(run, outcome.items)
    plan = plan_reads(run, assessment.items)
    run.checkpoint(40, f"Reading {len(plan.first)} scene(s) at about {plan.grid.resolution:.0f} m per pixel")
    layers = read_plan(run, plan)
    run.checkpoint(95, "Composing the result")
    return compose(run, plan, layers, outcome, assessment)


def rank(run: Run, items: list[dict[str, Any]]) -> Assessment:
    """Stages 2-3b: ``rank="scene"`` keeps the search order (``eo:cloud_cover``); ``rank="view"`` plans the
    scene-level winner's read and starts it (prefetch), then ranks by cloud over the view (assess)."""
    if run.req.rank is Rank.SCENE:
        return Assessment(list(items))
    found = [with_assets(run, item, required=(i == 0)) for i, item in enumerate(items)]
    full = [item for item in found if item is not None]
    speculative = plan_reads(run, full)
    speculative_reads(run, speculative)
    return assess(run, full, speculative)


def whole_scene_bbox(request: QuicklookRequest) -> QuicklookRequest:
    """The request narrowed to the best scene's own bbox, at the overview level's width (as the original snippet did:
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
