"""Search rules against a real STAC server (rustac) and our fault-injecting server."""
from __future__ import annotations

import pytest
import requests

from stac_quicklook_plugin.core.engine.validate import validate_request
from stac_quicklook_plugin.core.errors import APIError, NetworkError, NothingFound
from stac_quicklook_plugin.core.models import Connection, QuicklookRequest
from stac_quicklook_plugin.core.net.http import HttpClient
from stac_quicklook_plugin.core.stac import client as stac

SEED_BBOX = (-105.9, 40.1, -105.3, 40.6)
ALL_DATES = "2000-01-01/2030-12-31"


@pytest.fixture(autouse=True)
def _fresh_api_cache():
    stac.clear_api_cache()
    yield
    stac.clear_api_cache()


def make_req(url, **kw):
    base = dict(bbox_wgs84=SEED_BBOX, stac_api=url, datetime_range=ALL_DATES, cloud_cover_max=20.0)
    base.update(kw)
    return validate_request(QuicklookRequest(**base))


def all_items(url, bbox=SEED_BBOX):
    r = requests.post(url.rstrip("/") + "/search", json={"bbox": list(bbox), "limit": 200}, timeout=10)
    r.raise_for_status()
    return r.json()["features"]


def search(url, **kw):
    client = HttpClient()
    try:
        return stac.search_items(client, make_req(url, **kw)), client
    finally:
        client.close()


def expected_best(items, limit):
    ok = [i for i in items if stac.cloud_cover(i) is not None and stac.cloud_cover(i) <= limit]
    return stac.best_first(ok)[0]["id"] if ok else None


def test_rustac_declares_no_query_so_the_cloud_limit_is_applied_on_our_side(stac_server):
    info = stac.get_api_info(HttpClient(), stac_server.url)
    assert not info.has_query and not info.has_filter
    outcome, _ = search(stac_server.url)
    items = all_items(stac_server.url)
    assert outcome.strategy == "client"
    assert outcome.items[0]["id"] == expected_best(items, 20)
    assert all(stac.cloud_cover(i) <= 20 for i in outcome.items)


def test_best_scene_is_least_cloudy_not_first_or_newest(stac_server):
    items = all_items(stac_server.url)
    newest = max(items, key=stac.item_time)
    outcome, _ = search(stac_server.url, cloud_cover_max=100)
    best = outcome.items[0]
    assert stac.cloud_cover(best) == min(stac.cloud_cover(i) for i in items)
    # The generated catalog is built so that the newest scene is not the least cloudy one.
    assert best["id"] != newest["id"]


def test_query_rejected_with_400_falls_through_and_still_honours_the_limit(fault_stac):
    outcome, _ = search(fault_stac.url_for("reject-query"))
    assert outcome.strategy == "client"
    assert any("query: rejected (HTTP 400)" in n for n in outcome.notes)
    assert all(stac.cloud_cover(i) <= 20 for i in outcome.items)


def test_query_answered_with_zero_features_is_not_trusted(fault_stac):
    outcome, _ = search(fault_stac.url_for("query-empty"))
    assert outcome.strategy == "client" and outcome.items
    assert all(stac.cloud_cover(i) <= 20 for i in outcome.items)


def test_ignored_filter_never_returns_a_scene_over_the_limit(fault_stac):
    url = fault_stac.url_for("bare-conformance,filter-conformance,ignore-filter")
    outcome, _ = search(url, cloud_cover_max=10)
    assert outcome.strategy == "filter"
    assert outcome.items and all(stac.cloud_cover(i) <= 10 for i in outcome.items)


def test_query_is_used_where_declared(fault_stac):
    outcome, _ = search(fault_stac.url_for("ok"))
    assert outcome.strategy == "query"
    sent = [r for r in fault_stac.requests() if r.get("path", "").endswith("/search") and r.get("body")]
    assert any("query" in (r["body"] or {}) for r in sent)


def test_post_paging_with_next_bodies_is_followed(fault_stac):
    req = make_req(fault_stac.url_for("bare-conformance"), cloud_cover_max=100, max_items=100)
    client = HttpClient()
    pages = list(stac.iter_pages(client, stac.get_api_info(client, req.stac_api),
                                 stac.search_body(req, "client", False, 2), 100, lambda: False))
    ids = [f["id"] for p in pages for f in p]
    assert len(pages) >= 2 and len(ids) == len(set(ids)) == len(all_items(req.stac_api))


def test_next_link_loop_terminates(fault_stac):
    outcome, _ = search(fault_stac.url_for("next-loop,bare-conformance"), cloud_cover_max=100)
    assert outcome.items


