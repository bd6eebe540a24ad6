"""The hostile STAC API through the engine's front door (core.quicklook) and its HTTP client: what each
refusal says, that deadlines hold while an answer streams (and leave no thread or socket behind), the
whole-quicklook budget, redaction of every secret the engine holds, and malformed items skipped."""
from __future__ import annotations

import base64
import threading
import time

import pytest

from stac_quicklook_plugin.core.engine import budget
from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import APIError, Cancelled, NetworkError, QuicklookError, ReadError
from stac_quicklook_plugin.core.models import Connection, QuicklookRequest
from stac_quicklook_plugin.core.net.http import HttpClient
from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.core.raster import gdal_env
from tests.harness.fixtures import SECRET

BBOX = (-105.7, 40.25, -105.5, 40.45)
DATES = "2024-05-01/2024-09-30"
BEST = "S2B_13TDE_20240623_0_L2A"


def run(url: str, **kw):
    return quicklook(QuicklookRequest(bbox_wgs84=BBOX, stac_api=url, datetime_range=DATES, width=64, **kw))


def helper_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "stac-quicklook-http" and t.is_alive())


@pytest.mark.parametrize("scenario, what", [
    ("href-file", f"Asset 'visual' of item {BEST}"),
    ("href-vsicurl", f"Asset 'visual' of item {BEST}"),
    ("href-data", f"Asset 'visual' of item {BEST}"),
    ("self-file", f"The self link of item {BEST}"),
    ("next-file", "The next-page link of the search"),
    ("search-link-file", "The search link of"),
])
def test_a_refused_href_names_what_holds_it_and_is_the_servers_fault(hostile, scenario, what):
    with pytest.raises(APIError) as err:
        run(hostile.url_for(scenario))
    text = str(err.value)
    assert err.value.exit_code == 4 and err.value.title == "Refused catalog link"
    assert text.startswith(what) and "a catalog cannot point at local files" in text


def test_a_trickled_answer_ends_at_the_timeout_with_what_arrived(hostile):
    threads_before = helper_threads()
    client = HttpClient(Connection(timeout=2.0))
    started = time.monotonic()
    with pytest.raises(NetworkError) as err:
        client.get_json(hostile.url_for("trickle-landing"))
    elapsed = time.monotonic() - started
    text = str(err.value)
    assert 2.0 <= elapsed < 2.6, elapsed
    assert text.startswith("127.0.0.1 sent the answer too slowly (") and " bytes in 2." in text
    assert int(text.split("(")[1].split(" ")[0]) >= 5  # 5 bytes a second arrived, and were counted
    # The socket was shut: the helper thread ends and the server sees the client go.
    deadline = time.monotonic() + 2
    while helper_threads() > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert helper_threads() <= threads_before
    while time.monotonic() < deadline + 1:
        ended = [r for r in hostile.requests() if r["path"] == "/trickle-landing/" and r.get("error")]
        if ended:
            break
        time.sleep(0.1)
    assert ended, "the server still streams to a client that gave up"


def test_a_cancel_is_answered_at_once_even_mid_answer(hostile):
    flag = threading.Event()
    threading.Timer(0.5, flag.set).start()
    started = time.monotonic()
    request = QuicklookRequest(bbox_wgs84=BBOX, stac_api=hostile.url_for("trickle-search"), datetime_range=DATES,
                               width=64, timeout=20)  # only the cancel can end it soon
    with pytest.raises(Cancelled):
        quicklook(request, is_cancelled=flag.is_set)
    assert time.monotonic() - started < 1.2


def test_the_whole_quicklook_has_a_budget(hostile, monkeypatch):
    monkeypatch.setattr(budget.Budget, "MINIMUM_S", 2.5)
    monkeypatch.setattr(budget.Budget, "FACTOR", 1.0)
    started = time.monotonic()
    with pytest.raises(NetworkError) as err:  # every answer 1.5 s late, each within the 2 s timeout
        run(hostile.url_for("slow-every"), timeout=2.0)
    assert time.monotonic() - started < 3.5
    assert "took longer than its 2 s budget" in str(err.value) or "3 s budget" in str(err.value)


