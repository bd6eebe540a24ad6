"""The two read backends agree: the same request through rasterio and through osgeo.gdal gives the same
grid, the same mask, the same pixels (within 1 DN where pixels are averaged, identical for nearest) and the
same requests to the COG server."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from osgeo import gdal

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import MissingDependency
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.raster import backend as backend_module
from stac_quicklook_plugin.core.raster.backend import BACKEND_ENV, backend_name
from stac_quicklook_plugin.core.raster.remote import RemoteFile
from stac_quicklook_plugin.core.stac import client as stac

SEED_BBOX = (-105.9, 40.1, -105.3, 40.6)
SMALL_BBOX = (-105.75, 40.3, -105.6, 40.4)
TWO_TILE_BBOX = (-105.25, 40.15, -104.6, 40.55)
ALL_DATES = "2000-01-01/2030-12-31"

CASES = {
    # name: (request overrides, exact?)  exact = nearest resampling: identical pixels
    "visual-same-crs": (dict(bbox_wgs84=SMALL_BBOX, width=120), False),
    "visual-seed-view": (dict(bbox_wgs84=SEED_BBOX, width=400), False),
    "scl-nearest": (dict(bbox_wgs84=SMALL_BBOX, width=90, asset_key="scl"), True),
    "bands-rgb-uint16": (dict(bbox_wgs84=SMALL_BBOX, width=100, asset_key="red,green,blue"), False),
    "visual-web-mercator": (dict(bbox_wgs84=SMALL_BBOX, width=100, dst_crs="EPSG:3857"), False),
    "scl-web-mercator": (dict(bbox_wgs84=SMALL_BBOX, width=80, asset_key="scl", dst_crs="EPSG:3857"), True),
    "two-tile-mosaic": (dict(bbox_wgs84=TWO_TILE_BBOX, width=300), False),
}


def _run(monkeypatch, cog_server, url: str, reader: str, **overrides):
    """One cold quicklook (no GDAL or API cache) on ``reader``; returns it and the COG server's log."""
    monkeypatch.setenv(BACKEND_ENV, reader)
    gdal.VSICurlClearCache()  # rasterio here shares QGIS's libgdal, so one cache serves both backends
    stac.clear_api_cache()
    cog_server.clear_log()
    # rank="scene": one read per file, in a fixed order, so the two request logs are comparable (ranking by
    # the view reads scene classifications concurrently, whose interleaving varies from run to run).
    req = dict(bbox_wgs84=SMALL_BBOX, stac_api=url, datetime_range=ALL_DATES, cloud_cover_max=20.0, width=100,
               rank="scene")
    req.update(overrides)
    ql = quicklook(QuicklookRequest(**req))
    return ql, cog_server.requests()


@pytest.mark.parametrize("case", list(CASES))
def test_both_backends_give_the_same_quicklook(monkeypatch, stac_server, cog_server, case):
    overrides, exact = CASES[case]
    ql_r, log_r = _run(monkeypatch, cog_server, stac_server.url, "rasterio", **overrides)
    ql_g, log_g = _run(monkeypatch, cog_server, stac_server.url, "gdal", **overrides)

    assert ql_g.array.shape == ql_r.array.shape and ql_g.array.dtype == ql_r.array.dtype
    assert ql_g.transform == pytest.approx(ql_r.transform, rel=1e-12, abs=1e-9)
    assert ql_g.bounds == pytest.approx(ql_r.bounds, rel=1e-12, abs=1e-9)
    assert ql_g.crs_epsg == ql_r.crs_epsg and ql_g.crs_epsg is not None
    assert [i.id for i in ql_g.items] == [i.id for i in ql_r.items]
    assert ql_g.nodata == ql_r.nodata and ql_g.meta["overview_factor"] == ql_r.meta["overview_factor"]
    assert np.array_equal(ql_g.mask, ql_r.mask)
    assert ql_r.mask.mean() > 0.5  # a real comparison, not of two empty images
    diff = np.abs(ql_g.array.astype(np.int64) - ql_r.array.astype(np.int64))
    if exact:
        assert diff.max() == 0
    else:
        assert diff.max() <= 1, f"max |diff| {diff.max()} DN"

    # The same requests: counts and bytes within a small margin (GDAL's own retry/merge decisions).
    bytes_r, bytes_g = sum(r["bytes"] for r in log_r), sum(r["bytes"] for r in log_g)
    assert abs(len(log_g) - len(log_r)) <= 1, (len(log_r), len(log_g))
    assert abs(bytes_g - bytes_r) <= 0.05 * bytes_r + 16384, (bytes_r, bytes_g)


