"""Window + overview reads: only the pixels of the output grid, from the coarsest overview that still gives
the requested width, with GDAL options that make COG streaming take few round trips. The library doing
the reads is a backend (``core.backend``: rasterio, or osgeo.gdal where rasterio is absent)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.errors import Cancelled, ReadError
from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.core.raster.backend import backend
from stac_quicklook_plugin.core.raster.errors import read_error
from stac_quicklook_plugin.core.raster.gdal_env import gdal_options
from stac_quicklook_plugin.core.raster.grid import (  # noqa: F401 (as this module had them)
    MAX_OUTPUT_PIXELS,
    WGS84,
    Grid,
    bounds_in,
    choose_overview,
    crs_wkt,
    plan_grid,
)
from stac_quicklook_plugin.core.raster.header import Header
from stac_quicklook_plugin.core.raster.ranges import Transfer, remote_tiff, usable
from stac_quicklook_plugin.core.raster.remote import RemoteFile
from stac_quicklook_plugin.core.raster.sparse import LevelGeometry, SourceFile
from stac_quicklook_plugin.core.threads import LazyPool

MAX_SOURCE_PIXELS = 64_000_000  # bound on the source pixels one read may decode (files without overviews)
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


@dataclass
class ReadResult:
    array: NDArray[Any]  # (bands, rows, cols)
    valid: NDArray[Any]  # (rows, cols) bool
    nodata: Optional[float]
    dtype: str
    overview_factor: int  # 1 = full resolution
    profile: dict[str, Any]


def source_crs(file: RemoteFile) -> str:
    """The WKT CRS of a raster (costs the header read, which the following read reuses from the cache)."""
    be = backend()
    href = file.href
    with be.env(gdal_options(file.options, href)):
        try:
            with SourceFile(file, be.mem_file) as files:
                crs = _header(be, files).crs
        except be.ERRORS as exc:
            raise read_error(href, exc) from None
    if not crs:
        raise ReadError(f"{redact(href)} has no CRS: it cannot be placed on the map.")
    return crs


def _header(be: Any, files: SourceFile) -> Header:
    """The file's facts: from the tile index the engine fetched when it can say them, else from GDAL's open."""
    header = files.header()
    if header is None:
        with be.open_source(files.path()) as src:
            header = Header.of_source(src)
    return header


def fetch_header(file: RemoteFile) -> None:
    """Have a file's size and header at hand for a later read, as cheaply as can be: the engine's ranged GET
    (no GDAL open, no CPU taken from the reads under way), else GDAL's open (whose cache keeps them)."""
    if usable(file) and remote_tiff(Transfer.of(file, lambda: False)):
        return
    source_crs(file)


