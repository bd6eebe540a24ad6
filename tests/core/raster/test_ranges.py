"""The engine's own range reads (core/ranges.py, core/tiff_index.py): a file's size and header in one GET,
then only the view's tiles, no HEAD; the same pixels as GDAL's own /vsicurl/ reads; a repeat fetches
nothing; anything the engine cannot place is read through GDAL, correctly."""
from __future__ import annotations

import shutil
import struct
import time
import uuid

import numpy as np
import pytest
import rasterio
import rasterio.warp
from rasterio.transform import Affine

from stac_quicklook_plugin.core.raster import ranges, sparse, tiff_index
from stac_quicklook_plugin.core.raster.read import plan_grid, read_to_grid, source_crs
from stac_quicklook_plugin.core.raster.remote import RemoteFile

pytestmark = pytest.mark.usefixtures("reader")  # every test on both read backends

VIEW = (-105.75, 40.3, -105.6, 40.4)


def _tile_of(testdata, name="TCI.tif"):
    return sorted((testdata / "cogs").rglob(name))[0]


def _url(server, path):
    return f"{server.url}/{path.relative_to(server.root).as_posix()}"


def _log(server, path):
    time.sleep(0.1)  # the server logs a request once it has sent the answer
    wanted = path.relative_to(server.root).as_posix()
    return sorted((r for r in server.requests() if r["path"].endswith(wanted)), key=lambda r: r["t_start"])


def _vsimem_files():
    from osgeo import gdal

    return set(gdal.ReadDirRecursive("/vsimem/") or [])


def test_a_cold_read_is_one_header_get_then_the_tiles_and_no_head(cog_server, testdata_small):
    path = _tile_of(testdata_small)
    url = _url(cog_server, path)
    cog_server.clear_log()
    read_to_grid(RemoteFile(url, "/vsicurl/" + url), plan_grid(VIEW, "EPSG:32613", 128))
    log = _log(cog_server, path)
    assert [r["method"] for r in log] == ["GET"] * len(log)  # no HEAD: the size came with the header
    assert log[0]["range"] == f"bytes=0-{ranges.HEAD_BYTES - 1}"
    assert 2 <= len(log) <= 5, log  # the header, then the view's tiles (merged where they touch)
    # The tiles are asked for only once the header has arrived: two round trips in all.
    assert all(r["t_start"] >= log[0]["t_end"] - 0.01 for r in log[1:]), log


def test_the_same_pixels_as_gdals_own_reads_and_a_repeat_fetches_nothing(cog_server, testdata_small,
                                                                          monkeypatch):
    path = _tile_of(testdata_small)
    url = _url(cog_server, path)
    grid = plan_grid(VIEW, "EPSG:32613", 200)
    before = _vsimem_files()
    ours = read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid)
    cog_server.clear_log()
    again = read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid)
    assert _log(cog_server, path) == []  # size, header and tiles all remembered
    assert _vsimem_files() == before  # the sparse files and their blobs are gone after each read
    monkeypatch.setenv(ranges.RANGES_ENV, "gdal")
    gdals = read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid)
    for other in (again, gdals):
        assert np.array_equal(ours.array, other.array) and np.array_equal(ours.valid, other.valid)
    assert ours.valid.mean() > 0.9


def test_a_header_read_alone_serves_the_next_read(cog_server, testdata_small):
    path = _tile_of(testdata_small, "B04.tif")
    url = _url(cog_server, path)
    cog_server.clear_log()
    assert "32613" in source_crs(RemoteFile(url, "/vsicurl/" + url)) or "UTM zone 13N" in source_crs(RemoteFile(url, "/vsicurl/" + url))
    assert len(_log(cog_server, path)) == 1
    cog_server.clear_log()
    read_to_grid(RemoteFile(url, "/vsicurl/" + url), plan_grid(VIEW, "EPSG:32613", 64))
    assert all(r["range"] != f"bytes=0-{ranges.HEAD_BYTES - 1}" for r in _log(cog_server, path))


def test_another_crs_is_warped_from_tiles_fetched_ahead(cog_server, testdata_small, monkeypatch):
    path = _tile_of(testdata_small)
    url = _url(cog_server, path)
    grid = plan_grid(VIEW, "EPSG:3857", 96)
    cog_server.clear_log()
    ours = read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid)
    assert not any(r["method"] == "HEAD" for r in _log(cog_server, path))
    ranges.clear()
    monkeypatch.setenv(ranges.RANGES_ENV, "gdal")
    gdals = read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid)
    assert np.array_equal(ours.array, gdals.array)


def _tiled_file(cog_server, request, name, tile):
    """A 2048 x 2048 px uint8 GeoTIFF with ``tile``-pixel tiles, in a folder of this run's own (the test data
    folder is shared by concurrent runs, e.g. the matrix's roots), removed afterwards."""
    root = cog_server.root / "ranges-test" / uuid.uuid4().hex
    root.mkdir(parents=True)
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    path = root / name
    data = (np.arange(2048 * 2048, dtype=np.uint32) % 251 + 1).astype(np.uint8).reshape(2048, 2048)
    profile = dict(driver="GTiff", width=2048, height=2048, count=1, dtype="uint8", nodata=0, tiled=True,
                   blockxsize=tile, blockysize=tile, compress="deflate", crs="EPSG:32613",
                   transform=Affine(10, 0, 399960, 0, -10, 4500000))
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)
    return path


