"""The physical floor of a quicklook: the fewest bytes and sequential round trips any client could use.

From each COG's own tile index (GDAL's BLOCK_OFFSET_x_y / BLOCK_SIZE_x_y metadata, read from the local
file): the header (every byte before the first tile, i.e. the IFDs and tile index) plus exactly the
tiles of the overview ours chose that intersect the view's window.

Round trips, counted as the longest chain of requests that cannot overlap:
  cold:               landing page 1 + search 1 + header 1 + tiles 1 = 4
  conformance cached:                search 1 + header 1 + tiles 1 = 3
(a search answer carries the assets, so no item GET; every file's header is fetched in parallel, then
every file's tiles in parallel, one request each since a client may ask for many ranges at once).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUND_TRIPS_COLD = 4
ROUND_TRIPS_CACHED = 3


@dataclass
class FileFloor:
    path: str
    header_bytes: int
    tile_bytes: int
    tiles: int
    overview_factor: int

    @property
    def total(self) -> int:
        return self.header_bytes + self.tile_bytes


def _block_offsets(band: Any) -> list[int]:
    bx, by = band.GetBlockSize()
    nx, ny = math.ceil(band.XSize / bx), math.ceil(band.YSize / by)
    offsets = []
    for y in range(ny):
        for x in range(nx):
            value = band.GetMetadataItem(f"BLOCK_OFFSET_{x}_{y}", "TIFF")
            if value:
                offsets.append(int(value))
    return offsets


def file_floor(path: Path, grid: dict[str, Any], overview_factor: int) -> FileFloor:
    """Header + the tiles of the overview with ``overview_factor`` (1 = full resolution) that the grid needs."""
    from osgeo import gdal
    from rasterio.crs import CRS
    from rasterio.warp import transform_bounds

    gdal.UseExceptions()
    ds = gdal.Open(str(path))
    full = ds.GetRasterBand(1)
    levels = [full] + [full.GetOverview(i) for i in range(full.GetOverviewCount())]
    first_tile = min(min(_block_offsets(b)) for b in levels)
    band = full
    for b in levels:
        if round(ds.RasterXSize / b.XSize) == overview_factor:
            band = b
    a, _, c, _, e, f = grid["transform"]
    bounds = (c, f + e * grid["height"], c + a * grid["width"], f)
    left, bottom, right, top = transform_bounds(CRS.from_user_input(grid["crs"]),
                                                CRS.from_wkt(ds.GetProjection()), *bounds, densify_pts=21)
    ulx, resx, _, uly, _, resy = ds.GetGeoTransform()
    sx, sy = resx * ds.RasterXSize / band.XSize, -resy * ds.RasterYSize / band.YSize
    col0 = max(0, math.floor((left - ulx) / sx))
    col1 = min(band.XSize, math.ceil((right - ulx) / sx))
    row0 = max(0, math.floor((uly - top) / sy))
    row1 = min(band.YSize, math.ceil((uly - bottom) / sy))
    bx, by = band.GetBlockSize()
    tile_bytes = tiles = 0
    for ty in range(row0 // by, (max(row1, row0 + 1) - 1) // by + 1):
        for tx in range(col0 // bx, (max(col1, col0 + 1) - 1) // bx + 1):
            size = band.GetMetadataItem(f"BLOCK_SIZE_{tx}_{ty}", "TIFF")
            if size:  # sparse (empty) tiles cost nothing
                tile_bytes += int(size)
                tiles += 1
    return FileFloor(str(path), first_tile, tile_bytes, tiles, overview_factor)


def whole_file_floor(path: Path, overview_factor: int) -> dict[str, Any]:
    """The floor of reading a whole file at one overview (the seed's product: the whole scene at 1/16)."""
    from osgeo import gdal

    ds = gdal.Open(str(path))
    ulx, resx, _, uly, _, resy = ds.GetGeoTransform()
    grid = {"crs": ds.GetProjection(), "transform": [resx, 0, ulx, 0, resy, uly],
            "width": ds.RasterXSize, "height": ds.RasterYSize}
    return floor([path], grid, overview_factor)


def floor(paths: list[Path], grid: dict[str, Any], overview_factor: int) -> dict[str, Any]:
    files = [file_floor(p, grid, overview_factor) for p in paths]
    return {
        "bytes": sum(f.total for f in files),
        "header_bytes": sum(f.header_bytes for f in files),
        "tile_bytes": sum(f.tile_bytes for f in files),
        "tiles": sum(f.tiles for f in files),
        "files": len(files),
        "overview_factor": overview_factor,
        "round_trips_cold": ROUND_TRIPS_COLD,
        "round_trips_cached": ROUND_TRIPS_CACHED,
    }
