"""Cloud from a scene's own per-pixel classification: which asset holds it, which pixels have data and which
are cloudy. One small adapter per mask source (``MaskSource``): Sentinel-2 L2A's scene classification (SCL)
here, Landsat Collection 2's ``qa_pixel`` bits in ``masks.qa_pixel``; ``masks.sources`` lists them. The engine
reads them (``engine.masks``), always nearest, never averaged: they are classes and bit fields."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class MaskSource:
    """Where an item's cloud classification is, and how to read it."""

    name: str
    asset_keys: tuple[str, ...]  # first present key wins
    nodata: int
    is_cloudy: Callable[[NDArray[Any]], NDArray[Any]]  # classes -> bool
    has_data: Optional[Callable[[NDArray[Any]], NDArray[Any]]] = None  # classes -> bool; None: != nodata
    dtypes: tuple[str, ...] = ("uint8", "uint16", "int16")  # what its file may hold; anything else is not it

    def data(self, classes: NDArray[Any]) -> NDArray[Any]:
        """Where the classification says the scene has data."""
        return self.has_data(classes) if self.has_data is not None else classes != self.nodata

    def asset_key(self, item: dict[str, Any]) -> Optional[str]:
        assets: dict[str, Any] = item["assets"] if isinstance(item.get("assets"), dict) else {}
        for key in self.asset_keys:
            asset = assets.get(key)
            if isinstance(asset, dict) and isinstance(asset.get("href"), str) and asset["href"]:
                return key
        return None


# Sentinel-2 L2A scene classification: 0 no data, 1 saturated, 2 dark, 3 cloud shadow, 4 vegetation, 5 bare,
# 6 water, 7 unclassified, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus, 11 snow.
SCL_CLOUDY = (3, 8, 9, 10)
SENTINEL2_SCL = MaskSource("Sentinel-2 scene classification", ("scl", "SCL"), 0,
                           lambda classes: np.isin(classes, SCL_CLOUDY))


@dataclass
class CloudMask:
    """One scene's classification on a grid: where it has data, and where that data is cloudy."""

    data: NDArray[Any]  # (rows, cols) bool
    cloudy: NDArray[Any]  # (rows, cols) bool, only where data

    @property
    def coverage(self) -> float:
        """Percent of the grid where the scene has data."""
        return float(100.0 * self.data.mean())

    @property
    def view_cloud(self) -> Optional[float]:
        """Percent of the scene's data pixels over the grid that are cloudy; None without data."""
        n = int(self.data.sum())
        return round(100.0 * int(self.cloudy.sum()) / n, 2) if n else None


def combine(masks: list[CloudMask]) -> CloudMask:
    """Masks of scenes mosaicked in this order (first data wins), as one mask."""
    data = np.zeros_like(masks[0].data)
    cloudy = np.zeros_like(masks[0].cloudy)
    for mask in masks:
        fill = mask.data & ~data
        cloudy[fill] = mask.cloudy[fill]
        data |= fill
    return CloudMask(data, cloudy)