def read_to_grid(file: RemoteFile, grid: Grid, resampling: str = "average", overview_level: Optional[int] = None,
                 is_cancelled: Callable[[], bool] = lambda: False, band_indexes: Optional[list[int]] = None
                 ) -> ReadResult:
    """All bands of one raster, resampled onto ``grid`` from the right overview ("average", "nearest", or
    "smooth": average where the overview's pixels are smaller than the grid's, bilinear where larger, as for a
    20 m band on a 10 m grid); out-of-file pixels invalid."""
    if is_cancelled():
        raise Cancelled("Cancelled before reading.")
    be = backend()
    href = file.href
    options = gdal_options(file.options, href)
    with be.env(options):
        try:
            with SourceFile(file, be.mem_file, is_cancelled) as files:
                src = _header(be, files)
                _check_source(src, href)
                src_bounds = bounds_in(be.NAME, grid.crs, src.crs, grid.bounds)
                target_res = (src_bounds[2] - src_bounds[0]) / grid.width
                factors = src.overview_factors
                level = choose_overview(abs(src.transform[0]), factors, target_res, overview_level)
                factor = factors[level] if level is not None else 1
                if resampling == "smooth":  # values: averaged when shrunk, bilinear when enlarged
                    enlarged = target_res < abs(src.transform[0]) * factor * 0.999
                    resampling = "bilinear" if enlarged else "average"
                _check_cost(src, href, src_bounds, factor)
                profile, nodata = src.profile, src.nodata
                same_crs = be.same_crs(src.crs, grid.crs)
                full = LevelGeometry(src.transform, src.width, src.height, src.nodata)
                if is_cancelled():
                    raise Cancelled("Cancelled before reading.")
                # The engine's overview, and only it (GDAL would pick another by a rule that changed in 3.9),
                # so the tiles fetched below are the tiles read. Its size comes from the file's tile index
                # when the engine fetched the header itself (no second GDAL open), else from GDAL.
                geometry = files.level_geometry(full, level)
                if geometry is None:
                    with be.open_source(files.path(), level, level_only=True) as level_source:
                        geometry = LevelGeometry(level_source.transform, level_source.width, level_source.height,
                                                 level_source.nodata)
                placement = _placement(geometry, grid) if same_crs else None
                window = placement[0] if placement else _pixel_window(geometry.transform, src_bounds)
                files.fetch_window(geometry.width, geometry.height, window, with_mask=geometry.nodata is None)
                job = WindowRead(files.path(), level, options, band_indexes or list(range(1, profile["count"] + 1)),
                                 grid, resampling, is_cancelled)
                # Halves only from memory: two GDAL handles reading over the network would both fetch the
                # row of tiles the split runs through.
                if same_crs and placement is not None and files.window_in_memory and _worth_halving(placement):
                    array, valid = _read_in_halves(job, placement)
                elif same_crs:
                    array, valid = job.read(placement)
                else:
                    with be.open_source(job.path, level, level_only=True) as level_source:
                        array, valid = level_source.warp(grid, job.indexes, resampling, is_cancelled)
        except be.ERRORS as exc:
            raise read_error(href, exc) from None
    return ReadResult(array, valid, nodata, str(array.dtype), int(factor), profile)


def _inverse(transform: tuple[float, ...]) -> Callable[[float, float], tuple[float, float]]:
    """Map coordinates -> pixel coordinates of an affine (a, b, c, d, e, f) transform."""
    a, b, c, d, e, f = transform
    det = a * e - b * d
    return lambda x, y: ((e * (x - c) - b * (y - f)) / det, (-d * (x - c) + a * (y - f)) / det)


Placement = tuple[tuple[float, float, float, float], tuple[int, int, int, int]]


def _placement(src: Any, grid: Grid) -> Optional[Placement]:
    """Same CRS: the source window (col, row, width, height; floats) under the output pixels that lie inside
    the file, and those output pixels (row0, row1, col0, col1); None when none do."""
    to_pixel = _inverse(src.transform)  # output pixel edges -> source pixel coordinates (this overview)
    a, _, left, _, e, top = grid.transform
    col_edges = [to_pixel(left + a * c, top)[0] for c in range(grid.width + 1)]
    row_edges = [to_pixel(left, top + e * r)[1] for r in range(grid.height + 1)]
    cols = [c for c in range(grid.width) if col_edges[c] >= -1e-6 and col_edges[c + 1] <= src.width + 1e-6]
    rows = [r for r in range(grid.height) if row_edges[r] >= -1e-6 and row_edges[r + 1] <= src.height + 1e-6]
    if not cols or not rows:
        return None
    c0, c1, r0, r1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    window = (col_edges[c0], row_edges[r0], col_edges[c1] - col_edges[c0], row_edges[r1] - row_edges[r0])
    return window, (r0, r1, c0, c1)


def _pixel_window(transform: tuple[float, ...], bounds: tuple[float, float, float, float]
                  ) -> tuple[float, float, float, float]:
    """The pixel window (col, row, width, height) of ``bounds`` (in the file's CRS), one pixel wider each side
    (a warp's kernel reaches past the edge)."""
    to_pixel = _inverse(transform)
    left, bottom, right, top = bounds
    xs, ys = zip(*(to_pixel(x, y) for x in (left, right) for y in (bottom, top)))
    return (min(xs) - 1, min(ys) - 1, max(xs) - min(xs) + 2, max(ys) - min(ys) + 2)


