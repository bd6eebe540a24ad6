"""The physical floor of a quicklook: the fewest bytes and sequential round trips any client could use.

From each COG's own tile index (GDAL's BLOCK_OFFSET_x_y / BLOCK_SIZE_x_y metadata, read from the local
file): the header (every byte before the first tile, i.e. the IFDs and tile index) plus exactly the
tiles of the overview ours chose that intersect the view's window.

Round trips, counted as the longest chain of requests that cannot overlap:
  cold:               landing page 1 + search 1 + header 1 + tiles 1 = 4
  conformance cached:                search 1 + header 1 + tiles 1 = 3
(a search answer carries the assets, so no item GET; every file's header is fetched in parallel, then
every file's tiles in parallel, one request each since a client may ask for many ranges at once).

The decode floor (``decode_floor``): the CPU any client must spend once the bytes are here, i.e. GDAL alone
opening each file from the local disk (in the page cache: memory, no network), reading exactly the grid's
window of the same overview with average resampling onto the grid's pixels (as ours does; and with nearest,
rio-tiler's default, to show what the resampling costs), the files two at a time on the machine's two cores.
Run in the contenders' interpreter (one GDAL for all), median of ``DECODE_RUNS``.
"""
from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUND_TRIPS_COLD = 4
ROUND_TRIPS_CACHED = 3
DECODE_RUNS = 7
DECODE_THREADS = 2


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


def decode_floor(python: Path, paths: list[Path], grid: dict[str, Any], overview_factor: int) -> dict[str, Any]:
    """The decode floor of a quicklook's files, measured in a fresh process of ``python``."""
    spec = json.dumps({"paths": [str(p) for p in paths], "grid": grid, "overview_factor": overview_factor})
    done = subprocess.run([str(python), "-m", "benchmarks.floor", spec], capture_output=True, text=True,
                          timeout=300, cwd=str(Path(__file__).resolve().parents[1]))
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout)


def _decode_file(path: str, grid: dict[str, Any], overview_factor: int, resampling: str) -> int:
    """Open ``path`` at the overview and read the grid's window of it onto the grid's pixels; pixels read."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window

    a, _, c, _, e, f = grid["transform"]
    bounds = (c, f + e * grid["height"], c + a * grid["width"], f)
    with rasterio.open(path) as full:
        factors = full.overviews(1)
        level = factors.index(overview_factor) if overview_factor in factors else None
        left, bottom, right, top = transform_bounds(grid["crs"], full.crs, *bounds, densify_pts=21)
        fb = full.bounds
        left, bottom, right, top = max(left, fb.left), max(bottom, fb.bottom), min(right, fb.right), min(top, fb.top)
    if left >= right or bottom >= top:
        return 0
    columns = max(1, round(grid["width"] * (right - left) / (bounds[2] - bounds[0])))
    rows = max(1, round(grid["height"] * (top - bottom) / (bounds[3] - bounds[1])))
    with rasterio.open(path, overview_level=level) as src:
        ulx, uly = src.transform.c, src.transform.f
        sx, sy = src.transform.a, -src.transform.e
        window = Window((left - ulx) / sx, (uly - top) / sy, (right - left) / sx, (top - bottom) / sy)
        data = src.read(window=window, out_shape=(src.count, rows, columns), resampling=Resampling[resampling])
    return int(data.size)


def _decode_once(paths: list[str], grid: dict[str, Any], overview_factor: int, resampling: str
                 ) -> tuple[float, int]:
    started = time.perf_counter()
    with ThreadPoolExecutor(DECODE_THREADS) as pool:
        pixels = sum(pool.map(lambda p: _decode_file(p, grid, overview_factor, resampling), paths))
    return time.perf_counter() - started, pixels


def main(argv: list[str]) -> int:
    import rasterio

    spec = json.loads(argv[0])
    out: dict[str, Any] = {"runs": DECODE_RUNS, "threads": DECODE_THREADS, "gdal": rasterio.__gdal_version__}
    # average: ours; nearest: rio-tiler's default, for what the resampling alone costs
    for resampling, key in (("average", "decode_ms"), ("nearest", "decode_nearest_ms")):
        args = (spec["paths"], spec["grid"], spec["overview_factor"], resampling)  # GDAL's default block cache
        _decode_once(*args)  # drivers registered, files paged in
        runs = [_decode_once(*args) for _ in range(DECODE_RUNS)]
        out[key] = round(1000 * statistics.median(t for t, _ in runs), 1)
        out[key + "_min"] = round(1000 * min(t for t, _ in runs), 1)
        out["pixels"] = runs[0][1]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
