"""Window + overview reads with rasterio: only the pixels of the output grid, from the coarsest overview
that still gives the requested width, with GDAL options that make COG streaming take few round trips."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.transform import Affine
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window
from rasterio.warp import transform_bounds

from stac_quicklook_plugin.core.errors import BadInput, Cancelled, ReadError
from stac_quicklook_plugin.core.gdal_env import gdal_options
from stac_quicklook_plugin.core.read_errors import read_error
from stac_quicklook_plugin.core.redact import redact

MAX_SOURCE_PIXELS = 64_000_000  # bound on the source pixels one read may decode (files without overviews)
MAX_OUTPUT_PIXELS = 8192 * 8192


@dataclass(frozen=True)
class Grid:
    """The output grid: CRS, exact affine transform and size."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        left, top = self.transform.c, self.transform.f
        return (left, top + self.transform.e * self.height, left + self.transform.a * self.width, top)


def plan_grid(bbox_wgs84: tuple[float, float, float, float], dst_crs: Any, width: int) -> Grid:
    """Square pixels covering the bbox (densified into ``dst_crs``), ``width`` pixels across."""
    crs = CRS.from_user_input(dst_crs)
    try:
        left, bottom, right, top = transform_bounds(CRS.from_epsg(4326), crs, *bbox_wgs84, densify_pts=21)
    except Exception as exc:  # pyproj/GDAL raise assorted errors for impossible transforms
        raise BadInput(f"The bbox cannot be transformed into {crs.to_string()}: {exc}") from None
    if not all(math.isfinite(v) for v in (left, bottom, right, top)) or right <= left or top <= bottom:
        raise BadInput(f"The bbox {bbox_wgs84} has no valid extent in {crs.to_string()}.")
    res = (right - left) / width
    height = max(1, int(math.ceil((top - bottom) / res - 1e-9)))
    if width * height > MAX_OUTPUT_PIXELS:
        raise BadInput(f"The output would be {width} x {height} pixels; choose a smaller width.")
    return Grid(crs, Affine(res, 0.0, left, 0.0, -res, top), width, height)


@dataclass
class ReadResult:
    array: np.ndarray  # (bands, rows, cols)
    valid: np.ndarray  # (rows, cols) bool
    nodata: Optional[float]
    dtype: str
    overview_factor: int  # 1 = full resolution
    profile: dict[str, Any]


def source_crs(gdal_path: str, href: str, options: Optional[dict[str, str]] = None) -> CRS:
    """The CRS of a raster (costs the header read, which the following read reuses from the cache)."""
    with rasterio.Env(**gdal_options(options, href)):
        try:
            with rasterio.open(gdal_path) as src:
                if src.crs is None:
                    raise ReadError(f"{redact(href)} has no CRS: it cannot be placed on the map.")
                return src.crs
        except (RasterioError, RasterioIOError) as exc:
            raise read_error(href, exc) from None


def choose_overview(src_res: float, factors: list[int], target_res: float,
                    overview_level: Optional[int] = None) -> Optional[int]:
    """Index of the coarsest overview whose pixels are still no larger than ``target_res`` (None = full res).

    ``overview_level`` overrides: level n means a decimation of 2**n (the seed's convention), mapped to
    the overview with that factor or the nearest one below it.
    """
    if overview_level is not None:
        wanted = 2 ** max(0, overview_level)
        candidates = [i for i, f in enumerate(factors) if f <= wanted]
        return candidates[-1] if candidates else None
    best = None
    for i, f in enumerate(factors):
        if src_res * f <= target_res * 1.001:
            best = i
    return best


def read_to_grid(gdal_path: str, href: str, grid: Grid, resampling: Resampling = Resampling.average,
                 overview_level: Optional[int] = None, options: Optional[dict[str, str]] = None,
                 is_cancelled: Callable[[], bool] = lambda: False, band_indexes: Optional[list[int]] = None
                 ) -> ReadResult:
    """All bands of one raster, resampled onto ``grid`` from the right overview; out-of-file pixels invalid."""
    if is_cancelled():
        raise Cancelled("Cancelled before reading.")
    with rasterio.Env(**gdal_options(options, href)):
        try:
            with rasterio.open(gdal_path) as src:
                _check_source(src, href)
                left, bottom, right, top = transform_bounds(grid.crs, src.crs, *grid.bounds, densify_pts=21)
                src_res = abs(src.transform.a)
                target_res = (right - left) / grid.width
                factors = src.overviews(1) or []
                level = choose_overview(src_res, factors, target_res, overview_level)
                factor = factors[level] if level is not None else 1
                _check_cost(src, href, (left, bottom, right, top), factor)
                profile = {k: (str(v) if k == "crs" else v) for k, v in src.profile.items()}
                nodata = src.nodata
            if is_cancelled():
                raise Cancelled("Cancelled before reading.")
            open_kwargs = {"overview_level": level} if level is not None else {}
            with rasterio.open(gdal_path, **open_kwargs) as src:
                indexes = band_indexes or list(src.indexes)
                if src.crs == grid.crs:
                    array, valid = _read_window(src, indexes, grid, resampling, nodata)
                else:
                    array, valid = _read_warped(src, indexes, grid, resampling, nodata)
        except (RasterioError, RasterioIOError) as exc:
            raise read_error(href, exc) from None
    return ReadResult(array, valid, nodata, str(array.dtype), int(factor), profile)


