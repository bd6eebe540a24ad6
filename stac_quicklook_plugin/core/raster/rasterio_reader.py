"""The rasterio read backend: the engine's library wherever rasterio is installed (CLI, tests, QGIS on Linux)."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import CRSError, RasterioError, RasterioIOError
from rasterio.io import MemoryFile
from rasterio.transform import Affine
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds as _transform_bounds
from rasterio.windows import Window

from stac_quicklook_plugin.core.raster.gdal_env import allowed_drivers

NAME = "rasterio"
ERRORS: tuple[type[BaseException], ...] = (RasterioError, RasterioIOError)
_RESAMPLING = {"average": Resampling.average, "nearest": Resampling.nearest, "bilinear": Resampling.bilinear}


# -- CRS: WKT strings in and out, so the engine never holds a library's CRS object -----------------
def crs_wkt(user_input: Any) -> str:
    """WKT of "EPSG:n", WKT, PROJ or any input GDAL understands; ValueError if it is not a CRS."""
    try:
        return CRS.from_user_input(user_input).to_wkt()
    except (CRSError, ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None


def crs_epsg(wkt: str) -> Optional[int]:
    return CRS.from_wkt(wkt).to_epsg()


def crs_label(wkt: str) -> str:
    return CRS.from_wkt(wkt).to_string()


def same_crs(a: str, b: str) -> bool:
    return CRS.from_wkt(a) == CRS.from_wkt(b)


def transform_bounds(src_wkt: str, dst_wkt: str, bounds: tuple[float, float, float, float]
                     ) -> tuple[float, float, float, float]:
    return tuple(_transform_bounds(CRS.from_wkt(src_wkt), CRS.from_wkt(dst_wkt), *bounds, densify_pts=21))


# -- reads -----------------------------------------------------------------------------------------
ENGINE_THREADS = "stac-quicklook-"  # the names of the engine's own threads (core.threads.LazyPool)
_thread = threading.local()


@contextmanager
def env(options: dict[str, str]) -> Iterator[None]:
    """GDAL config options for this thread while the context lasts (rasterio.Env). In the engine's own
    threads an outermost environment is entered once and kept: rasterio then never builds a new one per read
    (each new one probes GDAL's and PROJ's data folders on disk), and each read's options nest in it. Other
    threads (QGIS's, a caller's) get rasterio's usual environment, which ends with the read."""
    if getattr(_thread, "options", None) == options:  # a read inside a read of the same file: nothing to set
        yield
        return
    if not getattr(_thread, "kept", False) and threading.current_thread().name.startswith(ENGINE_THREADS):
        rasterio.Env().__enter__()  # ends with the thread
        _thread.kept = True
    previous = getattr(_thread, "options", None)
    with rasterio.Env(**options):
        _thread.options = options
        try:
            yield
        finally:
            _thread.options = previous


@contextmanager
def mem_file(data: bytes, name: str) -> Iterator[str]:
    """``data`` as a /vsimem/ file named ``name`` (in a folder of its own) while the context lasts."""
    with MemoryFile(data, filename=name) as memory:
        yield memory.name


class Source:
    """One open raster (a given overview level of it)."""

    def __init__(self, dataset: Any):
        self._ds = dataset
        self.crs: Optional[str] = dataset.crs.to_wkt() if dataset.crs else None
        self.transform: tuple[float, ...] = tuple(dataset.transform)[:6]
        self.width, self.height, self.count = dataset.width, dataset.height, dataset.count
        self.dtype: str = dataset.dtypes[0]
        self.nodata: Optional[float] = dataset.nodata
        self.overview_factors: list[int] = list(dataset.overviews(1) or [])

    @property
    def profile(self) -> dict[str, Any]:
        return {k: (str(v) if k == "crs" else v) for k, v in self._ds.profile.items()}

    def read(self, indexes: list[int], window: tuple[float, float, float, float], out_shape: tuple[int, int],
             resampling: str, is_cancelled: Callable[[], bool]) -> NDArray[Any]:
        """Bands over a (col_off, row_off, width, height) window, decimated to ``out_shape`` (rows, cols)."""
        return self._ds.read(indexes, window=Window(*window), out_shape=(len(indexes), *out_shape),
                             resampling=_RESAMPLING[resampling])

    def read_mask(self, indexes: list[int], window: tuple[float, float, float, float],
                  out_shape: tuple[int, int]) -> NDArray[Any]:
        """True where any band has data by the file's internal mask (or alpha); all True without one."""
        masks = self._ds.read_masks(indexes, window=Window(*window), out_shape=(len(indexes), *out_shape),
                                    resampling=Resampling.nearest)
        return (masks > 0).any(axis=0)

    def warp(self, grid: Any, indexes: list[int], resampling: str,
             is_cancelled: Callable[[], bool]) -> tuple[NDArray[Any], NDArray[Any]]:
        """Warp onto the output grid (another CRS); returns (array, valid)."""
        kwargs: dict[str, Any] = dict(crs=CRS.from_wkt(grid.crs), transform=Affine(*grid.transform),
                                      width=grid.width, height=grid.height, resampling=_RESAMPLING[resampling])
        if self.nodata is not None:
            kwargs.update(src_nodata=self.nodata, nodata=self.nodata)
        else:
            kwargs.update(add_alpha=True)
        with WarpedVRT(self._ds, **kwargs) as vrt:
            array = vrt.read(indexes)
            valid = (array != self.nodata).any(axis=0) if self.nodata is not None else vrt.read(vrt.count) > 0
        return array, valid


