"""Which collections a search asks, and one entry per acquisition when it asks several.

Earth Search v1 serves Sentinel-2 L2A twice: ``sentinel-2-l2a`` (the older processing, which misses
thousands of scenes a month since 2024, Element84/earth-search#65, #76) and ``sentinel-2-c1-l2a``
(Collection 1, meant to replace it, with gaps of its own in early years and 2022, #44, #70). Neither
alone has every acquisition; together they do. So with no collection given ("best available"), an API
that lists ``sentinel-2-c1-l2a`` is searched on both in one request, and an acquisition found in both is
kept once, from the collection named first. Elsewhere (Earth Search v2, whose ``sentinel-2-l2a`` is the
C1 data; Planetary Computer; any other API) ``sentinel-2-l2a`` is searched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from stac_quicklook_plugin.core.errors import BadInput
from stac_quicklook_plugin.core.net.http import HttpClient
from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.core.stac import landing

BEST_SENTINEL2 = ""  # the request's collection when none is given: the best Sentinel-2 L2A the API has
SENTINEL2_C1 = "sentinel-2-c1-l2a"
SENTINEL2_L2A = "sentinel-2-l2a"
SAME_ACQUISITION_S = 60.0  # two items of one MGRS tile sensed this close are one acquisition
MAX_COLLECTIONS_ASKED = 8
_COLLECTION_ID = re.compile(r"^[^\s/?#,]{1,256}$")
_TILE = re.compile(r"^(?:MGRS-)?T?(\d{1,2})([C-X])([A-Z]{2})$", re.IGNORECASE)


def parse_collections(text: Optional[str]) -> tuple[str, ...]:
    """The collection ids of "a,b" (order kept, repeats dropped); () means the best available."""
    if text is None:
        return ()
    if not isinstance(text, str):
        raise BadInput(f"The collection must be a text, got {type(text).__name__}.")
    ids = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    for cid in ids:
        if not _COLLECTION_ID.match(cid):
            raise BadInput(f"{cid[:80]!r} is not a collection id (no spaces, slashes, '?' or '#'); separate "
                           "several collections with commas.")
    if len(ids) > MAX_COLLECTIONS_ASKED:
        raise BadInput(f"Give at most {MAX_COLLECTIONS_ASKED} collections, not {len(ids)}.")
    return ids


def describe(text: Optional[str]) -> str:
    """How a request's collection reads in a sentence."""
    ids = parse_collections(text)
    return ", ".join(ids) if ids else "Sentinel-2 L2A (best available)"


def best_sentinel2(listed: Optional[frozenset[str]]) -> tuple[str, ...]:
    """The best available Sentinel-2 L2A of an API that lists ``listed`` (None: it does not say)."""
    if listed and SENTINEL2_C1 in listed:
        return (SENTINEL2_C1, SENTINEL2_L2A) if SENTINEL2_L2A in listed else (SENTINEL2_C1,)
    return (SENTINEL2_L2A,)


def unlisted_error(api_url: str, missing: list[str], listed: frozenset[str]) -> BadInput:
    names = sorted(listed)
    shown = ", ".join(names[:40]) + (f" (and {len(names) - 40} more)" if len(names) > 40 else "")
    which = "collection" if len(missing) == 1 else "collections"
    return BadInput(f"The STAC API at {redact(api_url)} has no {which} {', '.join(repr(m) for m in missing)}. "
                    f"It lists: {shown or 'none'}. Choose one of them, or leave the collection empty for the "
                    "best available Sentinel-2 L2A.")


# -- one entry per acquisition ----------------------------------------------------------------------
def mgrs_tile(item: dict[str, Any]) -> Optional[str]:
    """The item's MGRS tile ("13TDE") from ``grid:code``, ``mgrs:*`` or ``s2:mgrs_tile``; None if it says none."""
    props: dict[str, Any] = item["properties"] if isinstance(item.get("properties"), dict) else {}
    candidates = [props.get("grid:code"), props.get("s2:mgrs_tile"), props.get("s2:tile_id")]
    zone, band, square = props.get("mgrs:utm_zone"), props.get("mgrs:latitude_band"), props.get("mgrs:grid_square")
    if isinstance(zone, (int, str)) and not isinstance(zone, bool) and isinstance(band, str) and \
            isinstance(square, str):
        candidates.insert(1, f"{str(zone).strip()}{band.strip()}{square.strip()}")
    for value in candidates:
        match = _TILE.match(value.strip()) if isinstance(value, str) else None
        if match:
            return f"{int(match.group(1)):02d}{match.group(2).upper()}{match.group(3).upper()}"
    return None


