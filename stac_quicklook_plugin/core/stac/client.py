"""STAC API client: landing/conformance, a cloud-cover search that works on every real server, paging.

Real servers ignore filters they do not support (Earth Search ignores CQL2 ``filter``) or answer them
with zero features, so the cloud limit is always checked on the returned items, and an empty answer
to a server-side filter falls through to the next way of searching.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional
from urllib.parse import quote

from stac_quicklook_plugin.core.errors import APIError, BadAnswer, NothingFound
from stac_quicklook_plugin.core.models import Connection, QuicklookRequest
from stac_quicklook_plugin.core.net import hrefs
from stac_quicklook_plugin.core.net.http import HttpClient
from stac_quicklook_plugin.core.net.redact import redact, strip_controls
from stac_quicklook_plugin.core.stac import collections as catalog
from stac_quicklook_plugin.core.stac.collections import Duplicate
from stac_quicklook_plugin.core.stac.items import (  # noqa: F401 (the accessors, as this module had them)
    best_first,
    cloud_cover,
    item_date,
    item_problem,
    item_time,
    parse_item,
    summarize,
)
from stac_quicklook_plugin.core.stac.landing import (  # noqa: F401 (as this module had them)
    CLIENT,
    FILTER,
    QUERY,
    ApiInfo,
    Strategy,
    _links,
    api_root,
    cached_api_info,
    clear_api_cache,
    get_api_info,
    listed_collections,
)

__all__ = [  # this module's names, and those it had before items and landing moved out
    "ApiInfo",
    "CLIENT",
    "FALL_THROUGH_STATUSES",
    "FILTER",
    "LIST_TIMEOUT_S",
    "MAX_PAGES",
    "MAX_SKIP_NOTES",
    "PAGE_LIMIT_SORTED",
    "PAGE_LIMIT_UNSORTED",
    "QUERY",
    "SearchOutcome",
    "Strategy",
    "api_root",
    "best_first",
    "cached_api_info",
    "clear_api_cache",
    "cloud_cover",
    "collection_item_assets",
    "ensure_assets",
    "get_api_info",
    "item_date",
    "item_problem",
    "item_time",
    "iter_pages",
    "list_collections",
    "listed_collections",
    "nothing_found_message",
    "parse_item",
    "search_body",
    "search_items",
    "skip_notes",
    "summarize",
]

MAX_PAGES = 10
PAGE_LIMIT_SORTED = 50  # server sorts by cloud cover: the first page holds the best scenes
PAGE_LIMIT_UNSORTED = 100
FALL_THROUGH_STATUSES = (400, 405, 422, 501)
MAX_SKIP_NOTES = 3


@dataclass
class SearchOutcome:
    """The items that pass the cloud limit, best first, and how they were found."""

    items: list[dict[str, Any]]
    strategy: Strategy
    looked_at: int = 0
    over_limit: int = 0
    least_cloudy_over_limit: Optional[float] = None
    notes: list[str] = field(default_factory=list)
    collections: tuple[str, ...] = ()  # the collections searched, preferred first
    duplicates: list[Duplicate] = field(default_factory=list)  # acquisitions found twice, the other copy


def search_body(req: QuicklookRequest, strategy: Strategy, sort: bool, limit: int,
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


def iter_pages(client: HttpClient, info: ApiInfo, body: dict[str, Any], max_items: int,
               is_cancelled: Callable[[], bool], skipped: Optional[list[str]] = None
               ) -> Iterator[list[dict[str, Any]]]:
    """Pages of well-formed items from the API's search (POST, or GET where the API offers only GET), following
    GET and Earth-Search-style POST ``next`` links, bounded and loop-safe. Malformed features are left out,
    each with a line in ``skipped``."""
    method, url = "POST", info.search_url
    page_body: Optional[dict[str, Any]] = body
    params: Optional[dict[str, str]] = None
    if info.get_only:
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
            item, problem = parse_item(feature)
            if item is not None:
                features.append(item)
            elif skipped is not None and problem:
                skipped.append(problem)
        yield features
        total += len(raw_features)
        if not raw_features or total >= max_items or is_cancelled():
            return
        nxt = next((ln for ln in _links(data) if ln.get("rel") == "next" and isinstance(ln.get("href"), str)), None)
        if nxt is None:
            return
        url = hrefs.resolve(nxt["href"], [url], f"The next-page link of the search at {redact(url)}")
        method = str(nxt.get("method") or "GET").upper()
        if method == "POST":
            nb: dict[str, Any] = nxt["body"] if isinstance(nxt.get("body"), dict) else {}
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


def search_items(client: HttpClient, req: QuicklookRequest,
                 is_cancelled: Callable[[], bool] = lambda: False,
                 progress: Callable[[str], None] = lambda msg: None) -> SearchOutcome:
    """Items over the bbox and dates that pass the cloud limit, best first. Raises NothingFound."""
    info = get_api_info(client, req.stac_api)
    collections = catalog.collections_to_search(client, info, req.collection)
    wanted = req.max_items * len(collections)  # each collection may hold a copy of every acquisition
    notes: list[str] = []
    skipped: list[str] = []
    looked_at = over = 0
    least_over: Optional[float] = None
    for strategy in info.strategies():
        sort = info.has_sort
        limit = min(req.max_items, PAGE_LIMIT_SORTED if (sort or strategy != CLIENT) else PAGE_LIMIT_UNSORTED)
        how = f"server-side {strategy} filter" if strategy != CLIENT else "cloud filter on this side"
        progress(f"Searching {redact(info.url)} ({how})")
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
    for page in iter_pages(client, info, body, max_items, is_cancelled, skipped):
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
    text = (f"No scene of {what} between {(req.datetime_range or '..').replace('/', ' and ')} "
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
    urls = [hrefs.resolve(ln["href"], [api_root(api_url) + "/"], f"The self link of item {item.get('id')}")
            for ln in _links(item) if ln.get("rel") == "self" and isinstance(ln.get("href"), str)]
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
        full, problem = parse_item(full)
        if full is None:
            last = BadAnswer(f"{redact(url)} answered a malformed item ({redact(str(problem))}).", url=redact(url))
            continue
        if isinstance(full.get("assets"), dict) and full["assets"]:
            return dict(full)
    if last is not None:
        raise last
    raise APIError(f"Item {item.get('id')} has no assets, and the full item could not be fetched.")


LIST_TIMEOUT_S = 10.0  # the dock's lists: a short wait is enough for them, the quicklook has its own


def list_collections(api_url: str, connection: Optional[Connection] = None) -> list[tuple[str, str]]:
    """(id, title) of the API's collections, following up to a few ``next`` pages."""
    client = HttpClient(connection or Connection(timeout=LIST_TIMEOUT_S), api_url=api_url)
    try:
        out: list[tuple[str, str]] = []
        url: Optional[str] = api_root(api_url) + "/collections"
        for _ in range(5):
            if url is None:
                break
            data = client.get_json(url)
            collections = data.get("collections") if isinstance(data, dict) else None
            for c in collections if isinstance(collections, list) else []:
                if isinstance(c, dict) and isinstance(c.get("id"), (str, int)) and c.get("id") != "":
                    out.append((strip_controls(c["id"]), strip_controls(c.get("title") or c["id"])[:200]))
            nxt = next((ln.get("href") for ln in _links(data) if ln.get("rel") == "next"
                        and isinstance(ln.get("href"), str)), None)
            url = hrefs.resolve(nxt, [url], f"The next-page link of {redact(url)}") if nxt else None
            if not url:
                break
        return out
    finally:
        client.close()


def collection_item_assets(api_url: str, collection: str, connection: Optional[Connection] = None) -> list[str]:
    """Asset keys the collection declares in ``item_assets`` (empty when it declares none)."""
    client = HttpClient(connection or Connection(timeout=LIST_TIMEOUT_S), api_url=api_url)
    try:
        data = client.get_json(f"{api_root(api_url)}/collections/{quote(collection)}")
    finally:
        client.close()
    assets = data.get("item_assets") if isinstance(data, dict) else None
    return [strip_controls(k) for k in assets] if isinstance(assets, dict) else []
