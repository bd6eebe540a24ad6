"""STAC API client: landing/conformance, a cloud-cover search that works on every real server, paging.

Real servers ignore filters they do not support (Earth Search ignores CQL2 ``filter``) or answer them
with zero features, so the cloud limit is always checked on the returned items, and an empty answer
to a server-side filter falls through to the next way of searching.
"""
from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator, Optional
from dataclasses import replace
from urllib.parse import quote, unquote, urlsplit

from stac_quicklook_plugin.core import cache, catalog, hrefs, ranges
from stac_quicklook_plugin.core.catalog import Duplicate
from stac_quicklook_plugin.core.errors import APIError, BadAnswer, NetworkError, NothingFound, QuicklookError
from stac_quicklook_plugin.core.http import HttpClient
from stac_quicklook_plugin.core.models import ItemSummary, QuicklookRequest
from stac_quicklook_plugin.core.redact import redact, strip_controls

CONFORMANCE_TTL_S = 3600.0
MAX_PAGES = 10
PAGE_LIMIT_SORTED = 50  # server sorts by cloud cover: the first page holds the best scenes
PAGE_LIMIT_UNSORTED = 100
FALL_THROUGH_STATUSES = (400, 405, 422, 501)
MAX_ID_CHARS = 256
MAX_GEOMETRY_DEPTH = 6  # GeometryCollection > MultiPolygon > polygon > ring > position > number
MAX_SKIP_NOTES = 3

QUERY = "query"
FILTER = "filter"
CLIENT = "client"

_cache_lock = threading.Lock()
_api_cache: dict[str, tuple[float, "ApiInfo"]] = {}


@dataclass(frozen=True)
class ApiInfo:
    """What the landing page says about an API: its search URL and which search features it declares."""

    url: str
    search_url: str
    conforms_to: Optional[frozenset[str]]  # None when the server does not say
    get_only: bool = False  # the landing page advertises only GET for /search
    collections: Optional[frozenset[str]] = None  # ids of the landing page's child links (None: it lists none)

    def declares(self, suffix: str) -> bool:
        return bool(self.conforms_to) and any(c.rstrip("/").endswith(suffix) for c in self.conforms_to)

    @property
    def has_query(self) -> bool:
        return self.declares("item-search#query")

    @property
    def has_filter(self) -> bool:
        return self.declares("item-search#filter") or self.declares("cql2-json")

    @property
    def has_sort(self) -> bool:
        return self.declares("item-search#sort")

    def strategies(self) -> list[str]:
        """Which server-side cloud filters to try, best first; ``client`` (no server filter) is last."""
        if self.conforms_to is None:  # the server does not say: try query, it is the most widely supported
            return [QUERY, CLIENT]
        out = []
        if self.has_query:
            out.append(QUERY)
        if self.has_filter:
            out.append(FILTER)
        out.append(CLIENT)
        return out


@dataclass
class SearchOutcome:
    """The items that pass the cloud limit, best first, and how they were found."""

    items: list[dict[str, Any]]
    strategy: str
    looked_at: int = 0
    over_limit: int = 0
    least_cloudy_over_limit: Optional[float] = None
    notes: list[str] = field(default_factory=list)
    collections: tuple[str, ...] = ()  # the collections searched, preferred first
    duplicates: list[Duplicate] = field(default_factory=list)  # acquisitions found twice, the other copy


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


MAX_COLLECTION_PAGES = 5


def _collections_pages(client: HttpClient, root: str) -> Optional[frozenset[str]]:
    """Every id of ``/collections`` (following ``next`` links, a few pages), or None when the list cannot
    be had whole (it is only a hint: the search will tell)."""
    url: Optional[str] = root + "/collections"
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
        nxt = next((l.get("href") for l in _links(data) if l.get("rel") == "next" and isinstance(l.get("href"), str)),
                   None)
        if nxt is None or len(ids) >= cache.MAX_COLLECTIONS:
            return frozenset(ids) if ids else None
        try:
            url = hrefs.resolve(nxt, [url], f"The next-page link of {redact(url)}")
        except QuicklookError:
            return None
    return None  # more pages than are read: not the whole list


