"""Band metadata as STAC 1.0 and 1.1 write it, read from recorded items; garbage is read as unscaled."""
from __future__ import annotations

import json

import numpy as np
import pytest

from stac_quicklook_plugin.core.bands.metadata import asset_bands
from stac_quicklook_plugin.core.bands.reflectance import asset_conversions, stretch_uint8, to_reflectance
from stac_quicklook_plugin.core.stac.assets import choose_assets
from tests.harness import datagen, worlds

ES = datagen.FIXTURES / "earth-search"


def recorded(*parts):
    return json.loads(ES.joinpath(*parts).read_text())


def test_stac_10_eo_and_raster_bands_of_a_recorded_c1_item():
    item = recorded("items", "S2A_T13TDE_20240422T174753_L2A.json")
    red = asset_bands(item["assets"]["red"]).bands
    assert len(red) == 1 and red[0].common_name == "red" and red[0].name == "B04"
    assert (red[0].scale, red[0].offset, red[0].nodata) == (0.0001, -0.1, 0)
    visual = asset_bands(item["assets"]["visual"])
    assert visual.common_names == ("red", "green", "blue") and not visual.scaled
    conversions, notes = asset_conversions(item, ("red", "green", "blue"))
    assert [(c.scale, c.offset) for c in conversions] == [(0.0001, -0.1)] * 3 and not notes


def test_stac_11_bands_of_the_recorded_raster_extension_examples():
    s2 = recorded("stac-1.1", "raster-v2.0_item-sentinel2.json")
    b04 = asset_bands(s2["assets"]["B04"]).bands  # single band: the fields on the asset itself
    assert len(b04) == 1 and b04[0].common_name == "red" and b04[0].nodata == 0 and not b04[0].scaled
    assert asset_bands(s2["assets"]["visual"]).common_names == ("red", "green", "blue")
    planet = recorded("stac-1.1", "raster-v2.0_item-planet.json")
    data = asset_bands(planet["assets"]["data"]).bands  # a bands array; nodata given once on the asset
    assert data[0].common_name == "red" and (data[0].scale, data[0].offset) == (0.01, 0)
    assert all(b.nodata == planet["assets"]["data"]["nodata"] for b in data)


def test_generated_v2_items_read_like_v1_ones(testdata_small):
    c1 = worlds.make_c1_items(testdata_small, "http://h/b", "http://h")[0]
    v2 = worlds.to_stac_11(c1)
    assert "eo:bands" not in v2["assets"]["red"] and v2["assets"]["red"]["raster:scale"] == 0.0001
    for item in (c1, v2):
        assert asset_conversions(item, ("red", "nir"))[0] == asset_conversions(c1, ("red", "nir"))[0]
    del v2["assets"]["visual"]
    assert choose_assets(v2).keys == ("red", "green", "blue")  # found by eo:common_name on the asset


@pytest.mark.parametrize("raster", [
    [{"scale": "NaN", "offset": -0.1}], [{"scale": float("nan")}], [{"scale": 0}], [{"scale": True}],
    [{"scale": 0.0001, "offset": "x"}], "garbage", [1, 2], {"scale": 1}, [{"scale": 1e400}],
    [{"scale": 10 ** 400}], [{"scale": 0.0001, "offset": -(10 ** 400)}],
])
def test_garbage_scales_read_as_unscaled_with_a_note(raster):
    asset = {"href": "http://h/a.tif", "eo:bands": [{"common_name": "red"}], "raster:bands": raster}
    described = asset_bands(asset, "asset 'red'")
    assert not described.scaled and described.notes
    assert asset_conversions({"assets": {"red": asset}}, ("red",))[0] is None


def test_bands_that_are_not_objects_are_ignored():
    for bands in ("x", [None], [[1]], 7):
        assert asset_bands({"bands": bands}).bands == ()


def test_reflectance_and_the_fixed_stretch():
    from stac_quicklook_plugin.core.bands.reflectance import Conversion

    dn = np.array([[[1000, 1500, 4000, 0]]], dtype=np.uint16)
    valid = dn[0] != 0
    refl = to_reflectance(dn, valid, [Conversion(0.0001, -0.1)])
    assert np.allclose(refl[0, 0, :3], [0.0, 0.05, 0.3]) and np.isnan(refl[0, 0, 3])
    assert stretch_uint8(refl, valid, 0.0, 0.3).tolist() == [[[1, 43, 255, 0]]]


def test_a_composite_with_a_multi_band_asset_is_not_converted():
    item = recorded("items", "S2A_T13TDE_20240422T174753_L2A.json")
    assert asset_conversions(item, ("visual", "nir", "red"))[0] is None