def test_cloud_cover_as_string_is_parsed_and_missing_is_excluded(fault_stac):
    outcome, _ = search(fault_stac.url_for("cloud-string"))
    assert all(stac.cloud_cover(i) <= 20 for i in outcome.items)
    with pytest.raises(NothingFound):
        search(fault_stac.url_for("cloud-missing,bare-conformance"))


def test_nothing_found_names_collection_dates_bbox_and_limit(stac_server):
    with pytest.raises(NothingFound) as err:
        search(stac_server.url, cloud_cover_max=0.01)
    text = str(err.value)
    assert "sentinel-2-l2a" in text and "2000-01-01" in text and "-105.9" in text and "0.01 %" in text
    assert "cloudier" in text and "raise the cloud limit" in text


@pytest.mark.parametrize("flags,status,words", [
    ("http-500", 500, "InternalServerError"),
    ("http-502", 502, "Server says"),
    ("http-422", 422, "Server says"),
])
def test_server_errors_keep_status_url_and_what_the_server_said(fault_stac, flags, status, words):
    with pytest.raises(APIError) as err:
        search(fault_stac.url_for(flags))
    assert err.value.status == status and words in str(err.value)
    assert f"HTTP {status}" in str(err.value) and "127.0.0.1" in str(err.value)
    assert len(str(err.value)) < 1600


def test_invalid_json_and_not_a_feature_collection_are_api_errors(fault_stac):
    with pytest.raises(APIError, match="not JSON"):
        search(fault_stac.url_for("invalid-json"))
    with pytest.raises(APIError, match="FeatureCollection"):
        search(fault_stac.url_for("not-featurecollection"))


def test_503_is_retried(fault_stac):
    outcome, _ = search(fault_stac.url_for("http-503-once"))
    assert outcome.items


def test_connection_refused_names_the_host():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(NetworkError, match=r"127\.0\.0\.1.*connection refused"):
        search(f"http://127.0.0.1:{port}")


def test_search_results_without_assets_fetch_the_item(fault_stac):
    url = fault_stac.url_for("no-assets")
    outcome, _ = search(url)
    item = outcome.items[0]
    assert not item.get("assets")
    full = stac.ensure_assets(HttpClient(), url, item)
    assert "visual" in full["assets"]


def test_item_self_link_404_falls_back_to_collection_items_path(fault_stac):
    url = fault_stac.url_for("no-assets,self-404")
    outcome, _ = search(url)
    full = stac.ensure_assets(HttpClient(), url, outcome.items[0])
    assert "visual" in full["assets"]


def test_connection_dropped_mid_body_is_a_network_error(fault_stac):
    with pytest.raises(NetworkError, match="broke while reading"):
        search(fault_stac.url_for("drop-mid-body"))


def test_huge_body_is_refused_not_parsed(fault_stac):
    with pytest.raises(APIError, match="MB"):
        search(fault_stac.url_for("big-body"))


def test_redirect_to_another_host_does_not_carry_api_headers(fault_stac):
    req = make_req(fault_stac.url_for("redirect,tag-auth"))
    client = HttpClient(Connection(headers={"Authorization": "Bearer s3cret"}), api_url=req.stac_api)
    outcome = stac.search_items(client, req)
    assert outcome.items
    log = [r for r in fault_stac.requests() if "tag-auth" in r.get("path", "") or "localhost" in (r.get("host") or "")]
    redirected = [r for r in log if (r.get("host") or "").startswith("localhost")]
    original = [r for r in log if (r.get("host") or "").startswith("127.0.0.1")]
    assert redirected, "the redirect was not followed"
    assert all(r["authorization"] for r in original) and not any(r["authorization"] for r in redirected)


def test_landing_without_conformsto_still_searches(fault_stac):
    outcome, _ = search(fault_stac.url_for("no-conformsto"))
    assert outcome.items and all(stac.cloud_cover(i) <= 20 for i in outcome.items)


def test_answer_slower_than_the_timeout_is_a_network_error_naming_the_host(fault_stac):
    client = HttpClient(Connection(timeout=1.0))
    with pytest.raises(NetworkError, match=r"127\.0\.0\.1 did not answer within 1 s"):
        stac.search_items(client, make_req(fault_stac.url_for("slow")))


def test_unresolvable_host_is_named():
    with pytest.raises(NetworkError, match=r"no-such-host\.invalid.*could not be resolved"):
        search("http://no-such-host.invalid/v1")