def collections_to_search(client: HttpClient, info: ApiInfo, requested: Optional[str]) -> tuple[str, ...]:
    """The collection ids a search asks, preferred first: the best available Sentinel-2 L2A when none is
    given, else those given. A given one that the API does not list raises BadInput naming those it lists."""
    wanted = catalog.parse_collections(requested)
    if not wanted:
        return catalog.best_sentinel2(listed_collections(client, info))
    listed = listed_collections(client, info)
    missing = [c for c in wanted if listed is not None and c not in listed]
    if missing and info.collections is not None:  # the landing page may list only some: /collections decides
        full = _collections_pages(client, info.url)
        missing = [c for c in missing if full is not None and c not in full]
        listed = (full or frozenset()) | info.collections
    if missing and listed is not None:
        raise catalog.unlisted_error(info.url, missing, listed)
    return wanted


def _links(doc: Any) -> list[dict[str, Any]]:
    """The link objects of a JSON document; anything else a server put in ``links`` is ignored."""
    links = doc.get("links") if isinstance(doc, dict) else None
    return [l for l in links if isinstance(l, dict)] if isinstance(links, list) else []


def clear_api_cache() -> None:
    """Forget what this session knows of every API: landing pages, recent searches and the image bytes
    fetched (the refresh)."""
    with _cache_lock:
        _api_cache.clear()
    cache.clear_searches()
    ranges.clear()


def cloud_cover(item: dict[str, Any]) -> Optional[float]:
    """``eo:cloud_cover`` as a float, or None when missing or not a number (some servers send strings)."""
    props = item.get("properties")
    value = props.get("eo:cloud_cover") if isinstance(props, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) > 32:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0.0 <= number <= 100.0 else None


def item_time(item: dict[str, Any]) -> float:
    props = item.get("properties") or {}
    text = props.get("datetime") or props.get("start_datetime") or ""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def item_date(item: dict[str, Any]) -> str:
    props = item.get("properties") or {}
    return str(props.get("datetime") or props.get("start_datetime") or "")[:10]


def summarize(item: dict[str, Any]) -> ItemSummary:
    props = item.get("properties") or {}
    collection = item.get("collection") if isinstance(item.get("collection"), str) else None
    return ItemSummary(id=str(item.get("id")), collection=collection,
                       datetime=props.get("datetime") or props.get("start_datetime"),
                       cloud_cover=cloud_cover(item))


def best_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Least cloudy first, ties broken by newest; unknown cloud cover last."""
    return sorted(items, key=lambda it: (cloud_cover(it) is None, cloud_cover(it) or 0.0, -item_time(it)))


def search_body(req: QuicklookRequest, strategy: str, sort: bool, limit: int,
                collections: Optional[tuple[str, ...]] = None) -> dict[str, Any]:
    """One search over ``collections`` (several in one request: the API merges them), default the request's."""
    collections = collections or catalog.parse_collections(req.collection) or (catalog.SENTINEL2_L2A,)
    body: dict[str, Any] = {"collections": list(collections), "bbox": list(req.bbox_wgs84),
                            "datetime": req.datetime_range, "limit": limit}
    if strategy == QUERY:
        body["query"] = {"eo:cloud_cover": {"lte": req.cloud_cover_max}}
    elif strategy == FILTER:
        body["filter-lang"] = "cql2-json"
        body["filter"] = {"op": "<=", "args": [{"property": "eo:cloud_cover"}, req.cloud_cover_max]}
    if sort:
        body["sortby"] = [{"field": "properties.eo:cloud_cover", "direction": "asc"},
                          {"field": "properties.datetime", "direction": "desc"}]
    return body


