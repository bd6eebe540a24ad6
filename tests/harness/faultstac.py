"""A small STAC API shaped like Earth Search v1 (stac-server), with faults chosen by URL.

    python -m tests.harness.faultstac --items ITEMS.json [--collection COLL.json] [--port 0] [--log FILE.jsonl]

Prints `READY <port>`. The API root is `http://127.0.0.1:PORT/<flags>/`, where <flags> is `ok`
or a comma-separated list of FLAGS; every link points back into the same prefix.

Without flags it honours bbox, datetime, collections, ids, limit, `query`, CQL2-JSON `filter`
and `sortby`, and pages like Earth Search (see tests/fixtures/earth-search/BEHAVIOUR.md).
The http-*, invalid-json, not-featurecollection*, big-body, drop-mid-body, redirect and
next-loop faults hit the item searches (/search and /collections/{c}/items) only, so a client
can still read the landing page first.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.harness.httpbase import JsonlLog, KeepAliveHandler, serve

FLAGS = {
    "ok", "reject-query", "reject-filter", "reject-both", "ignore-filter", "ignore-query", "query-empty",
    "no-query-conformance", "filter-conformance", "sort-conformance", "bare-conformance", "no-conformsto",
    "self-404", "no-assets", "asset-no-href", "cloud-string", "cloud-missing", "http-422", "http-500",
    "http-502", "http-503", "http-503-once", "invalid-json", "not-featurecollection",
    "not-featurecollection-list", "next-loop", "redirect", "big-body", "slow", "drop-mid-body", "http-401-echo",
    "require-auth",
}
# With "require-auth", every route answers 401 unless this Basic header (alice:s3cret-pass) comes along.
REQUIRED_AUTH = "Basic YWxpY2U6czNjcmV0LXBhc3M="
CORE = ["https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/item-search"]
# Earth Search's list (stac-server v3.8.0 getConformance), see tests/fixtures/earth-search/landing.json
EARTH_SEARCH = CORE + [
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/item-search#fields",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#fields",
    "https://api.stacspec.org/v1.0.0/item-search#sort",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#sort",
    "https://api.stacspec.org/v1.0.0/item-search#query",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#query",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
SORT = ["https://api.stacspec.org/v1.0.0/item-search#sort"]
FILTER = [
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
]
GEOJSON = "application/geo+json; charset=utf-8"
DEFAULT_SORT = [{"field": "properties.datetime", "direction": "desc"}, {"field": "id", "direction": "desc"}]
COMPARE = {
    "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b, "eq": lambda a, b: a == b, "neq": lambda a, b: a != b,
}
CQL2_OPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "=": "eq", "<>": "neq"}
BAD_GATEWAY = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
               b"</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n")


class BadRequest(Exception):
    """A client error answered as stac-server does: 400 {"code": "BadRequest", ...}."""


def parse_instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequest("datetime value is invalid, does not match RFC3339 format") from None


def parse_datetime(value: str) -> tuple[datetime | None, datetime | None]:
    if "/" not in value:
        t = parse_instant(value)
        return t, t
    start, end = (part.strip() for part in value.split("/", 1))
    lo = None if start in ("", "..") else parse_instant(start)
    hi = None if end in ("", "..") else parse_instant(end)
    if lo is None and hi is None:
        raise BadRequest("datetime value is invalid, at least one end of the interval must be closed")
    if lo and hi and lo > hi:
        raise BadRequest("datetime value is invalid, start datetime must be before end datetime with interval")
    return lo, hi


def prop(item: dict, field: str) -> Any:
    if field in ("id", "collection"):
        return item.get(field)
    return item.get("properties", {}).get(field.removeprefix("properties."))


def params_from_query_string(qs: str) -> dict:
    """GET parameters in the POST body shape, as stac-server reads them."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(qs, keep_blank_values=True):
        if key == "bbox":
            try:
                params[key] = [float(v) for v in value.split(",")]
            except ValueError:
                raise BadRequest("Invalid bbox") from None
        elif key in ("collections", "ids"):
            params[key] = [v for v in value.split(",") if v]
        elif key in ("query", "filter", "intersects"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                raise BadRequest(f"{key} is not valid JSON") from None
        elif key == "sortby":
            params[key] = [{"field": f.lstrip("+-"), "direction": "desc" if f.startswith("-") else "asc"}
                           for f in value.split(",") if f]
        else:
            params[key] = value
    return params


def params_to_query_string(params: dict) -> str:
    out = {}
    for key, value in params.items():
        if key in ("bbox", "collections", "ids"):
            out[key] = ",".join(str(v) for v in value)
        elif key == "sortby":
            out[key] = ",".join(("-" if s.get("direction") == "desc" else "") + s["field"] for s in value)
        elif isinstance(value, (dict, list)):
            out[key] = json.dumps(value, separators=(",", ":"))
        else:
            out[key] = value
    return urlencode(out)


def cql2_match(node: Any, item: dict) -> bool:
    if not isinstance(node, dict) or "op" not in node:
        raise BadRequest("filter is not a CQL2-JSON expression")
    op = CQL2_OPS.get(node["op"], node["op"])
    args = node.get("args", [])
    if op in ("and", "or"):
        results = [cql2_match(a, item) for a in args]
        return all(results) if op == "and" else any(results)
    if op == "not":
        return not cql2_match(args[0], item)
    if op not in COMPARE or len(args) != 2 or not isinstance(args[0], dict) or "property" not in args[0]:
        raise BadRequest(f"unsupported CQL2 expression with op {node['op']!r}")
    value = prop(item, args[0]["property"])
    return value is not None and COMPARE[op](value, args[1])


def query_match(query: dict, item: dict) -> bool:
    for field, ops in query.items():
        value = prop(item, field)
        if value is None:
            return False
        for op, operand in (ops or {}).items():
            if op == "in" and value not in operand:
                return False
            if op in COMPARE and not COMPARE[op](value, operand):
                return False  # unknown operators are ignored, as stac-server does
    return True


def bbox_match(bbox: list[float], item: dict) -> bool:
    if len(bbox) not in (4, 6):
        raise BadRequest("Invalid bbox, must have 4 or 6 points")
    w, s, e, n = (bbox[0], bbox[1], bbox[3], bbox[4]) if len(bbox) == 6 else bbox
    ib = item.get("bbox") or [-180, -90, 180, 90]
    iw, is_, ie, in_ = (ib[0], ib[1], ib[3], ib[4]) if len(ib) == 6 else ib
    return iw <= e and w <= ie and is_ <= n and s <= in_


def datetime_match(interval: tuple[datetime | None, datetime | None], item: dict) -> bool:
    p = item.get("properties", {})
    start = parse_instant(p.get("start_datetime") or p["datetime"])
    end = parse_instant(p.get("end_datetime") or p["datetime"])
    lo, hi = interval
    return (lo is None or end >= lo) and (hi is None or start <= hi)


def sort_key(sortby: list[dict]):
    def key(item: dict) -> tuple:
        parts = []
        for s in sortby:
            v = prop(item, s["field"])
            missing = v is None
            if isinstance(v, str) and s.get("direction") == "desc":
                v = tuple(-ord(c) for c in v) + (1,)  # invert strings so one ascending sort works
            elif isinstance(v, (int, float)) and s.get("direction") == "desc":
                v = -v
            parts.append((missing, v if not missing else 0))
        return tuple(parts)
    return key


class Catalog:
    """The loaded items and the pure search over them."""

    def __init__(self, items: list[dict], collection: dict | None):
        self.items = items
        ids = sorted({i.get("collection", "sentinel-2-l2a") for i in items})
        self.collections = {c: {"type": "Collection", "stac_version": "1.0.0", "id": c, "description": c,
                                "license": "proprietary", "links": [],
                                "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                                           "temporal": {"interval": [[None, None]]}}} for c in ids}
        if collection:
            self.collections[collection["id"]] = collection

    def search(self, params: dict, flags: set[str]) -> tuple[list[dict], int, str | None, int]:
        """(page, number matched, next token or None, limit) for search params in the POST shape."""
        try:
            limit = int(params.get("limit", 10))
        except (TypeError, ValueError):
            limit = 0
        if not 1 <= limit <= 10000:
            raise BadRequest("Invalid limit value, must be a number between 1 and 10000 inclusive")
        if "bbox" in params and "intersects" in params:
            raise BadRequest("Expected bbox OR intersects, not both")
        interval = parse_datetime(params["datetime"]) if params.get("datetime") else None
        use_query = "query" in params and "ignore-query" not in flags
        use_filter = "filter" in params and "ignore-filter" not in flags
        if use_filter and params.get("filter-lang", "cql2-json") != "cql2-json":
            raise BadRequest("only filter-lang cql2-json is supported")
        if "query" in params and "query-empty" in flags:
            return [], 0, None, limit
        hits = []
        for item in self.items:
            if params.get("collections") and item.get("collection") not in params["collections"]:
                continue
            if params.get("ids") and item.get("id") not in params["ids"]:
                continue
            if "bbox" in params and not bbox_match(params["bbox"], item):
                continue
            if interval and not datetime_match(interval, item):
                continue
            if use_query and not query_match(params["query"] or {}, item):
                continue
            if use_filter and not cql2_match(params["filter"], item):
                continue
            hits.append(item)
        sortby = params.get("sortby") or DEFAULT_SORT
        hits.sort(key=sort_key(sortby))
        start = 0
        if params.get("next"):
            # The token is "<sort values>,<id>,<collection>"; resume after that item (search_after).
            *_, last_id, last_coll = str(params["next"]).split(",")
            found = [i for i, it in enumerate(hits) if it["id"] == last_id and it.get("collection") == last_coll]
            start = found[0] + 1 if found else len(hits)
        page = hits[start:start + limit]
        token = None
        if page:
            last = page[-1]
            keys = [str(prop(last, s["field"])) for s in sortby]
            if sortby[-1]["field"] != "id":
                keys.append(last["id"])
            token = ",".join(keys + [last.get("collection", "")])
        return page, len(hits), token, limit


class FaultStacHandler(KeepAliveHandler):
    server_version = "Express"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.begin_record(method=self.command, path=url.path, query=url.query, body=body,
                          authorization="Authorization" in self.headers, connection=self.connection_id,
                          host=self.headers.get("Host"))
        try:
            self._route(url.path, url.query, body, raw)
        except (BrokenPipeError, ConnectionResetError) as exc:
            self.close_connection = True
            self.commit_record(error=type(exc).__name__, bytes=self.sent_bytes())
        finally:
            self.commit_record()

    def _not_found(self) -> int:
        return self.send_json(404, {"code": "NotFound", "description": "Not Found"})

    def _route(self, path: str, qs: str, body: Any, raw: bytes) -> int:
        parts = [p for p in path.split("/") if p]
        if not parts:
            return self._not_found()
        prefix, rest = parts[0], parts[1:]
        # "tag-<anything>" only makes a prefix unique, e.g. for a fresh http-503-once counter.
        flags = {f for f in unquote(prefix).split(",") if not f.startswith("tag-")}
        if not flags <= FLAGS:
            return self.send_json(404, {"code": "NotFound", "description": f"unknown fault flags {sorted(flags - FLAGS)}"})
        if "slow" in flags:
            time.sleep(3)
        if "require-auth" in flags and self.headers.get("Authorization") != REQUIRED_AUTH:
            return self.send_json(401, {"code": "Unauthorized", "description": "Authentication required"},
                                  headers={"WWW-Authenticate": 'Basic realm="stac"'})
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"
        root = f"http://{host}/{prefix}"
        try:
            if rest == [] and self.command == "GET":
                return self._landing(root, flags)
            if rest == ["conformance"] and self.command == "GET":
                if "no-conformsto" in flags:
                    return self._not_found()
                return self.send_json(200, {"conformsTo": conformance(flags)})
            if rest == ["collections"] and self.command == "GET":
                cols = [self._collection(c, root) for c in self.server.catalog.collections.values()]
                return self.send_json(200, {"collections": cols, "links": [{"rel": "self", "href": f"{root}/collections"}]})
            if len(rest) == 2 and rest[0] == "collections" and self.command == "GET":
                col = self.server.catalog.collections.get(rest[1])
                if not col:
                    return self._not_found()
                return self.send_json(200, self._collection(col, root))
            if len(rest) == 4 and rest[0] == "collections" and rest[2] == "items" and self.command == "GET":
                return self._item(root, rest[1], rest[3], flags)
            if rest == ["search"] and self.command in ("GET", "POST"):
                if self.command == "POST" and raw and not isinstance(body, dict):
                    raise BadRequest("request body is not a JSON object")
                params = params_from_query_string(qs) if self.command == "GET" else dict(body or {})
                return self._search(root, prefix, flags, params, f"{root}/search", [])
            if len(rest) == 3 and rest[0] == "collections" and rest[2] == "items" and self.command == "GET":
                if rest[1] not in self.server.catalog.collections:
                    return self._not_found()
                params = {**params_from_query_string(qs), "collections": [rest[1]]}
                extra = [{"rel": "self", "href": f"{root}/collections/{rest[1]}/items"},
                         {"rel": "collection", "href": f"{root}/collections/{rest[1]}"}]
                return self._search(root, prefix, flags, params, f"{root}/collections/{rest[1]}/items", extra)
            return self._not_found()
        except BadRequest as exc:
            return self.send_json(400, {"code": "BadRequest", "description": str(exc)})

    def _landing(self, root: str, flags: set[str]) -> int:
        link = lambda rel, href, typ="application/json", **kw: {"rel": rel, "type": typ, "href": href, **kw}  # noqa: E731
        landing = {
            "stac_version": "1.0.0", "type": "Catalog", "id": "fault-stac", "title": "Fault-injecting STAC API",
            "description": "A STAC API shaped like Earth Search v1, for tests",
            "links": [link("self", root + "/"), link("root", root + "/"), link("conformance", f"{root}/conformance"),
                      link("data", f"{root}/collections"),
                      link("search", f"{root}/search", "application/geo+json", method="GET"),
                      link("search", f"{root}/search", "application/geo+json", method="POST")]
            + [link("child", f"{root}/collections/{c}") for c in self.server.catalog.collections],
        }
        if "no-conformsto" not in flags:
            landing["conformsTo"] = conformance(flags)
        return self.send_json(200, landing)

    def _collection(self, col: dict, root: str) -> dict:
        links = [ln for ln in col.get("links", []) if ln.get("rel") not in ("self", "root", "parent", "items")]
        return {**col, "links": links + [{"rel": "self", "href": f"{root}/collections/{col['id']}"},
                                         {"rel": "root", "href": root + "/"}, {"rel": "parent", "href": root + "/"},
                                         {"rel": "items", "href": f"{root}/collections/{col['id']}/items"}]}

    def _present(self, item: dict, root: str, flags: set[str], in_search: bool) -> dict:
        """The item as served: links into this prefix, then the output-shape faults."""
        out = json.loads(json.dumps(item))
        col = out.get("collection", "")
        keep = [ln for ln in out.get("links", []) if ln.get("rel") not in ("self", "root", "parent", "collection")]
        # self-404: a self link that goes nowhere; the /collections/{c}/items/{id} route still works.
        self_href = f"{root}/{'gone/' if 'self-404' in flags else ''}collections/{col}/items/{out['id']}"
        out["links"] = keep + [
            {"rel": "self", "type": "application/geo+json", "href": self_href},
            {"rel": "parent", "type": "application/json", "href": f"{root}/collections/{col}"},
            {"rel": "collection", "type": "application/json", "href": f"{root}/collections/{col}"},
            {"rel": "root", "type": "application/json", "href": root + "/"},
        ]
        if "no-assets" in flags and in_search:
            out.pop("assets", None)
        if "asset-no-href" in flags:
            for asset in out.get("assets", {}).values():
                asset.pop("href", None)
        props = out.setdefault("properties", {})
        if "cloud-string" in flags and "eo:cloud_cover" in props:
            props["eo:cloud_cover"] = str(props["eo:cloud_cover"])
        if "cloud-missing" in flags:
            props.pop("eo:cloud_cover", None)
        return out

    def _item(self, root: str, collection: str, item_id: str, flags: set[str]) -> int:
        for item in self.server.catalog.items:
            if item["id"] == item_id and item.get("collection") == collection:
                return self.send_json(200, self._present(item, root, flags, in_search=False), GEOJSON)
        return self._not_found()

    def _search(self, root: str, prefix: str, flags: set[str], params: dict, endpoint: str, extra: list) -> int:
        fault = self._search_fault(prefix, flags)
        if fault:
            return fault
        if {"reject-query", "reject-both"} & flags and "query" in params:
            raise BadRequest("query is not supported by this server")
        if {"reject-filter", "reject-both"} & flags and "filter" in params:
            raise BadRequest("filter is not supported by this server")
        page, matched, token, limit = self.server.catalog.search(params, flags)
        links: list[dict] = [{"rel": "root", "type": "application/json", "href": root + "/"}] + extra
        if page:
            next_params = dict(params) if "next-loop" in flags else {**params, "next": token}
            if endpoint.endswith("/items"):
                next_params.pop("collections", None)
            nxt = {"rel": "next", "title": "Next page of Items", "type": "application/geo+json"}
            if self.command == "POST":
                nxt.update(method="POST", href=endpoint, merge=False, body=next_params)
            else:
                nxt.update(method="GET", href=f"{endpoint}?{params_to_query_string(next_params)}")
            links.append(nxt)
        features = [self._present(i, root, flags, in_search=True) for i in page]
        fc = {"type": "FeatureCollection", "stac_version": "1.0.0", "stac_extensions": [],
              "context": {"limit": limit, "matched": matched, "returned": len(features)},
              "numberMatched": matched, "numberReturned": len(features), "features": features, "links": links}
        if "big-body" in flags:
            fc["padding"] = "x" * (50 * 1024 * 1024)
        body = json.dumps(fc).encode()
        if "drop-mid-body" in flags:
            self.start_answer(200, GEOJSON, len(body))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return 200
        return self.send_bytes(200, body, GEOJSON)

    def _search_fault(self, prefix: str, flags: set[str]) -> int | None:
        """Answer a whole-response fault and return its status, or None to search normally."""
        if "redirect" in flags:
            target_prefix = ",".join(f for f in unquote(prefix).split(",") if f != "redirect") or "ok"
            status = 307 if self.command == "POST" else 302
            location = f"http://localhost:{self.server.server_port}/{target_prefix}{self.path[len(prefix) + 1:]}"
            return self.send_bytes(status, b"", "text/plain", {"Location": location})
        if "http-401-echo" in flags:  # servers do quote the credentials they refuse
            return self.send_json(401, {"code": "Unauthorized", "description": "Invalid credentials: "
                                        + str(self.headers.get("Authorization"))})
        if "http-503-once" in flags:
            with self.server.counter_lock:
                first = prefix not in self.server.seen_503
                self.server.seen_503.add(prefix)
            if first:
                return self.send_json(503, {"code": "ServiceUnavailable", "description": "Try again"}, headers={"Retry-After": "1"})
        if "http-503" in flags:
            return self.send_json(503, {"code": "ServiceUnavailable", "description": "Try again"}, headers={"Retry-After": "1"})
        if "http-422" in flags:
            return self.send_json(422, {"code": "UnprocessableEntity", "description": "Unprocessable search parameters"})
        if "http-500" in flags:
            return self.send_json(500, {"code": "InternalServerError", "description": "Cannot read properties of undefined"})
        if "http-502" in flags:
            return self.send_bytes(502, BAD_GATEWAY, "text/html")
        if "invalid-json" in flags:
            return self.send_bytes(200, b'{"type": "FeatureCollection", "features": [{"type": "Feat', GEOJSON)
        if "not-featurecollection" in flags:
            return self.send_json(200, {"type": "Catalog", "id": "not-a-search", "links": []}, GEOJSON)
        if "not-featurecollection-list" in flags:
            return self.send_json(200, [{"type": "Feature", "id": "loose"}], GEOJSON)
        return None


def conformance(flags: set[str]) -> list[str]:
    classes = list(CORE if "bare-conformance" in flags else EARTH_SEARCH)
    if "no-query-conformance" in flags:
        classes = [c for c in classes if not c.endswith("#query")]
    if "sort-conformance" in flags:
        classes += [c for c in SORT if c not in classes]
    if "filter-conformance" in flags:
        classes += FILTER
    return classes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", required=True, type=Path)
    parser.add_argument("--collection", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args(argv)
    items = json.loads(args.items.read_text())["features"]
    collection = json.loads(args.collection.read_text()) if args.collection else None
    serve(FaultStacHandler, args.port, catalog=Catalog(items, collection), log=JsonlLog(args.log),
          seen_503=set(), counter_lock=threading.Lock())


if __name__ == "__main__":
    main()
