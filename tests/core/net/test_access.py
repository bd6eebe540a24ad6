"""Real-world access: SAS-signed hrefs (Planetary Computer style), s3:// on an S3-compatible server,
a forward proxy with an exclude list, and API headers that stay on the API's host."""
from __future__ import annotations

import json
import shutil
import sys
import time

import pytest
import requests

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import NetworkError, QuicklookError
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.net.signing import PC_TOKEN_URL, token_url_for
from stac_quicklook_plugin.core.raster.gdal_env import gdal_options
from stac_quicklook_plugin.core.stac import client as stac
from tests.harness.servers import FaultStac, free_port, read_jsonl, start_process, stop_process

SMALL_BBOX = (-105.75, 40.3, -105.6, 40.4)
TWO_TILE_BBOX = (-105.25, 40.15, -104.6, 40.55)
ALL_DATES = "2000-01-01/2030-12-31"


class NetServer:
    def __init__(self, kind, tmp_path, *args):
        self.log_path = tmp_path / f"{kind}.jsonl"
        self.proc, self.port = start_process([sys.executable, "-m", "tests.harness.netservers", kind,
                                              "--log", str(self.log_path), *args])
        self.url = f"http://127.0.0.1:{self.port}"

    def requests(self):
        return read_jsonl(self.log_path)

    def stop(self):
        stop_process(self.proc)


@pytest.fixture
def net(tmp_path):
    started = []

    def start(kind, *args):
        server = NetServer(kind, tmp_path, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _fresh_caches():
    stac.clear_api_cache()


def run(url, **kw):
    base = dict(bbox_wgs84=SMALL_BBOX, stac_api=url, datetime_range=ALL_DATES, cloud_cover_max=20.0, width=100)
    base.update(kw)
    return quicklook(QuicklookRequest(**base))


# -- SAS signing ------------------------------------------------------------------------------------
def test_planetary_computer_api_gets_its_token_endpoint_and_others_none():
    assert token_url_for("https://planetarycomputer.microsoft.com/api/stac/v1", None) == PC_TOKEN_URL
    assert token_url_for("https://earth-search.aws.element84.com/v1", None) is None
    assert token_url_for("https://example.org/stac", "http://127.0.0.1:9/api/sas/v1/token/") == \
        "http://127.0.0.1:9/api/sas/v1/token"


def test_hrefs_are_signed_with_one_token_request_per_container_and_tokens_stay_secret(
        net, stac_server, cog_server):
    token = net("token")
    cog_server.clear_log()
    kw = dict(sas_token_url=token.url + "/api/sas/v1/token", sas_host_suffixes=("127.0.0.1",))
    ql = run(stac_server.url, bbox_wgs84=TWO_TILE_BBOX, asset_key="red,green,blue", width=200, **kw)
    assert len(ql.hrefs) == 6  # 2 tiles x 3 band files, one storage container
    token_calls = token.requests()
    assert len(token_calls) == 1 and token_calls[0]["path"].startswith("/api/sas/v1/token/127/small-v2")
    cog_reads = [r for r in cog_server.requests() if r["path"].endswith(".tif")]
    assert cog_reads and all("sig=SECRETSIG" in (r.get("query") or "") for r in cog_reads)
    shown = json.dumps([ql.hrefs, ql.meta], default=str)
    assert "SECRETSIG" not in shown
    run(stac_server.url, **kw)  # the cached token serves the next quicklook
    assert len(token.requests()) == 1


def test_a_token_close_to_expiry_is_renewed(net, stac_server):
    token = net("token", "--lifetime-s", "120")  # inside the 5-minute renewal margin
    kw = dict(sas_token_url=token.url + "/api/sas/v1/token", sas_host_suffixes=("127.0.0.1",))
    run(stac_server.url, **kw)
    run(stac_server.url, **kw)
    assert len(token.requests()) == 2


def test_token_endpoint_failure_names_the_container(stac_server):
    port = free_port()
    with pytest.raises(NetworkError) as err:
        run(stac_server.url, sas_token_url=f"http://127.0.0.1:{port}/api/sas/v1/token",
            sas_host_suffixes=("127.0.0.1",))
    assert "signing token" in str(err.value) or "Could not connect" in str(err.value)


# -- proxy --------------------------------------------------------------------------------------------
def test_api_and_images_go_through_the_proxy(net, stac_server, cog_server):
    proxy = net("proxy")
    ql = run(stac_server.url, proxy=proxy.url)
    urls = [r["url"] for r in proxy.requests()]
    assert any(u.startswith(stac_server.url.rstrip("/")) and u.endswith("/search") for u in urls)
    assert any(u.startswith(cog_server.url) and u.endswith("TCI.tif") for u in urls)
    assert ql.mask.any()


def test_proxy_exclude_list_is_honoured_for_images_and_api(net, stac_server, cog_server):
    proxy = net("proxy")
    run(stac_server.url, proxy=proxy.url, proxy_exclude=(cog_server.url + "/",))
    urls = [r["url"] for r in proxy.requests()]
    assert any(u.endswith("/search") for u in urls)
    assert not any(u.startswith(cog_server.url) for u in urls)
    stac.clear_api_cache()
    before = len(proxy.requests())
    run(stac_server.url, proxy=proxy.url, proxy_exclude=(cog_server.url, stac_server.url))
    assert len(proxy.requests()) == before


def test_proxy_credentials_from_the_proxy_url(net, stac_server):
    proxy = net("proxy", "--require-auth", "alice:s3cret")
    ql = run(stac_server.url, proxy=proxy.url.replace("http://", "http://alice:s3cret@"))
    statuses = [r["status"] for r in proxy.requests()]
    assert ql.mask.any() and 206 in statuses  # image ranges came through the authenticated proxy
    assert set(statuses) <= {200, 206, 407}  # curl may ask once without credentials first
    stac.clear_api_cache()
    with pytest.raises(Exception) as err:
        run(stac_server.url, proxy=proxy.url.replace("http://", "http://alice:wrong@"))
    assert "s3cret" not in str(err.value) and "wrong" not in str(err.value)


# -- API headers ----------------------------------------------------------------------------------------
def test_api_headers_reach_the_api_and_never_the_image_host(fault_stac, cog_server):
    cog_server.clear_log()
    url = fault_stac.url_for("ok,tag-headers")
    run(url, headers={"Authorization": "Bearer API-KEY-123"})
    api = [r for r in fault_stac.requests() if "tag-headers" in r.get("path", "")]
    assert api and all(r["authorization"] for r in api)
    assert cog_server.requests() and not any(r["authorization"] for r in cog_server.requests())


# -- s3:// ------------------------------------------------------------------------------------------------
@pytest.fixture
def moto_s3(tmp_path):
    exe = shutil.which("moto_server") or str(__import__("pathlib").Path(sys.executable).parent / "moto_server")
    port = free_port()
    import subprocess
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.1)
    yield url
    stop_process(proc)


