"""Stage 1 of a quicklook, the candidates: the scenes over the view and dates within the cloud limit, best
scene first, from a search of the STAC API or one answered moments ago over a larger area (core.cache)."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from stac_quicklook_plugin.core.engine.run import Run
from stac_quicklook_plugin.core.errors import NothingFound
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.stac import cache
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac.footprints import footprint_covers, sample_points


def search(run: Run) -> stac.SearchOutcome:
    """The candidates: items over the view and dates within the cloud limit, best scene first (and only
    those of ``acquisition_date`` when the request names one)."""
    req = run.req
    key = search_key(req)
    outcome = cache.recent_search(key, req.bbox_wgs84)
    if outcome is None:
        area = cache.padded(req.bbox_wgs84)  # a little beyond the view: the next pan or zoom is answered too
        outcome = stac.search_items(run.client, replace(req, bbox_wgs84=area), run.cancelled,
                                    lambda msg: run.checkpoint(5, msg))
        cache.remember_search(key, area, outcome)
    else:
        run.checkpoint(5, "Scenes of this area were found moments ago: no new search")
    outcome = _over_the_view(outcome, req)
    if req.acquisition_date:
        day = [item for item in outcome.items if stac.item_date(item) == req.acquisition_date]
        if not day:
            dates = sorted({stac.item_date(item) for item in outcome.items}, reverse=True)
            raise NothingFound(f"No scene of {req.acquisition_date} within {req.cloud_cover_max:g} % cloud over "
                               f"this area. Dates with scenes: {', '.join(dates[:12]) or 'none'}.")
        outcome = replace(outcome, items=day)
    run.checkpoint(30, f"Found {len(outcome.items)} scene(s) within {req.cloud_cover_max:g} % cloud")
    return outcome


def search_key(req: QuicklookRequest) -> tuple[Any, ...]:
    """What makes two searches the same, but for the area (the headers only as a fingerprint)."""
    headers = hashlib.sha256(repr(sorted(req.headers.items())).encode()).hexdigest()
    return (stac.api_root(req.stac_api), req.collection, req.datetime_range, req.cloud_cover_max, req.max_items,
            headers)


def _over_the_view(outcome: stac.SearchOutcome, req: QuicklookRequest) -> stac.SearchOutcome:
    """The found scenes whose footprint reaches the view (the search covered a larger area)."""
    x, y = sample_points(req.bbox_wgs84)
    items = [item for item in outcome.items if footprint_covers(item, x, y).any()]
    if not items:
        raise NothingFound(stac.nothing_found_message(req, 0, 0, None, outcome.collections))
    return replace(outcome, items=items)
