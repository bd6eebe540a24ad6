"""Asset choice and href -> GDAL path, pinned on the real recorded items."""
import json
from pathlib import Path

import pytest

from stac_quicklook_plugin.core.errors import AssetError
from stac_quicklook_plugin.core.stac.assets import asset_href, choose_assets, heuristic_asset_choice, to_gdal_path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ES_2023 = FIXTURES / "earth-search/items/S2A_13TDE_20231008_0_L2A.json"
ES_2025 = FIXTURES / "earth-search/items/S2B_24MXV_20250731_0_L2A.json"
PC_2019 = FIXTURES / "planetary-computer/item_S2A_MSIL2A_20190101T000001_R116_T60VUK.json"


def load(path):
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", [ES_2023, ES_2025, PC_2019], ids=["es-2023", "es-2025", "pc-2019"])
def test_auto_choice_is_true_colour_visual_on_real_items(path):
    choice = choose_assets(load(path))
    assert choice.keys == ("visual",) and choice.kind == "visual"


@pytest.mark.parametrize("path", [ES_2023, ES_2025], ids=["es-2023", "es-2025"])
def test_seed_heuristic_alone_picks_aot_on_real_earth_search_items(path):
    # This is why the heuristic is only the last resort.
    assert heuristic_asset_choice(load(path)) == "aot"


def test_without_visual_auto_composes_rgb_from_band_assets():
    es = load(ES_2023)
    del es["assets"]["visual"]
    assert choose_assets(es).keys == ("red", "green", "blue")
    pc = load(PC_2019)
    del pc["assets"]["visual"]
    assert choose_assets(pc).keys == ("B04", "B03", "B02")  # found by eo:bands common_name


def test_rgb_ignores_jp2_assets_on_requester_pays_bucket():
    es = load(ES_2023)
    for key in ("visual", "red", "green", "blue"):
        del es["assets"][key]
    choice = choose_assets(es)
    assert choice.kind == "single" and not choice.keys[0].endswith("-jp2")


def test_explicit_key_wins_and_missing_key_lists_existing_keys():
    es = load(ES_2023)
    assert choose_assets(es, "nir").keys == ("nir",)
    with pytest.raises(AssetError) as err:
        choose_assets(es, "B04")
    assert "no asset 'B04'" in str(err.value) and "visual" in str(err.value) and "red" in str(err.value)


def test_asset_without_href_is_a_clear_error():
    es = load(ES_2023)
    es["assets"]["visual"].pop("href")
    with pytest.raises(AssetError, match="no href"):
        choose_assets(es, "visual")


@pytest.mark.parametrize("href,path", [
    ("https://sentinel-cogs.s3.us-west-2.amazonaws.com/a/TCI.tif", "/vsicurl/https://sentinel-cogs.s3.us-west-2.amazonaws.com/a/TCI.tif"),
    ("http://127.0.0.1:8000/x.tif", "/vsicurl/http://127.0.0.1:8000/x.tif"),
    ("s3://sentinel-s2-l2a/tiles/13/T/DE/B04.jp2", "/vsis3/sentinel-s2-l2a/tiles/13/T/DE/B04.jp2"),
])
def test_href_to_gdal_path(href, path):
    assert to_gdal_path(href) == path


def test_unknown_scheme_is_refused():
    with pytest.raises(AssetError, match="ftp"):
        to_gdal_path("ftp://host/x.tif")


def test_relative_href_resolves_against_self_link():
    item = {"links": [{"rel": "self", "href": "http://h/collections/c/items/i.json"}],
            "assets": {"visual": {"href": "./TCI.tif"}}}
    assert asset_href(item, "visual") == "http://h/collections/c/items/TCI.tif"


def test_root_relative_href_on_an_http_item_is_on_that_host():
    item = {"links": [{"rel": "self", "href": "https://h.example/stac/items/i"}],
            "assets": {"visual": {"href": "/data/TCI.tif"}}}
    assert asset_href(item, "visual") == "https://h.example/data/TCI.tif"
    local = {"links": [], "assets": {"visual": {"href": "/data/TCI.tif"}}}  # no http base: never a local path
    with pytest.raises(AssetError, match="cannot point at local files"):
        asset_href(local, "visual")
    assert asset_href(local, "visual", "http://api.example/v1/") == "http://api.example/data/TCI.tif"


@pytest.mark.parametrize("href", ["/data/x.tif", "file:///data/my%20x.tif", "/vsizip//tmp/a.zip/x.tif",
                                  "/vsicurl/http://h/x.tif", "data:image/tiff;base64,SUkq", "C:\\x.tif"])
def test_local_and_gdal_paths_are_refused(href):
    with pytest.raises(AssetError, match="cannot point at local files"):
        to_gdal_path(href)
