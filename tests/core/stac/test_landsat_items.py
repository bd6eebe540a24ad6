"""Landsat Collection 2 Level-2 as the real servers describe it (issue 23), pinned on the recorded items in
``tests/fixtures/landsat/items`` (provenance in ``tests/fixtures/README.md``): the family, the QA_PIXEL mask,
true colour from ``red``/``green``/``blue``, NDVI from ``nir08``/``red``, the collection's reflectance scale and
offset, the scene cloud, and (Earth Search) the requester-pays ``s3://usgs-landsat`` href as a GDAL path."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stac_quicklook_plugin.core.bands.presets import band_assets, band_math
from stac_quicklook_plugin.core.bands.reflectance import Conversion, asset_conversions
from stac_quicklook_plugin.core.errors import RefusedHref
from stac_quicklook_plugin.core.masks.qa_pixel import LANDSAT_QA_PIXEL
from stac_quicklook_plugin.core.masks.sources import mask_source
from stac_quicklook_plugin.core.stac.assets import asset_href, choose_assets, to_gdal_path
from stac_quicklook_plugin.core.stac.families import LANDSAT_C2_L2, family_of, sensor
from stac_quicklook_plugin.core.stac.items import cloud_cover

ITEMS = Path(__file__).resolve().parents[2] / "fixtures" / "landsat" / "items"
# Planetary Computer's shape, written by stactools-landsat (the package PC builds its items with): hrefs are
# relative paths into that package's test data, not PC's blob URLs.
PC_LC09 = ITEMS / "LC09_L2SP_010065_20220129_02_T1.json"
# Earth Search v1, recorded 2025-07-31 (pystac-client cassette): s3://usgs-landsat hrefs, requester pays.
ES_LC08 = ITEMS / "LC08_L2SP_033032_20231008_02_T1.json"
# Planetary Computer, recorded 2025-07-31 (pystac-client cassette): blob hrefs signed per account/container.
PC_RECORDED = ITEMS / "LC09_L2SR_084082_20250722_02_T1.json"
RECORDED = pytest.mark.parametrize("path", [PC_LC09, ES_LC08, PC_RECORDED], ids=["pc-lc09", "es-lc08", "pc-recorded"])
LANDSAT_SR = Conversion(scale=2.75e-05, offset=-0.2)  # USGS C2 L2 surface reflectance: DN * 2.75e-05 - 0.2


def load(path):
    return json.loads(path.read_text())


def test_the_recordings_are_the_servers_answers():
    es = load(ES_LC08)
    assert {ln["rel"]: ln["href"] for ln in es["links"]}["self"] == (
        "https://earth-search.aws.element84.com/v1/collections/landsat-c2-l2/items/LC08_L2SP_033032_20231008_02_T1")
    assert es["collection"] == "landsat-c2-l2" and es["properties"]["platform"] == "landsat-8"
    pc = load(PC_LC09)
    assert pc["collection"] == "landsat-c2-l2" and pc["properties"]["platform"] == "landsat-9"
    recorded = load(PC_RECORDED)
    assert recorded["collection"] == "landsat-c2-l2" and recorded["properties"]["platform"] == "landsat-9"
    assert recorded["assets"]["red"]["href"].startswith("https://landsateuwest.blob.core.windows.net/landsat-c2/")


@RECORDED
def test_a_recorded_landsat_item_is_of_the_landsat_family(path):
    item = load(path)
    assert family_of(item) is LANDSAT_C2_L2
    assert sensor(item) == "Landsat"


@RECORDED
def test_a_recorded_landsat_item_is_judged_by_its_qa_pixel(path):
    item = load(path)
    qa_key = next(k for k in item["assets"] if k.lower() == "qa_pixel")
    assert mask_source(item) == (LANDSAT_QA_PIXEL, qa_key)
    assert qa_key == "qa_pixel"


@RECORDED
def test_true_colour_of_a_recorded_landsat_item_is_its_red_green_blue_bands(path):
    choice = choose_assets(load(path))
    assert choice.keys == ("red", "green", "blue") and choice.kind == "rgb"


@RECORDED
def test_ndvi_of_a_recorded_landsat_item_reads_nir08_and_red(path):
    # Landsat's NIR is eo:common_name "nir08"; the preset's "nir" falls back to it (presets.ALTERNATIVES)
    assert band_assets(load(path), band_math("ndvi")) == {"nir": "nir08", "red": "red"}


@RECORDED
def test_true_colour_of_a_recorded_landsat_item_is_converted_to_reflectance(path):
    item = load(path)
    conversions, notes = asset_conversions(item, choose_assets(item).keys)
    assert conversions == (LANDSAT_SR, LANDSAT_SR, LANDSAT_SR)
    assert notes == ()


@RECORDED
def test_scene_cloud_of_a_recorded_landsat_item_is_its_eo_cloud_cover(path):
    item = load(path)
    assert cloud_cover(item) == item["properties"]["eo:cloud_cover"]


def test_the_earth_search_red_band_is_read_from_the_usgs_landsat_bucket():
    item = load(ES_LC08)
    href = asset_href(item, "red")
    assert href == item["assets"]["red"]["href"]
    assert href.startswith("s3://usgs-landsat/collection02/level-2/standard/oli-tirs/")
    assert item["assets"]["red"]["storage:requester_pays"] is True  # reading it needs credentials (raster.errors)
    assert to_gdal_path(href).startswith("/vsis3/usgs-landsat/")
    assert to_gdal_path(href) == "/vsis3/" + href[len("s3://"):]


def test_the_stactools_written_item_has_relative_hrefs_that_are_refused():
    # Real behaviour on that recording: its hrefs are "../../../tests/data-files/...", and with no http(s)
    # base to resolve against a relative href is never read as a local path.
    item = load(PC_LC09)
    assert item["assets"]["red"]["href"].startswith("../")
    with pytest.raises(RefusedHref):
        asset_href(item, "red")


def test_the_planetary_computer_red_band_is_signed_with_its_containers_token():
    """A recorded PC item's bands are on its blob storage: signed with the SAS token of account "landsateuwest",
    container "landsat-c2", asked once for all its bands (a token endpoint counting its requests)."""
    from stac_quicklook_plugin.core.net.signing import SasSigner

    item = load(PC_RECORDED)
    asked = []

    class TokenClient:
        def get_json(self, url):
            asked.append(url)
            return {"token": "st=2025-07-31&se=2025-08-01&sig=abcdefgh12345678", "msft:expiry": "2099-01-01T00:00:00Z"}

        def close(self):
            pass

    signer = SasSigner("https://tokens.example/api/sas/v1/token", TokenClient)
    signed = [signer.sign(asset_href(item, key)) for key in ("red", "green", "blue", "qa_pixel")]
    assert asked == ["https://tokens.example/api/sas/v1/token/landsateuwest/landsat-c2"]
    assert all(h.endswith("?st=2025-07-31&se=2025-08-01&sig=abcdefgh12345678") for h in signed)
    assert signed[0].startswith(item["assets"]["red"]["href"])
