"""Sentinel-2 as Earth Search serves it in 2026 (issue 19): the best collection by default (C1 and the old
one together on v1, each acquisition once), STAC 1.1 items (v2), reflectance as the metadata says.

The worlds are generated from the recorded C1 item (tests/harness/worlds.py); truth comes from the
generator's model (DN = 10000 x reflectance + datagen.BOA_ADD_OFFSET), never from the code under test."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from stac_quicklook_plugin.core.engine.acquisitions import list_acquisitions
from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import BadInput
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.stac import cache, landing
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.core.stac import collections as catalog
from tests.harness import datagen, worlds

VIEW = (-105.75, 40.3, -105.6, 40.4)  # inside 13TDE
ALL_DATES = "2024-01-01/2024-12-31"
CLEAREST = worlds.OLD_MISSES[0]  # 2024-06-23: only C1 has it


def request(url, **kw):
    base = dict(bbox_wgs84=VIEW, stac_api=url, datetime_range=ALL_DATES, cloud_cover_max=100.0, width=120)
    base.update(kw)
    return QuicklookRequest(**base)


def searches(server):
    return [r for r in server.requests() if r["path"].endswith("/search")]


def cli(url, *args, timeout=120):
    argv = [sys.executable, "-m", "stac_quicklook_plugin", "--bbox", *map(str, VIEW), "--stac-api", url,
            "--datetime", ALL_DATES, "--cloud-lt", "100", "--width", "120", "--quiet", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


# -- the best collection by default --------------------------------------------------------------------
def test_default_click_on_v1_finds_the_date_only_c1_has_in_one_search(earth_search_v1):
    earth_search_v1.clear_log()
    ql = quicklook(request(earth_search_v1.url_for()))
    best = ql.items[0]
    assert best.datetime.startswith(CLEAREST) and best.collection == worlds.C1
    assert best.id == "S2B_T13TDE_20240623T175231_L2A"
    assert all(f"/{worlds.C1_BUCKET}/{worlds.C1}/" in h for h in ql.hrefs)
    assert ql.meta["collections"] == [worlds.C1, worlds.OLD] and ql.meta["collection"] == f"{worlds.C1},{worlds.OLD}"
    union = earth_search_v1.requests()
    assert searches(earth_search_v1)[0]["body"]["collections"] == [worlds.C1, worlds.OLD]
    # the landing page's child links named the collections: no /collections request
    assert not [r for r in union if r["path"].rstrip("/").endswith("/collections")]
    # searching two collections adds no request: the same ones as a search of C1 alone
    stac.clear_api_cache()
    cache.forget_api_info()
    earth_search_v1.clear_log()
    quicklook(request(earth_search_v1.url_for(), collection=worlds.C1))
    assert [r["path"] for r in earth_search_v1.requests()] == [r["path"] for r in union]


def test_the_old_collection_alone_is_searched_alone_and_lacks_that_date(earth_search_v1):
    earth_search_v1.clear_log()
    ql = quicklook(request(earth_search_v1.url_for(), collection=worlds.OLD))
    assert not ql.items[0].datetime.startswith(CLEAREST) and ql.items[0].collection == worlds.OLD
    assert {tuple(r["body"]["collections"]) for r in searches(earth_search_v1)} == {(worlds.OLD,)}


def test_each_acquisition_is_listed_once(earth_search_v1):
    acquisitions = list_acquisitions(request(earth_search_v1.url_for(), bbox_wgs84=(-105.25, 40.15, -104.6, 40.55)))
    dates = [a.date for a in acquisitions]
    assert sorted(dates, reverse=True) == dates and len(dates) == len(set(dates)) == 5
    for a in acquisitions:  # two MGRS tiles a date, never the same tile twice
        assert len(a.items) == 2 and all(i.startswith(("S2A_T", "S2B_T")) for i in a.items), a


def test_a_comma_list_prefers_the_collection_named_first_and_lists_the_other_copy(earth_search_v1):
    ql = quicklook(request(earth_search_v1.url_for(), collection=f"{worlds.OLD},{worlds.C1}",
                           acquisition_date="2024-09-16"))
    assert [i.collection for i in ql.items] == [worlds.OLD] and ql.items[0].id == "S2A_13TDE_20240916_0_L2A"
    assert {"id": "S2A_T13TDE_20240916T175231_L2A", "collection": worlds.C1,
            "same_as": "S2A_13TDE_20240916_0_L2A"} in ql.meta["duplicates"]


def test_json_items_name_their_collection(earth_search_v1, tmp_path):
    proc = cli(earth_search_v1.url_for(), "--out", str(tmp_path / "q.tif"), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["items"][0]["collection"] == worlds.C1 and doc["collections"] == [worlds.C1, worlds.OLD]


def test_a_collection_the_api_does_not_list_exits_2_naming_those_it_lists(earth_search_v1, tmp_path):
    earth_search_v1.clear_log()
    proc = cli(earth_search_v1.url_for(), "--collection", "sentinel-2-l1c", "--out", str(tmp_path / "q.tif"))
    assert proc.returncode == 2, proc.stderr
    assert "sentinel-2-l1c" in proc.stderr and worlds.C1 in proc.stderr and worlds.OLD in proc.stderr
    assert not searches(earth_search_v1) and not (tmp_path / "q.tif").exists()


def test_elsewhere_the_best_available_is_sentinel_2_l2a(stac_server):
    ql = quicklook(request(stac_server.url))
    assert ql.meta["collections"] == [worlds.OLD]


def test_an_api_whose_landing_page_lists_no_children_is_asked_collections_once(earth_search_v1, monkeypatch):
    from stac_quicklook_plugin.core.net.http import HttpClient

    def no_children(self, url, *a, **kw):
        doc = original(self, url, *a, **kw)
        if isinstance(doc, dict) and "conformsTo" in doc:
            doc["links"] = [ln for ln in doc["links"] if ln.get("rel") != "child"]
        return doc

    original = HttpClient.get_json
    monkeypatch.setattr(HttpClient, "get_json", no_children)
    earth_search_v1.clear_log()
    quicklook(request(earth_search_v1.url_for()))
    quicklook(request(earth_search_v1.url_for(), bbox_wgs84=(-105.74, 40.31, -105.61, 40.39)))
    asked = [r for r in earth_search_v1.requests() if r["path"].rstrip("/").endswith("/collections")]
    assert len(asked) == 1
    assert searches(earth_search_v1)[0]["body"]["collections"] == [worlds.C1, worlds.OLD]


# -- de-duplication, on recorded items ----------------------------------------------------------------
def _recorded(name):
    return json.loads((datagen.FIXTURES / "earth-search" / "items" / name).read_text())


def test_recorded_c1_and_old_items_of_one_acquisition_are_one(tmp_path):
    c1, old = _recorded("S2B_T24MXV_20250731T130245_L2A.json"), _recorded("S2B_24MXV_20250731_0_L2A.json")
    assert catalog.mgrs_tile(c1) == catalog.mgrs_tile(old) == "24MXV"
    kept, dropped = catalog.one_per_acquisition([old, c1], (catalog.SENTINEL2_C1, catalog.SENTINEL2_L2A))
    assert [k["id"] for k in kept] == [c1["id"]]
    assert [d.as_json() for d in dropped] == [{"id": old["id"], "collection": "sentinel-2-l2a", "same_as": c1["id"]}]


def test_other_tiles_and_dates_are_not_duplicates():
    c1 = _recorded("S2B_T24MXV_20250731T130245_L2A.json")
    other_tile = json.loads(json.dumps(c1))
    other_tile["id"], other_tile["properties"]["grid:code"] = "x", "MGRS-24MYV"
    other_tile["properties"].pop("mgrs:grid_square")
    later = json.loads(json.dumps(c1))
    later["id"], later["properties"]["datetime"] = "y", "2025-07-31T13:04:23.000000Z"  # 61 s later
    kept, dropped = catalog.one_per_acquisition([c1, other_tile, later], (catalog.SENTINEL2_C1,))
    assert len(kept) == 3 and not dropped


def test_the_tile_is_read_from_each_convention():
    assert catalog.mgrs_tile({"properties": {"s2:mgrs_tile": "60VUK"}}) == "60VUK"
    assert catalog.mgrs_tile({"properties": {"mgrs:utm_zone": 5, "mgrs:latitude_band": "q",
                                             "mgrs:grid_square": "ab"}}) == "05QAB"
    assert catalog.mgrs_tile({"properties": {"grid:code": "MGRS-13TDE"}}) == "13TDE"
    assert catalog.mgrs_tile({"properties": {"grid:code": ["bad"], "s2:mgrs_tile": 7}}) is None


@pytest.mark.parametrize("text,ids", [("", ()), (" a , b ,a", ("a", "b")), ("sentinel-2-l2a", ("sentinel-2-l2a",))])
def test_collection_lists_parse(text, ids):
    assert catalog.parse_collections(text) == ids


@pytest.mark.parametrize("text", ["a b", "a/b", "x?y", ",".join(f"c{i}" for i in range(9))])
def test_bad_collection_lists_are_refused(text):
    with pytest.raises(BadInput):
        catalog.parse_collections(text)


def test_the_landing_pages_child_links_name_the_collections():
    page = json.loads((datagen.FIXTURES / "earth-search" / "landing.json").read_text())
    ids = landing._child_collections(page)
    assert catalog.best_sentinel2(ids) == (catalog.SENTINEL2_C1, catalog.SENTINEL2_L2A)
    assert catalog.best_sentinel2(frozenset({"sentinel-2-l2a", "landsat-c2-l2"})) == (catalog.SENTINEL2_L2A,)
    assert catalog.best_sentinel2(None) == (catalog.SENTINEL2_L2A,)


# -- Earth Search v2: STAC 1.1 -----------------------------------------------------------------------
def test_v2_works_with_nothing_changed_but_the_url(earth_search_v2):
    ql = quicklook(request(earth_search_v2.url))
    assert ql.items[0].datetime.startswith(CLEAREST) and ql.items[0].collection == "sentinel-2-l2a"
    assert ql.asset_key == "visual" and ql.items[0].view_cloud is not None  # ranked by cloud over the view
    masked = quicklook(request(earth_search_v2.url, mask_clouds=True, acquisition_date="2024-08-22"))
    assert masked.meta["mask_clouds"] and masked.meta["view_cloud"] is not None


def test_v2_acquisitions_are_judged_from_the_scene_classification(earth_search_v2):
    acquisitions = list_acquisitions(request(earth_search_v2.url))
    assert len(acquisitions) == 5 and all(a.view_cloud is not None for a in acquisitions)


def test_v2_series_and_v1_series_give_the_same_dates_and_pixels(earth_search_v1, earth_search_v2):
    from stac_quicklook_plugin.core.engine.series import quicklook_series

    v1 = quicklook_series(request(earth_search_v1.url_for(), asset_key="red,green,blue"))
    v2 = quicklook_series(request(earth_search_v2.url, asset_key="red,green,blue"))
    assert [f.date for f in v1] == [f.date for f in v2] and len(v1) == 5
    for a, b in zip(v1, v2):  # the C1 files under two metadata dialects: the same reflectance
        assert a.quicklook.items[0].id == b.quicklook.items[0].id
        assert np.array_equal(a.quicklook.array, b.quicklook.array)


# -- reflectance as the metadata says -----------------------------------------------------------------
def _truth_on(ql, dataset, scene_id, key):
    """The generator's reflectance of ``key`` (DN - offset) / 10000, averaged from full resolution onto the
    quicklook's grid by GDAL alone."""
    from osgeo import gdal

    gdal.UseExceptions()
    scenes = json.loads((dataset / "scenes.json").read_text())["scenes"]
    scene = next(s for s in scenes if s["id"] == scene_id)
    src = gdal.Open(str(dataset / "cogs" / scene["assets"][key]["relpath"]))
    dn = src.GetRasterBand(1).ReadAsArray().astype(np.float32)
    reflectance = np.where(dn == 0, np.nan, (dn - datagen.BOA_ADD_OFFSET) / 10000.0).astype(np.float32)
    mem = gdal.GetDriverByName("MEM").Create("", src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Float32)
    mem.SetGeoTransform(src.GetGeoTransform())
    mem.SetProjection(src.GetProjection())
    mem.GetRasterBand(1).SetNoDataValue(float("nan"))
    mem.GetRasterBand(1).WriteArray(reflectance)
    left, bottom, right, top = ql.bounds
    out = gdal.Warp("", mem, format="MEM", outputBounds=(left, bottom, right, top), width=ql.width,
                    height=ql.height, dstSRS=ql.crs, resampleAlg="average", srcNodata=float("nan"),
                    dstNodata=float("nan"))
    return out.GetRasterBand(1).ReadAsArray()


