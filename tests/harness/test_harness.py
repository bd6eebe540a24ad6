"""The test servers do what the other tests rely on: rustac, the COG server and the fault STAC API."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests

from tests.harness import cogserver, datagen, faultstac
from tests.harness.servers import CogServer, FaultStac, RustacServer

SEED_BBOX = [-105.9, 40.1, -105.3, 40.6]  # inside 13TDE only
SUMMER = "2024-06-01T00:00:00Z/2024-08-31T23:59:59Z"
TIMEOUT = 30


def ids(collection: dict) -> list[str]:
    return [f["id"] for f in collection["features"]]


def intersects(a: list[float], b: list[float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


@pytest.fixture(scope="module")
def tci(testdata_small: Path, cog_server: CogServer) -> tuple[Path, str, str]:
    """(file, url on cog_server, path relative to the server root) of one small true-colour COG."""
    file = sorted((testdata_small / "cogs").rglob("TCI.tif"))[0]
    rel = file.relative_to(cog_server.root).as_posix()
    return file, f"{cog_server.url}/{rel}", rel


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
        return True
    except ProcessLookupError:
        return False


# ----------------------------------------------------------------------------- rustac

def test_rustac_post_search_with_bbox_and_datetime_returns_the_generated_items(stac_server):
    body = {"bbox": SEED_BBOX, "datetime": SUMMER, "limit": 100}
    answer = requests.post(stac_server.url + "search", json=body, timeout=TIMEOUT)
    assert answer.status_code == 200
    expected = {i["id"] for i in stac_server.items
                if intersects(i["bbox"], SEED_BBOX) and "2024-06-01" <= i["properties"]["datetime"][:10] <= "2024-08-31"}
    assert expected and set(ids(answer.json())) == expected
    hrefs = {i["id"]: i["assets"]["visual"]["href"] for i in stac_server.items}
    assert all(f["assets"]["visual"]["href"] == hrefs[f["id"]] for f in answer.json()["features"])


def test_rustac_conformance_lacks_query_filter_and_sort(stac_server):
    landing = requests.get(stac_server.url, timeout=TIMEOUT).json()
    conformance = requests.get(stac_server.url + "conformance", timeout=TIMEOUT).json()["conformsTo"]
    assert set(landing["conformsTo"]) == set(conformance)
    assert "https://api.stacspec.org/v1.0.0/item-search" in conformance
    assert not [c for c in conformance if "query" in c or "filter" in c or "cql2" in c or "sort" in c]


def test_rustac_answers_query_with_200_and_zero_features(stac_server):
    # Any POST `query`, even one every item satisfies (or {}), gives 200 and no features.
    for query in ({"eo:cloud_cover": {"lt": 101}}, {}):
        answer = requests.post(stac_server.url + "search", json={"query": query}, timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.json()["features"] == []


def test_rustac_filter_with_cql2_json_lang_gives_zero_features_and_without_lang_is_ignored(stac_server):
    cql2 = {"op": "lt", "args": [{"property": "eo:cloud_cover"}, 101]}
    with_lang = requests.post(stac_server.url + "search", timeout=TIMEOUT,
                              json={"filter": cql2, "filter-lang": "cql2-json", "limit": 100})
    without_lang = requests.post(stac_server.url + "search", json={"filter": cql2, "limit": 100}, timeout=TIMEOUT)
    assert with_lang.status_code == 200 and with_lang.json()["features"] == []
    assert without_lang.status_code == 200 and len(without_lang.json()["features"]) == len(stac_server.items)


def test_rustac_ignores_sortby_and_pages_with_skip_in_the_next_body(stac_server):
    all_items = requests.post(stac_server.url + "search", json={"limit": 100}, timeout=TIMEOUT).json()
    by_cloud = requests.post(stac_server.url + "search", timeout=TIMEOUT, json={
        "limit": 100, "sortby": [{"field": "properties.eo:cloud_cover", "direction": "asc"}]}).json()
    assert ids(by_cloud) == ids(all_items)  # same order: sortby has no effect
    assert "numberMatched" not in all_items and "context" not in all_items

    body, seen, pages = {"limit": 3, "bbox": SEED_BBOX}, [], 0
    while True:
        page = requests.post(stac_server.url + "search", json=body, timeout=TIMEOUT).json()
        seen += ids(page)
        pages += 1
        nxt = [link for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            break
        assert nxt[0]["method"] == "POST" and nxt[0]["href"] == stac_server.url + "search"
        assert nxt[0]["body"]["skip"] == len(seen) and nxt[0]["body"]["bbox"] == SEED_BBOX
        body = nxt[0]["body"]
    assert sorted(seen) == sorted(i["id"] for i in stac_server.items if intersects(i["bbox"], SEED_BBOX))
    assert len(page["features"]) > 0  # unlike Earth Search, no next link on the last (short) page


def test_rustac_get_search_with_limit_and_bbox_is_a_500(stac_server):
    # A rustac quirk: GET limit together with bbox or collections fails; each alone works.
    assert requests.get(stac_server.url + "search", params={"limit": 2, "bbox": "-105.9,40.1,-105.3,40.6"},
                        timeout=TIMEOUT).status_code == 500
    assert requests.get(stac_server.url + "search", params={"bbox": "-105.9,40.1,-105.3,40.6"},
                        timeout=TIMEOUT).status_code == 200
    assert requests.get(stac_server.url + "search", params={"limit": 2}, timeout=TIMEOUT).status_code == 200


def test_rustac_serves_the_collection_and_its_items(stac_server):
    collection = requests.get(stac_server.url + "collections/sentinel-2-l2a", timeout=TIMEOUT)
    assert collection.status_code == 200 and "item_assets" in collection.json()
    items = requests.get(stac_server.url + "collections/sentinel-2-l2a/items", timeout=TIMEOUT).json()
    assert len(items["features"]) == min(10, len(stac_server.items))
    missing = requests.get(stac_server.url + "collections/nope", timeout=TIMEOUT)
    assert missing.status_code == 404


# ----------------------------------------------------------------------------- COG server

def test_range_read_returns_exactly_the_bytes_and_is_logged(cog_log, tci):
    file, url, rel = tci
    answer = requests.get(url, headers={"Range": "bytes=100-1123"}, timeout=TIMEOUT)
    assert answer.status_code == 206
    assert answer.content == file.read_bytes()[100:1124]
    assert answer.headers["Content-Range"] == f"bytes 100-1123/{file.stat().st_size}"
    assert answer.headers["Accept-Ranges"] == "bytes" and answer.headers["ETag"] and answer.headers["Last-Modified"]
    [entry] = cog_log.requests()
    assert entry["path"] == "/" + rel and entry["range"] == "bytes=100-1123"
    assert entry["status"] == 206 and entry["bytes"] == 1024 and entry["method"] == "GET"
    assert entry["authorization"] is False and entry["t_end"] >= entry["t_start"]


def test_suffix_range_and_unsatisfiable_range(cog_log, tci):
    file, url, _ = tci
    size = file.stat().st_size
    tail = requests.get(url, headers={"Range": "bytes=-500"}, timeout=TIMEOUT)
    assert tail.status_code == 206 and tail.content == file.read_bytes()[-500:]
    beyond = requests.get(url, headers={"Range": f"bytes={size}-"}, timeout=TIMEOUT)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"


def test_multi_range_answers_multipart_byteranges(cog_log, tci):
    file, url, _ = tci
    data = file.read_bytes()
    answer = requests.get(url, headers={"Range": "bytes=0-9,1000-1019"}, timeout=TIMEOUT)
    assert answer.status_code == 206
    assert answer.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert b"Content-Range: bytes 0-9/" in answer.content and data[0:10] in answer.content
    assert b"Content-Range: bytes 1000-1019/" in answer.content and data[1000:1020] in answer.content


def test_head_gives_headers_without_body(cog_log, tci):
    file, url, _ = tci
    answer = requests.head(url, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.content == b""
    assert int(answer.headers["Content-Length"]) == file.stat().st_size
    assert cog_log.requests()[-1]["method"] == "HEAD" and cog_log.requests()[-1]["bytes"] == 0


def test_keep_alive_reuses_one_connection_and_authorization_is_only_flagged(cog_log, tci):
    _, url, _ = tci
    with requests.Session() as session:
        for _ in range(3):
            session.get(url, headers={"Range": "bytes=0-99", "Authorization": "Bearer secret"}, timeout=TIMEOUT)
    log = cog_log.requests()
    assert len({entry["connection"] for entry in log}) == 1
    assert all(entry["authorization"] is True for entry in log)
    assert "secret" not in cog_log.log_path.read_text()


def test_delay_is_applied_to_every_request(cog_server_50ms, tci):
    _, _, rel = tci
    cog_server_50ms.clear_log()
    with requests.Session() as session:
        for _ in range(2):
            session.get(f"{cog_server_50ms.url}/{rel}", headers={"Range": "bytes=0-99"}, timeout=TIMEOUT)
    log = cog_server_50ms.requests()
    assert len(log) == 2 and all(e["t_end"] - e["t_start"] >= 0.05 for e in log)


def test_connect_delay_applies_to_the_first_request_of_a_connection_only(testdata_cache, tci, tmp_path):
    _, _, rel = tci
    with CogServer(testdata_cache, tmp_path / "log.jsonl", connect_delay_ms=300) as server:
        with requests.Session() as session:
            for _ in range(2):
                session.get(f"{server.url}/{rel}", headers={"Range": "bytes=0-99"}, timeout=TIMEOUT)
        first, second = server.requests()
    assert first["connection"] == second["connection"]
    assert first["t_end"] - first["t_start"] >= 0.3
    assert second["t_end"] - second["t_start"] < 0.3


def test_max_body_bytes_refuses_a_whole_file_read(testdata_cache, tci, tmp_path):
    _, _, rel = tci
    with CogServer(testdata_cache, tmp_path / "log.jsonl", max_body_bytes=65536) as server:
        small = requests.get(f"{server.url}/{rel}", headers={"Range": "bytes=0-65535"}, timeout=TIMEOUT)
        whole = requests.get(f"{server.url}/{rel}", timeout=TIMEOUT)
    assert small.status_code == 206
    assert whole.status_code == 400 and b"RequestTooLarge" in whole.content


def _duration(log: list[dict], mode: str) -> float:
    [entry] = [e for e in log if e["path"].startswith(f"/_fault/{mode}/")]
    return entry["t_end"] - entry["t_start"]


COG_FAULTS = {
    "403": lambda r, file, log: r.status_code == 403 and b"<Code>AccessDenied</Code>" in r.content
    and b"<Message>Access Denied</Message>" in r.content,
    "404": lambda r, file, log: r.status_code == 404 and b"<Code>NoSuchKey</Code>" in r.content,
    "500": lambda r, file, log: r.status_code == 500 and b"<Error>" in r.content,
    "truncated": lambda r, file, log: r.status_code == 200
    and int(r.headers["Content-Length"]) == file.stat().st_size // 2
    and r.content == file.read_bytes()[: file.stat().st_size // 2],
    "html": lambda r, file, log: r.status_code == 200 and r.headers["Content-Type"].startswith("text/html"),
    "ignore-range": lambda r, file, log: r.status_code == 200 and r.content == file.read_bytes(),
    "trickle": lambda r, file, log: r.status_code == 206 and len(r.content) == 4096 and _duration(log, "trickle") >= 0.3,
    "slow": lambda r, file, log: r.status_code == 206 and _duration(log, "slow") >= 2.0,
}


@pytest.mark.parametrize("mode", sorted(COG_FAULTS))
def test_cog_fault_mode(mode, cog_log, tci):
    file, _, rel = tci
    headers = {} if mode == "truncated" else {"Range": "bytes=0-4095"}
    answer = requests.get(f"{cog_log.url}/_fault/{mode}/{rel}", headers=headers, timeout=TIMEOUT)
    assert COG_FAULTS[mode](answer, file, cog_log.requests())


def test_every_cog_fault_mode_is_tested():
    assert set(cogserver.FAULT_MODES) == set(COG_FAULTS)


def test_gdal_vsicurl_reads_a_cog_from_the_server(cog_log, tci):
    rasterio = pytest.importorskip("rasterio")
    file, url, _ = tci
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", CPL_VSIL_CURL_ALLOWED_EXTENSIONS=".tif"):
        with rasterio.open(f"/vsicurl/{url}") as remote, rasterio.open(file) as local:
            assert remote.count == 3 and remote.overviews(1) == local.overviews(1)
            factor = remote.overviews(1)[-1]
            shape = (3, remote.height // factor, remote.width // factor)
            assert (remote.read(out_shape=shape) == local.read(out_shape=shape)).all()
    log = cog_log.requests()
    assert log and all(e["status"] in (200, 206) for e in log) and all(e["range"] for e in log if e["method"] == "GET")
    assert sum(e["bytes"] for e in log) < file.stat().st_size  # the overview read did not fetch the file


# ----------------------------------------------------------------------------- fault STAC API

def search(root: str, body: dict | None = None, **kw) -> requests.Response:
    return requests.post(root + "search", json=body if body is not None else {}, timeout=TIMEOUT, **kw)


QUERY = {"query": {"eo:cloud_cover": {"lt": 10}}}
FILTER = {"filter": {"op": "lt", "args": [{"property": "eo:cloud_cover"}, 10]}, "filter-lang": "cql2-json"}


def _bad_request(r: requests.Response) -> bool:
    return r.status_code == 400 and r.json()["code"] == "BadRequest" and r.json()["description"]


def _conformance(root: str) -> list[str]:
    landing = requests.get(root, timeout=TIMEOUT).json()
    listed = requests.get(root + "conformance", timeout=TIMEOUT).json()["conformsTo"]
    assert landing["conformsTo"] == listed
    return listed


def check_ok(root, stac):
    answer = search(root)
    assert answer.headers["Content-Type"].startswith("application/geo+json")
    fc = answer.json()
    assert fc["numberMatched"] == len(stac.items) and fc["context"] == {"limit": 10, "matched": len(stac.items),
                                                                      "returned": len(fc["features"])}
    dates = [(f["properties"]["datetime"], f["id"]) for f in fc["features"]]
    assert dates == sorted(dates, reverse=True)
    low = search(root, QUERY).json()["features"]
    assert low and all(f["properties"]["eo:cloud_cover"] < 10 for f in low)
    assert ids(search(root, FILTER).json()) == [f["id"] for f in low]
    landing = requests.get(root, timeout=TIMEOUT).json()
    assert {(ln["rel"], ln.get("method")) for ln in landing["links"]} >= {
        ("self", None), ("root", None), ("conformance", None), ("data", None), ("search", "GET"), ("search", "POST")}
    assert all(ln["href"].startswith(root.rstrip("/")) for ln in landing["links"])


def check_paging(root, stac):
    body, seen = {"limit": 3}, []
    while True:
        page = search(root, body).json()
        nxt = [ln for ln in page["links"] if ln["rel"] == "next"]
        if not page["features"]:
            assert not nxt
            break
        seen += ids(page)
        assert nxt[0]["method"] == "POST" and nxt[0]["merge"] is False and nxt[0]["body"]["limit"] == 3
        body = nxt[0]["body"]
    assert sorted(seen) == sorted(i["id"] for i in stac.items)
    get_page = requests.get(root + "search", params={"limit": 4}, timeout=TIMEOUT).json()
    href = [ln for ln in get_page["links"] if ln["rel"] == "next"][0]["href"]
    assert "next=" in href
    assert not set(ids(get_page)) & set(ids(requests.get(href, timeout=TIMEOUT).json()))


def check_reject_query(root, stac):
    assert _bad_request(search(root, QUERY)) and search(root, FILTER).status_code == 200


def check_reject_filter(root, stac):
    assert _bad_request(search(root, FILTER)) and search(root, QUERY).status_code == 200


def check_reject_both(root, stac):
    assert _bad_request(search(root, FILTER)) and _bad_request(search(root, QUERY))


def check_ignore_filter(root, stac):
    assert search(root, FILTER).json()["numberMatched"] == len(stac.items)


def check_ignore_query(root, stac):
    assert search(root, QUERY).json()["numberMatched"] == len(stac.items)


def check_query_empty(root, stac):
    answer = search(root, QUERY)
    assert answer.status_code == 200 and answer.json()["features"] == []
    assert len(search(root).json()["features"]) == 10


def check_no_query_conformance(root, stac):
    assert not [c for c in _conformance(root) if c.endswith("#query")]


def check_filter_conformance(root, stac):
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json" in _conformance(root)


def check_sort_conformance(root, stac):
    assert "https://api.stacspec.org/v1.0.0/item-search#sort" in _conformance(root)


def check_bare_conformance(root, stac):
    assert _conformance(root) == faultstac.CORE


def check_no_conformsto(root, stac):
    assert "conformsTo" not in requests.get(root, timeout=TIMEOUT).json()
    missing = requests.get(root + "conformance", timeout=TIMEOUT)
    assert missing.status_code == 404 and missing.json() == {"code": "NotFound", "description": "Not Found"}


def _self_link(feature: dict) -> str:
    return [ln["href"] for ln in feature["links"] if ln["rel"] == "self"][0]


def check_self_404(root, stac):
    feature = search(root).json()["features"][0]
    assert requests.get(_self_link(feature), timeout=TIMEOUT).status_code == 404
    item_path = f"{root}collections/{feature['collection']}/items/{feature['id']}"
    assert requests.get(item_path, timeout=TIMEOUT).json()["id"] == feature["id"]


def check_no_assets(root, stac):
    feature = search(root).json()["features"][0]
    assert "assets" not in feature
    assert "visual" in requests.get(_self_link(feature), timeout=TIMEOUT).json()["assets"]


def check_asset_no_href(root, stac):
    assets = search(root).json()["features"][0]["assets"]
    assert assets and all("href" not in a for a in assets.values())


def check_cloud_string(root, stac):
    assert all(isinstance(f["properties"]["eo:cloud_cover"], str) for f in search(root).json()["features"])


def check_cloud_missing(root, stac):
    assert all("eo:cloud_cover" not in f["properties"] for f in search(root).json()["features"])


def check_http_422(root, stac):
    assert search(root).status_code == 422 and requests.get(root, timeout=TIMEOUT).status_code == 200


def check_http_500(root, stac):
    answer = search(root)
    assert answer.status_code == 500 and answer.json()["code"] == "InternalServerError"


def check_http_401_echo(root, stac):
    answer = search(root, headers={"Authorization": "Bearer abc123"})
    assert answer.status_code == 401 and answer.json()["description"] == "Invalid credentials: Bearer abc123"
    assert requests.get(root, timeout=TIMEOUT).status_code == 200  # the landing page still answers


def check_require_auth(root, stac):
    assert requests.get(root, timeout=TIMEOUT).status_code == 401  # every route, the landing page too
    answer = search(root, headers={"Authorization": "Basic YWxpY2U6czNjcmV0LXBhc3M="})
    assert answer.status_code == 200 and answer.json()["features"]
    assert search(root, headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="}).status_code == 401


def check_http_502(root, stac):
    answer = search(root)
    assert answer.status_code == 502 and answer.headers["Content-Type"].startswith("text/html")


def check_http_503(root, stac):
    assert [search(root).status_code for _ in range(2)] == [503, 503]
    assert search(root).headers["Retry-After"] == "1"


def check_http_503_once(root, stac):
    first = search(root)
    assert first.status_code == 503 and first.headers["Retry-After"] == "1"
    assert search(root).status_code == 200


def check_invalid_json(root, stac):
    answer = search(root)
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def check_not_featurecollection(root, stac):
    body = search(root).json()
    assert isinstance(body, dict) and "features" not in body


def check_not_featurecollection_list(root, stac):
    assert isinstance(search(root).json(), list)


def check_next_loop(root, stac):
    body = {"limit": 2}
    nxt = [ln for ln in search(root, body).json()["links"] if ln["rel"] == "next"][0]
    assert nxt["body"] == body
    assert ids(search(root, nxt["body"]).json()) == ids(search(root, body).json())


def check_redirect(root, stac):
    answer = search(root, {"limit": 2})
    assert [r.status_code for r in answer.history] == [307] and answer.url.startswith("http://localhost:")
    assert len(answer.json()["features"]) == 2  # the POST body survived the redirect
    got = requests.get(root + "search", params={"limit": 2}, timeout=TIMEOUT)
    assert [r.status_code for r in got.history] == [302] and got.status_code == 200


def check_big_body(root, stac):
    assert len(search(root).content) >= 50 * 1024 * 1024


def check_slow(root, stac):
    search(root)
    [entry] = [e for e in stac.requests() if e["path"].startswith("/slow") and e["path"].endswith("/search")]
    assert entry["t_end"] - entry["t_start"] >= 3.0


def check_drop_mid_body(root, stac):
    # urllib3 2 raises; Debian's urllib3 1.26 hands requests the short body without complaint.
    try:
        answer = search(root)
    except requests.exceptions.RequestException:
        return
    assert len(answer.content) == int(answer.headers["Content-Length"]) // 2
    with pytest.raises(ValueError):
        answer.json()


FAULT_CHECKS = {name.removeprefix("check_").replace("_", "-"): func
                for name, func in globals().items() if name.startswith("check_")}


@pytest.mark.parametrize("flag", sorted(FAULT_CHECKS))
def test_fault_stac_flag(flag, fault_stac):
    prefix = "ok" if flag == "paging" else flag
    # A unique tag gives every run its own prefix, so per-prefix state (http-503-once) starts fresh.
    root = fault_stac.url_for(f"{prefix},tag-{uuid.uuid4().hex[:8]}")
    FAULT_CHECKS[flag](root, fault_stac)


def test_every_fault_flag_is_tested():
    assert faultstac.FLAGS <= set(FAULT_CHECKS)


def test_fault_stac_logs_what_the_client_sent(fault_stac):
    root = fault_stac.url_for("ok")
    search(root, {"bbox": SEED_BBOX, "limit": 1})
    entry = fault_stac.requests()[-1]
    assert entry["method"] == "POST" and entry["path"] == "/ok/search"
    assert entry["body"] == {"bbox": SEED_BBOX, "limit": 1} and entry["status"] == 200


def test_fault_stac_bad_parameters_answer_like_stac_server(fault_stac):
    root = fault_stac.url_for("ok")
    assert _bad_request(search(root, {"bbox": [1, 2, 3]}))
    assert _bad_request(search(root, {"limit": 0}))
    assert _bad_request(search(root, {"datetime": "yesterday"}))
    missing = requests.get(root + "collections/nope", timeout=TIMEOUT)
    assert missing.status_code == 404 and missing.json() == {"code": "NotFound", "description": "Not Found"}
    assert requests.get(fault_stac.url_for("no-such-flag"), timeout=TIMEOUT).status_code == 404


# ----------------------------------------------------------------------------- processes

def test_processes_are_gone_after_stop(testdata_small, tmp_path):
    items = datagen.make_items(testdata_small, "http://127.0.0.1:9/cogs", "http://127.0.0.1:9")
    items_path = datagen.write_item_collection(items, tmp_path / "items.json")
    servers = [CogServer(tmp_path, tmp_path / "cog.jsonl"), FaultStac(items_path, tmp_path / "stac.jsonl"),
               RustacServer(items_path)]
    pids = [s.proc.pid for s in servers]
    assert all(_alive(pid) for pid in pids)
    for server in servers:
        server.stop()
    assert not any(_alive(pid) for pid in pids)