def _decimal(value: float) -> str:
    """A coordinate in plain decimal notation, ~1 cm precision in degrees (no '1e-05' for servers to choke on)."""
    text = f"{float(value):.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _as_get_params(body: dict[str, Any]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in body.items():
        if key == "bbox":
            params[key] = ",".join(_decimal(v) for v in value)
        elif key == "collections":
            params[key] = ",".join(value)
        elif key == "sortby":
            params[key] = ",".join(("-" if s["direction"] == "desc" else "") + s["field"] for s in value)
        elif isinstance(value, (dict, list)):
            params[key] = json.dumps(value)
        else:
            params[key] = str(value)
    return params


def iter_pages(client: HttpClient, search_url: str, body: dict[str, Any], max_items: int,
               is_cancelled: Callable[[], bool], get_only: bool = False,
               skipped: Optional[list[str]] = None) -> Iterator[list[dict[str, Any]]]:
    """Pages of well-formed items, following GET and Earth-Search-style POST ``next`` links, bounded and
    loop-safe. Malformed features are left out, each with a line in ``skipped``."""
    method, url, page_body, params = "POST", search_url, body, None
    if get_only:
        method, page_body, params = "GET", None, _as_get_params(body)
    seen: set[str] = set()
    total = 0
    for _ in range(MAX_PAGES):
        key = json.dumps([method, url, page_body, params], sort_keys=True, default=str)
        if key in seen:
            return
        seen.add(key)
        try:
            data = client.request_json(method, url, body=page_body if method == "POST" else None, params=params)
        except APIError as exc:
            if method == "POST" and exc.status in (404, 405) and total == 0:  # a GET-only API
                method, params, page_body = "GET", _as_get_params(body), None
                continue
            raise
        raw_features = _features(data, url)
        features = []
        for feature in raw_features:
            problem = item_problem(feature)
            if problem is None:
                features.append(feature)
            elif skipped is not None:
                skipped.append(problem)
        yield features
        total += len(raw_features)
        if not raw_features or total >= max_items or is_cancelled():
            return
        nxt = next((l for l in _links(data) if l.get("rel") == "next" and isinstance(l.get("href"), str)), None)
        if nxt is None:
            return
        url = hrefs.resolve(nxt["href"], [url], f"The next-page link of the search at {redact(url)}")
        method = str(nxt.get("method") or "GET").upper()
        if method == "POST":
            nb = nxt.get("body") if isinstance(nxt.get("body"), dict) else {}
            page_body = {**(page_body or body), **nb} if nxt.get("merge") else (nb or page_body or body)
            params = None
        else:
            page_body, params = None, None


