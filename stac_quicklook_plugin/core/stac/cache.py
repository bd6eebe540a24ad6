"""What the engine remembers between quicklooks, so a click pays only for what is new: each API's
landing-page facts (on disk, so QGIS starts warm the next day) and recent search answers (in memory,
minutes; a pan or zoom inside an answered area needs no new search). Both hold a server's words: they
are checked again when read back."""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

API_INFO_MAX_AGE_S = 7 * 24 * 3600.0
MAX_APIS = 64
MAX_CONFORMANCE = 256
MAX_COLLECTIONS = 2000  # collection ids kept per API (Planetary Computer lists about 130)
SEARCH_TTL_S = 300.0
MAX_SEARCHES = 32
# A search covers the view plus this share of its size on every side (at most PAD_MAX_DEG), so that a
# pan by half a view, or any zoom in, stays inside an area already answered.
PAD_SHARE = 0.6  # a little over half: a pan by exactly half a view stays inside despite rounding
PAD_MAX_DEG = 0.5
# Where the landing-page facts are kept: the plugin points this at its QGIS settings folder; headless,
# set STAC_QUICKLOOK_CACHE_DIR (unset: nothing is written to disk).
CACHE_DIR_ENV = "STAC_QUICKLOOK_CACHE_DIR"
_store_dir: Optional[Path] = None
_store_lock = threading.Lock()


def set_store_dir(path: Optional[Path]) -> None:
    """Keep the API facts in ``path`` (None: in memory only, unless the environment names a folder)."""
    global _store_dir
    _store_dir = Path(path) if path else None


def _store_path() -> Optional[Path]:
    folder = _store_dir or (Path(os.environ[CACHE_DIR_ENV]) if os.environ.get(CACHE_DIR_ENV) else None)
    return folder / "api_info.json" if folder else None


def load_api_info(root: str) -> Optional[dict[str, Any]]:
    """The stored facts of ``root`` ({"search_url", "conforms_to", "get_only", "collections"}) if fresh and
    well-formed."""
    path = _store_path()
    if path is None:
        return None
    entry = _read_store(path).get(root)
    if not isinstance(entry, dict) or not isinstance(entry.get("saved"), (int, float)):
        return None
    if not 0 <= time.time() - entry["saved"] < API_INFO_MAX_AGE_S:
        return None
    search_url, conforms, get_only = entry.get("search_url"), entry.get("conforms_to"), entry.get("get_only")
    if not isinstance(search_url, str) or urlsplit(search_url).scheme not in ("http", "https"):
        return None
    if conforms is not None and not (isinstance(conforms, list) and len(conforms) <= MAX_CONFORMANCE
                                     and all(isinstance(c, str) and len(c) < 512 for c in conforms)):
        return None
    collections = entry.get("collections")
    if collections is not None and not (isinstance(collections, list) and len(collections) <= MAX_COLLECTIONS
                                        and all(isinstance(c, str) and 0 < len(c) <= 256 for c in collections)):
        collections = None
    return {"search_url": search_url, "conforms_to": conforms, "get_only": bool(get_only),
            "collections": collections}


def save_api_info(root: str, search_url: str, conforms_to: Optional[list[str]], get_only: bool,
                  collections: Optional[list[str]] = None) -> None:
    """Remember ``root``'s facts on disk (no-op without a store; a store that cannot be written is skipped)."""
    path = _store_path()
    if path is None:
        return
    with _store_lock:
        store = _read_store(path)
        store[root] = {"saved": time.time(), "search_url": search_url,
                       "conforms_to": sorted(conforms_to)[:MAX_CONFORMANCE] if conforms_to is not None else None,
                       "get_only": get_only,
                       "collections": list(collections)[:MAX_COLLECTIONS] if collections is not None else None}
        newest = sorted(store.items(), key=lambda kv: kv[1].get("saved", 0) if isinstance(kv[1], dict) else 0)
        store = dict(newest[-MAX_APIS:])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(json.dumps(store))
            os.replace(tmp, path)
        except OSError:
            pass  # a cache: the next click simply asks the server again


def forget_api_info() -> None:
    """Drop the stored facts (the dock's refresh)."""
    path = _store_path()
    if path is not None:
        with _store_lock:
            try:
                path.unlink()
            except OSError:
                pass


def _read_store(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > 1_000_000:
            return {}
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


# -- recent searches ---------------------------------------------------------------------------------
@dataclass
class _Search:
    bbox: tuple[float, float, float, float]  # the area the search covered
    outcome: Any  # stac.SearchOutcome
    stored: float


_searches: dict[tuple[Any, ...], list[_Search]] = {}
_searches_lock = threading.Lock()


def padded(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The area a search for ``bbox`` covers."""
    w, s, e, n = bbox
    dx, dy = min(PAD_SHARE * (e - w), PAD_MAX_DEG), min(PAD_SHARE * (n - s), PAD_MAX_DEG)
    return (max(-180.0, w - dx), max(-90.0, s - dy), min(180.0, e + dx), min(90.0, n + dy))


def recent_search(key: tuple[Any, ...], bbox: tuple[float, float, float, float]) -> Optional[Any]:
    """A search answered less than SEARCH_TTL_S ago, under ``key``, whose area holds ``bbox``."""
    now = time.monotonic()
    with _searches_lock:
        entries = [s for s in _searches.get(key, []) if now - s.stored < SEARCH_TTL_S]
        _searches[key] = entries
        for entry in reversed(entries):
            w, s, e, n = entry.bbox
            if w <= bbox[0] and s <= bbox[1] and bbox[2] <= e and bbox[3] <= n:
                return entry.outcome
    return None


def remember_search(key: tuple[Any, ...], bbox: tuple[float, float, float, float], outcome: Any) -> None:
    with _searches_lock:
        entries = _searches.setdefault(key, [])
        entries.append(_Search(bbox, outcome, time.monotonic()))
        del entries[:-MAX_SEARCHES]


def clear_searches() -> None:
    """Forget every remembered search (the dock's refresh, a changed API or date range)."""
    with _searches_lock:
        _searches.clear()