def test_a_file_whose_tile_index_lies_past_the_first_bytes_is_read_through_gdal(cog_server, request):
    # 16 x 16 px tiles over 2048 x 2048 px: a 128 KB tile index, past the 32 KB the engine reads first.
    # The engine cannot place the tiles, leaves the file to GDAL, and the pixels are still right.
    path = _tiled_file(cog_server, request, "big_index.tif", 16)
    head = path.read_bytes()[:ranges.HEAD_BYTES]
    assert tiff_index.is_tiff(head) and tiff_index.parse(head) is None
    url = _url(cog_server, path)
    bounds = rasterio.warp.transform_bounds("EPSG:32613", "EPSG:4326", 400000, 4490000, 410000, 4499000)
    result = read_to_grid(RemoteFile(url, "/vsicurl/" + url), plan_grid(bounds, "EPSG:32613", 100), resampling="nearest")
    assert result.valid.mean() > 0.9
    assert set(np.unique(result.array[0][result.valid])) <= set(range(1, 252))
    cog_server.clear_log()  # a second read does not ask for the first 32 KB again just to find no tile index
    read_to_grid(RemoteFile(url, "/vsicurl/" + url), plan_grid(bounds, "EPSG:32613", 100), resampling="nearest")
    assert all(r["range"] != f"bytes=0-{ranges.HEAD_BYTES - 1}" for r in _log(cog_server, path))


def test_a_tile_index_past_the_first_bytes_grows_the_header_read_by_one_get(cog_server, request, monkeypatch):
    # 64 x 64 px tiles over 2048 x 2048 px: a 8 KB+ index per level past the first 4 KB (HEAD_BYTES made small
    # here): one more ranged GET, no HEAD, no GDAL open of the remote file, and GDAL's own pixels.
    monkeypatch.setattr(ranges, "HEAD_BYTES", 4096)
    monkeypatch.setattr(sparse, "HEAD_BYTES", 4096)
    path = _tiled_file(cog_server, request, "grown_index.tif", 64)
    head = path.read_bytes()[:4096]
    assert tiff_index.parse(head) is None and tiff_index.bytes_needed(head) > 4096
    ranges.clear()
    cog_server.clear_log()
    url = _url(cog_server, path)
    bounds = rasterio.warp.transform_bounds("EPSG:32613", "EPSG:4326", 400000, 4490000, 410000, 4499000)
    grid = plan_grid(bounds, "EPSG:32613", 100)
    ours = read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid, resampling="nearest")
    log = _log(cog_server, path)
    assert [r["range"] for r in log[:2]][0] == "bytes=0-4095" and log[1]["range"].startswith("bytes=4096-")
    assert all(r["method"] == "GET" for r in log), [(r["method"], r["range"]) for r in log]  # no HEAD
    assert ranges.remote_tiff(ranges.Transfer.of(RemoteFile(url, "/vsicurl/" + url), lambda: False)) is not None
    monkeypatch.setenv(ranges.RANGES_ENV, "gdal")
    gdals = read_to_grid(RemoteFile(url, "/vsicurl/" + url), grid, resampling="nearest")
    assert np.array_equal(ours.array, gdals.array)


def _classic_tiff(entries, order="<"):
    """A minimal classic TIFF: header, one IFD with ``entries`` (tag, type, values), values inline or after."""
    out = bytearray(struct.pack(order + "2sHI", b"II" if order == "<" else b"MM", 42, 8))
    out += struct.pack(order + "H", len(entries))
    tail_at = 8 + 2 + 12 * len(entries) + 4
    tail = bytearray()
    for tag, kind, values in entries:
        fmt = tiff_index.TYPE_FORMATS[kind]
        packed = struct.pack(order + fmt * len(values), *values)
        if len(packed) <= 4:
            out += struct.pack(order + "HHI", tag, kind, len(values)) + packed.ljust(4, b"\0")
        else:
            out += struct.pack(order + "HHII", tag, kind, len(values), tail_at + len(tail))
            tail += packed
    out += struct.pack(order + "I", 0)
    return bytes(out + tail)


@pytest.mark.parametrize("order", ["<", ">"])
def test_the_tile_index_parser_reads_planar_files_and_refuses_what_it_cannot_place(order):
    tiled = [(256, 3, [600]), (257, 3, [300]), (277, 3, [3]), (284, 3, [2]), (322, 3, [256]), (323, 3, [256]),
             (324, 4, list(range(1000, 1000 + 18 * 10, 10))), (325, 4, [10] * 17 + [0])]
    (image,) = tiff_index.parse(_classic_tiff(tiled, order))
    assert (image.width, image.height, image.planes, image.mask) == (600, 300, 3, False)
    # 3 x 2 tiles per band; the window covers the first column of tiles in every band (the empty one skipped)
    assert image.tile_ranges((0, 0, 100, 300)) == [(1000, 10), (1030, 10), (1060, 10), (1090, 10),
                                                     (1120, 10), (1150, 10)]
    stripped = [(256, 3, [600]), (257, 3, [300]), (273, 4, [1000]), (279, 4, [10])]
    assert tiff_index.parse(_classic_tiff(stripped, order)) is None
    cut = _classic_tiff(tiled, order)
    assert tiff_index.parse(cut[:-8]) is None  # the tile index runs past the bytes fetched
    assert tiff_index.parse(b"<html>not a tiff</html>") is None


