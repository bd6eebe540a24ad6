"""Footprint geometry of items: which sample points of a bbox lie in an item's footprint (its GeoJSON
(Multi)Polygon, else its bbox), vectorised over every edge at once, in bounded chunks."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

COVERAGE_SAMPLES = 24  # points per side of the bbox used to test which scene footprints cover it
def _rings(geometry: Any) -> list[list[NDArray[Any]]]:
    """Polygons of a GeoJSON (Multi)Polygon as lists of rings (outer first)."""
    if not isinstance(geometry, dict):
        return []
    coords: Any = geometry.get("coordinates")
    try:
        if geometry.get("type") == "Polygon":
            return [[np.asarray(r, dtype=float)[:, :2] for r in coords]]
        if geometry.get("type") == "MultiPolygon":
            return [[np.asarray(r, dtype=float)[:, :2] for r in poly] for poly in coords]
    except (TypeError, ValueError, IndexError):
        return []
    return []


EDGES_AT_ONCE = 2048  # a footprint's edges tested together (bounds the memory a huge polygon can take)


def _inside_ring(x: NDArray[Any], y: NDArray[Any], ring: NDArray[Any]) -> NDArray[Any]:
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
    inside: NDArray[Any] = (crossings % 2 == 1).reshape(x.shape)
    return inside


def footprint_covers(item: dict[str, Any], x: NDArray[Any], y: NDArray[Any]) -> NDArray[Any]:
    """Which sample points lie in the item's footprint (its geometry, else its bbox)."""
    polys = _rings(item.get("geometry"))
    if not polys:
        bbox = item.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) >= 4):
            return np.ones(x.shape, dtype=bool)  # unknown footprint: assume it helps, the read will tell
        w, s, e, n = bbox[0], bbox[1], bbox[-2], bbox[-1]
        within: NDArray[Any] = (x >= w) & (x <= e) & (y >= s) & (y <= n)
        return within
    covered = np.zeros(x.shape, dtype=bool)
    for rings in polys:
        inside = _inside_ring(x, y, rings[0])
        for hole in rings[1:]:
            inside &= ~_inside_ring(x, y, hole)
        covered |= inside
    return covered


def sample_points(bbox: tuple[float, float, float, float], n: int = COVERAGE_SAMPLES
                  ) -> tuple[NDArray[Any], NDArray[Any]]:
    w, s, e, north = bbox
    xs = np.linspace(w, e, n)
    ys = np.linspace(s, north, n)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return grid_x, grid_y