def test_s3_assets_read_with_the_users_credentials_and_endpoint(moto_s3, testdata_small, stac_server, tmp_path,
                                                                 monkeypatch):
    import boto3

    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_S3_ENDPOINT": moto_s3.split("//")[1], "AWS_HTTPS": "NO", "AWS_VIRTUAL_HOSTING": "FALSE"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert "AWS_NO_SIGN_REQUEST" not in gdal_options()  # credentials configured: reads are signed
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1")
    s3.create_bucket(Bucket="sentinel-cogs")
    items = []
    for item in stac_server.items:
        if "_13TDE_" not in item["id"]:
            continue
        item = json.loads(json.dumps(item))
        href = item["assets"]["visual"]["href"]
        key = href.split("/cogs/", 1)[1]
        s3.upload_file(str(testdata_small / "cogs" / key), "sentinel-cogs", key)
        item["assets"] = {"visual": {**item["assets"]["visual"], "href": f"s3://sentinel-cogs/{key}"}}
        items.append(item)
    items_path = tmp_path / "items.json"
    items_path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    server = FaultStac(items_path, tmp_path / "stac.jsonl")
    try:
        ql = run(server.url_for("ok"))
    finally:
        server.stop()
    assert ql.hrefs[0].startswith("s3://sentinel-cogs/") and ql.meta["vsi_href"].startswith("/vsis3/sentinel-cogs/")
    assert ql.mask.mean() > 0.95


def test_without_credentials_s3_reads_are_unsigned(monkeypatch):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
              "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_NO_SIGN_REQUEST"):
        monkeypatch.delenv(k, raising=False)
    assert gdal_options()["AWS_NO_SIGN_REQUEST"] == "YES"
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "NO")  # the user's own environment wins
    assert "AWS_NO_SIGN_REQUEST" not in gdal_options()