def _ndvi(nir, red):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (nir - red) / (nir + red)


@pytest.mark.parametrize("world", ["earth_search_v1", "earth_search_v2"])
def test_ndvi_from_the_engines_reflectance_matches_the_generators_truth(world, request_fixture, testdata_small):
    server = request_fixture(world)
    url = server.url_for() if world == "earth_search_v1" else server.url
    ql = quicklook(request(url, asset_key="nir,red,green", acquisition_date=CLEAREST, width=150))
    assert ql.reflectance is not None and ql.meta["reflectance"]["scale_offset"][ql.items[0].id]["red"] == \
        {"scale": 0.0001, "offset": -0.1}
    scene_id = f"S2B_13TDE_{CLEAREST.replace('-', '')}_0_L2A"
    nir, red = _truth_on(ql, testdata_small, scene_id, "nir"), _truth_on(ql, testdata_small, scene_id, "red")
    truth = _ndvi(nir, red)
    engine = _ndvi(ql.reflectance[0], ql.reflectance[1])
    both = np.isfinite(truth) & np.isfinite(engine)
    assert both.mean() > 0.95
    error = np.abs(engine - truth)[both]
    assert float(np.mean(error)) < 0.01 and float(np.percentile(error, 95)) < 0.01
    # the stored DNs (+1000 in both bands) would not pass: what the issue fixes
    dn = (ql.reflectance[:2] + 0.1) * 10000.0
    naive = np.abs(_ndvi(dn[0], dn[1]) - truth)[both]
    assert float(np.mean(naive)) > 0.1


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def test_composites_of_two_dates_share_one_fixed_reflectance_stretch_not_a_per_date_one(earth_search_v1):
    url = earth_search_v1.url_for()
    a = quicklook(request(url, asset_key="red,green,blue", acquisition_date="2024-06-23"))
    b = quicklook(request(url, asset_key="red,green,blue", acquisition_date="2024-09-16", reflectance_range=(0, 0.3)))
    low, high = a.meta["reflectance"]["range"]
    for ql in (a, b):  # the fixed stretch, and not a per-date percentile
        valid = ql.mask
        expected = np.clip(np.rint((ql.reflectance[:, valid].astype(np.float64) - low) * 254 / (high - low) + 1),
                           1, 255)
        off = np.abs(ql.array[:, valid].astype(np.int16) - expected.astype(np.int16))
        assert off.max() <= 1 and (off == 0).mean() > 0.99  # float32 rounding at .5 steps only
        assert (ql.array[:, ~valid] == 0).all()


