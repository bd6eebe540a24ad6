"""Mosaic, RGB stacking and the display stretch; plus which scenes a mosaic of a bbox needs."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from stac_quicklook_plugin.core.stac import item_date

COVERAGE_SAMPLES = 24  # points per side of the bbox used to test which scene footprints cover it


def mosaic(layers: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """First valid pixel wins, in the order given. Each layer is (array (bands, rows, cols), valid (rows, cols))."""
    first_array, first_valid = layers[0]
    out = first_array.copy()
    valid = first_valid.copy()
    for array, layer_valid in layers[1:]:
        fill = layer_valid & ~valid
        if fill.any():
            out[:, fill] = array[:, fill]
            valid |= fill
    return out, valid


def percentile_limits(array: np.ndarray, valid: np.ndarray, low: float = 2.0, high: float = 98.0
                      ) -> list[tuple[float, float]]:
    """Per band (low, high) percentiles over valid pixels: the display stretch of reflectance bands."""
    limits = []
    for band in array:
        values = band[valid]
        if values.size == 0:
            limits.append((0.0, 1.0))
            continue
        lo, hi = np.percentile(values, [low, high])
        limits.append((float(lo), float(hi if hi > lo else lo + 1)))
    return limits


def to_display_uint8(array: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """uint8 stays as it is; anything else gets a per-band 2-98 % stretch to 1..255 (0 stays nodata)."""
    if array.dtype == np.uint8:
        return array
    out = np.zeros(array.shape, dtype=np.uint8)
    for i, (lo, hi) in enumerate(percentile_limits(array, valid)):
        scaled = (array[i].astype(np.float64) - lo) / (hi - lo)
        out[i] = np.clip(np.round(1 + scaled * 254), 1, 255).astype(np.uint8)
        out[i][~valid] = 0
    return out


# -- which scenes a mosaic needs ------------------------------------------------------------------
def _rings(geometry: Any) -> list[list[np.ndarray]]:
    """Polygons of a GeoJSON (Multi)Polygon as lists of rings (outer first)."""
    if not isinstance(geometry, dict):
        return []
    coords = geometry.get("coordinates")
    try:
        if geometry.get("type") == "Polygon":
            return [[np.asarray(r, dtype=float)[:, :2] for r in coords]]
        if geometry.get("type") == "MultiPolygon":
            return [[np.asarray(r, dtype=float)[:, :2] for r in poly] for poly in coords]
    except (TypeError, ValueError, IndexError):
        return []
    return []


EDGES_AT_ONCE = 2048  # a footprint's edges tested together (bounds the memory a huge polygon can take)


def _inside_ring(x: np.ndarray, y: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Even-odd rule, every edge against every point at once (in chunks of edges)."""
    px, py = x.ravel()[None, :], y.ravel()[None, :]
    crossings = np.zeros(px.shape[1], dtype=np.int64)
    for start in range(0, max(0, len(ring) - 1), EDGES_AT_ONCE):
        edges = ring[start:start + EDGES_AT_ONCE + 1]
        x1, y1, x2, y2 = edges[:-1, :1], edges[:-1, 1:2], edges[1:, :1], edges[1:, 1:2]
        crosses = (y1 > py) != (y2 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        crossings += np.count_nonzero(crosses & (px < x_at), axis=0)
    return (crossings % 2 == 1).reshape(x.shape)


def footprint_covers(item: dict[str, Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which sample points lie in the item's footprint (its geometry, else its bbox)."""
    polys = _rings(item.get("geometry"))
    if not polys:
        bbox = item.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) >= 4):
            return np.ones(x.shape, dtype=bool)  # unknown footprint: assume it helps, the read will tell
        w, s, e, n = bbox[0], bbox[1], bbox[-2], bbox[-1]
        return (x >= w) & (x <= e) & (y >= s) & (y <= n)
    covered = np.zeros(x.shape, dtype=bool)
    for rings in polys:
        inside = _inside_ring(x, y, rings[0])
        for hole in rings[1:]:
            inside &= ~_inside_ring(x, y, hole)
        covered |= inside
    return covered


def sample_points(bbox: tuple[float, float, float, float], n: int = COVERAGE_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    w, s, e, north = bbox
    xs = np.linspace(w, e, n)
    ys = np.linspace(s, north, n)
    return np.meshgrid(xs, ys)


def plan_mosaic(items: list[dict[str, Any]], bbox: tuple[float, float, float, float], max_items: int
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Scenes to read first to cover the bbox, and the rest in order of preference (to fill holes).

    The best scene comes first; then scenes from the same day (least cloudy first), then other days,
    each taken only if it covers sample points that are still uncovered.
    """
    if not items:
        return [], []
    best = items[0]
    x, y = sample_points(bbox)
    day = item_date(best)
    ordered = [best] + [i for i in items[1:] if item_date(i) == day] + [i for i in items[1:] if item_date(i) != day]
    covered = footprint_covers(best, x, y)
    chosen, rest = [best], []
    for item in ordered[1:]:
        gain = footprint_covers(item, x, y) & ~covered
        if gain.any() and len(chosen) < max_items and not covered.all():
            chosen.append(item)
            covered |= gain
        else:
            rest.append(item)
    rest = [i for i in rest if footprint_covers(i, x, y).any()]
    return chosen, rest
