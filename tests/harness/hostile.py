"""A hostile STAC API: it tries to make the client read local files, stall, echo secrets, or crash.

    python -m tests.harness.hostile --items ITEMS.json --cog-url URL --cog-root DIR [--port 0] [--log FILE]

Prints `READY <port>`. The API root is `http://127.0.0.1:PORT/<scenario>/` (see SCENARIOS). Items are
the generated ones, whose hrefs under --cog-url are files under --cog-root; a scenario rewrites them
(a local path, a GDAL path...) or answers something no STAC API should. It also serves the images
itself under `/_img/<mode>/<relpath>` (Range supported; mode `ok` or `trickle`), and acts as a forward
proxy when asked for an absolute URL (scenario `echo-proxy`).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from tests.harness.httpbase import JsonlLog, KeepAliveHandler, serve

REPO = Path(__file__).resolve().parents[2]
GEOJSON = "application/geo+json"
CORE = ["https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/item-search"]
TRICKLE_BYTES, TRICKLE_PAUSE_S = 1, 0.2  # 5 bytes a second: a 100 kB answer would take 5.5 hours
IMAGE_TRICKLE_BYTES, IMAGE_TRICKLE_PAUSE_S = 100, 0.5  # 200 B/s, under GDAL's 1 KB/s low-speed limit
HUGE_BODY_BYTES = 200 * 1024 * 1024
BOMB_BYTES = 256 * 1024 * 1024  # gzip-compressed to about 250 kB
DEEP = 100_000
ESCAPES = "\x1b[2J\x1b[H\x1b]0;owned\x07\x08\x08\x08\x00\x9b31m"

SCENARIOS = {
    # -- the catalog points at things that are not remote images
    "href-file": "asset hrefs file:///<a local COG>",
    "href-file-localhost": "asset hrefs file://localhost/<a local COG>",
    "href-abs": "asset hrefs /<a local COG> (a bare absolute path)",
    "href-relative": "asset hrefs ../../<a local COG relative to the working directory>, no self links",
    "href-vsicurl": "asset hrefs /vsicurl/http://<the real COG> (a GDAL path as given)",
    "href-vsizip": "asset hrefs /vsizip/<a local path>.zip/x.tif",
    "href-data": "asset hrefs data:image/tiff;base64,...",
    "href-windows": "asset hrefs C:\\Windows\\x.tif",
    "href-vrt": "asset hrefs on /_vrt/: a remote .tif whose content is a VRT of a local file",
    "self-file": "no assets in the search answer, self links file:///etc/passwd",
    "next-file": "one cloudy item per page, next link file:///etc/passwd",
    "search-link-file": "the landing page's search link is file:///etc/passwd",
    "redirect-file": "the search answers 302 to file:///etc/passwd",
    # -- slow: no answer ever ends
    "trickle-landing": "the landing page, 5 bytes a second",
    "trickle-search": "the search answer, 5 bytes a second",
    "trickle-headers": "the search answer's status line and headers, 5 bytes a second, forever",
    "slow-every": "every answer 1.5 s late; pages of one cloudy item with next links",
    "trickle-image": "asset hrefs on /_img/trickle/: images at 200 bytes a second",
    # -- secrets: the server quotes what it received
    "echo-auth": "401 quoting the Basic user, password and base64 it received, without 'Basic'",
    "echo-auth-split": "401 quoting the password with a NUL inside it",
    "echo-proxy": "as a proxy: 502 quoting the Proxy-Authorization user and password",
    # -- malformed answers
    "deep-search": "a FeatureCollection whose features are nested 100,000 levels deep",
    "deep-landing": "a landing page nested 100,000 levels deep",
    "bbox-nan": "every item's bbox is [NaN, NaN, NaN, NaN]",
    "bbox-strings": "every item's bbox is four strings",
    "geometry-nan": "every item's geometry has NaN coordinates",
    "geometry-strings": "every item's geometry has string coordinates",
    "bbox-nan-best": "only the least cloudy item has a NaN bbox; the others are fine",
    "assets-list": "every item's assets are a list",
    "cloud-text": "every item's eo:cloud_cover is 'cloudy'",
    "properties-list": "every item's properties are a list",
    "links-int": "links are the number 7, in the answer and in every item",
    "proj-bogus": "every item's proj:epsg is 99999 and proj:code 'EPSG:nope'",
    "roles-int": "every asset's roles are the number 3",
    "ids-escapes": "every item id holds terminal escapes",
    "escapes-500": "a 500 whose body holds terminal escapes, OSC titles, backspaces and NUL",
    # -- big
    "huge-body": "a 200 MB search answer without Content-Length",
    "gzip-bomb": "a search answer of 256 MB of spaces, gzip-encoded (about 250 kB on the wire)",
    "many-features": "100,000 features, every one over the cloud limit",
}


class HostileHandler(KeepAliveHandler):
    server_version = "Hostile/1.0"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        proxied = bool(url.scheme)  # an absolute URL: we are being used as a proxy
        self.begin_record(method=self.command, path=url.path, query=url.query, proxied=proxied,
                          authorization="Authorization" in self.headers)
        try:
            self._route(url.path, url.query, raw, proxied)
        except (BrokenPipeError, ConnectionResetError) as exc:
            self.close_connection = True
            self.commit_record(error=type(exc).__name__, bytes=self.sent_bytes())
        finally:
            self.commit_record()

    # -- routing -------------------------------------------------------------------------------
    def _route(self, path: str, qs: str, raw: bytes, proxied: bool) -> None:
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["_img"] and len(parts) >= 3:
            return self._image(parts[1], "/".join(parts[2:]))
        if parts[:1] == ["_vrt"] and len(parts) >= 2:
            return self._vrt_of_local_file("/".join(parts[1:]))
        if not parts or parts[0] not in SCENARIOS:
            return self._json(404, {"code": "NotFound", "description": f"no route {path}"})
        scenario, rest = parts[0], parts[1:]
        root = f"http://{self.headers.get('Host') or '127.0.0.1'}/{scenario}"
        if scenario == "echo-proxy" and proxied:
            return self._echo_proxy()
        if scenario in ("echo-auth", "echo-auth-split"):
            return self._echo_auth(scenario)
        if scenario == "slow-every":
            time.sleep(1.5)
        if rest == []:
            return self._landing(root, scenario)
        if rest == ["conformance"]:
            return self._json(200, {"conformsTo": CORE})
        if rest == ["search"] or (len(rest) == 3 and rest[0] == "collections" and rest[2] == "items"):
            return self._search(root, scenario, qs)
        if len(rest) == 4 and rest[0] == "collections" and rest[2] == "items":
            item = next((i for i in self.items(root, scenario) if i.get("id") == rest[3]), None)
            return self._json(200, item) if item else self._json(404, {"code": "NotFound"})
        if rest == ["collections"]:
            return self._json(200, {"collections": [{"id": "sentinel-2-l2a", "links": []}], "links": []})
        return self._json(404, {"code": "NotFound", "description": f"no route {path}"})

    # -- answers -------------------------------------------------------------------------------
    def _json(self, status: int, obj: Any, content_type: str = "application/json") -> None:
        self.send_bytes(status, json.dumps(obj).encode(), content_type)

    def _landing(self, root: str, scenario: str) -> None:
        if scenario == "deep-landing":
            return self.send_bytes(200, ("[" * DEEP + "]" * DEEP).encode(), "application/json")
        search = "file:///etc/passwd" if scenario == "search-link-file" else f"{root}/search"
        body = json.dumps({
            "type": "Catalog", "id": "hostile", "stac_version": "1.0.0", "description": "A hostile STAC API",
            "conformsTo": CORE,
            "links": [{"rel": "self", "href": root + "/"}, {"rel": "root", "href": root + "/"},
                      {"rel": "search", "href": search, "method": "POST", "type": GEOJSON},
                      {"rel": "search", "href": search, "method": "GET", "type": GEOJSON}],
            # Something worth trickling: a landing page padded like a big catalog's.
            "padding": "x" * 100_000 if scenario == "trickle-landing" else ""}).encode()
        if scenario == "trickle-landing":
            return self._trickle(body)
        self.send_bytes(200, body, "application/json")

    def _search(self, root: str, scenario: str, qs: str) -> None:
        if scenario == "deep-search":
            body = '{"type": "FeatureCollection", "features": ' + "[" * DEEP + "]" * DEEP + "}"
            return self.send_bytes(200, body.encode(), GEOJSON)
        if scenario == "escapes-500":
            return self._json(500, {"code": "InternalServerError", "description": f"{ESCAPES}database on fire"})
        if scenario == "trickle-headers":
            return self._trickle_headers()
        if scenario == "redirect-file":
            return self.send_bytes(307 if self.command == "POST" else 302, b"", "text/plain",
                                   {"Location": "file:///etc/passwd"})
        if scenario == "huge-body":
            return self._huge_body()
        if scenario == "gzip-bomb":
            return self._gzip_bomb()
        items = self.items(root, scenario)
        links: Any = [{"rel": "root", "href": root + "/"}]
        if scenario in ("next-file", "slow-every"):
            page = int(dict(p.split("=", 1) for p in qs.split("&") if "=" in p).get("page", "1"))
            items = [dict(items[0], id=f"cloudy-{page}",
                          properties={**items[0]["properties"], "eo:cloud_cover": 99.0})]
            nxt = "file:///etc/passwd" if scenario == "next-file" else f"{root}/search?page={page + 1}"
            links.append({"rel": "next", "href": nxt, "method": "GET", "type": GEOJSON})
        if scenario == "many-features":
            items = [{"type": "Feature", "id": f"f{i}", "properties": {"eo:cloud_cover": 99.0}}
                     for i in range(100_000)]
        if scenario == "links-int":
            links = 7
        fc = {"type": "FeatureCollection", "features": items, "links": links}
        body = json.dumps(fc, allow_nan=True).encode()
        if scenario == "trickle-search":
            return self._trickle(body)
        self.send_bytes(200, body, GEOJSON)

    def _trickle(self, body: bytes) -> None:
        self.start_answer(200, "application/json", len(body))
        for i in range(0, len(body), TRICKLE_BYTES):
            self.write_body(body[i:i + TRICKLE_BYTES])
            self.wfile.flush()
            time.sleep(TRICKLE_PAUSE_S)

    def _trickle_headers(self) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        self.wfile.write(head)
        self.wfile.flush()
        self.close_connection = True
        while True:  # header lines that never end, until the client goes away
            for byte in b"X-Padding: " + b"x" * 60 + b"\r\n":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(TRICKLE_PAUSE_S)

    def _huge_body(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", GEOJSON)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.write(b'{"type": "FeatureCollection", "features": [], "padding": "')
        chunk = b"x" * (1 << 20)
        for _ in range(HUGE_BODY_BYTES // len(chunk)):
            self.wfile.write(chunk)
        self.wfile.write(b'"}')

    def _gzip_bomb(self) -> None:
        self.send_bytes(200, self.server.bomb, GEOJSON, {"Content-Encoding": "gzip"})

    def _echo_auth(self, scenario: str) -> None:
        header = self.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user, password = "", ""
        if scenario == "echo-auth-split":
            password = password[:3] + "\x00" + password[3:]
        text = (f"Rejected: user {user} with password {password} is not allowed here "
                f"(we received {encoded}; decoded {user}:{password}).")
        self._json(401, {"code": "Unauthorized", "description": text})

    def _echo_proxy(self) -> None:
        header = self.headers.get("Proxy-Authorization") or ""
        try:
            user, _, password = base64.b64decode(header.partition(" ")[2]).decode().partition(":")
        except ValueError:
            user, password = "", ""
        self._json(502, {"code": "BadGateway", "description": f"proxy user {user}, password {password} "
                         f"({header.partition(' ')[2]}) may not reach {self.path}"})

    def _image(self, mode: str, relpath: str) -> None:
        file = (Path(self.server.cog_root) / relpath).resolve()
        if not file.is_file() or Path(self.server.cog_root).resolve() not in file.parents:
            return self._json(404, {"code": "NotFound"})
        size = file.stat().st_size
        start, end = 0, size - 1
        rng = self.headers.get("Range", "")
        headers = {"Accept-Ranges": "bytes"}
        status = 200
        if rng.startswith("bytes=") and "," not in rng:
            a, _, b = rng[6:].partition("-")
            start, end = int(a or 0), min(int(b) if b else size - 1, size - 1)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        with file.open("rb") as f:
            f.seek(start)
            data = f.read(end - start + 1)
        self.start_answer(status, "image/tiff", len(data), headers)
        if self.command == "HEAD":
            return
        step = IMAGE_TRICKLE_BYTES if mode == "trickle" else len(data) or 1
        for i in range(0, len(data), step):
            self.write_body(data[i:i + step])
            self.wfile.flush()
            if mode == "trickle":
                time.sleep(IMAGE_TRICKLE_PAUSE_S)

    def _vrt_of_local_file(self, relpath: str) -> None:
        """A VRT naming the local file by its absolute path: GDAL sniffs the content, whatever the name."""
        from osgeo import gdal

        local = (Path(self.server.cog_root) / relpath).resolve()
        name = f"/vsimem/hostile-{threading.get_ident()}.vrt"
        gdal.Translate(name, str(local), format="VRT")  # SourceFilename is the absolute local path
        handle = gdal.VSIFOpenL(name, "rb")
        data = bytes(gdal.VSIFReadL(1, 1 << 24, handle))
        gdal.VSIFCloseL(handle)
        gdal.Unlink(name)
        self.send_bytes(200, data, "image/tiff")

    # -- items ---------------------------------------------------------------------------------
    def items(self, root: str, scenario: str) -> list[dict]:
        out = []
        for n, original in enumerate(self.server.items):
            item = json.loads(json.dumps(original))
            item["links"] = [{"rel": "self", "href": f"{root}/collections/{item['collection']}/items/{item['id']}"},
                             {"rel": "root", "href": root + "/"}]
            for asset in item.get("assets", {}).values():
                asset["href"] = self._href(scenario, asset["href"], root)
            _spoil(item, scenario, n, self._is_best(original))
            out.append(item)
        return out

    def _is_best(self, item: dict) -> bool:
        best = min(self.server.items, key=lambda i: (i["properties"]["eo:cloud_cover"], i["properties"]["datetime"]))
        return item["id"] == best["id"]

    def _href(self, scenario: str, href: str, root: str) -> str:
        cog_url = self.server.cog_url.rstrip("/")
        if not href.startswith(cog_url + "/"):
            return href
        rel = href[len(cog_url) + 1:]
        local = str((Path(self.server.cog_root) / rel).resolve())
        return {
            "href-file": "file://" + quote(local),
            "href-file-localhost": "file://localhost" + quote(local),
            "href-abs": local,
            "href-relative": os.path.relpath(local, REPO),
            "href-vsicurl": "/vsicurl/" + href,
            "href-vsizip": f"/vsizip/{local}.zip/x.tif",
            "href-data": "data:image/tiff;base64," + base64.b64encode(b"II*\x00" + b"\x00" * 64).decode(),
            "href-windows": "C:\\Windows\\Temp\\x.tif",
            "trickle-image": f"http://{urlsplit(root).netloc}/_img/trickle/{rel}",
            "href-vrt": f"http://{urlsplit(root).netloc}/_vrt/{rel}",
        }.get(scenario, href)


def _spoil(item: dict, scenario: str, n: int, best: bool) -> None:
    """The item-level faults of a scenario, in place."""
    props = item["properties"]
    if scenario == "href-relative":
        item["links"] = [link for link in item["links"] if link["rel"] != "self"]
    elif scenario == "self-file":
        item.pop("assets", None)
        item["links"] = [{"rel": "self", "href": "file:///etc/passwd"}]
    elif scenario == "bbox-nan" or (scenario == "bbox-nan-best" and best):
        item["bbox"] = [float("nan")] * 4
    elif scenario == "bbox-strings":
        item["bbox"] = ["west", "south", "east", "north"]
    elif scenario in ("geometry-nan", "geometry-strings"):
        bad: Any = float("nan") if scenario == "geometry-nan" else "x"
        item["geometry"] = {"type": "Polygon", "coordinates": [[[bad, bad], [bad, 1.0], [1.0, bad], [bad, bad]]]}
    elif scenario == "assets-list":
        item["assets"] = list(item["assets"].values())
    elif scenario == "cloud-text":
        props["eo:cloud_cover"] = "cloudy"
    elif scenario == "properties-list":
        item["properties"] = [props]
    elif scenario == "links-int":
        item["links"] = 7
    elif scenario == "proj-bogus":
        props.pop("proj:epsg", None)
        for asset in item["assets"].values():
            asset["proj:epsg"], asset["proj:code"] = 99999, "EPSG:nope"
        props["proj:epsg"], props["proj:code"] = 99999, "EPSG:nope"
    elif scenario == "roles-int":
        for asset in item["assets"].values():
            asset["roles"] = 3
    elif scenario == "ids-escapes":
        item["id"] = f"{ESCAPES}{item['id']}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", required=True, type=Path)
    parser.add_argument("--cog-url", required=True)
    parser.add_argument("--cog-root", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args(argv)
    items = json.loads(args.items.read_text())["features"]
    serve(HostileHandler, args.port, items=items, cog_url=args.cog_url, cog_root=str(args.cog_root),
          log=JsonlLog(args.log), bomb=gzip.compress(b"{" + b" " * BOMB_BYTES + b"}", compresslevel=6))


if __name__ == "__main__":
    main()
