"""The output grid: square pixels over a bbox in a CRS, and which overview of a file serves it (the coarsest
whose pixels are still no larger than the grid's). CRS look-ups and bounds transforms are remembered: PROJ
builds a coordinate operation anew for every transform (10-40 ms each) and a run asks the same few questions
many times (each file, each plan, each date)."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Optional

from stac_quicklook_plugin.core.errors import BadInput
from stac_quicklook_plugin.core.raster.backend import backend, backend_name

MAX_OUTPUT_PIXELS = 8192 * 8192
WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Grid:
    """The output grid: CRS (WKT), affine transform (a, b, c, d, e, f as in rasterio) and size."""

    crs: str
    transform: tuple[float, float, float, float, float, float]
    width: int
    height: int

    @property
    def resolution(self) -> float:
        return self.transform[0]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        a, _, left, _, e, top = self.transform
        return (left, top + e * self.height, left + a * self.width, top)


def crs_wkt(user_input: Any) -> str:
    """WKT of a CRS given as "EPSG:n", WKT or PROJ text; BadInput if it is none GDAL knows."""
    try:
        return _crs_wkt(backend_name(), str(user_input)) if isinstance(user_input, str) else \
            backend().crs_wkt(user_input)
    except ValueError:
        raise BadInput(f"The output CRS {str(user_input)[:200]!r} is not a CRS GDAL knows "
                       "(use e.g. EPSG:3857 or WKT).") from None


# PROJ builds a coordinate operation anew for every transform (10-40 ms each); a run asks the same few
# questions many times (each file, each plan, each date), and the answers never change.
@functools.lru_cache(maxsize=256)
def _crs_wkt(reader: str, user_input: str) -> str:
    return str(backend().crs_wkt(user_input))


@functools.lru_cache(maxsize=1024)
def bounds_in(reader: str, src_wkt: str, dst_wkt: str, bounds: tuple[float, float, float, float]
              ) -> tuple[float, float, float, float]:
    """``bounds`` (in ``src_wkt``) transformed into ``dst_wkt``, densified; remembered."""
    be = backend()
    if be.same_crs(src_wkt, dst_wkt):
        return bounds
    left, bottom, right, top = be.transform_bounds(src_wkt, dst_wkt, tuple(bounds))
    return float(left), float(bottom), float(right), float(top)


def plan_grid(bbox_wgs84: tuple[float, float, float, float], dst_crs: Any, width: int) -> Grid:
    """Square pixels covering the bbox (densified into ``dst_crs``), ``width`` pixels across."""
    be = backend()
    wkt = crs_wkt(dst_crs)
    label = be.crs_label(wkt)
    try:
        left, bottom, right, top = bounds_in(be.NAME, crs_wkt(WGS84), wkt, tuple(bbox_wgs84))
    except Exception as exc:  # PROJ/GDAL raise assorted errors for impossible transforms
        raise BadInput(f"The bbox cannot be transformed into {label}: {exc}") from None
    if not all(math.isfinite(v) for v in (left, bottom, right, top)) or right <= left or top <= bottom:
        raise BadInput(f"The bbox {bbox_wgs84} has no valid extent in {label}.")
    res = (right - left) / width
    height = max(1, int(math.ceil((top - bottom) / res - 1e-9)))
    if width * height > MAX_OUTPUT_PIXELS:
        raise BadInput(f"The output would be {width} x {height} pixels; choose a smaller width.")
    return Grid(wkt, (res, 0.0, left, 0.0, -res, top), width, height)


def choose_overview(src_res: float, factors: list[int], target_res: float,
                    overview_level: Optional[int] = None) -> Optional[int]:
    """Index of the coarsest overview whose pixels are still no larger than ``target_res`` (None = full res).

    ``overview_level`` overrides: level n means a decimation of 2**n (the original snippet's convention), mapped to
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