def test_the_visual_asset_and_a_single_asset_are_written_as_published(earth_search_v1):
    url = earth_search_v1.url_for()
    visual = quicklook(request(url))
    assert visual.asset_key == "visual" and visual.reflectance is None and visual.array.dtype == np.uint8
    red = quicklook(request(url, asset_key="red", acquisition_date=CLEAREST))
    assert red.array.dtype == np.uint16 and red.reflectance is None and red.meta["reflectance"] is None
    assert int(red.array[0][red.mask].min()) > datagen.BOA_ADD_OFFSET  # stored DNs, offset included


def test_an_item_with_garbage_band_metadata_is_read_unscaled_with_a_note(earth_search_v1, tmp_path):
    """A catalog's NaN/zero/string scales are no reason for a traceback: the composite is of stored values."""
    from tests.harness.servers import FaultStac

    items = json.loads(json.dumps(earth_search_v1.c1))
    for item, bad in zip(items, ["NaN", 0, [1], {"x": 1}, float("nan")] * 2):
        for key in ("red", "green", "blue"):
            item["assets"][key]["raster:bands"] = [{"scale": bad, "offset": "x"}] if key == "red" else "garbage"
    server = FaultStac(datagen.write_item_collection(items, tmp_path / "items.json"), tmp_path / "log.jsonl")
    try:
        ql = quicklook(request(server.url_for(), collection=worlds.C1, asset_key="red,green,blue"))
    finally:
        server.stop()
    assert ql.reflectance is None and ql.meta["reflectance"] is None and ql.array.dtype == np.uint16
    assert any("not a usable number" in n or "not a list" in n for n in ql.meta["metadata_notes"])