@dataclass
class WindowRead:
    """One file's same-CRS read onto the grid: what any part of it needs (``path`` opened at ``level`` only)."""

    path: str
    level: Optional[int]
    options: dict[str, str]
    indexes: list[int]
    grid: Grid
    resampling: str
    is_cancelled: Callable[[], bool]

    def read(self, placement: Optional[Placement]) -> tuple[NDArray[Any], NDArray[Any]]:
        """One decimated windowed read of the output pixels ``placement`` puts inside the file (GDAL decodes
        only the tiles of that window, far less than a warp would); the rest of the grid invalid."""
        be = backend()
        with be.env(self.options), be.open_source(self.path, self.level, level_only=True) as src:
            nodata = src.nodata
            array = np.full((len(self.indexes), self.grid.height, self.grid.width), 0 if nodata is None else nodata,
                            dtype=src.dtype)
            valid = np.zeros((self.grid.height, self.grid.width), dtype=bool)
            if placement is None:
                return array, valid
            window, (r0, r1, c0, c1) = placement
            out_shape = (r1 - r0, c1 - c0)
            data = src.read(self.indexes, window, out_shape, self.resampling, self.is_cancelled)
            array[:, r0:r1, c0:c1] = data
            if nodata is not None:
                valid[r0:r1, c0:c1] = (data != nodata).any(axis=0)
            else:  # an internal mask (or alpha) says which pixels are data; none means all are
                valid[r0:r1, c0:c1] = src.read_mask(self.indexes, window, out_shape)
            return array, valid


HALVING_MIN_PIXELS = 512 * 512  # smaller reads are not worth a second thread
_decoders = LazyPool(2, "stac-quicklook-decode")


def _worth_halving(placement: Placement) -> bool:
    _, (r0, r1, c0, c1) = placement
    return (r1 - r0) >= 64 and (r1 - r0) * (c1 - c0) >= HALVING_MIN_PIXELS


def _read_in_halves(job: WindowRead, placement: Placement) -> tuple[NDArray[Any], NDArray[Any]]:
    """The same read as ``job.read(placement)``, its top half decoded in a second thread: GDAL decodes and
    averages tiles without the GIL, so on two cores the biggest read of a quicklook takes about half as long.
    The window is split at an output row edge, so each half averages exactly the pixels the whole would."""
    window, (r0, r1, c0, c1) = placement
    middle = (r0 + r1) // 2
    top_height = window[3] * (middle - r0) / (r1 - r0)
    top = ((window[0], window[1], window[2], top_height), (r0, middle, c0, c1))
    bottom = ((window[0], window[1] + top_height, window[2], window[3] - top_height), (middle, r1, c0, c1))
    upper = _decoders.get().submit(job.read, top)
    array, valid = job.read(bottom)
    upper_array, upper_valid = upper.result()
    array[:, r0:middle] = upper_array[:, r0:middle]
    valid[r0:middle] = upper_valid[r0:middle]
    return array, valid


def _check_source(src: Any, href: str) -> None:
    if not src.crs:
        raise ReadError(f"{redact(href)} has no CRS: it cannot be placed on the map.")
    if tuple(src.transform) == IDENTITY:
        raise ReadError(f"{redact(href)} has no georeferencing (no geotransform).")


def _check_cost(src: Any, href: str, src_bounds: tuple[float, float, float, float], factor: int) -> None:
    """Refuse reads that would decode far more pixels than a quicklook needs (no overviews, absurd sizes)."""
    left, bottom, right, top = src_bounds
    res_x, res_y = abs(src.transform[0]) * factor, abs(src.transform[4]) * factor
    cols = min(src.width / factor, max(0.0, (right - left) / res_x))
    rows = min(src.height / factor, max(0.0, (top - bottom) / res_y))
    if cols * rows > MAX_SOURCE_PIXELS:
        raise ReadError(
            f"{redact(href)} would need {cols * rows / 1e6:.0f} million pixels decoded for this view "
            f"({src.width} x {src.height} px, {'no overviews' if factor == 1 else f'best overview 1/{factor}'}). "
            "Zoom in, or use an asset with overviews (a Cloud-Optimized GeoTIFF).")