def _landsat_on_s3(landsat_world, moto_s3, tmp_path):
    """Earth Search's shape of ``landsat-c2-l2``: every href in the requester-pays ``s3://usgs-landsat`` bucket
    (here moto's, which refuses anonymous reads as the real one does). A fault STAC API serves the items."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1", aws_access_key_id="owner",
                      aws_secret_access_key="owner")  # the real bucket is in us-west-2: moto keeps it simple
    s3.create_bucket(Bucket="usgs-landsat")
    s3.put_bucket_request_payment(Bucket="usgs-landsat", RequestPaymentConfiguration={"Payer": "Requester"})
    items = json.loads(json.dumps(landsat_world.items))
    for item in items:
        for asset in item["assets"].values():
            name = asset["href"].rsplit("/", 2)
            key = f"collection02/level-2/standard/oli-tirs/2024/034/032/{name[-2]}/{name[-1]}"
            s3.upload_file(str(landsat_world.dataset / name[-2] / name[-1]), "usgs-landsat", key)
            asset["href"] = f"s3://usgs-landsat/{key}"
    items_path = tmp_path / "items.json"
    items_path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    return FaultStac(items_path, tmp_path / "stac.jsonl")


def _s3_endpoint(monkeypatch, moto_s3, **credentials):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
              "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_NO_SIGN_REQUEST",
              "AWS_REQUEST_PAYER"):
        monkeypatch.delenv(k, raising=False)
    env = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_S3_ENDPOINT": moto_s3.split("//")[1], "AWS_HTTPS": "NO",
           "AWS_VIRTUAL_HOSTING": "FALSE", **credentials}
    for k, v in env.items():
        monkeypatch.setenv(k, v)


def test_requester_pays_landsat_without_credentials_says_what_to_set(landsat_world, moto_s3, tmp_path, monkeypatch):
    from tests.harness import landsat

    server = _landsat_on_s3(landsat_world, moto_s3, tmp_path)
    _s3_endpoint(monkeypatch, moto_s3)
    try:
        with pytest.raises(QuicklookError) as err:
            quicklook(QuicklookRequest(bbox_wgs84=landsat.VIEW, stac_api=server.url_for("ok"), width=100,
                                       collection="landsat-c2-l2", datetime_range="2024-06-01/2024-08-31",
                                       cloud_cover_max=100.0))
    finally:
        server.stop()
    text = str(err.value)
    assert "s3://usgs-landsat/" in text and "requester-pays" in text
    assert "AWS_ACCESS_KEY_ID" in text and "AWS_REQUEST_PAYER=requester" in text
    assert "Traceback" not in text


def test_requester_pays_landsat_with_credentials_and_payer_reads(landsat_world, moto_s3, tmp_path, monkeypatch):
    from tests.harness import landsat

    server = _landsat_on_s3(landsat_world, moto_s3, tmp_path)
    _s3_endpoint(monkeypatch, moto_s3, AWS_ACCESS_KEY_ID="reader", AWS_SECRET_ACCESS_KEY="reader",
                 AWS_REQUEST_PAYER="requester")
    assert gdal_options().get("AWS_REQUEST_PAYER", "requester") == "requester"
    try:
        ql = quicklook(QuicklookRequest(bbox_wgs84=landsat.VIEW, stac_api=server.url_for("ok"), width=100,
                                        collection="landsat-c2-l2", datetime_range="2024-06-01/2024-08-31",
                                        cloud_cover_max=100.0))
    finally:
        server.stop()
    assert all(h.startswith("s3://usgs-landsat/") for h in ql.hrefs)
    assert ql.meta["view_cloud"] is not None and ql.mask.mean() > 0.95


@pytest.mark.parametrize("env, says, not_says", [
    ({}, ["AWS_ACCESS_KEY_ID", "AWS_REQUEST_PAYER=requester"], ["permissions"]),
    ({"AWS_PROFILE": "mine"}, ["AWS_REQUEST_PAYER=requester"], ["AWS_ACCESS_KEY_ID", "permissions"]),
    ({"AWS_PROFILE": "mine", "AWS_REQUEST_PAYER": "requester"}, ["permissions"], ["Set "]),
])
def test_an_s3_refusal_says_what_is_missing(monkeypatch, env, says, not_says):
    from stac_quicklook_plugin.core.raster.errors import read_error

    for k in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
              "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_REQUEST_PAYER"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    text = str(read_error("s3://usgs-landsat/collection02/x_SR_B4.TIF", RuntimeError("HTTP response code: 403")))
    assert "access denied" in text and "requester-pays" in text
    assert all(s in text for s in says) and not any(s in text for s in not_says)
    # an https href keeps the general sentence
    assert "requester-pays" not in str(read_error("https://example.com/x.tif", RuntimeError("HTTP response code: 403")))
