"""The synthetic Sentinel-2 L2A dataset: determinism, STAC shape, COG layout, picture content."""

from __future__ import annotations

import hashlib
import json
import pathlib
import time

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds

from tests.harness import datagen

RECORDED_ITEM = datagen.FIXTURES / "earth-search" / "items" / "S2A_13TDE_20231008_0_L2A.json"
COG_BASE = "http://127.0.0.1:9/cogs/"
API_BASE = "http://127.0.0.1:9/api/"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return datagen.build_dataset(tmp_path_factory.mktemp("cache-a"), "small")


@pytest.fixture(scope="module")
def items(small: pathlib.Path) -> list[dict]:
    return datagen.make_items(small, COG_BASE, API_BASE)


def _path(dataset: pathlib.Path, href: str) -> pathlib.Path:
    assert href.startswith(COG_BASE)
    return dataset / "cogs" / href[len(COG_BASE):]


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for item in items}


def _digest(root: pathlib.Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_small_build_is_deterministic_and_idempotent(small: pathlib.Path, tmp_path: pathlib.Path) -> None:
    other = datagen.build_dataset(tmp_path / "cache-b", "small")
    assert other.name == small.name == f"small-v{datagen.GENERATOR_VERSION}"
    assert _digest(other) == _digest(small)
    started = time.monotonic()
    assert datagen.build_dataset(tmp_path / "cache-b", "small") == other
    assert time.monotonic() - started < 1.0
    assert not [p for p in (tmp_path / "cache-b").iterdir() if p.name.startswith(".building")]


def test_dataset_has_two_tiles_five_dates(items: list[dict]) -> None:
    assert len(items) == 10
    by_tile: dict[str, list[dict]] = {}
    for item in items:
        by_tile.setdefault(item["properties"]["grid:code"], []).append(item)
    assert sorted(by_tile) == ["MGRS-13TDE", "MGRS-13TEE"]
    dates = [sorted(i["properties"]["datetime"][:10] for i in tile_items) for tile_items in by_tile.values()]
    assert dates[0] == dates[1] and len(set(dates[0])) == 5
    for tile_items in by_tile.values():
        newest = max(tile_items, key=lambda i: i["properties"]["datetime"])
        clearest = min(tile_items, key=lambda i: i["properties"]["eo:cloud_cover"])
        covers = [i["properties"]["eo:cloud_cover"] for i in tile_items]
        assert newest["id"] != clearest["id"]
        assert min(covers) < 3 and max(covers) > 80
        assert sum(c < 20 for c in covers) >= 2


def test_items_look_like_the_recorded_item(small: pathlib.Path, items: list[dict]) -> None:
    recorded = json.loads(RECORDED_ITEM.read_text())
    for item in items:
        assert item["type"] == "Feature" and item["stac_version"] == "1.0.0"
        assert item["stac_extensions"] == recorded["stac_extensions"]
        assert item["collection"] == "sentinel-2-l2a"
        assert set(recorded["properties"]) <= set(item["properties"])
        props = item["properties"]
        assert props["datetime"].endswith("Z") and props["proj:epsg"] == 32613
        tile = props["grid:code"][len("MGRS-"):]
        assert item["id"] == f"S2{props['platform'][-1].upper()}_{tile}_{props['datetime'][:10].replace('-', '')}_0_L2A"
        assert (props["mgrs:utm_zone"], props["mgrs:latitude_band"], props["mgrs:grid_square"]) == (13, "T", tile[3:])
        links = {link["rel"]: link["href"] for link in item["links"]}
        assert links["self"] == f"http://127.0.0.1:9/api/collections/sentinel-2-l2a/items/{item['id']}"
        assert links["root"] == "http://127.0.0.1:9/api"
        assert links["parent"] == links["collection"] == "http://127.0.0.1:9/api/collections/sentinel-2-l2a"
        assert list(item["assets"]) == ["aot", "blue", "green", "nir", "red", "scl", "thumbnail", "visual"]
        for key, asset in item["assets"].items():
            real = recorded["assets"][key]
            for field in ("type", "title", "roles", "eo:bands"):
                assert asset.get(field) == real.get(field), (key, field)
            assert [b["data_type"] for b in asset.get("raster:bands", [])] == \
                   [b["data_type"] for b in real.get("raster:bands", [])]
            assert _path(small, asset["href"]).is_file(), asset["href"]
        lon0, lat0, lon1, lat1 = item["bbox"]
        assert -106.3 < lon0 < lon1 < -103.5 and 39.6 < lat0 < lat1 < 40.7


def test_seed_bboxes_need_one_and_two_tiles(items: list[dict]) -> None:
    def covering(bbox: tuple[float, ...]) -> set[str]:
        return {i["properties"]["grid:code"] for i in items
                if i["bbox"][0] <= bbox[2] and bbox[0] <= i["bbox"][2]
                and i["bbox"][1] <= bbox[3] and bbox[1] <= i["bbox"][3]}

    de = next(i for i in items if i["properties"]["grid:code"] == "MGRS-13TDE")
    assert de["bbox"][0] < -105.9 and de["bbox"][2] > -105.3
    assert covering((-105.9, 40.1, -105.3, 40.6)) == {"MGRS-13TDE"}
    assert covering((-105.25, 40.15, -104.6, 40.55)) == {"MGRS-13TDE", "MGRS-13TEE"}


def test_collection_keeps_item_assets_and_covers_items(items: list[dict], tmp_path: pathlib.Path) -> None:
    collection = datagen.make_collection(API_BASE, items=items)
    recorded = json.loads((datagen.FIXTURES / "earth-search" / "collection_sentinel-2-l2a.json").read_text())
    assert collection["item_assets"] == recorded["item_assets"]
    assert all("earth-search" not in link["href"] for link in collection["links"] if link["rel"] in ("self", "root", "items"))
    west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
    assert all(west <= i["bbox"][0] and east >= i["bbox"][2] and south <= i["bbox"][1] and north >= i["bbox"][3] for i in items)
    start, end = collection["extent"]["temporal"]["interval"][0]
    assert start <= min(i["properties"]["datetime"] for i in items) and end >= max(i["properties"]["datetime"] for i in items)
    path = datagen.write_item_collection(items, tmp_path / "items.geojson")
    document = json.loads(path.read_text())
    assert document["type"] == "FeatureCollection" and len(document["features"]) == len(items)


def _check_cog(path: pathlib.Path, asset: dict, block: int, overviews: list[int], ovr_block: int) -> None:
    from osgeo_utils.samples import validate_cloud_optimized_geotiff

    errors, _warnings, _details = validate_cloud_optimized_geotiff.validate(str(path), full_check=True)
    assert errors == [], errors
    with rasterio.open(path) as src:
        assert list(src.shape) == asset["proj:shape"]
        assert list(src.transform)[:6] == asset["proj:transform"]
        assert src.crs.to_epsg() == 32613
        assert set(src.block_shapes) == {(block, block)}
        assert src.overviews(1) == overviews
        assert src.nodatavals == (0,) * src.count
        structure = src.tags(ns="IMAGE_STRUCTURE")
        assert (structure["COMPRESSION"], structure["PREDICTOR"]) == ("DEFLATE", "2")
        if src.count > 1:
            assert structure["INTERLEAVE"] == "PIXEL"
        dtypes = [b["data_type"] for b in asset.get("raster:bands", [])] or ["uint8"] * 3
        assert list(src.dtypes) == dtypes
    from osgeo import gdal

    dataset = gdal.Open(str(path))
    band = dataset.GetRasterBand(1)
    assert {tuple(band.GetOverview(i).GetBlockSize()) for i in range(band.GetOverviewCount())} == {(ovr_block, ovr_block)}


def test_small_cogs_have_the_stated_layout(small: pathlib.Path, items: list[dict]) -> None:
    item = items[0]
    for key, asset in item["assets"].items():
        path = _path(small, asset["href"])
        if key == "thumbnail":
            assert path.read_bytes()[:2] == b"\xff\xd8"
            continue
        assert asset["proj:shape"] == [1830, 1830] and asset["proj:transform"][0] == 60
        _check_cog(path, asset, 256, [2, 4], 128)


def test_tiles_agree_in_their_overlap(small: pathlib.Path, items: list[dict]) -> None:
    by_id = _by_id(items)
    for date in ("20240514", "20240718"):
        de = by_id[f"S2B_13TDE_{date}_0_L2A" if date == "20240514" else f"S2A_13TDE_{date}_0_L2A"]
        ee = by_id[de["id"].replace("13TDE", "13TEE")]
        bounds = (499980, 4390200, 509760, 4500000)  # the shared 9780 m strip
        reads = []
        for item in (de, ee):
            with rasterio.open(_path(small, item["assets"]["visual"]["href"])) as src:
                window = from_bounds(*bounds, transform=src.transform)
                reads.append((src.read(window=window), src.read(window=window, out_shape=(3, 458, 82))))
        assert reads[0][0].shape[1:] == (1830, 163)
        assert np.array_equal(reads[0][0], reads[1][0])  # full resolution: the same pixels
        overview_diff = np.abs(reads[0][1].astype(int) - reads[1][1].astype(int))
        # The two tiles' overview grids are offset by half a pixel: close, not equal.
        assert overview_diff.mean() < 6
        assert np.corrcoef(reads[0][1].ravel(), reads[1][1].ravel())[0, 1] > 0.95
        assert reads[0][0].std() > 10  # a picture, not a flat fill


def test_nodata_wedge_on_13tee_orbit_edge(small: pathlib.Path, items: list[dict]) -> None:
    for item in items:
        props = item["properties"]
        with rasterio.open(_path(small, item["assets"]["visual"]["href"])) as src:
            visual = src.read()
        with rasterio.open(_path(small, item["assets"]["red"]["href"])) as src:
            red = src.read(1)
        empty = (visual == 0).all(axis=0)
        assert ((visual == 0).any(axis=0) == empty).all()  # valid pixels are never 0 in any band
        assert np.array_equal(empty, red == 0)
        wedge = props["grid:code"] == "MGRS-13TEE" and props["datetime"][:10] in ("2024-06-23", "2024-09-16")
        if wedge:
            assert empty[:, -1].all() and not empty[:, 0].any()
            assert empty[0].sum() > empty[-1].sum() > 0  # diagonal: wider at the top
            assert 25 < props["s2:nodata_pixel_percentage"] < 45
            assert len(item["geometry"]["coordinates"][0]) == 5
        else:
            assert not empty.any() and props["s2:nodata_pixel_percentage"] == 0


def test_clouds_match_cloud_cover(small: pathlib.Path, items: list[dict]) -> None:
    for item in items:
        with rasterio.open(_path(small, item["assets"]["scl"]["href"])) as src:
            scl = src.read(1)
        with rasterio.open(_path(small, item["assets"]["visual"]["href"])) as src:
            visual = src.read()
        valid = scl > 0
        cloud = np.isin(scl, (8, 9))
        assert abs(cloud[valid].mean() * 100 - item["properties"]["eo:cloud_cover"]) < 0.01
        assert set(np.unique(scl)) <= {0, 3, 4, 5, 6, 8, 9, 11}
        brightness = visual.mean(axis=0)
        high = scl == 9
        clear_vegetation = scl == 4
        if high.sum() > 100:
            assert brightness[high].mean() > 200
        if clear_vegetation.sum() > 100:
            assert brightness[clear_vegetation].mean() < 110


@pytest.mark.slow
def test_full_size_layout() -> None:
    dataset = datagen.build_dataset(datagen.DEFAULT_CACHE, "full")
    items = datagen.make_items(dataset, COG_BASE, API_BASE)
    item = next(i for i in items if i["id"] == "S2B_13TEE_20240623_0_L2A")
    expected = {"visual": (1024, [2, 4, 8, 16], 512), "red": (1024, [2, 4, 8, 16], 512),
                "scl": (512, [2, 4, 8, 16], 256), "aot": (256, [2, 4, 8, 16, 32], 128)}
    for key, (block, overviews, ovr_block) in expected.items():
        asset = item["assets"][key]
        size = 10980 if block == 1024 else 5490
        assert asset["proj:shape"] == [size, size]
        assert asset["proj:transform"] == [109800 / size, 0, 499980, 0, -109800 / size, 4500000]
        _check_cog(_path(dataset, asset["href"]), asset, block, overviews, ovr_block)