# rasterio logs every GDAL error here (at INFO) but raises only the last. With GDAL 3.10 a server that ignores
# Range ends an open in "not recognized as being in a supported file format"; the reason ("Range downloading not
# supported by this server!") is an earlier error (osgeo.gdal appends it as "May be caused by:", rasterio not).
_GDAL_LOG = logging.getLogger("rasterio._env")
_LOG_LEVEL_LOCK = threading.Lock()
_capturing = 0
_saved_level = logging.NOTSET


class _EarlierGdalErrors(logging.Handler):
    """The GDAL error messages rasterio logs in the thread that installed it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self._thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            args = record.args
            self.messages.append(str(args[1]) if isinstance(args, tuple) and len(args) == 2 else record.getMessage())


@contextmanager
def _earlier_gdal_errors() -> Iterator[_EarlierGdalErrors]:
    global _capturing, _saved_level
    handler = _EarlierGdalErrors()
    with _LOG_LEVEL_LOCK:
        if _capturing == 0:
            _saved_level = _GDAL_LOG.level
            if not _GDAL_LOG.isEnabledFor(logging.INFO):
                _GDAL_LOG.setLevel(logging.INFO)
        _capturing += 1
        _GDAL_LOG.addHandler(handler)
    try:
        yield handler
    finally:
        with _LOG_LEVEL_LOCK:
            _GDAL_LOG.removeHandler(handler)
            _capturing -= 1
            if _capturing == 0:
                _GDAL_LOG.setLevel(_saved_level)


def _open(gdal_path: str, **kwargs: Any) -> Any:
    """rasterio.open, its error carrying GDAL's earlier errors as "May be caused by:" lines (as osgeo.gdal's)."""
    with _earlier_gdal_errors() as earlier:
        try:
            return rasterio.open(gdal_path, **kwargs)
        except RasterioIOError as exc:
            causes = [m for m in dict.fromkeys(earlier.messages) if m and m not in str(exc)]
            if not causes:
                raise
            raise RasterioIOError("\n".join([str(exc)] + [f"May be caused by: {m}" for m in causes])) from exc


@contextmanager
def open_source(gdal_path: str, overview_level: Optional[int] = None, level_only: bool = False
                ) -> Iterator[Source]:
    kwargs: dict[str, Any] = {"overview_level": overview_level} if overview_level is not None else {}
    if level_only:  # GDAL may not pick another overview for a decimated read
        kwargs = {"OVERVIEW_LEVEL": "NONE" if overview_level is None else f"{overview_level}only"}
    # rasterio 1.3 takes one driver: never a VRT (or other XML) whose sources are local files
    with _open(gdal_path, driver=allowed_drivers(gdal_path)[0], **kwargs) as dataset:
        yield Source(dataset)


# -- writing ---------------------------------------------------------------------------------------
def write_geotiff(ql: Any, path: Path, tags: dict[str, str]) -> None:
    """A georeferenced, DEFLATE-compressed GeoTIFF with the nodata value (or an internal mask)."""
    profile = dict(driver="GTiff", width=ql.width, height=ql.height, count=ql.count, dtype=ql.array.dtype.name,
                   crs=ql.crs, transform=Affine(*ql.transform), compress="deflate",
                   tiled=ql.width >= 256 and ql.height >= 256)
    if ql.nodata is not None:
        profile["nodata"] = ql.nodata
    if ql.count == 3 and ql.array.dtype == np.uint8:
        profile["photometric"] = "RGB"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK="YES"):
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(ql.array)
            if ql.nodata is None:
                dst.write_mask((ql.mask * 255).astype(np.uint8))
            dst.update_tags(**tags)
