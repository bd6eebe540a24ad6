"""What GDAL says of a GeoTIFF when it opens it (CRS, geotransform, size, bands, data type, nodata, overview
factors, profile), either from an open dataset or straight from the tile index the range reader already parsed.

A read needs these facts before it can choose an overview and a window. Opening the file in GDAL for them costs
an open of the whole file (every IFD, the GeoKeys, PROJ) per file per read; the tile index has them already.
Only what is unambiguous is taken from the index: a north-up, pixel-is-area GeoTIFF whose CRS is an EPSG code,
overviews marked as reduced images of the same layout, a data type and compression GDAL names one way. Anything
else answers None and the read opens the file in GDAL as before.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from stac_quicklook_plugin.core.raster.backend import backend_name
from stac_quicklook_plugin.core.raster.grid import crs_wkt
from stac_quicklook_plugin.core.raster.tiff_index import Geo, Image

MODEL_TYPE, PROJECTED_CRS, GEOGRAPHIC_CRS, RASTER_TYPE, VERTICAL_CRS = 1024, 3072, 2048, 1025, 4096  # GeoKeys
PIXEL_IS_AREA = 1
REDUCED_IMAGE = 1  # NewSubfileType bit of an overview
# (SampleFormat, BitsPerSample) -> GDAL's data type as numpy names it; others (int8, float16, ...) GDAL's to say
DTYPES = {(1, 8): "uint8", (1, 16): "uint16", (1, 32): "uint32", (2, 16): "int16", (2, 32): "int32",
          (3, 32): "float32", (3, 64): "float64"}
# TIFF Compression -> GDAL's COMPRESSION name (as rasterio's profile gives it); 1 (none) has no name
COMPRESSIONS = {1: None, 5: "lzw", 8: "deflate", 32946: "deflate", 32773: "packbits", 34925: "lzma",
                50000: "zstd", 50001: "webp"}  # JPEG's name depends on its colour space (YCbCr): GDAL's to say
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")  # what C's strtod and Python's float agree on
FLOAT32_MAX = 3.4028234663852886e38
INTEGER_RANGES = {"uint8": (0, 255), "uint16": (0, 65535), "uint32": (0, 2 ** 32 - 1), "int16": (-32768, 32767),
                  "int32": (-2 ** 31, 2 ** 31 - 1)}


@dataclass(frozen=True)
class Header:
    """A raster's facts as an open GDAL dataset of its full image gives them."""

    crs: Optional[str]  # WKT
    transform: tuple[float, ...]  # (a, b, c, d, e, f)
    width: int
    height: int
    count: int
    dtype: str
    nodata: Optional[float]
    overview_factors: list[int]
    profile: dict[str, Any] = field(compare=False)

    @classmethod
    def of_source(cls, src: Any) -> Header:
        """From a backend's open ``Source``."""
        return cls(src.crs, tuple(src.transform), src.width, src.height, src.count, src.dtype, src.nodata,
                   list(src.overview_factors), src.profile)


def epsg_of(geo: Geo) -> Optional[int]:
    """The EPSG code of a GeoTIFF's CRS when its GeoKeys give one (projected or geographic) and its pixels are
    areas; None otherwise."""
    if (geo.geokey(RASTER_TYPE) or PIXEL_IS_AREA) != PIXEL_IS_AREA:
        return None  # pixel-is-point: GDAL moves the origin by half a pixel
    if geo.geokey(VERTICAL_CRS) is not None:
        return None  # a compound CRS to GDAL
    model = geo.geokey(MODEL_TYPE)
    epsg = geo.geokey(PROJECTED_CRS) if model == 1 else geo.geokey(GEOGRAPHIC_CRS) if model == 2 else None
    return epsg if epsg and 1024 <= epsg <= 32766 else None