def test_gdal_reads_get_the_users_timeout(hostile):
    assert gdal_env.timeout_options(7) == {"GDAL_HTTP_TIMEOUT": "7", "GDAL_HTTP_CONNECTTIMEOUT": "7",
                                  "GDAL_HTTP_LOW_SPEED_TIME": "4", "GDAL_HTTP_LOW_SPEED_LIMIT": "1024"}
    started = time.monotonic()
    with pytest.raises(ReadError):
        run(hostile.url_for("trickle-image"), timeout=2.0)  # 200 bytes a second
    elapsed = time.monotonic() - started
    print(f"trickled image given up after {elapsed:.1f} s at a 2 s timeout")
    assert elapsed < 8  # GDAL's own fixed low-speed abort took 15 s


def test_the_api_password_is_redacted_in_every_form(hostile):
    password = f"{SECRET}pass"
    basic = base64.b64encode(f"alice:{password}".encode()).decode()
    with pytest.raises(APIError) as err:
        run(hostile.url_for("echo-auth"), headers={"Authorization": f"Basic {basic}"})
    told = redact(str(err.value)) + str(err.value) + str(err.value.body)
    assert "with password REDACTED" in told
    assert SECRET not in told and basic not in told and "alice" not in told


def test_proxy_credentials_are_redacted(hostile):
    proxy = f"http://puser:{SECRET}proxy@127.0.0.1:{hostile.port}"
    with pytest.raises(APIError) as err:  # the hostile server is the proxy, and quotes what it got
        run(hostile.url_for("echo-proxy"), proxy=proxy)
    told = str(err.value) + str(err.value.body)
    assert "HTTP 502" in told and "password REDACTED" in told and SECRET not in told


def test_aws_keys_of_the_environment_are_redacted(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTILETEST0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", f"{SECRET}wJalrXUtnFEMI/K7MDENG")
    gdal_env.gdal_options({}, "s3://bucket/x.tif")
    told = redact(f"GDAL says: signing with AKIAHOSTILETEST0001 and {SECRET}wJalrXUtnFEMI/K7MDENG failed")
    assert "AKIAHOSTILETEST0001" not in told and SECRET not in told


def test_control_characters_never_reach_a_message(hostile):
    with pytest.raises(APIError) as err:
        run(hostile.url_for("escapes-500"))
    for text in (str(err.value), str(err.value.body)):
        assert "database on fire" in text
        assert not any(c in text for c in "\x1b\x07\x08\x00\x9b"), repr(text)
        assert "\\u001b" not in text and "\\b" not in text


@pytest.mark.parametrize("scenario, says", [
    ("deep-search", "nested too deeply"),
    ("bbox-nan", "its bbox is [NaN"),
    ("geometry-strings", "its geometry holds"),
    ("assets-list", "its assets are a JSON list"),
    ("cloud-text", "not a number from 0 to 100"),
])
def test_malformed_answers_are_api_errors_not_read_errors(hostile, scenario, says):
    with pytest.raises(QuicklookError) as err:
        run(hostile.url_for(scenario))
    assert isinstance(err.value, APIError) and err.value.title == "Malformed STAC answer", err.value
    assert says in str(err.value) and "Unexpected error" not in str(err.value)


def test_a_malformed_item_is_skipped_with_a_note_when_others_are_usable(hostile):
    result = run(hostile.url_for("bbox-nan-best"))
    assert BEST not in [item.id for item in result.items]
    assert f"skipped item {BEST}: its bbox is [NaN, NaN, NaN, NaN], not 4 or 6 numbers" in result.meta["search_notes"]


@pytest.mark.parametrize("reader", ["rasterio", "gdal"])
def test_a_remote_tif_that_is_a_vrt_of_local_files_is_not_opened(hostile, monkeypatch, reader):
    monkeypatch.setenv("STAC_QUICKLOOK_READER", reader)
    with pytest.raises(ReadError) as err:  # GDAL sniffs content: a VRT would read the user's local file
        run(hostile.url_for("href-vrt"))
    assert "is not a readable GeoTIFF" in str(err.value)
    assert any(r["path"].startswith("/_vrt/") for r in hostile.requests())
