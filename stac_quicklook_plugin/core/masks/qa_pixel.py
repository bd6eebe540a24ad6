"""Landsat Collection 2 Level-2 ``qa_pixel``: a 16-bit field per pixel (USGS; stactools-packages/landsat).

Bit 0 fill (no data), 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow, 6 clear, 7 water. Cloudy here
means any of bits 1-4, as the scene classification's classes 3, 8, 9, 10 for Sentinel-2. A bit field is never
averaged: the engine reads it nearest, from the overview that resolves the grid.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.masks.scl import MaskSource

FILL_BIT = 1 << 0
CLOUDY_BITS = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4)  # dilated cloud, cirrus, cloud, cloud shadow


def _has_data(bits: NDArray[Any]) -> NDArray[Any]:
    return np.asarray((bits.astype(np.int64) & FILL_BIT) == 0)


def _is_cloudy(bits: NDArray[Any]) -> NDArray[Any]:
    return np.asarray((bits.astype(np.int64) & CLOUDY_BITS) != 0)


LANDSAT_QA_PIXEL = MaskSource("Landsat Collection 2 QA_PIXEL", ("qa_pixel", "QA_PIXEL"), FILL_BIT, _is_cloudy,
                              _has_data, dtypes=("uint16",))  # a 16-bit field; any other type is another file