def north_up_origin(geo: Geo) -> Optional[tuple[float, float, float, float]]:
    """(left, pixel width, top, pixel height) of a GeoTIFF georeferenced by one tie point and a pixel scale, as
    GDAL derives its geotransform; None for anything else (several tie points are GCPs to GDAL)."""
    if len(geo.pixel_scale) < 2 or len(geo.tiepoint) != 6:
        return None
    res_x, res_y = geo.pixel_scale[0], geo.pixel_scale[1]
    numbers = (res_x, res_y) + geo.tiepoint
    if not all(math.isfinite(v) for v in numbers) or res_x <= 0 or res_y <= 0:
        return None
    i, j, _, x, y, _ = geo.tiepoint
    return x - i * res_x, res_x, y + j * res_y, res_y


def from_index(images: list[Image]) -> Optional[Header]:
    """The header GDAL would give the file whose tile index is ``images``; None when unsure."""
    layers = [i for i in images if not i.mask]
    if not layers or images[0].mask or layers[0].geo is None or layers[0].subfile & REDUCED_IMAGE \
            or layers[0].geo.nodata_unread:
        return None  # GDAL's image is the first IFD; a nodata tag not read is not "no nodata"
    full, geo = layers[0], layers[0].geo
    dtype = DTYPES.get((full.sample_format, full.bits))
    epsg, origin = epsg_of(geo), north_up_origin(geo)
    if dtype is None or epsg is None or origin is None or full.compression not in COMPRESSIONS:
        return None
    layout = (full.samples, full.planes, full.bits, full.sample_format, full.compression)
    previous = full
    for overview in layers[1:]:  # GDAL lists the reduced images of the same layout, in file order
        if not overview.subfile & REDUCED_IMAGE or overview.width >= previous.width \
                or (overview.samples, overview.planes, overview.bits, overview.sample_format,
                    overview.compression) != layout:
            return None
        previous = overview
    nodata = _nodata(geo.nodata, dtype)
    if nodata is False:
        return None
    try:
        wkt = crs_wkt(f"EPSG:{epsg}")
    except Exception:  # an EPSG code PROJ does not know: GDAL's to say what it makes of it
        return None
    left, res_x, top, res_y = origin
    transform = (res_x, 0.0, left, 0.0, -res_y, top)
    profile: dict[str, Any] = dict(
        driver="GTiff", dtype=dtype, nodata=nodata, width=full.width, height=full.height, count=full.samples,
        crs=f"EPSG:{epsg}", transform=transform, blockxsize=full.tile_width, blockysize=full.tile_height,
        tiled=_tiled(full), interleave="band" if full.samples == 1 or full.planes > 1 else "pixel")
    if COMPRESSIONS[full.compression]:
        profile["compress"] = COMPRESSIONS[full.compression]
    factors = [int(round(full.width / o.width)) for o in layers[1:]]  # as GDAL's bindings compute them
    return Header(wkt, transform, full.width, full.height, full.samples, dtype, nodata, factors, profile)


def _tiled(image: Image) -> bool:
    """The profile's "tiled" as each backend reports it (they differ on a file narrower than its tiles)."""
    return image.tile_width != image.width if backend_name() == "rasterio" else image.tile_width < image.width


def _nodata(text: Optional[str], dtype: str) -> Any:
    """GDAL's nodata of that text for that type: a float, None when there is none, False when GDAL's parsing
    of it is not certain to be Python's (then the file is GDAL's to open)."""
    if text is None:
        return None
    if text.strip().lower() == "nan":
        return math.nan if dtype in ("float32", "float64") else False
    if not NUMBER.fullmatch(text.strip()):
        return False  # "1_0", "0x10", " inf": Python and GDAL read them differently
    value = float(text)
    if dtype in INTEGER_RANGES:
        low, high = INTEGER_RANGES[dtype]
        return value if value.is_integer() and low <= value <= high else False
    if dtype == "float32" and abs(value) > FLOAT32_MAX:
        return False
    return value if math.isfinite(value) else False