def test_a_header_claiming_huge_or_out_of_file_tiles_fetches_nothing_ahead(monkeypatch):
    # The tile index is the server's word: a window of tiles larger than a quicklook needs, or tiles past the
    # end of the file, are left to GDAL (and its limits) instead of being fetched into memory here.
    fetched = []
    monkeypatch.setattr(sparse, "fetch", lambda transfer, entry, wanted: fetched.append(wanted))
    huge = tiff_index.Image(512, 512, 256, 256, 1, False, (1000, 2000, 3000, 4000),
                            (10, 10, ranges.MAX_WINDOW_BYTES, 10))
    past_end = tiff_index.Image(256, 256, 256, 256, 1, False, (10_000_000,), (500,))
    fine = tiff_index.Image(128, 128, 128, 128, 1, False, (5000,), (300,))
    source = sparse.SourceFile(RemoteFile("http://127.0.0.1:9/x.tif", "/vsicurl/http://127.0.0.1:9/x.tif",
                                          {ranges.RANGES_ENV: ""}), mem_file=None)
    source.entry = ranges.RemoteTiff(1_000_000, [huge, past_end, fine], {0: b"II*\0"})
    source.transfer = object()
    source.fetch_window(512, 512, (0, 0, 512, 512), with_mask=False)
    source.fetch_window(256, 256, (0, 0, 256, 256), with_mask=False)
    assert fetched == []
    source.fetch_window(128, 128, (0, 0, 128, 128), with_mask=False)
    assert fetched == [[(5000 - ranges.TILE_MARGIN, 300 + 2 * ranges.TILE_MARGIN)]]


def test_a_cancel_ends_a_range_read_still_waiting_for_its_answer(cog_server, testdata_small, tmp_path):
    # The one transport's watchdog shuts the socket: the read does not sit out the server's pause (SLOW_S).
    from stac_quicklook_plugin.core.errors import Cancelled
    from tests.harness.cogserver import SLOW_S
    from tests.harness.servers import CogServer

    path = _tile_of(testdata_small, "B08.tif")
    with CogServer(cog_server.root, tmp_path / "log.jsonl") as server:
        url = server.fault_url("slow", path.relative_to(server.root).as_posix())
        started = time.monotonic()
        transfer = ranges.Transfer.of(RemoteFile(url, "/vsicurl/" + url, timeout=30.0),
                                      lambda: time.monotonic() - started > 0.2)
        with pytest.raises(Cancelled):
            transfer.get(0, ranges.HEAD_BYTES)
        assert time.monotonic() - started < SLOW_S, "the cancel waited for the server's answer"


def test_range_reads_keep_their_connection_alive(cog_server, testdata_small):
    # A body read to its end hands its connection back: three files, three ranges each, are nine requests on
    # one connection (before, each ranged GET opened a connection of its own).
    from stac_quicklook_plugin.core.net import transport

    transport.close_connections()
    cog_server.clear_log()
    paths = sorted((testdata_small / "cogs").rglob("B08.tif"))[:3]
    for path in paths:
        url = _url(cog_server, path)
        transfer = ranges.Transfer.of(RemoteFile(url, "/vsicurl/" + url), lambda: False)
        for offset in (0, 40000, 80000):
            data, size = transfer.get(offset, 1000)
            assert data == path.read_bytes()[offset:offset + 1000] and size == path.stat().st_size
    time.sleep(0.1)  # the server logs a request once it has sent the answer
    log = [r for r in cog_server.requests() if any(r["path"].endswith(p.name) for p in paths)]
    assert len(log) == 9
    assert len({r["connection"] for r in log}) == 1, sorted({r["connection"] for r in log})


def test_an_overviews_geometry_from_the_tile_index_is_gdals(cog_server, testdata_small):
    # The read skips GDAL's open of the overview: the transform and size it uses instead must be GDAL's own.
    from stac_quicklook_plugin.core.raster.backend import backend
    from stac_quicklook_plugin.core.raster.sparse import LevelGeometry, SourceFile

    be = backend()
    path = _tile_of(testdata_small)
    url = _url(cog_server, path)
    with SourceFile(RemoteFile(url, "/vsicurl/" + url), be.mem_file) as files:
        with be.open_source(files.path()) as src:
            full = LevelGeometry(src.transform, src.width, src.height, src.nodata)
            levels = len(src.overview_factors)
        assert levels >= 2
        for level in [None, *range(levels)]:
            with be.open_source(files.path(), level, level_only=True) as src:
                gdal_says = LevelGeometry(src.transform, src.width, src.height, src.nodata)
            assert files.level_geometry(full, level) == gdal_says, level