def _features(data: Any, url: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        kind = type(data).__name__ if not isinstance(data, dict) else "a JSON object without 'features'"
        raise APIError(f"The search at {url} did not answer a GeoJSON FeatureCollection (got {kind}). "
                       "Check that the URL is a STAC API with item search.", url=url)
    return [f for f in data["features"] if isinstance(f, dict) and f.get("id") is not None]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _geometry_problem(geometry: Any, depth: int = 0) -> Optional[str]:
    """Why a GeoJSON geometry is unusable (wrong types, NaN, strings, absurd nesting), or None."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str):
        return "its geometry is not a GeoJSON object"
    if geometry["type"] == "GeometryCollection":
        parts = geometry.get("geometries")
        if depth > 0 or not isinstance(parts, list):
            return "its geometry collection is malformed"
        return next((p for p in (_geometry_problem(g, depth + 1) for g in parts) if p), None)
    stack, seen = [(geometry.get("coordinates"), 0)], 0
    while stack:
        node, level = stack.pop()
        seen += 1
        if level > MAX_GEOMETRY_DEPTH or seen > 2_000_000:
            return "its geometry is nested too deeply or too large"
        if isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
        elif not _finite(node):
            return f"its geometry holds {_shown_value(node)} where coordinates belong"
    return None


def _shown_value(value: Any) -> str:
    if isinstance(value, float):
        return str(value)  # nan, inf
    text = json.dumps(strip_controls(value) if isinstance(value, str) else value, default=str)
    return strip_controls(text if len(text) <= 40 else text[:40] + "...")


def item_problem(item: dict[str, Any]) -> Optional[str]:
    """Why a feature is not a usable STAC item (naming it), or None. A usable item may still be tidied:
    fields a quicklook only reads as hints (roles, proj:*) are dropped when they have the wrong type."""
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id or len(item_id) > MAX_ID_CHARS or strip_controls(item_id) != item_id:
        return f"a feature with id {_shown_value(item_id)}: its id is not a short plain text"
    name = f"item {item_id}"
    props = item.get("properties")
    if not isinstance(props, dict):
        return f"{name}: its properties are not a JSON object"
    for key in ("datetime", "start_datetime", "end_datetime"):
        value = props.get(key)
        if value is not None and not (isinstance(value, str) and len(value) < 64 and strip_controls(value) == value):
            return f"{name}: properties.{key} is {_shown_value(value)}, not a date"
    if props.get("eo:cloud_cover") is not None and cloud_cover(item) is None:
        return f"{name}: its eo:cloud_cover is {_shown_value(props['eo:cloud_cover'])}, not a number from 0 to 100"
    bbox = item.get("bbox")
    if bbox is not None and not (isinstance(bbox, list) and len(bbox) in (4, 6) and all(_finite(v) for v in bbox)):
        return f"{name}: its bbox is {_shown_value(bbox)}, not 4 or 6 numbers"
    problem = _geometry_problem(item.get("geometry"))
    if problem:
        return f"{name}: {problem}"
    assets = item.get("assets")
    if assets is not None and not isinstance(assets, dict):
        return f"{name}: its assets are a JSON {type(assets).__name__}, not an object"
    if item.get("collection") is not None and not isinstance(item.get("collection"), str):
        return f"{name}: its collection is not a text"
    _tidy_assets(item)
    return None


_EPSG_CODE = re.compile(r"^EPSG:\d{4,5}$", re.IGNORECASE)


def _tidy_assets(item: dict[str, Any]) -> None:
    """Drop what a quicklook would trip on in hints: non-object assets, non-text hrefs, roles that are no
    list, proj:epsg / proj:code that are no EPSG code (the file's own CRS is read instead)."""
    if not isinstance(item.get("links"), list):
        item["links"] = []
    if isinstance(item.get("assets"), dict):
        item["assets"] = {strip_controls(k)[:200]: a for k, a in item["assets"].items() if isinstance(a, dict)}
    for source in [item.get("properties") or {}] + list((item.get("assets") or {}).values()):
        if "href" in source and not isinstance(source["href"], str):
            source.pop("href")
        if "roles" in source and not (isinstance(source["roles"], list) and all(isinstance(r, str) for r in source["roles"])):
            source.pop("roles")
        if "type" in source and not isinstance(source["type"], str):
            source.pop("type")
        epsg = source.get("proj:epsg")
        if epsg is not None and not (isinstance(epsg, int) and not isinstance(epsg, bool) and 1024 <= epsg <= 32767):
            source.pop("proj:epsg")
        code = source.get("proj:code")
        if code is not None and not (isinstance(code, str) and _EPSG_CODE.match(code)):
            source.pop("proj:code")
        for bands_key in ("eo:bands", "bands"):
            if bands_key in source and not isinstance(source[bands_key], list):
                source.pop(bands_key)
        shape = source.get("proj:shape")
        if shape is not None and not (isinstance(shape, list) and shape and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v < 10_000_000 for v in shape)):
            source.pop("proj:shape")


def search_items(client: HttpClient, req: QuicklookRequest,
                 is_cancelled: Callable[[], bool] = lambda: False,
                 progress: Callable[[str], None] = lambda msg: None) -> SearchOutcome:
    """Items over the bbox and dates that pass the cloud limit, best first. Raises NothingFound."""
    info = get_api_info(client, req.stac_api)
    collections = collections_to_search(client, info, req.collection)
    wanted = req.max_items * len(collections)  # each collection may hold a copy of every acquisition
    notes: list[str] = []
    skipped: list[str] = []
    looked_at = over = 0
    least_over: Optional[float] = None
    for strategy in info.strategies():
        sort = info.has_sort
        limit = min(req.max_items, PAGE_LIMIT_SORTED if (sort or strategy != CLIENT) else PAGE_LIMIT_UNSORTED)
        progress(f"Searching {redact(info.url)} ({'server-side ' + strategy + ' filter' if strategy != CLIENT else 'cloud filter on this side'})")
        try:
            found = _collect(client, info, search_body(req, strategy, sort, limit, collections), wanted,
                             is_cancelled, skipped)
        except APIError as exc:
            if sort and (exc.status in FALL_THROUGH_STATUSES or exc.status == 500):
                # stac-server answers 500 to some sortby fields: try once without sorting
                try:  # some servers reject sortby, not the filter
                    found = _collect(client, info, search_body(req, strategy, False, limit, collections),
                                     wanted, is_cancelled, skipped)
                except APIError as exc2:
                    if exc2.status in FALL_THROUGH_STATUSES and strategy != CLIENT:
                        notes.append(f"{strategy}: rejected (HTTP {exc2.status})")
                        continue
                    raise
            elif exc.status in FALL_THROUGH_STATUSES and strategy != CLIENT:
                notes.append(f"{strategy}: rejected (HTTP {exc.status})")
                continue
            else:
                raise
        looked_at += len(found)
        passing = []
        for item in found:
            cc = cloud_cover(item)
            if cc is not None and cc <= req.cloud_cover_max or (cc is None and req.cloud_cover_max >= 100):
                passing.append(item)
            elif cc is not None:
                over += 1
                least_over = cc if least_over is None else min(least_over, cc)
        if passing:
            # within the cloud limit first, then one copy per acquisition: a cloudy copy never hides a clear one
            passing, duplicates = catalog.one_per_acquisition(best_first(passing), collections) \
                if len(collections) > 1 else (passing, [])
            return SearchOutcome(best_first(passing)[:req.max_items], strategy, looked_at, over, least_over,
                                 notes + skip_notes(skipped), collections, duplicates)
        notes.append(f"{strategy}: {len(found)} item(s), none within the cloud limit")
    if skipped and not looked_at:
        raise BadAnswer(f"The STAC API at {redact(info.url)} answered only malformed items, none usable; the "
                        f"first: {redact(skipped[0])}. The server's data is broken; report it to its "
                        "provider, or try another API.", url=redact(info.url))
    raise NothingFound(nothing_found_message(req, looked_at, over, least_over, collections))


def skip_notes(skipped: list[str]) -> list[str]:
    """One note per malformed item left out (the first few), for the result's search notes."""
    unique = list(dict.fromkeys(skipped))
    notes = [f"skipped {redact(p)}" for p in unique[:MAX_SKIP_NOTES]]
    if len(unique) > MAX_SKIP_NOTES:
        notes.append(f"skipped {len(unique) - MAX_SKIP_NOTES} more malformed item(s)")
    return notes


def _collect(client: HttpClient, info: ApiInfo, body: dict[str, Any], max_items: int,
             is_cancelled: Callable[[], bool], skipped: Optional[list[str]] = None) -> list[dict[str, Any]]:
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for page in iter_pages(client, info.search_url, body, max_items, is_cancelled, info.get_only, skipped):
        for item in page:  # one id may stand in two collections: both are kept, de-duplication decides
            items.setdefault((str(item.get("collection")), str(item["id"])), item)
        if len(items) >= max_items:
            break
    return list(items.values())[:max_items]


def nothing_found_message(req: QuicklookRequest, looked_at: int, over: int, least_over: Optional[float],
                          collections: tuple[str, ...] = ()) -> str:
    w, s, e, n = req.bbox_wgs84
    searched = ", ".join(collections) if collections else catalog.describe(req.collection)
    what = f"collection '{searched}'" if len(collections) <= 1 and "," not in searched else f"collections {searched}"
    text = (f"No scene of {what} between {req.datetime_range.replace('/', ' and ')} "
            f"over bbox ({w:.4f}, {s:.4f}, {e:.4f}, {n:.4f}) has cloud cover <= {req.cloud_cover_max:g} %.")
    if over:
        text += (f" {over} scene(s) were found, all cloudier (least cloudy: {least_over:.1f} %): "
                 "raise the cloud limit.")
    else:
        text += " Try a longer date range, a higher cloud limit, or check that the collection covers this area."
    return text


def ensure_assets(client: HttpClient, api_url: str, item: dict[str, Any]) -> dict[str, Any]:
    """The item with its assets: as found, or fetched whole (self link, else /collections/{c}/items/{id})."""
    if isinstance(item.get("assets"), dict) and item["assets"]:
        return item
    urls = [hrefs.resolve(l["href"], [api_root(api_url) + "/"], f"The self link of item {item.get('id')}")
            for l in _links(item) if l.get("rel") == "self" and isinstance(l.get("href"), str)]
    if item.get("collection"):
        urls.append(f"{api_root(api_url)}/collections/{quote(str(item['collection']))}/items/{quote(str(item['id']))}")
    last: Optional[APIError] = None
    for url in urls:
        try:
            full = client.get_json(url)
        except APIError as exc:
            last = exc
            continue
        if not isinstance(full, dict) or full.get("id") is None:
            continue
        problem = item_problem(full)
        if problem:
            last = BadAnswer(f"{redact(url)} answered a malformed item ({redact(problem)}).", url=redact(url))
            continue
        if isinstance(full.get("assets"), dict) and full["assets"]:
            return full
    if last is not None:
        raise last
    raise APIError(f"Item {item.get('id')} has no assets, and the full item could not be fetched.")


def list_collections(api_url: str, timeout: float = 10.0, headers: Optional[dict[str, str]] = None,
                     proxy: Optional[str] = None, proxy_exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(id, title) of the API's collections, following up to a few ``next`` pages."""
    client = HttpClient(headers=headers, timeout=timeout, api_url=api_url, proxy=proxy, proxy_exclude=proxy_exclude)
    try:
        out: list[tuple[str, str]] = []
        url: Optional[str] = api_root(api_url) + "/collections"
        for _ in range(5):
            data = client.get_json(url)
            collections = data.get("collections") if isinstance(data, dict) else None
            for c in collections if isinstance(collections, list) else []:
                if isinstance(c, dict) and isinstance(c.get("id"), (str, int)) and c.get("id") != "":
                    out.append((strip_controls(c["id"]), strip_controls(c.get("title") or c["id"])[:200]))
            nxt = next((l.get("href") for l in _links(data) if l.get("rel") == "next"
                        and isinstance(l.get("href"), str)), None)
            url = hrefs.resolve(nxt, [url], f"The next-page link of {redact(url)}") if nxt else None
            if not url:
                break
        return out
    finally:
        client.close()


def collection_item_assets(api_url: str, collection: str, timeout: float = 10.0,
                           headers: Optional[dict[str, str]] = None, proxy: Optional[str] = None,
                           proxy_exclude: tuple[str, ...] = ()) -> list[str]:
    """Asset keys the collection declares in ``item_assets`` (empty when it declares none)."""
    client = HttpClient(headers=headers, timeout=timeout, api_url=api_url, proxy=proxy, proxy_exclude=proxy_exclude)
    try:
        data = client.get_json(f"{api_root(api_url)}/collections/{quote(collection)}")
    finally:
        client.close()
    assets = data.get("item_assets") if isinstance(data, dict) else None
    return [strip_controls(k) for k in assets] if isinstance(assets, dict) else []
