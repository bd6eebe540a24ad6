"""What an API's landing page says, fetched once and remembered (in memory, and on disk where a store is set,
``stac.cache``): its search URL, the search features it declares (conformance) and the collections it lists
(``child`` links, else ``/collections`` asked once)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

from stac_quicklook_plugin.core.errors import APIError, NetworkError, QuicklookError
from stac_quicklook_plugin.core.net import hrefs
from stac_quicklook_plugin.core.net.http import HttpClient
from stac_quicklook_plugin.core.net.redact import redact, strip_controls
from stac_quicklook_plugin.core.raster import ranges
from stac_quicklook_plugin.core.stac import cache

CONFORMANCE_TTL_S = 3600.0
MAX_COLLECTION_PAGES = 5
class Strategy(str, Enum):
    """How a search filters by cloud cover: the server's ``query`` extension, its CQL2 ``filter``, or on this
    side (``client``). A ``str`` too, so results and JSON read as before."""

    QUERY = "query"
    FILTER = "filter"
    CLIENT = "client"

    def __str__(self) -> str:
        return self.value


QUERY, FILTER, CLIENT = Strategy.QUERY, Strategy.FILTER, Strategy.CLIENT

_cache_lock = threading.Lock()
_api_cache: dict[str, tuple[float, ApiInfo]] = {}


@dataclass(frozen=True)
class ApiInfo:
    """What the landing page says about an API: its search URL and which search features it declares."""

    url: str
    search_url: str
    conforms_to: Optional[frozenset[str]]  # None when the server does not say
    get_only: bool = False  # the landing page advertises only GET for /search
    collections: Optional[frozenset[str]] = None  # ids of the landing page's child links (None: it lists none)

    def declares(self, suffix: str) -> bool:
        return any(c.rstrip("/").endswith(suffix) for c in self.conforms_to or ())

    @property
    def has_query(self) -> bool:
        return self.declares("item-search#query")

    @property
    def has_filter(self) -> bool:
        return self.declares("item-search#filter") or self.declares("cql2-json")

    @property
    def has_sort(self) -> bool:
        return self.declares("item-search#sort")

    def strategies(self) -> list[Strategy]:
        """Which server-side cloud filters to try, best first; ``client`` (no server filter) is last."""
        if self.conforms_to is None:  # the server does not say: try query, it is the most widely supported
            return [QUERY, CLIENT]
        out: list[Strategy] = []
        if self.has_query:
            out.append(QUERY)
        if self.has_filter:
            out.append(FILTER)
        out.append(CLIENT)
        return out


def api_root(url: str) -> str:
    return url.rstrip("/")


def cached_api_info(api_url: str) -> Optional[ApiInfo]:
    """What is known of the API without asking it: this session's answer, else the one kept on disk."""
    root = api_root(api_url)
    now = time.monotonic()
    with _cache_lock:
        hit = _api_cache.get(root)
        if hit and now - hit[0] < CONFORMANCE_TTL_S:
            return hit[1]
    stored = cache.load_api_info(root)
    if stored is None:
        return None
    conforms = stored["conforms_to"]
    listed = stored.get("collections")
    info = ApiInfo(root, stored["search_url"], frozenset(conforms) if conforms is not None else None,
                   get_only=stored["get_only"], collections=frozenset(listed) if listed is not None else None)
    with _cache_lock:
        _api_cache[root] = (now, info)
    return info


def get_api_info(client: HttpClient, api_url: str, refresh: bool = False) -> ApiInfo:
    """Landing page (and /conformance if the landing page has no ``conformsTo``), cached per API URL
    (in memory, and on disk where a store is set: see core.cache)."""
    root = api_root(api_url)
    now = time.monotonic()
    known = None if refresh else cached_api_info(root)
    if known is not None:
        return known
    try:
        landing = client.get_json(root)
    except APIError as exc:
        if exc.status != 404:
            raise
        landing = client.get_json(root + "/")  # servers with strict trailing-slash routes
    if not isinstance(landing, dict):
        raise APIError(f"{root}/ did not answer a STAC landing page (a JSON object). "
                       "Check that the URL is the root of a STAC API.", url=root)
    conforms = landing.get("conformsTo")
    if not isinstance(conforms, list):
        try:
            doc = client.get_json(root + "/conformance")
            conforms = doc.get("conformsTo") if isinstance(doc, dict) else None
        except APIError:
            conforms = None
    search_url, methods = root + "/search", set()
    for link in _links(landing):
        if link.get("rel") == "search" and isinstance(link.get("href"), str):
            method = str(link.get("method") or "GET").upper()
            if method in ("POST", "GET"):
                methods.add(method)
                if method == "POST" or len(methods) == 1:  # some servers give relative links
                    search_url = hrefs.resolve(link["href"], [root + "/"], f"The search link of {redact(root)}")
    info = ApiInfo(root, search_url, frozenset(str(c) for c in conforms) if isinstance(conforms, list) else None,
                   get_only=methods == {"GET"}, collections=_child_collections(landing))
    _remember(info, now)
    return info