def test_an_href_with_a_space_is_percent_encoded_and_read(earth_search_v1, testdata_small, tmp_path):
    import os

    from tests.harness.servers import FaultStac

    items = json.loads(json.dumps([i for i in earth_search_v1.c1 if i["id"] == "S2B_T13TDE_20240623T175231_L2A"]))
    href = items[0]["assets"]["visual"]["href"]
    spaced = href.replace("TCI.tif", "TCI copy é.tif")
    local = testdata_small / worlds.C1_BUCKET / spaced.split(f"/{worlds.C1_BUCKET}/", 1)[1]
    if not local.exists():
        os.link(local.with_name("TCI.tif"), local)
    items[0]["assets"]["visual"]["href"] = spaced
    server = FaultStac(datagen.write_item_collection(items, tmp_path / "items.json"), tmp_path / "log.jsonl")
    try:
        ql = quicklook(request(server.url_for(), collection=worlds.C1))
    finally:
        server.stop()
    assert ql.hrefs == [href.replace("TCI.tif", "TCI%20copy%20%C3%A9.tif")] and ql.mask.any()


def test_same_collection_items_of_one_tile_and_time_are_both_kept():
    """A datatake split in two granules of one tile: both halves stay (only copies across collections go)."""
    c1 = _recorded("S2B_T24MXV_20250731T130245_L2A.json")
    half = json.loads(json.dumps(c1))
    half["id"] = c1["id"] + "_2"
    kept, dropped = catalog.one_per_acquisition([c1, half], (catalog.SENTINEL2_C1, catalog.SENTINEL2_L2A))
    assert len(kept) == 2 and not dropped


