"""Classifications read straight from the fetched tiles (core/raster/native.py): the same pixels and validity as
GDAL's own nearest read (``read_to_grid``) on COGs written by GDAL's COG driver in the layouts real catalogs use,
and None (GDAL reads the file) for anything it does not handle."""
from __future__ import annotations

import shutil
import uuid

import numpy as np
import pytest
from osgeo import gdal, osr

from stac_quicklook_plugin.core.raster import ranges
from stac_quicklook_plugin.core.raster.grid import Grid, crs_wkt, plan_grid
from stac_quicklook_plugin.core.raster.native import read_classes
from stac_quicklook_plugin.core.raster.read import read_to_grid
from stac_quicklook_plugin.core.raster.remote import RemoteFile

SIZE, RES, ULX, ULY = 2000, 20.0, 399960.0, 4500000.0  # a corner of MGRS 13TDE at 20 m (the SCL's)


@pytest.fixture
def folder(cog_server, request):
    root = cog_server.root / "ranges-test" / uuid.uuid4().hex  # a run's own (the data folder is shared)
    root.mkdir(parents=True)
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    ranges.clear()
    return root


def _classes(dtype):
    """Blocks of classes (and, for 16 bits, bit fields) with a no-data corner, deterministic."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    speckle = np.random.default_rng(7).integers(0, 5, size=(SIZE, SIZE))  # seeded: the same file every run
    values = ((x // 37 + y // 23 * 3 + speckle) % 11 + 1).astype(np.uint16)
    if dtype == np.uint16:
        values = (values << 1) | ((x // 61 + y // 41) % 2 << 6).astype(np.uint16)  # bits 1-4 and "clear"
    values[:300, :400] = 0  # no data
    return values.astype(dtype)


def _write(folder, name, dtype, nodata=0, **options):
    gdal.UseExceptions()
    kind = gdal.GDT_Byte if dtype == np.uint8 else gdal.GDT_UInt16
    mem = gdal.GetDriverByName("MEM").Create("", SIZE, SIZE, 1, kind)
    mem.SetGeoTransform((ULX, RES, 0.0, ULY, 0.0, -RES))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32613)
    mem.SetProjection(srs.ExportToWkt())
    if nodata is not None:
        mem.GetRasterBand(1).SetNoDataValue(nodata)
    mem.GetRasterBand(1).WriteArray(_classes(dtype))
    creation = {"BLOCKSIZE": "512", "COMPRESS": "DEFLATE", "PREDICTOR": "2", "RESAMPLING": "NEAREST", **options}
    path = folder / name
    gdal.Translate(str(path), mem, format="COG", creationOptions=[f"{k}={v}" for k, v in creation.items()])
    return path


def _file(cog_server, path):
    href = f"{cog_server.url}/{path.relative_to(cog_server.root).as_posix()}"
    return RemoteFile.of(href)


# grids in the file's CRS: the whole file at 256 px (an overview), an inner window at 333 and 700 px (full
# resolution), a grid half outside the file (out-of-file pixels invalid)
GRIDS = {
    "whole, overview": (ULX, ULY, SIZE * RES, 256),
    "inner, 333 px": (ULX + 3111.0, ULY - 4321.0, 9000.0, 333),
    "inner, 700 px": (ULX + 1000.0, ULY - 2000.0, 14000.0, 700),
    "half outside": (ULX - 10000.0, ULY + 5000.0, 25000.0, 300),
}


def _grid(spec):
    left, top, width_m, width = spec
    res = width_m / width
    return Grid(crs_wkt("EPSG:32613"), (res, 0.0, left, 0.0, -res, top), width, int(width * 0.8))


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("dtype, options", [
    (np.uint8, {}),  # a scene classification as Earth Search writes it (DEFLATE, predictor 2)
    (np.uint16, {}),  # a qa_pixel bit field
    (np.uint16, {"COMPRESS": "NONE", "PREDICTOR": "1"}),
    (np.uint8, {"PREDICTOR": "1"}),
], ids=["scl", "qa-pixel", "uncompressed", "no-predictor"])
def test_the_same_pixels_as_gdals_nearest_read(cog_server, folder, name, dtype, options):
    remote = _file(cog_server, _write(folder, "classes.tif", dtype, **options))
    grid = _grid(GRIDS[name])
    native = read_classes(remote, grid)
    assert native is not None
    gdal_read = read_to_grid(remote, grid, "nearest")
    assert native.dtype == gdal_read.dtype == np.dtype(dtype).name
    assert native.overview_factor == gdal_read.overview_factor
    assert np.array_equal(native.valid, gdal_read.valid)
    assert np.array_equal(native.array[0][native.valid], gdal_read.array[0][gdal_read.valid])
    assert native.valid.any() and (name != "half outside" or not native.valid.all())


def test_without_a_nodata_tag_every_pixel_in_the_file_is_valid(cog_server, folder):
    remote = _file(cog_server, _write(folder, "no_nodata.tif", np.uint8, nodata=None))
    grid = _grid(GRIDS["half outside"])
    native, gdal_read = read_classes(remote, grid), read_to_grid(remote, grid, "nearest")
    assert native is not None and np.array_equal(native.valid, gdal_read.valid)
    assert np.array_equal(native.array[0][native.valid], gdal_read.array[0][gdal_read.valid])


def test_what_it_does_not_handle_is_left_to_gdal(cog_server, folder):
    lzw = _file(cog_server, _write(folder, "lzw.tif", np.uint8, COMPRESS="LZW"))
    assert read_classes(lzw, _grid(GRIDS["inner, 333 px"])) is None
    scl = _file(cog_server, _write(folder, "scl.tif", np.uint8))
    mercator = plan_grid((-105.85, 40.45, -105.75, 40.55), "EPSG:3857", 200)  # another CRS: a warp, GDAL's
    assert read_classes(scl, mercator) is None
    assert read_to_grid(scl, mercator, "nearest").valid.any()


def test_it_fetches_the_header_and_the_tiles_under_the_grid_only(cog_server, folder):
    path = _write(folder, "fetched.tif", np.uint8)
    remote = _file(cog_server, path)
    cog_server.clear_log()
    assert read_classes(remote, _grid(GRIDS["inner, 333 px"])) is not None
    log = sorted((r for r in cog_server.requests() if r["path"].endswith("fetched.tif")), key=lambda r: r["t_start"])
    head, tiles = log[0], log[1:]
    assert head["range"].startswith("bytes=0-") and tiles and all(r.get("range") for r in tiles)
    # one round after the header: the tiles' GETs (one per run of adjacent tiles) all start once it has ended
    assert all(r["t_start"] >= head["t_end"] for r in tiles)
    assert sum(r["bytes"] for r in log) < path.stat().st_size / 2, (sum(r["bytes"] for r in log), path.stat())


def test_a_damaged_tile_is_left_to_gdal_which_says_so(cog_server, folder):
    from stac_quicklook_plugin.core.errors import ReadError
    from stac_quicklook_plugin.core.raster import tiff_index

    path = _write(folder, "damaged.tif", np.uint8)
    data = bytearray(path.read_bytes())
    full = [i for i in tiff_index.parse(bytes(data[:ranges.HEAD_BYTES])) if not i.mask][0]
    across = -(-full.width // full.tile_width)
    index = 1 * across + 1  # the full image's tile of rows and columns 512-1023
    offset, count = full.offsets[index], full.counts[index]
    data[offset:offset + count] = bytes((i * 37) % 256 for i in range(count))  # not a DEFLATE stream
    path.write_bytes(bytes(data))
    remote = _file(cog_server, path)
    grid = Grid(crs_wkt("EPSG:32613"), (RES, 0.0, ULX + 600 * RES, 0.0, -RES, ULY - 600 * RES), 300, 300)
    assert read_classes(remote, grid) is None
    with pytest.raises(ReadError):
        read_to_grid(remote, grid, "nearest")


def _tiff(entries):
    """A little-endian classic TIFF of one IFD: ``entries`` (tag, type, values); values past 4 bytes after it."""
    import struct

    formats = {2: "B", 3: "H", 4: "I", 12: "d"}
    ifd_at = 8
    table_size = 2 + 12 * len(entries) + 4
    extra, out = b"", []
    for tag, kind, values in sorted(entries):
        data = struct.pack("<" + formats[kind] * len(values), *values)
        if len(data) <= 4:
            out.append(struct.pack("<HHI", tag, kind, len(values)) + data.ljust(4, b"\0"))
        else:
            out.append(struct.pack("<HHII", tag, kind, len(values), ifd_at + table_size + len(extra)))
            extra += data
    return b"II*\0" + struct.pack("<I", ifd_at) + struct.pack("<H", len(entries)) + b"".join(out) + b"\0" * 4 + extra


def test_tags_of_unexpected_types_are_as_if_absent_never_an_error():
    from stac_quicklook_plugin.core.raster import tiff_index

    base = [(256, 3, (1024,)), (257, 3, (1024,)), (323, 3, (512,)), (324, 4, (1000, 2000, 3000, 4000)),
            (325, 4, (10, 10, 10, 10))]
    good = tiff_index.parse(_tiff(base + [(322, 3, (512,))]))
    assert good is not None and good[0].tile_width == 512
    # a tile width as a DOUBLE: no tile width, so not placed (GDAL reads the file), and no exception
    assert tiff_index.parse(_tiff(base + [(322, 12, (512.0,))])) is None
    # GDAL's nodata as a DOUBLE instead of text, georeferencing as SHORTs: ignored, the tiles still placed
    odd = tiff_index.parse(_tiff(base + [(322, 3, (512,)), (42113, 12, (-9999.0,)), (33550, 3, (20, 20, 0))]))
    assert odd is not None and odd[0].geo is None
    # georeferencing lying past the bytes given: as if absent
    cut = _tiff(base + [(322, 3, (512,)), (33550, 12, (20.0, 20.0, 0.0)), (33922, 12, (0.0,) * 6)])
    assert tiff_index.parse(cut[:-60]) is not None


def test_a_nodata_no_pixel_can_hold_and_a_predictor_without_codec_are_left_to_gdal(cog_server, folder):
    from stac_quicklook_plugin.core.raster import native, tiff_index

    remote = _file(cog_server, _write(folder, "nodata300.tif", np.uint16, nodata=300))
    assert read_classes(remote, _grid(GRIDS["inner, 333 px"])) is not None  # 300 fits 16 bits
    image = tiff_index.Image(512, 512, 256, 256, 1, False, (1,), (1,), bits=8, compression=1, predictor=2)
    entry = ranges.RemoteTiff(100, [image], {0: b"II*\0"})
    assert not native._supported([image], entry)  # libtiff applies no predictor without a codec
    assert native._supported([tiff_index.Image(512, 512, 256, 256, 1, False, (1,), (1,), bits=8, compression=8,
                                               predictor=2)], entry)
    geo = tiff_index.Geo((20.0, 20.0, 0.0), (0.0, 0.0, 0.0, ULX, ULY, 0.0), (1, 1, 0, 1, 1024, 0, 1, 1), "256")
    assert native._nodata(geo.nodata) == 256  # parsed; read_classes then refuses it for an 8-bit file
    byte = _file(cog_server, _write(folder, "byte_nodata300.tif", np.uint8, nodata=300))  # GDAL writes "300"
    head = ranges.remote_tiff(ranges.Transfer.of(byte, lambda: False)).pieces[0]
    assert tiff_index.parse(head)[0].geo.nodata == "300"
    assert read_classes(byte, _grid(GRIDS["inner, 333 px"])) is None  # no exception: GDAL reads it
