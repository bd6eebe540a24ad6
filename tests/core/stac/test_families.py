"""Collection families as data (issue 23, core/stac/families.py): recognising an item's family, its scene cloud
property, its mask source and true-colour bands, and a new family added as a row."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from stac_quicklook_plugin.core.engine.compose import stretch_range
from stac_quicklook_plugin.core.masks.qa_pixel import LANDSAT_QA_PIXEL
from stac_quicklook_plugin.core.masks.scl import SENTINEL2_SCL
from stac_quicklook_plugin.core.masks.sources import MASK_SOURCES, mask_source
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.stac import families
from stac_quicklook_plugin.core.stac.assets import choose_assets
from stac_quicklook_plugin.core.stac.families import FAMILIES, LANDSAT_C2_L2, SENTINEL2_L2A, Family, family_of, sensor
from stac_quicklook_plugin.core.stac.items import cloud_cover

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"


def _recorded_landsat():
    return json.loads((FIXTURES / "landsat" / "items" / "LC09_L2SP_010065_20220129_02_T1.json").read_text())


def _item(collection=None, platform=None, assets=(), **props):
    item = {"id": "x", "properties": {"datetime": "2024-06-01T10:00:00Z", **props},
            "assets": {k: {"href": f"https://example.com/{k}.tif", "type": COG} for k in assets}}
    if collection:
        item["collection"] = collection
    if platform:
        item["properties"]["platform"] = platform
    return item


def test_every_family_names_a_mask_source_the_engine_has():
    assert all(f.mask in MASK_SOURCES for f in FAMILIES)


@pytest.mark.parametrize("item, family", [
    (_item("sentinel-2-l2a"), SENTINEL2_L2A), (_item("sentinel-2-c1-l2a"), SENTINEL2_L2A),
    (_item("my-s2-mirror", platform="Sentinel-2B"), SENTINEL2_L2A),
    (_item("landsat-c2-l2"), LANDSAT_C2_L2), (_item(None, platform="landsat-9"), LANDSAT_C2_L2),
    (_item("naip", platform="naip"), None), (_item(None), None)])
def test_family_of_an_item_by_collection_then_platform(item, family):
    assert family_of(item) is family


def test_the_recorded_planetary_computer_landsat_item_is_landsat():
    item = _recorded_landsat()
    assert family_of(item) is LANDSAT_C2_L2 and sensor(item) == "Landsat"
    assert mask_source(item) == (LANDSAT_QA_PIXEL, "qa_pixel")
    assert choose_assets(item).keys == ("red", "green", "blue")


def test_scene_cloud_from_the_family_properties_in_order():
    assert cloud_cover(_item("landsat-c2-l2", **{"landsat:cloud_cover_land": 12.5})) == 12.5
    assert cloud_cover(_item("landsat-c2-l2", **{"eo:cloud_cover": 40, "landsat:cloud_cover_land": 12.5})) == 40
    # a Sentinel-2 item is not read with Landsat's property; an unknown one only with eo:cloud_cover
    assert cloud_cover(_item("sentinel-2-l2a", **{"landsat:cloud_cover_land": 12.5})) is None
    assert cloud_cover(_item("naip", **{"eo:cloud_cover": "7"})) == 7.0
    assert cloud_cover(_item("landsat-c2-l2", **{"eo:cloud_cover": "n/a", "landsat:cloud_cover_land": 300})) is None


def test_a_known_family_is_judged_by_its_own_mask_an_unknown_one_by_any():
    assert mask_source(_item("sentinel-2-l2a", assets=("scl", "qa_pixel"))) == (SENTINEL2_SCL, "scl")
    assert mask_source(_item("sentinel-2-l2a", assets=("qa_pixel",))) is None  # not its family's mask
    assert mask_source(_item("somebody-elses", assets=("qa_pixel",))) == (LANDSAT_QA_PIXEL, "qa_pixel")
    assert mask_source(_item("somebody-elses", assets=("visual",))) is None


def test_sensor_labels():
    assert [sensor(_item(c)) for c in ("sentinel-2-l2a", "landsat-c2-l2", "naip")] == ["S2", "Landsat", "naip"]
    assert sensor(_item(None)) == ""


def test_adding_a_family_is_adding_a_row(monkeypatch):
    hls = Family("HLS", "HLS", ("hls2-l30",), (), mask="qa_pixel", true_colour=("r", "g", "b"),
                 scene_cloud=("hls:cloud",), display_range=(0.0, 0.25))
    monkeypatch.setattr(families, "FAMILIES", FAMILIES + (hls,))
    item = _item("hls2-l30", assets=("B04", "B03", "B02", "qa_pixel"), **{"hls:cloud": 3})
    for key, name in (("B04", "r"), ("B03", "g"), ("B02", "b")):
        item["assets"][key]["eo:bands"] = [{"name": key, "common_name": name}]
    assert family_of(item) is hls and sensor(item) == "HLS"
    assert cloud_cover(item) == 3.0
    assert mask_source(item) == (LANDSAT_QA_PIXEL, "qa_pixel")
    assert choose_assets(item).keys == ("B04", "B03", "B02")
    plan = SimpleNamespace(math=None, best=item)
    assert stretch_range(QuicklookRequest(bbox_wgs84=(0, 0, 1, 1)), plan) == (0.0, 0.25)  # its display range
    assert stretch_range(QuicklookRequest(bbox_wgs84=(0, 0, 1, 1), reflectance_range=(0.0, 0.5)), plan) == (0.0, 0.5)
