"""Pixels of a mosaic: first valid pixel wins; and the per-band percentile display stretch of stored values."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray


def mosaic(layers: Sequence[tuple[NDArray[Any], NDArray[Any]]]) -> tuple[NDArray[Any], NDArray[Any]]:
    """First valid pixel wins, in the order given. Each layer is (array (bands, rows, cols), valid (rows, cols))."""
    first_array, first_valid = layers[0]
    out = first_array.copy()
    valid = first_valid.copy()
    for array, layer_valid in layers[1:]:
        fill = layer_valid & ~valid
        if fill.any():
            np.copyto(out, array, casting="unsafe", where=fill)  # in place: no index arrays (2-3x faster)
            valid |= fill
    return out, valid


def percentile_limits(array: NDArray[Any], valid: NDArray[Any], low: float = 2.0, high: float = 98.0
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


def to_display_uint8(array: NDArray[Any], valid: NDArray[Any]) -> NDArray[Any]:
    """uint8 stays as it is; anything else gets a per-band 2-98 % stretch to 1..255 (0 stays nodata)."""
    if array.dtype == np.uint8:
        return array
    out = np.zeros(array.shape, dtype=np.uint8)
    for i, (lo, hi) in enumerate(percentile_limits(array, valid)):
        scaled = (array[i].astype(np.float64) - lo) / (hi - lo)
        out[i] = np.clip(np.round(1 + scaled * 254), 1, 255).astype(np.uint8)
        out[i][~valid] = 0
    return out
