"""The osgeo.gdal read backend: what every QGIS ships (stock Windows and macOS QGIS have no rasterio).

It does what ``read_rasterio`` does, call for call: the same open options, the same floating-point
decimated windows, the same warped VRT for other CRSs, so both give the same pixels from the same bytes.
"""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
from numpy.typing import NDArray
from osgeo import gdal, gdal_array, osr

from stac_quicklook_plugin.core.errors import Cancelled
from stac_quicklook_plugin.core.raster.gdal_env import allowed_drivers

# As QGIS itself does since 3.38 (and GDAL 4 will by default): errors raise instead of returning None.
# Without it, GDAL >= 3.7 warns on the first call. Left alone when the host application chose already.
for _module in (gdal, osr):
    if not _module.GetUseExceptions():
        _module.UseExceptions()

NAME = "gdal"
ERRORS: tuple[type[BaseException], ...] = (RuntimeError,)
_WARP = {"average": "average", "nearest": "near", "bilinear": "bilinear"}
# SetFromUserInput also reads files and fetches URLs: a CRS given as text must not do either.
_NOT_A_CRS = re.compile(r"^\s*([a-z][a-z0-9+.-]*://|[/\\.~]|[a-z]:[/\\])", re.IGNORECASE)


# -- CRS: WKT strings in and out, as in read_rasterio ----------------------------------------------
def _srs(text: Any) -> osr.SpatialReference:
    text = str(text)
    if _NOT_A_CRS.match(text):
        raise ValueError(f"{text[:80]!r} is a path or URL, not a CRS")
    srs = osr.SpatialReference()
    try:
        srs.SetFromUserInput(text)
    except RuntimeError as exc:
        raise ValueError(str(exc)) from None
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)  # x = easting/longitude, like rasterio
    return srs


def crs_wkt(user_input: Any) -> str:
    """WKT of "EPSG:n", WKT, PROJ or any CRS text GDAL understands; ValueError if it is not a CRS."""
    return _srs(user_input).ExportToWkt()


def crs_epsg(wkt: str) -> Optional[int]:
    srs = _srs(wkt)
    for attempt in range(2):
        if (srs.GetAuthorityName(None) or "").upper() == "EPSG":
            code = srs.GetAuthorityCode(None)
            return int(code) if code and code.isdigit() else None
        if attempt == 0:
            try:
                srs.AutoIdentifyEPSG()
            except RuntimeError:
                return None
    return None


def crs_label(wkt: str) -> str:
    epsg = crs_epsg(wkt)
    return f"EPSG:{epsg}" if epsg else (_srs(wkt).GetName() or "a custom CRS")


def same_crs(a: str, b: str) -> bool:
    return bool(_srs(a).IsSame(_srs(b)))


def transform_bounds(src_wkt: str, dst_wkt: str, bounds: tuple[float, float, float, float]
                     ) -> tuple[float, float, float, float]:
    transform = osr.CoordinateTransformation(_srs(src_wkt), _srs(dst_wkt))
    return tuple(transform.TransformBounds(*bounds, 21))


# -- reads -----------------------------------------------------------------------------------------
@contextmanager
def mem_file(data: bytes, name: str) -> Iterator[str]:
    """``data`` as a /vsimem/ file whose name ends with ``name`` while the context lasts (no folder of its own:
    GDAL >= 3.10 keeps a /vsimem folder after its last file is unlinked)."""
    path = f"/vsimem/stac-quicklook-{uuid.uuid4().hex}-{name}"
    gdal.FileFromMemBuffer(path, data)
    try:
        yield path
    finally:
        gdal.Unlink(path)


@contextmanager
def env(options: dict[str, str]) -> Iterator[None]:
    """Config options for this thread only (as rasterio.Env sets them), restored afterwards."""
    previous = {k: gdal.GetThreadLocalConfigOption(k, None) for k in options}
    for key, value in options.items():
        gdal.SetThreadLocalConfigOption(key, str(value))
    try:
        yield
    finally:
        for key, value in previous.items():
            gdal.SetThreadLocalConfigOption(key, value)


def _progress(is_cancelled: Callable[[], bool]) -> Callable[..., int]:
    """A GDAL progress callback that stops the read (returns 0) once the caller has cancelled."""
    def progress(complete: float, message: str, data: Any) -> int:
        try:
            return 0 if is_cancelled() else 1
        except Exception:  # a cancel check that fails (its caller is gone): nobody wants the pixels
            return 0

    return progress


def _numpy_dtype(band: Any) -> str:
    return np.dtype(gdal_array.GDALTypeCodeToNumericTypeCode(band.DataType)).name


