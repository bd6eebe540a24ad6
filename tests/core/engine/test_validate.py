"""Bad input is refused before any request, with a message that says what to change."""
from datetime import date

import pytest

from stac_quicklook_plugin.core.engine.validate import normalize_datetime, validate_request
from stac_quicklook_plugin.core.errors import BadInput
from stac_quicklook_plugin.core.models import QuicklookRequest

GOOD = dict(bbox_wgs84=(-105.9, 40.1, -105.3, 40.6), stac_api="http://127.0.0.1:1/", datetime_range="2024-07-01/2024-08-31")


def req(**kw):
    return QuicklookRequest(**{**GOOD, **kw})


def test_good_request_is_normalised():
    r = validate_request(req())
    assert r.stac_api == "http://127.0.0.1:1"
    assert r.datetime_range == "2024-07-01T00:00:00Z/2024-08-31T23:59:59Z"


@pytest.mark.parametrize("bbox,words", [
    ((-200, 40, -105, 41), "Longitudes"),
    ((-105, -95, -104, 41), "Latitudes"),
    ((-105, 41, -104, 40), "south"),
    ((-105, 41, -104, 41), "south"),
    ((170, -10, -170, 10), "antimeridian"),
    ((10, 10, 10, 11), "empty"),
    ((1, 2, 3), "four"),
    (("a", 2, 3, 4), "four numbers"),
    ((float("nan"), 2, 3, 4), "finite"),
])
def test_bad_bbox(bbox, words):
    with pytest.raises(BadInput, match=words):
        validate_request(req(bbox_wgs84=bbox))


@pytest.mark.parametrize("kw,words", [
    ({"cloud_cover_max": -1}, "0 to 100"),
    ({"cloud_cover_max": 101}, "0 to 100"),
    ({"width": 15}, "16 to 8192"),
    ({"width": 8193}, "16 to 8192"),
    ({"stac_api": "file:///etc/passwd"}, "http"),
    ({"stac_api": "javascript:alert(1)"}, "http"),
    ({"stac_api": "earth-search.aws.element84.com/v1"}, "http"),
    ({"datetime_range": "2024-08-31/2024-07-01"}, "after the end"),
    ({"datetime_range": "yesterday"}, "Cannot read the date"),
    ({"datetime_range": "../.."}, "open at both ends"),
    ({"collection": "sentinel 2"}, "collection"),
    ({"collection": "a/b"}, "collection"),
    ({"reflectance_range": (0.3, 0.0)}, "reflectance range"),
    ({"reflectance_range": (0.0, float("nan"))}, "reflectance range"),
    ({"dst_crs": "EPSG:999999"}, "not a CRS"),
])
def test_bad_parameters(kw, words):
    with pytest.raises(BadInput, match=words):
        validate_request(req(**kw))


def test_datetime_forms():
    assert normalize_datetime("2024-07-01/..") == "2024-07-01T00:00:00Z/.."
    assert normalize_datetime("../2024-07-01") == "../2024-07-01T23:59:59Z"
    assert normalize_datetime("2024-07-01") == "2024-07-01T00:00:00Z/2024-07-01T23:59:59Z"
    assert normalize_datetime("2024-07-01T10:00:00+02:00/2024-07-02T00:00:00Z") == \
        "2024-07-01T08:00:00Z/2024-07-02T00:00:00Z"
    assert normalize_datetime(None, today=date(2026, 11, 24)) == "2026-10-25T00:00:00Z/2026-11-24T23:59:59Z"


def test_fractions_of_a_second_are_kept():
    assert normalize_datetime("2023-10-08T17:37:26.656958Z/..") == "2023-10-08T17:37:26.656958Z/.."


def test_get_params_keep_bbox_precision():
    from stac_quicklook_plugin.core.stac.client import _as_get_params

    params = _as_get_params({"bbox": [-105.912345, 40.1, 0.00001, 40.6], "collections": ["a", "b"]})
    assert params["bbox"] == "-105.912345,40.1,0.00001,40.6"
    assert params["collections"] == "a,b"


def test_the_request_carries_one_connection_and_its_own_fields_still_count():
    from dataclasses import replace

    from stac_quicklook_plugin.core.models import Connection

    legacy = validate_request(req(headers={"X-Key": "k"}, timeout=7.0, proxy="http://p:3128",
                                  proxy_exclude=("http://127.0.0.1",)))
    assert legacy.connection == Connection(headers={"X-Key": "k"}, timeout=7.0, proxy="http://p:3128",
                                           proxy_exclude=("http://127.0.0.1",))
    given = validate_request(req(connection=Connection(timeout=5.0, ca_bundle="/etc/ca.pem")))
    assert given.connection.timeout == 5.0 and given.timeout == 5.0 and given.connection.ca_bundle == "/etc/ca.pem"
    later = validate_request(replace(given, timeout=3.0))  # a script's replace() still means 3 s
    assert later.connection.timeout == 3.0 and later.connection.ca_bundle == "/etc/ca.pem"
    assert Connection(proxy="http://p:3128", proxy_exclude=("127.0.0.1",)).proxy_for("http://127.0.0.1:9/x") is None
    assert Connection(proxy="http://p:3128").for_token_endpoint() == Connection(proxy="http://p:3128")
    with pytest.raises(BadInput, match="Connection"):
        validate_request(req(connection={"timeout": 3}))
