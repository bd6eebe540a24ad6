"""What the dock lists for a view: its acquisition dates and the footprints of the scenes searched, from one
search and one read of the scene classification (no imagery). Pure Python, run in a worker thread.

It composes the engine's stages as ``core.acquisitions.list_acquisitions`` does, and keeps each item's
geometry and its own cloud over the view too (``judged_items``; the masks are read once per run).
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
    from stac_quicklook_plugin.core.engine.acquisitions import dates_of, judged_items
    from stac_quicklook_plugin.core.engine.run import open_run
    from stac_quicklook_plugin.core.engine.search import search
    from stac_quicklook_plugin.core.stac import client as stac

    with open_run(request, progress, is_cancelled) as run:
        full, masks = judged_items(run, search(run).items)
        acquisitions = dates_of(run, full, masks)
    footprints = [Footprint(str(item.get("id")), stac.item_date(item), stac.cloud_cover(item),
                            masks[str(item.get("id"))].view_cloud if masks.get(str(item.get("id"))) else None,
                            item["geometry"])
                  for item in full if isinstance(item.get("geometry"), dict)]
    return Survey(acquisitions, footprints)
