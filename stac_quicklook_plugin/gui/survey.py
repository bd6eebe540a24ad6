"""What the dock lists for a view: its acquisition dates and the footprints of the scenes searched, from one
search and one read of the scene classification (no imagery). Pure Python, run in a worker thread.

It composes the engine's stages as ``core.acquisitions.list_acquisitions`` does, and keeps what that
function drops: each item's geometry and its own cloud over the view (the masks are read once per run:
``Run.submit`` hands the second ``read_masks`` the reads the acquisitions already made).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional


@dataclass(frozen=True)
class Footprint:
    """One searched scene, as the footprints layer shows it."""

    id: str
    date: str  # YYYY-MM-DD
    scene_cloud: Optional[float]  # eo:cloud_cover
    view_cloud: Optional[float]  # percent cloudy over the view where it has data; None = unknown
    geometry: dict[str, Any]  # GeoJSON, WGS 84


@dataclass
class Survey:
    acquisitions: list[Any] = field(default_factory=list)  # core.acquisitions.Acquisition, newest first
    footprints: list[Footprint] = field(default_factory=list)


def survey_view(request: Any, progress: Optional[Callable[[float, str], None]] = None,
                is_cancelled: Optional[Callable[[], bool]] = None) -> Survey:
    """The acquisition dates over ``request``'s view and the scenes behind them; raises QuicklookError
    (NothingFound when no scene passes the cloud limit)."""
    from stac_quicklook_plugin.core.acquisitions import acquisitions_of
    from stac_quicklook_plugin.core.quicklook import search
    from stac_quicklook_plugin.core.run import open_run

    with open_run(request, progress, is_cancelled) as run:
        items = search(run).items
        acquisitions = acquisitions_of(run, items)
        return Survey(acquisitions, _footprints(run, items))


def _footprints(run: Any, items: list[dict[str, Any]]) -> list[Footprint]:
    from stac_quicklook_plugin.core import stac
    from stac_quicklook_plugin.core.assets import choose_assets
    from stac_quicklook_plugin.core.clouds import read_masks
    from stac_quicklook_plugin.core.errors import APIError, AssetError
    from stac_quicklook_plugin.core.quicklook import assessment_grid, output_crs
    from stac_quicklook_plugin.core.read import crs_wkt

    full = []
    for item in items:  # as acquisitions_of: the same items, the same grid, so the same (cached) mask reads
        try:
            full.append(stac.ensure_assets(run.client, run.req.stac_api, item))
        except APIError:
            continue
    if not full:
        return []
    try:
        crs = output_crs(run, full[0], choose_assets(full[0], run.req.asset_key))
    except AssetError:
        crs = crs_wkt("EPSG:4326")
    masks = read_masks(run, full, assessment_grid(run, crs))
    out = []
    for item in full:
        geometry = item.get("geometry")
        if not isinstance(geometry, dict):
            continue
        mask = masks.get(str(item.get("id")))
        out.append(Footprint(str(item.get("id")), stac.item_date(item), stac.cloud_cover(item),
                             mask.view_cloud if mask is not None else None, geometry))
    return out
