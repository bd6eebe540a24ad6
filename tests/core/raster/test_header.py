"""A file's facts from its tile index (core/raster/header.py) are GDAL's own: for every layout GDAL writes that
the index can say, the same CRS, geotransform, size, bands, type, nodata, overview factors and profile as an open
of the file; for the layouts it cannot say (pixel-is-point, GCPs, int8, an overview of another type), None."""
from __future__ import annotations

import math

import numpy as np
import pytest
from osgeo import gdal, osr

from stac_quicklook_plugin.core.raster import tiff_index
from stac_quicklook_plugin.core.raster.backend import backend
from stac_quicklook_plugin.core.raster.header import Header, from_index

gdal.UseExceptions()
TYPES = {"uint8": gdal.GDT_Byte, "uint16": gdal.GDT_UInt16, "int16": gdal.GDT_Int16, "uint32": gdal.GDT_UInt32,
         "int32": gdal.GDT_Int32, "float32": gdal.GDT_Float32, "float64": gdal.GDT_Float64}


def _write(path, dtype="uint16", bands=1, epsg=32613, nodata=0, driver="COG", size=1100, options=(), prepare=None):
    mem = gdal.GetDriverByName("MEM").Create("", size, size, bands, TYPES[dtype])
    res = 20.0 if epsg != 4326 else 0.0002
    left, top = (399960.0, 4500000.0) if epsg != 4326 else (-105.5, 40.5)
    mem.SetGeoTransform((left, res, 0.0, top, 0.0, -res))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    mem.SetProjection(srs.ExportToWkt())
    values = (np.arange(size * size).reshape(size, size) % 200).astype(dtype)
    for b in range(1, bands + 1):
        band = mem.GetRasterBand(b)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        band.WriteArray(values)
    if prepare:
        prepare(mem)
    if driver == "GTiff":
        gtiff = gdal.GetDriverByName("GTiff").CreateCopy(str(path), mem, options=["TILED=YES", *options])
        gtiff.BuildOverviews("AVERAGE", [2, 4])
        gtiff = None
    else:
        gdal.Translate(str(path), mem, format="COG", creationOptions=["BLOCKSIZE=256", *options])
    return path


def _index(path):
    """The header from the whole file's tile index (GDAL 3.10 writes a GTiff's overviews' IFDs at its end)."""
    images = tiff_index.parse(path.read_bytes())
    assert images is not None, "the parser reads every IFD of a whole file"
    return from_index(images)


def _opened(path):
    with backend().open_source(str(path)) as src:
        return Header.of_source(src)