_FRACTION = re.compile(r"\.(\d+)")


def _sensed(item: dict[str, Any]) -> Optional[float]:
    props: dict[str, Any] = item["properties"] if isinstance(item.get("properties"), dict) else {}
    text = props.get("datetime") or props.get("start_datetime")
    if not isinstance(text, str):
        return None
    # Python < 3.11 (QGIS 3.22 on Windows) reads only 3 or 6 digits of a fraction: make it 6
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text.strip().replace("Z", "+00:00"), 1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


@dataclass(frozen=True)
class Duplicate:
    """An item left out because another collection has the same acquisition."""

    id: str
    collection: Optional[str]
    kept_id: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "collection": self.collection, "same_as": self.kept_id}


def one_per_acquisition(items: list[dict[str, Any]], preference: tuple[str, ...]
                        ) -> tuple[list[dict[str, Any]], list[Duplicate]]:
    """``items`` with each acquisition once: an item of another collection with the same MGRS tile (else the
    same id) sensed within 60 s is its twin. The item of the collection named first in ``preference`` is kept;
    order of the kept items is unchanged. Items of one collection are never twins of each other (a datatake
    split in two granules of one tile keeps both halves)."""
    rank = {c: i for i, c in enumerate(preference)}

    def preferred(item: dict[str, Any]) -> int:
        return rank.get(item.get("collection"), len(rank))  # type: ignore[arg-type]

    kept: list[dict[str, Any]] = []
    by_tile: dict[str, list[int]] = {}
    dropped: list[Duplicate] = []
    for item in items:
        tile, sensed = mgrs_tile(item) or f"id:{item.get('id')}", _sensed(item)
        twin = None
        for index in by_tile.get(tile, []):
            if kept[index].get("collection") == item.get("collection"):
                continue
            other = _sensed(kept[index])
            if sensed is None or other is None:
                same = sensed is None and other is None and tile.startswith("id:")
            else:
                same = abs(sensed - other) <= SAME_ACQUISITION_S
            if same:
                twin = index
                break
        if twin is None:
            by_tile.setdefault(tile, []).append(len(kept))
            kept.append(item)
        elif preferred(item) < preferred(kept[twin]):
            loser = kept[twin]
            dropped.append(Duplicate(str(loser.get("id")), loser.get("collection"), str(item.get("id"))))
            kept[twin] = item
        else:
            dropped.append(Duplicate(str(item.get("id")), item.get("collection"), str(kept[twin].get("id"))))
    winner = {d.id: d.kept_id for d in dropped}
    for _ in range(len(dropped)):  # an item that was kept, then replaced, passes its twins on
        remapped = [Duplicate(d.id, d.collection, winner.get(d.kept_id, d.kept_id)) for d in dropped]
        if remapped == dropped:
            break
        dropped = remapped
    return kept, dropped


def collections_to_search(client: HttpClient, info: landing.ApiInfo, requested: Optional[str]) -> tuple[str, ...]:
    """The collection ids a search asks, preferred first: the best available Sentinel-2 L2A when none is
    given, else those given. A given one that the API does not list raises BadInput naming those it lists."""
    wanted = parse_collections(requested)
    if not wanted:
        return best_sentinel2(landing.listed_collections(client, info))
    listed = landing.listed_collections(client, info)
    missing = [c for c in wanted if listed is not None and c not in listed]
    if missing and info.collections is not None:  # the landing page may list only some: /collections decides
        full = landing._collections_pages(client, info.url)
        missing = [c for c in missing if full is not None and c not in full]
        listed = (full or frozenset()) | info.collections
    if missing and listed is not None:
        raise unlisted_error(info.url, missing, listed)
    return wanted