def test_fractions_of_any_length_are_read_as_python_3_9_would_not():
    a = {"collection": "a", "id": "1", "properties": {"grid:code": "MGRS-13TDE", "datetime": "2024-06-23T17:52:31.1Z"}}
    b = {"collection": "b", "id": "2", "properties": {"grid:code": "MGRS-13TDE",
                                                     "datetime": "2024-06-23T17:52:31.0240000Z"}}
    assert len(catalog.one_per_acquisition([a, b], ("a", "b"))[0]) == 1


class _Pages:
    """A stand-in JSON client answering /collections in pages."""

    def __init__(self, pages):
        self.pages, self.asked = pages, []

    def get_json(self, url):
        self.asked.append(url)
        return self.pages[len(self.asked) - 1]


def test_every_page_of_collections_is_read_and_an_endless_list_is_no_verdict():
    pages = [{"collections": [{"id": "a"}, {"id": "\x00"}, {"id": 5}], "links": [{"rel": "next", "href": "/c?p=2"}]},
             {"collections": [{"id": "sentinel-2-l2a"}], "links": []}]
    assert landing._collections_pages(_Pages(pages), "http://h") == frozenset({"a", "sentinel-2-l2a"})
    endless = [{"collections": [{"id": f"c{i}"}], "links": [{"rel": "next", "href": f"/c?p={i + 1}"}]}
               for i in range(10)]
    client = _Pages(endless)
    assert landing._collections_pages(client, "http://h") is None and len(client.asked) == landing.MAX_COLLECTION_PAGES


def test_a_malformed_child_link_names_no_collection():
    page = {"links": [{"rel": "child", "href": "http://[abc/collections/x"},
                         {"rel": "child", "href": "http://h/collections/sentinel-2-c1-l2a"},
                         {"rel": "child", "href": 7}, {"rel": "child", "href": "http://h/catalogs/y"}]}
    assert landing._child_collections(page) == frozenset({"sentinel-2-c1-l2a"})


def test_without_child_links_a_named_collection_is_checked_against_collections(earth_search_v1, monkeypatch):
    from stac_quicklook_plugin.core.net.http import HttpClient

    original = HttpClient.get_json

    def no_children(self, url, *a, **kw):
        doc = original(self, url, *a, **kw)
        if isinstance(doc, dict) and "conformsTo" in doc:
            doc["links"] = [ln for ln in doc["links"] if ln.get("rel") != "child"]
        return doc

    monkeypatch.setattr(HttpClient, "get_json", no_children)
    with pytest.raises(BadInput, match="has no collection 'nope'.*sentinel-2-c1-l2a"):
        quicklook(request(earth_search_v1.url_for(), collection="nope"))


@pytest.mark.parametrize("href,expected", [
    ("https://h.org/a b.tif", "https://h.org/a%20b.tif"),
    ("https://h.org/a%20b.tif", "https://h.org/a%20b.tif"),
    ("https://h.org/100%.tif", "https://h.org/100%25.tif"),
    ("https://h.org/x.tif?se=2026&sig=ab+c%3D&sp=r", "https://h.org/x.tif?se=2026&sig=ab+c%3D&sp=r"),
    ("https://bücher.de/é.tif", "https://bücher.de/%C3%A9.tif"),
])
def test_http_hrefs_are_percent_encoded_where_they_need_it(href, expected):
    from stac_quicklook_plugin.core.net import hrefs

    assert hrefs.check_url(href, "an asset") == expected
    assert hrefs.to_gdal_path(href) == "/vsicurl/" + expected


@pytest.mark.parametrize("href", ["https://h.org/a\x00b.tif", "https://h.org/a\\b.tif", "/vsicurl/http://h/a b.tif",
                                  "file:///tmp/a b.tif", "a b.tif"])
def test_the_href_policy_is_unchanged_for_controls_local_paths_and_gdal_paths(href):
    from stac_quicklook_plugin.core.errors import RefusedHref
    from stac_quicklook_plugin.core.net import hrefs

    with pytest.raises(RefusedHref):
        hrefs.resolve(href, [], "an asset", hrefs.GDAL_PREFIXES)