def test_gdal_backend_writes_the_same_geotiff(monkeypatch, stac_server, cog_server, tmp_path):
    from stac_quicklook_plugin.core.engine.render import write_geotiff

    ql, _ = _run(monkeypatch, cog_server, stac_server.url, "gdal", bbox_wgs84=SMALL_BBOX, width=300)
    path = write_geotiff(ql, tmp_path / "q.tif")
    ds = gdal.Open(str(path))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (ql.width, ql.height, 3)
    assert ds.GetGeoTransform() == pytest.approx(ql.gdal_geotransform)
    assert ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE") == "DEFLATE"
    assert ds.GetMetadataItem("STAC_ITEMS") == ",".join(i.id for i in ql.items)
    assert np.array_equal(ds.ReadAsArray(), ql.array)
    if ql.nodata is not None:
        assert ds.GetRasterBand(1).GetNoDataValue() == ql.nodata


def test_gdal_backend_masks_without_nodata(monkeypatch, tmp_path):
    """A file with an internal mask and no nodata: the mask decides, on both backends alike."""
    from stac_quicklook_plugin.core.raster.read import plan_grid, read_to_grid, source_crs

    path = str(tmp_path / "masked.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 1024, 1024, 3, gdal.GDT_Byte, ["TILED=YES"])
    ds.SetGeoTransform((399960, 60, 0, 4500000, 0, -60))
    ds.SetProjection(_utm13())
    for i in range(3):
        ds.GetRasterBand(i + 1).Fill(90)
    ds.CreateMaskBand(gdal.GMF_PER_DATASET)
    mask = np.zeros((1024, 1024), np.uint8)
    mask[:, :512] = 255
    ds.GetRasterBand(1).GetMaskBand().WriteArray(mask)
    ds = None
    bbox = (-105.75, 40.3, -105.6, 40.4)
    results = {}
    for reader in ("rasterio", "gdal"):
        monkeypatch.setenv(BACKEND_ENV, reader)
        crs = source_crs(RemoteFile(path, path))
        results[reader] = read_to_grid(RemoteFile(path, path), plan_grid(bbox, crs, 128))
    assert np.array_equal(results["gdal"].valid, results["rasterio"].valid)
    assert np.array_equal(results["gdal"].array, results["rasterio"].array)


def _utm13() -> str:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32613)
    return srs.ExportToWkt()


@pytest.mark.parametrize("reader", ["rasterio", "gdal"])
def test_a_damaged_file_gives_the_same_message_on_both_backends(monkeypatch, stac_server, cog_server, reader):
    from stac_quicklook_plugin.core.errors import ReadError
    from stac_quicklook_plugin.core.raster.read import plan_grid, read_to_grid

    monkeypatch.setenv(BACKEND_ENV, reader)
    gdal.VSICurlClearCache()
    href = stac_server.items[0]["assets"]["visual"]["href"]
    rel = href.split(cog_server.url + "/", 1)[1]
    grid = plan_grid(SMALL_BBOX, "EPSG:32613", 64)
    with pytest.raises(ReadError, match="HTTP 404, the file does not exist"):
        read_to_grid(RemoteFile(href, "/vsicurl/" + cog_server.fault_url("404", rel)), grid)
    with pytest.raises(ReadError, match="is not a readable GeoTIFF"):
        read_to_grid(RemoteFile(href, "/vsicurl/" + cog_server.fault_url("html", rel)), grid)


def test_backend_is_chosen_automatically_and_can_be_forced(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert backend_name() == "rasterio"  # importable here
    monkeypatch.setenv(BACKEND_ENV, "gdal")
    assert backend_name() == "gdal"
    monkeypatch.setenv(BACKEND_ENV, "pillow")
    with pytest.raises(MissingDependency, match="not a read backend"):
        backend_name()


def test_without_rasterio_the_gdal_backend_is_chosen_and_quicklooks(stac_server, tmp_path):
    """A fresh interpreter where ``import rasterio`` fails (as in a stock Windows or macOS QGIS)."""
    out = tmp_path / "q.tif"
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'rasterio' or name.startswith('rasterio.'):\n"
        "            raise ImportError('rasterio is hidden for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from stac_quicklook_plugin.core.raster.backend import backend_name\n"
        "print(backend_name())\n"
        "from stac_quicklook_plugin.__main__ import main\n"
        f"rc = main(['--bbox', *map(str, {SMALL_BBOX!r}), '--datetime', '{ALL_DATES}', '--stac-api',"
        f" '{stac_server.url}', '--width', '100', '--out', r'{out}', '--quiet'])\n"
        "assert 'rasterio' not in sys.modules, 'rasterio was imported'\n"
        "sys.exit(rc)\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != BACKEND_ENV}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "gdal"
    ds = gdal.Open(str(out))
    assert ds.RasterCount == 3 and ds.RasterXSize == 100
    assert ds.ReadAsArray().mean() > 10  # real pixels, not an empty image


def test_no_reader_at_all_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    monkeypatch.setattr(backend_module, "_importable", lambda name: False)
    with pytest.raises(MissingDependency, match="Every QGIS ships osgeo.gdal"):
        backend_name()