def _remember(info: ApiInfo, now: float) -> None:
    with _cache_lock:
        _api_cache[info.url] = (now, info)
    cache.save_api_info(info.url, info.search_url, sorted(info.conforms_to) if info.conforms_to is not None else None,
                        info.get_only, sorted(info.collections) if info.collections is not None else None)


def _child_collections(landing: dict[str, Any]) -> Optional[frozenset[str]]:
    """Collection ids named by the landing page's ``child`` links (``.../collections/{id}``); None when it
    has no such link."""
    ids = set()
    for link in _links(landing):
        href = link.get("href")
        if link.get("rel") != "child" or not isinstance(href, str) or len(href) > hrefs.MAX_HREF_CHARS:
            continue
        try:
            parts = urlsplit(href).path.rstrip("/").split("/")
        except ValueError:  # one malformed link among many names no collection
            continue
        if len(parts) >= 2 and parts[-2] == "collections":
            cid = strip_controls(unquote(parts[-1]))
            if 0 < len(cid) <= 256:
                ids.add(cid)
        if len(ids) >= cache.MAX_COLLECTIONS:
            break
    return frozenset(ids) if ids else None


def listed_collections(client: HttpClient, info: ApiInfo) -> Optional[frozenset[str]]:
    """The API's collection ids: the landing page's, else ``/collections`` asked once (remembered with the
    landing page); None when the API does not say, or says only part (more pages than are read)."""
    if info.collections is not None:
        return info.collections
    ids = _collections_pages(client, info.url)
    if ids is not None:
        _remember(replace(info, collections=ids), time.monotonic())
    return ids


def _collections_pages(client: HttpClient, root: str) -> Optional[frozenset[str]]:
    """Every id of ``/collections`` (following ``next`` links, a few pages), or None when the list cannot
    be had whole (it is only a hint: the search will tell)."""
    url = root + "/collections"
    ids: set[str] = set()
    for _ in range(MAX_COLLECTION_PAGES):
        try:
            data = client.get_json(url)
        except NetworkError:
            raise  # the network is down: the search would fail the same way
        except APIError:
            return None
        found = data.get("collections") if isinstance(data, dict) else None
        if not isinstance(found, list):
            return None
        for c in found[:cache.MAX_COLLECTIONS]:
            cid = strip_controls(c["id"]) if isinstance(c, dict) and isinstance(c.get("id"), str) else ""
            if 0 < len(cid) <= 256:
                ids.add(cid)
        nxt = next((ln["href"] for ln in _links(data) if ln.get("rel") == "next" and isinstance(ln.get("href"), str)),
                   None)
        if nxt is None or len(ids) >= cache.MAX_COLLECTIONS:
            return frozenset(ids) if ids else None
        try:
            url = hrefs.resolve(nxt, [url], f"The next-page link of {redact(url)}")
        except QuicklookError:
            return None
    return None  # more pages than are read: not the whole list


def _links(doc: Any) -> list[dict[str, Any]]:
    """The link objects of a JSON document; anything else a server put in ``links`` is ignored."""
    links = doc.get("links") if isinstance(doc, dict) else None
    return [ln for ln in links if isinstance(ln, dict)] if isinstance(links, list) else []


def clear_api_cache() -> None:
    """Forget what this session knows of every API: landing pages, recent searches and the image bytes
    fetched (the refresh)."""
    with _cache_lock:
        _api_cache.clear()
    cache.clear_searches()
    ranges.clear()


