"""The engine end to end against the real STAC server and the Range-logging COG server."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
from osgeo import gdal
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.transform import Affine
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds

from stac_quicklook_plugin.core import stream_stac_quicklook
from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import Cancelled
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.raster.remote import RemoteFile
from stac_quicklook_plugin.core.stac import client as stac

pytestmark = pytest.mark.usefixtures("reader")  # every test on both read backends

SEED_BBOX = (-105.9, 40.1, -105.3, 40.6)
SMALL_BBOX = (-105.75, 40.3, -105.6, 40.4)  # a ~13 x 11 km view inside 13TDE
TWO_TILE_BBOX = (-105.25, 40.15, -104.6, 40.55)  # needs 13TDE and 13TEE
ALL_DATES = "2000-01-01/2030-12-31"


@pytest.fixture(autouse=True)
def _fresh_api_cache():
    stac.clear_api_cache()


def run(url, **kw):
    base = dict(bbox_wgs84=SEED_BBOX, stac_api=url, datetime_range=ALL_DATES, cloud_cover_max=20.0, width=400)
    base.update(kw)
    return quicklook(QuicklookRequest(**base))


def test_quicklook_is_georeferenced_rgb_of_the_bbox(stac_server):
    ql = run(stac_server.url)
    assert ql.count == 3 and ql.array.dtype == np.uint8 and ql.width == 400
    assert ql.crs_epsg == 32613 and ql.asset_key == "visual"
    left, bottom, right, top = transform_bounds("EPSG:4326", "EPSG:32613", *SEED_BBOX, densify_pts=21)
    bl, bb, br, bt = ql.bounds
    res = ql.transform[0]
    assert bl == pytest.approx(left) and bt == pytest.approx(top)
    assert br == pytest.approx(right) and bb <= bottom and bottom - bb < res
    assert ql.items[0].cloud_cover <= 20
    assert ql.meta["chosen_asset_key"] == "visual" and ql.meta["item_id"] == ql.items[0].id
    assert ql.meta["vsi_href"].startswith("/vsicurl/http://127.0.0.1")
    assert ql.mask.mean() > 0.95


def test_pixels_match_a_full_resolution_read_averaged_to_the_same_grid(stac_server):
    ql = run(stac_server.url, bbox_wgs84=SMALL_BBOX, width=50)
    assert ql.meta["overview_factor"] > 1  # the read used an overview...
    href = "/vsicurl/" + ql.hrefs[0]
    with rasterio.open(href) as src:  # ...the reference uses only full-resolution pixels
        with WarpedVRT(src, crs=CRS.from_wkt(ql.crs), transform=Affine(*ql.transform), width=ql.width,
                       height=ql.height, resampling=Resampling.average, src_nodata=0, nodata=0) as vrt:
            ref = vrt.read()
    both = ql.mask & (ref != 0).any(axis=0)
    ours, theirs = ql.array[:, both].astype(float), ref[:, both].astype(float)
    diff = np.abs(ours - theirs)
    # Tolerance: the overview is an average of averages on a grid that does not line up with the output
    # grid, so each output pixel mixes overview pixels a little differently from the full-resolution
    # average. Measured on the generated landscape: mean |diff| 4.2 DN for a reference std of 66 DN.
    assert both.mean() > 0.95
    assert diff.mean() < 0.08 * theirs.std(), (diff.mean(), theirs.std())
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.97


def test_small_view_fetches_only_the_overview_tiles_it_needs(stac_server, cog_server):
    cog_server.clear_log()
    ql = run(stac_server.url, bbox_wgs84=SMALL_BBOX, width=50)
    path = ql.hrefs[0].split("127.0.0.1", 1)[1].split("/", 1)[1]
    log = [r for r in cog_server.requests() if r["path"].endswith(path.split("/")[-1])]
    assert log, "no COG request logged"
    factor = ql.meta["overview_factor"]
    ds = gdal.Open("/vsicurl/" + ql.hrefs[0])
    band = ds.GetRasterBand(1)
    level = [round(ds.RasterXSize / band.GetOverview(i).XSize) for i in range(band.GetOverviewCount())].index(factor)
    ovr = band.GetOverview(level)
    bx, by = ovr.GetBlockSize()
    nx, ny = -(-ovr.XSize // bx), -(-ovr.YSize // by)
    tiles = {}
    for ty in range(ny):
        for tx in range(nx):
            off = int(ovr.GetMetadataItem(f"BLOCK_OFFSET_{tx}_{ty}", "TIFF") or 0)
            size = int(ovr.GetMetadataItem(f"BLOCK_SIZE_{tx}_{ty}", "TIFF") or 0)
            tiles[(tx, ty)] = (off, off + size)
    gt = ds.GetGeoTransform()
    res = gt[1] * factor
    left, bottom, right, top = ql.bounds
    c0, c1 = int((left - gt[0]) // res), int((right - gt[0]) // res)
    r0, r1 = int((gt[3] - top) // res), int((gt[3] - bottom) // res)
    needed = {(tx, ty) for (tx, ty) in tiles if tx * bx <= c1 + 1 and (tx + 1) * bx >= c0 - 1
              and ty * by <= r1 + 1 and (ty + 1) * by >= r0 - 1}
    first_tile = min(o for o, _ in tiles.values())
    fetched_tiles = set()
    for r in log:
        if not r.get("range"):
            continue
        start, end = (int(v) for v in r["range"].split("=")[1].split("-"))
        if start == 0:
            continue  # the header read (32 KB, as GDAL's): what follows the header comes with it
        for key, (o, e) in tiles.items():
            if o < end + 1 and e > start and o >= first_tile:
                fetched_tiles.add(key)
    data_ranges = [r for r in log if r.get("range") and int(r["range"].split("=")[1].split("-")[1]) > 65536]
    assert fetched_tiles <= needed, (fetched_tiles, needed)
    assert len(needed) < len(tiles)
    assert sum(r["bytes"] for r in log) < 2 * (sum(e - o for o, e in (tiles[k] for k in needed)) + 65536)
    assert len(data_ranges) <= len(needed)


def test_mosaic_across_two_mgrs_tiles_uses_both_tiles_of_the_same_day(stac_server):
    ql = run(stac_server.url, bbox_wgs84=TWO_TILE_BBOX, width=500)
    tiles = {i.id.split("_")[1] for i in ql.items}
    assert tiles == {"13TDE", "13TEE"}
    assert len({i.datetime[:10] for i in ql.items}) == 1
    assert ql.mask.mean() > 0.97


def test_rgb_composed_from_three_band_assets(stac_server):
    ql = run(stac_server.url, bbox_wgs84=SMALL_BBOX, width=100, asset_key="red,green,blue")
    # reflectance assets (raster:bands scale/offset): stretched in reflectance to uint8, 0 = no data
    assert ql.count == 3 and ql.array.dtype == np.uint8 and ql.asset_key == "red,green,blue"
    assert ql.reflectance is not None and ql.reflectance.dtype == np.float32
    assert ql.meta["reflectance"]["range"] == [0.0, 0.3]
    assert len(ql.hrefs) == 3


def test_dst_crs_is_honoured(stac_server):
    ql = run(stac_server.url, bbox_wgs84=SMALL_BBOX, width=100, dst_crs="EPSG:3857")
    assert ql.crs_epsg == 3857
    left, bottom, right, top = transform_bounds("EPSG:4326", "EPSG:3857", *SMALL_BBOX)
    assert ql.bounds[0] == pytest.approx(left) and ql.bounds[3] == pytest.approx(top)


def test_cancel_stops_with_cancelled(stac_server):
    calls = []

    def is_cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        quicklook(QuicklookRequest(bbox_wgs84=SEED_BBOX, stac_api=stac_server.url, datetime_range=ALL_DATES),
                  is_cancelled=is_cancelled)


def test_seed_example_runs_through_stream_stac_quicklook(stac_server):
    arr, meta, fig = stream_stac_quicklook(stac_server.url, "sentinel-2-l2a", ALL_DATES,
                                           bbox=list(SEED_BBOX), cloud_lt=20, overview_level=2)
    assert arr.ndim == 3 and arr.shape[0] == 3
    for key in ("chosen_asset_key", "href", "vsi_href", "item_id"):
        assert meta[key]
    assert fig.axes[0].get_title() == f"sentinel-2-l2a • visual • {meta['item_id']}"


def test_cli_writes_geotiff_png_and_json(stac_server, tmp_path):
    out, png = tmp_path / "q.tif", tmp_path / "q.png"
    proc = subprocess.run([sys.executable, "-m", "stac_quicklook_plugin", "--bbox", *map(str, SEED_BBOX),
                           "--datetime", ALL_DATES, "--stac-api", stac_server.url, "--width", "300",
                           "--out", str(out), "--png", str(png), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["width"] == 300 and doc["count"] == 3 and doc["crs"] == "EPSG:32613" and doc["strategy"]
    assert doc["items"][0]["eo:cloud_cover"] <= 20
    assert "Searching" in proc.stderr
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 32613 and ds.count == 3 and ds.width == 300
        assert ds.transform.c == pytest.approx(doc["bounds"][0])
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("args,code", [
    (["--bbox", "10", "50", "9", "51"], 2),
    (["--bbox", "10", "50", "11", "51", "--cloud-lt", "120"], 2),
    (["--bbox", "10", "50", "11", "51", "--stac-api", "file:///etc"], 2),
    (["--bbox", "-105.9", "40.1", "-105.3", "40.6", "--datetime", "1990-01-01/1990-02-01"], 3),
])
def test_cli_exit_codes(stac_server, tmp_path, args, code):
    argv = [sys.executable, "-m", "stac_quicklook_plugin", "--out", str(tmp_path / "x.tif")]
    if "--stac-api" not in args:
        argv += ["--stac-api", stac_server.url]
    proc = subprocess.run(argv + args, capture_output=True, text=True, timeout=60)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip()


def test_a_spare_scene_that_fails_never_aborts_the_quicklook(stac_server, cog_server):
    from stac_quicklook_plugin.core.engine.plan import ReadPlan
    from stac_quicklook_plugin.core.engine.reads import read_scenes
    from stac_quicklook_plugin.core.engine.run import open_run
    from stac_quicklook_plugin.core.models import QuicklookRequest as Req
    from stac_quicklook_plugin.core.raster.read import plan_grid
    from stac_quicklook_plugin.core.stac.assets import AssetChoice

    broken = []
    for item in stac_server.items[:2]:
        item = json.loads(json.dumps(item))
        rel = item["assets"]["visual"]["href"].split(cog_server.url + "/", 1)[1]
        item["assets"]["visual"]["href"] = cog_server.fault_url("404", rel)
        broken.append(item)
    grid = plan_grid(SMALL_BBOX, "EPSG:32613", 64)
    plan = ReadPlan(broken[0], AssetChoice(("visual",), "visual"), grid, broken, [], "average")
    with open_run(Req(bbox_wgs84=SMALL_BBOX, stac_api=stac_server.url)) as run:
        assert read_scenes(run, plan, broken, required=False) == []
        with pytest.raises(Exception, match="HTTP 404"):
            read_scenes(run, plan, broken)


def test_internal_mask_without_nodata_marks_invalid_pixels(tmp_path):
    from stac_quicklook_plugin.core.raster.read import plan_grid, read_to_grid

    path = tmp_path / "masked.tif"
    data = np.full((3, 1024, 1024), 90, np.uint8)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        with rasterio.open(path, "w", driver="GTiff", width=1024, height=1024, count=3, dtype="uint8",
                           crs="EPSG:32613", transform=Affine(60, 0, 399960, 0, -60, 4500000), tiled=True) as ds:
            ds.write(data)
            mask = np.zeros((1024, 1024), np.uint8)
            mask[:, :512] = 255  # west half is data
            ds.write_mask(mask)
    with rasterio.open(path) as ds:
        left, bottom, right, top = ds.bounds
    bbox = transform_bounds("EPSG:32613", "EPSG:4326", left + 6000, bottom + 6000, right - 6000, top - 6000)
    result = read_to_grid(RemoteFile(str(path), str(path)), plan_grid(bbox, "EPSG:32613", 128))
    assert 0.3 < result.valid.mean() < 0.7
    assert result.valid[:, :10].all() and not result.valid[:, -10:].any()


def test_cli_refuses_an_output_that_is_a_folder_before_any_request(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "stac_quicklook_plugin", "--bbox", *map(str, SEED_BBOX),
                           "--stac-api", "http://127.0.0.1:9", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is a folder" in proc.stderr