class Source:
    """One open raster (a given overview level of it)."""

    def __init__(self, dataset: Any):
        self._ds = dataset
        band = dataset.GetRasterBand(1)
        wkt = dataset.GetProjection()
        self.crs: Optional[str] = wkt or None
        c, a, b, f, d, e = dataset.GetGeoTransform(can_return_null=True) or (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
        self.transform: tuple[float, ...] = (a, b, c, d, e, f)
        self.width, self.height, self.count = dataset.RasterXSize, dataset.RasterYSize, dataset.RasterCount
        self.dtype = _numpy_dtype(band)
        self.nodata: Optional[float] = band.GetNoDataValue()
        self.overview_factors = [int(round(self.width / band.GetOverview(i).XSize))
                                 for i in range(band.GetOverviewCount())]

    @property
    def profile(self) -> dict[str, Any]:
        band = self._ds.GetRasterBand(1)
        block_x, block_y = band.GetBlockSize()
        profile: dict[str, Any] = dict(
            driver=self._ds.GetDriver().ShortName, dtype=self.dtype, nodata=self.nodata, width=self.width,
            height=self.height, count=self.count, crs=crs_label(self.crs) if self.crs else None,
            transform=self.transform, blockxsize=block_x, blockysize=block_y, tiled=block_x < self.width)
        for key, item in (("compress", "COMPRESSION"), ("interleave", "INTERLEAVE")):
            value = self._ds.GetMetadataItem(item, "IMAGE_STRUCTURE")
            if value:
                profile[key] = value.lower()
        return profile

    def _window_vrt(self, indexes: list[int], window: tuple[float, float, float, float],
                    out_shape: tuple[int, int], resampling: str) -> Any:
        """The window as an in-memory VRT of ``out_shape``. The VRT source keeps the floating-point window
        and hands GDAL the integer window rasterio gives it (floor), so pixels match rasterio's exactly;
        ``ReadAsArray`` with float offsets rounds them instead and shifts the first row's average."""
        rows, cols = out_shape
        options = gdal.TranslateOptions(format="VRT", srcWin=list(window), width=cols, height=rows,
                                        bandList=list(indexes), resampleAlg=resampling)
        return gdal.Translate("", self._ds, options=options)

    def read(self, indexes: list[int], window: tuple[float, float, float, float], out_shape: tuple[int, int],
             resampling: str, is_cancelled: Callable[[], bool]) -> NDArray[Any]:
        """Bands over a (col_off, row_off, width, height) window, decimated to ``out_shape`` (rows, cols)."""
        vrt = self._window_vrt(indexes, window, out_shape, resampling)
        try:
            data = vrt.ReadAsArray(callback=_progress(is_cancelled))
        except RuntimeError:
            if is_cancelled():
                raise Cancelled("The quicklook was cancelled.") from None
            raise
        return data.reshape(len(indexes), *out_shape)

    def read_mask(self, indexes: list[int], window: tuple[float, float, float, float],
                  out_shape: tuple[int, int]) -> NDArray[Any]:
        """True where any band has data by the file's internal mask (or alpha); all True without one."""
        vrt = self._window_vrt(indexes, window, out_shape, "nearest")
        valid = np.zeros(out_shape, dtype=bool)
        for i in range(len(indexes)):
            valid |= vrt.GetRasterBand(i + 1).GetMaskBand().ReadAsArray() > 0
        return valid

    def warp(self, grid: Any, indexes: list[int], resampling: str,
             is_cancelled: Callable[[], bool]) -> tuple[NDArray[Any], NDArray[Any]]:
        """Warp onto the output grid (another CRS) through a warped VRT, as rasterio's WarpedVRT does."""
        options = gdal.WarpOptions(
            format="VRT", outputBounds=grid.bounds, width=grid.width, height=grid.height, dstSRS=grid.crs,
            resampleAlg=_WARP[resampling], srcNodata=self.nodata, dstNodata=self.nodata,
            dstAlpha=self.nodata is None, overviewLevel="NONE")
        vrt = gdal.Warp("", self._ds, options=options)
        try:
            array = vrt.ReadAsArray(band_list=list(indexes), callback=_progress(is_cancelled))
            array = array.reshape(len(indexes), grid.height, grid.width)
            if self.nodata is not None:
                valid = (array != self.nodata).any(axis=0)
            else:
                valid = vrt.GetRasterBand(vrt.RasterCount).ReadAsArray() > 0
        except RuntimeError:
            if is_cancelled():
                raise Cancelled("The quicklook was cancelled.") from None
            raise
        finally:
            vrt = None  # noqa: F841 (closes the VRT before the source)
        return array, valid


@contextmanager
def open_source(gdal_path: str, overview_level: Optional[int] = None, level_only: bool = False
                ) -> Iterator[Source]:
    open_options = [f"OVERVIEW_LEVEL={overview_level}"] if overview_level is not None else []
    if level_only:  # GDAL may not pick another overview for a decimated read
        open_options = ["OVERVIEW_LEVEL=" + ("NONE" if overview_level is None else f"{overview_level}only")]
    dataset = gdal.OpenEx(gdal_path, gdal.OF_RASTER | gdal.OF_READONLY | gdal.OF_VERBOSE_ERROR,
                          allowed_drivers=allowed_drivers(gdal_path), open_options=open_options)  # never a VRT
    try:
        yield Source(dataset)
    finally:
        dataset = None  # noqa: F841 (GDAL closes on the last reference)


# -- writing ---------------------------------------------------------------------------------------
def write_geotiff(ql: Any, path: Path, tags: dict[str, str]) -> None:
    """A georeferenced, DEFLATE-compressed GeoTIFF with the nodata value (or an internal mask)."""
    creation = ["COMPRESS=DEFLATE"]
    if ql.width >= 256 and ql.height >= 256:
        creation.append("TILED=YES")
    if ql.count == 3 and ql.array.dtype == np.uint8:
        creation.append("PHOTOMETRIC=RGB")
    gdal_type = gdal_array.NumericTypeCodeToGDALTypeCode(ql.array.dtype)
    with env({"GDAL_TIFF_INTERNAL_MASK": "YES"}):
        dataset = gdal.GetDriverByName("GTiff").Create(str(path), ql.width, ql.height, ql.count, gdal_type,
                                                       creation)
        try:
            dataset.SetGeoTransform(ql.gdal_geotransform)
            dataset.SetProjection(ql.crs)
            for i in range(ql.count):
                band = dataset.GetRasterBand(i + 1)
                if ql.nodata is not None:
                    band.SetNoDataValue(float(ql.nodata))
                band.WriteArray(ql.array[i])
            if ql.nodata is None:
                dataset.CreateMaskBand(gdal.GMF_PER_DATASET)
                dataset.GetRasterBand(1).GetMaskBand().WriteArray((ql.mask * 255).astype(np.uint8))
            dataset.SetMetadata(tags)
            dataset.FlushCache()
        finally:
            dataset = None
