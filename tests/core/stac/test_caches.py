"""What the engine remembers between quicklooks: a repeat, a pan by half a view or a zoom in sends no
search and no size/header request (only tiles); the landing page is kept on disk for the next process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.stac import cache
from stac_quicklook_plugin.core.stac import client as stac

VIEW = (-105.75, 40.3, -105.6, 40.4)
ALL_DATES = "2000-01-01/2030-12-31"


def shifted(bbox, dx_share=0.0, zoom=1.0):
    w, s, e, n = bbox
    cx, cy, hw, hh = (w + e) / 2 + dx_share * (e - w), (s + n) / 2, (e - w) / 2 / zoom, (n - s) / 2 / zoom
    return (cx - hw, cy - hh, cx + hw, cy + hh)


def run(url, bbox):
    return quicklook(QuicklookRequest(bbox_wgs84=bbox, stac_api=url, datetime_range=ALL_DATES, width=200))


def stac_requests(fault_stac, tag):
    return [r for r in fault_stac.requests() if r["path"] == f"/{tag}" or r["path"].startswith(f"/{tag}/")]


@pytest.mark.parametrize("move", ["repeat", "pan half a view", "zoom in 2x"])
def test_the_next_view_needs_no_search_and_no_header(fault_stac, cog_server, move):
    tag = f"tag-cache-{move.replace(' ', '-')}"
    url = fault_stac.url_for(tag)
    first = run(url, VIEW)
    searched = len([r for r in stac_requests(fault_stac, tag) if r["path"].endswith("/search")])
    assert searched >= 1
    cog_server.clear_log()
    bbox = {"repeat": VIEW, "pan half a view": shifted(VIEW, 0.5), "zoom in 2x": shifted(VIEW, zoom=2)}[move]
    second = run(url, bbox)
    assert [i.id for i in second.items] == [i.id for i in first.items]
    assert len([r for r in stac_requests(fault_stac, tag) if r["path"].endswith("/search")]) == searched
    cog = cog_server.requests()
    assert not [r for r in cog if r["method"] == "HEAD"], cog  # GDAL kept every file's size...
    headers = [r for r in cog if (r.get("range") or "").startswith("bytes=0-")]
    assert not headers, headers  # ...and header: what is left is the tiles, fetched side by side


def test_searches_are_forgotten_on_refresh_and_after_their_time(fault_stac, monkeypatch):
    tag = "tag-cache-forget"
    url = fault_stac.url_for(tag)

    def searches():
        return len([r for r in stac_requests(fault_stac, tag) if r["path"].endswith("/search")])

    run(url, VIEW)
    n = searches()
    stac.clear_api_cache()  # the dock's refresh
    run(url, VIEW)
    assert searches() == 2 * n
    monkeypatch.setattr(cache, "SEARCH_TTL_S", 0.0)
    run(url, VIEW)
    assert searches() == 3 * n


def test_a_view_outside_the_searched_area_searches_again(fault_stac):
    tag = "tag-cache-far"
    url = fault_stac.url_for(tag)
    run(url, VIEW)
    n = len([r for r in stac_requests(fault_stac, tag) if r["path"].endswith("/search")])
    run(url, shifted(VIEW, 3.0))  # three views east: beyond the padding
    assert len([r for r in stac_requests(fault_stac, tag) if r["path"].endswith("/search")]) > n


def test_a_new_process_knows_the_landing_page_from_disk(fault_stac, tmp_path):
    tag = "tag-cache-disk"
    url = fault_stac.url_for(tag)
    env = dict(os.environ, **{cache.CACHE_DIR_ENV: str(tmp_path)})
    argv = [sys.executable, "-m", "stac_quicklook_plugin", "--bbox", *map(str, VIEW), "--stac-api", url,
            "--datetime", ALL_DATES, "--width", "100", "--quiet"]
    for i in range(2):
        proc = subprocess.run(argv + ["--out", str(tmp_path / f"{i}.tif")], env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
    landing = [r for r in stac_requests(fault_stac, tag) if r["path"].rstrip("/").endswith(tag)]
    assert len(landing) == 1, landing  # the second process read it from the store
    stored = json.loads((tmp_path / "api_info.json").read_text())
    assert list(stored) == [url.rstrip("/")] and stored[url.rstrip("/")]["search_url"].endswith("/search")


@pytest.mark.parametrize("entry", [
    "not json at all",
    json.dumps({"http://h": {"saved": 1e18, "search_url": "http://h/search", "conforms_to": None}}),
    json.dumps({"http://h": {"saved": "now", "search_url": "http://h/search", "conforms_to": None}}),
    json.dumps({"http://h": {"saved": None, "search_url": "file:///etc/passwd", "conforms_to": None}}),
    json.dumps({"http://h": {"saved": 0, "search_url": "http://h/search", "conforms_to": None}}),  # too old
    json.dumps({"http://h": {"saved": "x", "search_url": "http://h/search", "conforms_to": [7] * 3}}),
    json.dumps(["a", "list"]),
])
def test_a_damaged_or_hostile_store_is_ignored(tmp_path, monkeypatch, entry):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path))
    (tmp_path / "api_info.json").write_text(entry)
    assert cache.load_api_info("http://h") is None


def test_a_stored_collection_list_that_is_not_a_list_of_short_texts_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path))
    cache.save_api_info("http://h", "http://h/search", None, False, ["ok"])
    store = json.loads((tmp_path / "api_info.json").read_text())
    for bad in ("a-string", [1, 2], ["x" * 300], [""] ):
        store["http://h"]["collections"] = bad
        (tmp_path / "api_info.json").write_text(json.dumps(store))
        assert cache.load_api_info("http://h")["collections"] is None, bad


def test_the_store_round_trips_and_keeps_only_checked_urls(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path))
    cache.save_api_info("http://h", "http://h/search", ["b", "a"], False)
    assert cache.load_api_info("http://h") == {"search_url": "http://h/search", "conforms_to": ["a", "b"],
                                              "get_only": False, "collections": None}
    cache.save_api_info("http://h", "http://h/search", None, True, ["sentinel-2-l2a", "sentinel-2-c1-l2a"])
    assert cache.load_api_info("http://h")["collections"] == ["sentinel-2-l2a", "sentinel-2-c1-l2a"]
    cache.forget_api_info()
    assert cache.load_api_info("http://h") is None and not (tmp_path / "api_info.json").exists()
