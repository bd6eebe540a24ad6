"""Broken image servers and broken images: each ends in one clear ReadError, bounded in time and bytes."""
from __future__ import annotations

import time

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine

from stac_quicklook_plugin.core.errors import ReadError
from stac_quicklook_plugin.core.raster.read import plan_grid, read_to_grid
from stac_quicklook_plugin.core.raster.remote import RemoteFile
from tests.harness.servers import CogServer

pytestmark = pytest.mark.usefixtures("reader")  # every test on both read backends

SMALL_BBOX = (-105.75, 40.3, -105.6, 40.4)


@pytest.fixture(scope="module")
def tci_relpath(testdata_small, cog_server):
    tci = sorted((testdata_small / "cogs").rglob("TCI.tif"))[0]  # sorted: rglob order differs by Python
    return tci.relative_to(cog_server.root).as_posix(), tci


def grid(width=64):
    return plan_grid(SMALL_BBOX, "EPSG:32613", width)


def read(url):
    return read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid())


@pytest.mark.parametrize("mode,words", [
    ("403", "HTTP 403, access denied"),
    ("404", "HTTP 404, the file does not exist"),
    ("500", "HTTP 500"),
    ("html", "not a readable GeoTIFF"),
])
def test_http_faults_are_read_errors_that_say_what_happened(cog_server, tci_relpath, mode, words):
    url = cog_server.fault_url(mode, tci_relpath[0])
    with pytest.raises(ReadError) as err:
        read(url)
    assert words in str(err.value) and "127.0.0.1" in str(err.value)


def test_truncated_file_is_a_read_error(cog_server, tci_relpath):
    # Full-resolution tiles near the bottom of the tile lie in the missing second half of the file.
    url = cog_server.fault_url("truncated", tci_relpath[0])
    with pytest.raises(ReadError):
        read_to_grid(RemoteFile(url, "/vsicurl/" + url), plan_grid((-105.9, 39.7, -105.85, 39.75), "EPSG:32613", 512))


def test_server_ignoring_range_is_not_downloaded_whole(testdata_full, cog_server, tmp_path):
    # Full size (108 MB): GDAL sees a 200 where it asked for a range and hangs up.
    tci = sorted((testdata_full / "cogs").rglob("TCI.tif"))[0]
    size = tci.stat().st_size
    with CogServer(cog_server.root, tmp_path / "log.jsonl") as server:
        url = server.fault_url("ignore-range", tci.relative_to(cog_server.root).as_posix())
        with pytest.raises(ReadError, match="does not support HTTP range requests"):
            read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid())
        deadline = time.monotonic() + 5  # the server logs once its send fails on the closed connection
        while len(log := server.requests()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    sent = sum(r["bytes"] for r in log)
    assert sent < size / 10, (sent, size)


def test_slow_trickle_is_bounded_by_the_read_timeouts(cog_server, testdata_small, tmp_path):
    # A server of its own: GDAL keeps HTTP connections (and their settings) per host across reads.
    other = sorted(p for p in (testdata_small / "cogs").rglob("B08.tif") if "/T/DE/" in p.as_posix())[-1]
    with CogServer(cog_server.root, tmp_path / "log.jsonl") as server:
        url = server.fault_url("trickle", other.relative_to(cog_server.root).as_posix())
        start = time.monotonic()
        with pytest.raises(ReadError):
            read_to_grid(RemoteFile(url, "/vsicurl/" + url, {"GDAL_HTTP_TIMEOUT": "2", "GDAL_HTTP_MAX_RETRY": "0"},
                                    timeout=2.0), grid())
        assert time.monotonic() - start < 60  # a guard against a hang, not a timing measurement


def _write(path, width, height, crs="EPSG:32613", overviews=True, sparse=False):
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8", nodata=0, tiled=True,
                   blockxsize=256, blockysize=256, compress="deflate",
                   transform=Affine(10, 0, 399960, 0, -10, 4500000))
    if crs:
        profile["crs"] = crs
    if sparse:
        profile.update(sparse_ok=True, bigtiff="YES")
    with rasterio.open(path, "w", **profile) as ds:
        if not sparse:
            ds.write(np.full((1, height, width), 7, np.uint8))
        if overviews:
            ds.build_overviews([2, 4])


def test_tiff_without_crs_is_refused(tmp_path):
    path = tmp_path / "nocrs.tif"
    _write(path, 512, 512, crs=None)
    with pytest.raises(ReadError, match="no CRS"):
        read_to_grid(RemoteFile(str(path), str(path)), grid())


def test_absurd_dimensions_without_usable_overviews_are_refused_not_read(tmp_path):
    path = tmp_path / "huge.tif"
    _write(path, 1_000_000, 1_000_000, overviews=False, sparse=True)
    start = time.monotonic()
    with pytest.raises(ReadError, match="million pixels"):
        read_to_grid(RemoteFile(str(path), str(path)), plan_grid((-105.9, 36.0, -100.0, 40.6), "EPSG:32613", 256))
    assert time.monotonic() - start < 30


def test_tiff_without_overviews_is_read_by_decimation_when_small_enough(tmp_path):
    path = tmp_path / "noovr.tif"
    _write(path, 2048, 2048, overviews=False)  # covers x 399960..420440, y 4479520..4500000
    g = plan_grid((-106.15, 40.5, -106.0, 40.6), "EPSG:32613", 64)
    result = read_to_grid(RemoteFile(str(path), str(path)), g)
    assert result.overview_factor == 1 and result.valid.any() and set(np.unique(result.array[:, result.valid])) == {7}