def _read_window(src: Any, indexes: list[int], grid: Grid, resampling: Resampling,
                 nodata: Optional[float]) -> tuple[np.ndarray, np.ndarray]:
    """Same CRS: one decimated windowed read of the output pixels that lie inside the file. GDAL fetches
    exactly the tiles of that window, in parallel, and decodes far less than a warp would."""
    fill = 0 if nodata is None else nodata
    array = np.full((len(indexes), grid.height, grid.width), fill, dtype=src.dtypes[0])
    valid = np.zeros((grid.height, grid.width), dtype=bool)
    inv = ~src.transform  # output pixel edges -> source pixel coordinates (of this overview level)
    col_edges = [(inv * (grid.transform * (c, 0)))[0] for c in range(grid.width + 1)]
    row_edges = [(inv * (grid.transform * (0, r)))[1] for r in range(grid.height + 1)]
    cols = [c for c in range(grid.width) if col_edges[c] >= -1e-6 and col_edges[c + 1] <= src.width + 1e-6]
    rows = [r for r in range(grid.height) if row_edges[r] >= -1e-6 and row_edges[r + 1] <= src.height + 1e-6]
    if not cols or not rows:
        return array, valid
    c0, c1, r0, r1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    window = Window(col_edges[c0], row_edges[r0], col_edges[c1] - col_edges[c0], row_edges[r1] - row_edges[r0])
    data = src.read(indexes, window=window, out_shape=(len(indexes), r1 - r0, c1 - c0), resampling=resampling)
    array[:, r0:r1, c0:c1] = data
    if nodata is not None:
        valid[r0:r1, c0:c1] = (data != nodata).any(axis=0)
    else:  # an internal mask (or alpha) says which pixels are data; none means all are
        masks = src.read_masks(indexes, window=window, out_shape=(len(indexes), r1 - r0, c1 - c0),
                               resampling=Resampling.nearest)
        valid[r0:r1, c0:c1] = (masks > 0).any(axis=0)
    return array, valid


def _read_warped(src: Any, indexes: list[int], grid: Grid, resampling: Resampling,
                 nodata: Optional[float]) -> tuple[np.ndarray, np.ndarray]:
    """Another CRS: warp onto the output grid."""
    vrt_kwargs: dict[str, Any] = dict(crs=grid.crs, transform=grid.transform, width=grid.width,
                                      height=grid.height, resampling=resampling)
    if nodata is not None:
        vrt_kwargs.update(src_nodata=nodata, nodata=nodata)
    else:
        vrt_kwargs.update(add_alpha=True)
    with WarpedVRT(src, **vrt_kwargs) as vrt:
        array = vrt.read(indexes)
        valid = (array != nodata).any(axis=0) if nodata is not None else vrt.read(vrt.count) > 0
    return array, valid


def _check_source(src: Any, href: str) -> None:
    if src.crs is None:
        raise ReadError(f"{redact(href)} has no CRS: it cannot be placed on the map.")
    if src.transform.is_identity:
        raise ReadError(f"{redact(href)} has no georeferencing (no geotransform).")


def _check_cost(src: Any, href: str, src_bounds: tuple[float, float, float, float], factor: int) -> None:
    """Refuse reads that would decode far more pixels than a quicklook needs (no overviews, absurd sizes)."""
    left, bottom, right, top = src_bounds
    res_x, res_y = abs(src.transform.a) * factor, abs(src.transform.e) * factor
    cols = min(src.width / factor, max(0.0, (right - left) / res_x))
    rows = min(src.height / factor, max(0.0, (top - bottom) / res_y))
    if cols * rows > MAX_SOURCE_PIXELS:
        raise ReadError(
            f"{redact(href)} would need {cols * rows / 1e6:.0f} million pixels decoded for this view "
            f"({src.width} x {src.height} px, {'no overviews' if factor == 1 else f'best overview 1/{factor}'}). "
            "Zoom in, or use an asset with overviews (a Cloud-Optimized GeoTIFF).")


