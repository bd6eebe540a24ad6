"""Band composites and spectral indices over the view (issue 20), on reflectance as the metadata says, against the
generator's truth (DN = 10000 x (reflectance + 0.1), tests.harness.datagen), never against the code under test."""
from __future__ import annotations

import json

import numpy as np
import pytest

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import AssetError, BadInput, NothingFound
from tests.core.engine.test_sentinel2_today import CLEAREST, _ndvi, _truth_on, cli, request

SCENE = f"S2B_13TDE_{CLEAREST.replace('-', '')}_0_L2A"


def _url(world, server):
    return server.url_for() if world == "earth_search_v1" else server.url


@pytest.mark.parametrize("world", ["earth_search_v1", "earth_search_v2", "planetary_keys"])
def test_ndvi_matches_the_generators_truth_on_every_dialect(world, request_fixture, testdata_small):
    server = request_fixture(world)
    ql = quicklook(request(_url(world, server), preset="ndvi", acquisition_date=CLEAREST, width=150))
    assert ql.array.shape[0] == 1 and ql.array.dtype == np.float32 and ql.count == 1
    assert ql.meta["preset"] == "ndvi" and ql.meta["kind"] == "index"
    expected_keys = {"nir": "B08", "red": "B04"} if world == "planetary_keys" else {"nir": "nir", "red": "red"}
    assert ql.meta["bands"] == expected_keys
    nir, red = _truth_on(ql, testdata_small, SCENE, "nir"), _truth_on(ql, testdata_small, SCENE, "red")
    truth = _ndvi(nir, red)
    engine = ql.array[0]
    both = np.isfinite(truth) & np.isfinite(engine)
    assert both.mean() > 0.95
    assert np.isnan(engine[~ql.mask]).all()  # no data: NaN
    error = np.abs(engine - truth)[both]
    assert float(np.mean(error)) < 0.01 and float(np.percentile(error, 95)) < 0.01
    # A naive NDVI of the stored values (DN, +1000 in both bands) misses the truth by far more.
    naive = _ndvi(nir * 10000 + 1000, red * 10000 + 1000)
    assert float(np.nanmean(np.abs(naive - truth)[both])) > 0.05


def test_an_expression_gives_the_presets_pixels(earth_search_v2):
    by_preset = quicklook(request(earth_search_v2.url, preset="ndvi", acquisition_date=CLEAREST))
    typed = quicklook(request(earth_search_v2.url, expression="(nir - red) / (nir + red)", acquisition_date=CLEAREST))
    np.testing.assert_array_equal(by_preset.array, typed.array)
    assert typed.meta["expression"] == "(nir - red) / (nir + red)" and typed.meta["preset"] == ""


def test_false_color_puts_nir_red_green_in_that_order(earth_search_v2, testdata_small):
    ql = quicklook(request(earth_search_v2.url, preset="false-color", acquisition_date=CLEAREST, width=150))
    assert ql.array.dtype == np.uint8 and ql.count == 3
    assert list(ql.meta["bands"]) == ["nir", "red", "green"]
    assert ql.meta["reflectance"]["range"] == [0.0, 0.4]  # the preset's stretch
    for channel, key in enumerate(("nir", "red", "green")):
        truth = _truth_on(ql, testdata_small, SCENE, key)
        both = np.isfinite(truth) & ql.mask
        assert float(np.mean(np.abs(ql.reflectance[channel][both] - truth[both]))) < 0.01, key


def test_a_preset_whose_band_the_collection_lacks_names_it_and_the_presets_there_are(earth_search_v2):
    with pytest.raises(AssetError) as caught:
        quicklook(request(earth_search_v2.url, preset="ndmi", acquisition_date=CLEAREST))
    text = str(caught.value)
    assert "no 'swir16' band" in text and "Presets it supports: true-color, false-color, ndvi, ndwi, evi" in text


def test_an_expression_naming_no_band_of_the_item_is_refused(earth_search_v2):
    with pytest.raises(AssetError, match="no 'nir99' band"):
        quicklook(request(earth_search_v2.url, expression="nir99 - red", acquisition_date=CLEAREST))


def test_a_masked_index_is_nan_where_no_scene_is_clear(earth_search_v2):
    # September has one scene, 43 % cloudy over the view: what is cloudy stays NaN (true colour keeps the pixel).
    september = "2024-09-01/2024-09-30"
    ql = quicklook(request(earth_search_v2.url, preset="ndvi", mask_clouds=True, datetime_range=september))
    colour = quicklook(request(earth_search_v2.url, mask_clouds=True, datetime_range=september))
    assert [i.id for i in ql.items] == [i.id for i in colour.items]
    hidden = colour.mask & ~ql.mask
    assert 0.3 < hidden.mean() < 0.6 and colour.meta["view_cloud"] > 30
    assert np.isnan(ql.array[0][hidden]).all() and np.isfinite(ql.array[0][ql.mask]).any()
    # July's scene is cloudy over the whole view: a masked index has nothing to show, and says so.
    with pytest.raises(NothingFound, match="Every pixel of this view is cloudy"):
        quicklook(request(earth_search_v2.url, preset="ndvi", mask_clouds=True, datetime_range="2024-07-01/2024-07-31"))


# -- the CLI's contract ---------------------------------------------------------------------------------
def test_cli_preset_json_and_the_written_float_geotiff(earth_search_v2, tmp_path):
    out = tmp_path / "ndvi.tif"
    done = cli(earth_search_v2.url, "--preset", "ndvi", "--date", CLEAREST, "--out", str(out), "--json",
               "--png", str(tmp_path / "ndvi.png"))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["preset"] == "ndvi" and doc["expression"] == "(nir - red) / (nir + red)" and doc["count"] == 1 and doc["dtype"] == "float32"
    from osgeo import gdal

    ds = gdal.Open(str(out))
    band = ds.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Float32 and np.isnan(band.GetNoDataValue())
    assert (tmp_path / "ndvi.png").stat().st_size > 0


@pytest.mark.parametrize("args, words", [
    (["--preset", "ndvi", "--asset", "red"], "give one of them"),
    (["--preset", "ndxx"], "Unknown preset 'ndxx'"),
    (["--expression", "__import__('os').system('id')"], "function call"),
    (["--expression", "nir ** 2"], "operator **"),
    (["--preset", "ndvi", "--expression", "nir - red"], "not both"),
])
def test_cli_bad_presets_and_expressions_exit_2_with_a_sentence_and_no_file(earth_search_v2, tmp_path, args, words):
    out = tmp_path / "x.tif"
    done = cli(earth_search_v2.url, *args, "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_validation_refuses_before_any_request(earth_search_v2):
    before = len(earth_search_v2.server.requests()) if hasattr(earth_search_v2.server, "requests") else None
    with pytest.raises(BadInput):
        quicklook(request(earth_search_v2.url, expression="open('x')"))
    if before is not None:
        assert len(earth_search_v2.server.requests()) == before


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def test_a_series_keeps_the_preset_and_one_colour_range_on_every_date(earth_search_v2):
    from stac_quicklook_plugin.core.engine.series import quicklook_series

    frames = [f for f in quicklook_series(request(earth_search_v2.url, preset="ndvi", cloud_cover_max=100.0))
              if f.quicklook is not None]
    assert len(frames) >= 3
    assert {f.quicklook.meta["preset"] for f in frames} == {"ndvi"}
    assert {tuple(f.quicklook.meta["value_range"]) for f in frames} == {(-0.2, 0.9)}
    assert all(f.quicklook.array.dtype == np.float32 and f.quicklook.count == 1 for f in frames)
