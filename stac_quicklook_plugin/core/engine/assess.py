"""Stage 2, assess: rank the candidates by cloud over the view, from their scene classification read on the
assessment grid (the view, ASSESS_WIDTH pixels across: the same for every stage and date of a run, so a mask
read once serves them all)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from stac_quicklook_plugin.core.engine.masks import read_masks
from stac_quicklook_plugin.core.engine.plan import ReadPlan
from stac_quicklook_plugin.core.engine.prefetch import runner_up_headers
from stac_quicklook_plugin.core.engine.run import Run
from stac_quicklook_plugin.core.masks.sources import mask_source
from stac_quicklook_plugin.core.raster.grid import Grid, plan_grid
from stac_quicklook_plugin.core.stac import client as stac

ASSESS_DATES = 4  # view cloud is read for the candidates of this many dates (scene order), not for all
ASSESS_MAX_ITEMS = 16
ASSESS_WIDTH = 256  # pixels across the view for judging cloud: a 10 km view at 40 m, the SCL's overview 2
HEADER_PREFETCH = 2  # files of other candidates whose headers are fetched while the cloud is judged


@dataclass
class Assessment:
    """The candidates in rank order, with their cloud over the view (percent; None where unknown)."""

    items: list[dict[str, Any]]
    view_cloud: dict[str, Optional[float]] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)


def assess(run: Run, items: list[dict[str, Any]], speculative: ReadPlan) -> Assessment:
    """Rank by cloud over the view: the scene classification of the first few dates' items (with their
    assets, ``with_assets``) is read over the view, while the scene-level winner's imagery (``speculative``,
    the prefetch step) is already being read: no extra round trip when it stays the winner."""
    dates: list[str] = []
    to_assess: list[dict[str, Any]] = []
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
    runner_up_headers(run, speculative, [i for i in to_assess if i not in speculative.first][:HEADER_PREFETCH])
    grid = assessment_grid(run, speculative.grid.crs)
    run.checkpoint(32, f"Judging cloud over the view in {len(to_assess)} scene(s)")
    masks = read_masks(run, to_assess, grid,
                       lambda done, n: run.checkpoint(32 + 6 * done / n, f"Judged {done} of {n} scene(s)"))
    view_cloud = {k: (m.view_cloud if m else None) for k, m in masks.items()}
    coverage = {k: m.coverage for k, m in masks.items() if m is not None}
    assessed = set(masks)

    def rank_key(indexed: tuple[int, dict[str, Any]]) -> tuple[float, ...]:
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


def assessment_grid(run: Run, crs_wkt_: str) -> Grid:
    """The grid cloud over the view is judged on: the view, ASSESS_WIDTH pixels across (same for every
    stage and date of a run, so a mask read once serves them all)."""
    return plan_grid(run.req.bbox_wgs84, crs_wkt_, min(run.req.width, ASSESS_WIDTH))