LAYOUTS = {
    "uint16, nodata 0, DEFLATE (Sentinel-2)": {},
    "uint16, no nodata, LZW": dict(nodata=None, options=("COMPRESS=LZW",)),
    "uint8, nodata 0, uncompressed": dict(dtype="uint8", options=("COMPRESS=NONE",)),
    "int16, nodata -9999, ZSTD": dict(dtype="int16", nodata=-9999, options=("COMPRESS=ZSTD",)),
    "uint32, nodata 4000000000": dict(dtype="uint32", nodata=4_000_000_000),
    "int32": dict(dtype="int32", nodata=-1),
    "float32, nodata nan": dict(dtype="float32", nodata=float("nan"), options=("COMPRESS=DEFLATE",)),
    "float64, nodata -3.5": dict(dtype="float64", nodata=-3.5),
    "three bands, pixel interleaved": dict(dtype="uint8", bands=3, nodata=None),
    "three bands, band interleaved (GTiff)": dict(dtype="uint8", bands=3, driver="GTiff",
                                                  options=("INTERLEAVE=BAND", "COMPRESS=DEFLATE")),
    "EPSG:4326": dict(epsg=4326),
    "a GTiff with overviews built after": dict(driver="GTiff", options=("COMPRESS=DEFLATE",)),
    "no overviews (small)": dict(size=300),
    "smaller than one tile": dict(size=200),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_the_index_says_what_gdal_says(tmp_path, name):
    path = _write(tmp_path / "f.tif", **LAYOUTS[name])
    index, opened = _index(path), _opened(path)
    assert index is not None
    assert backend().same_crs(index.crs, opened.crs)
    assert index.transform == pytest.approx(opened.transform, rel=0, abs=1e-9)
    assert (index.width, index.height, index.count, index.dtype, index.overview_factors) == \
        (opened.width, opened.height, opened.count, opened.dtype, opened.overview_factors)
    assert index.nodata == opened.nodata or (math.isnan(index.nodata) and math.isnan(opened.nodata))
    keys = set(opened.profile) - {"crs", "transform", "nodata"}
    assert {k: index.profile.get(k) for k in keys} == {k: opened.profile[k] for k in keys}


def _pixel_is_point(mem):
    mem.SetMetadataItem("AREA_OR_POINT", "Point")


def _gcps(mem):
    srs = mem.GetProjection()
    points = [gdal.GCP(399960.0 + 20 * c, 4500000.0 - 20 * r, 0, c, r) for c, r in ((0, 0), (1000, 0), (0, 1000))]
    mem.SetGeoTransform((0, 1, 0, 0, 0, 1))
    mem.SetGCPs(points, srs)


LEFT_TO_GDAL = {
    "pixel-is-point": dict(prepare=_pixel_is_point, driver="GTiff"),
    "ground control points": dict(prepare=_gcps, driver="GTiff"),
    "signed bytes": dict(dtype="uint8", nodata=None, driver="GTiff", options=("PIXELTYPE=SIGNEDBYTE",)),
    "LERC": dict(options=("COMPRESS=LERC",)),
}


@pytest.mark.parametrize("name", list(LEFT_TO_GDAL))
def test_what_the_index_cannot_say_is_left_to_gdal(tmp_path, name):
    path = _write(tmp_path / "f.tif", **LEFT_TO_GDAL[name])
    assert _index(path) is None


def test_an_overview_of_another_layout_is_left_to_gdal(tmp_path):
    path = _write(tmp_path / "f.tif")
    images = tiff_index.parse(path.read_bytes())
    assert from_index(images) is not None
    other = images[:1] + [tiff_index.Image(**{**vars(images[1]), "bits": 8})] + images[2:]
    assert from_index(other) is None
    not_reduced = images[:1] + [tiff_index.Image(**{**vars(images[1]), "subfile": 0})] + images[2:]
    assert from_index(not_reduced) is None


def test_a_nodata_the_type_cannot_hold_is_left_to_gdal(tmp_path):
    images = tiff_index.parse(_write(tmp_path / "f.tif", dtype="uint8").read_bytes())
    geo = images[0].geo
    for text in ("300", "-1", "1.5", "zero"):
        odd = [tiff_index.Image(**{**vars(images[0]), "geo": tiff_index.Geo(geo.pixel_scale, geo.tiepoint,
                                                                             geo.geokeys, text)})] + images[1:]
        assert from_index(odd) is None, text


def test_a_nodata_tag_the_index_cannot_read_is_not_taken_for_none(tmp_path):
    """GDAL's nodata tag written as BYTE rather than ASCII (libtiff reads both): the index cannot read it and must
    not say "no nodata" (GDAL says 0); the same flag covers a nodata text past the bytes fetched."""
    import struct

    path = _write(tmp_path / "f.tif", driver="GTiff", options=("COMPRESS=DEFLATE",))
    data = bytearray(path.read_bytes())
    (ifd,) = struct.unpack_from("<I", data, 4)
    (entries,) = struct.unpack_from("<H", data, ifd)
    for i in range(entries):
        at = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, at)[0] == tiff_index.GDAL_NODATA:
            struct.pack_into("<H", data, at + 2, 1)  # BYTE
    path.write_bytes(bytes(data))
    images = tiff_index.parse(bytes(data))
    assert images is not None and images[0].geo is not None and images[0].geo.nodata_unread
    assert _opened(path).nodata == 0
    assert from_index(images) is None


@pytest.mark.parametrize("text, dtype", [("1_0", "uint16"), ("0x10", "uint16"), ("1e39", "float32"),
                                         ("inf", "float32"), ("nan", "uint16")])
def test_a_nodata_text_python_and_gdal_may_read_apart_is_left_to_gdal(tmp_path, text, dtype):
    images = tiff_index.parse(_write(tmp_path / "f.tif", dtype=dtype).read_bytes())
    geo = images[0].geo
    odd = [tiff_index.Image(**{**vars(images[0]), "geo": tiff_index.Geo(geo.pixel_scale, geo.tiepoint, geo.geokeys,
                                                                         text)})] + images[1:]
    assert from_index(odd) is None


def test_a_compound_crs_and_a_first_ifd_that_is_a_mask_are_left_to_gdal(tmp_path):
    images = tiff_index.parse(_write(tmp_path / "f.tif").read_bytes())
    geo = images[0].geo
    keys = list(geo.geokeys)
    keys[3] += 1  # one key more: VerticalCSTypeGeoKey 5703 (NAVD88 height), inline
    keys += [4096, 0, 1, 5703]
    vertical = [tiff_index.Image(**{**vars(images[0]), "geo": tiff_index.Geo(geo.pixel_scale, geo.tiepoint,
                                                                              tuple(keys), geo.nodata)})] + images[1:]
    assert from_index(vertical) is None
    masked_first = [tiff_index.Image(**{**vars(images[0]), "mask": True})] + images[1:]
    assert from_index(masked_first) is None
