"""The mask sources the engine knows, as data: one row per collection family. Adding a family is adding a
``MaskSource`` here (its asset keys, what has data, what is cloudy); an item with none of them ranks by its
scene cloud cover, and says so."""
from __future__ import annotations

from typing import Any, Optional

from stac_quicklook_plugin.core.masks.qa_pixel import LANDSAT_QA_PIXEL
from stac_quicklook_plugin.core.masks.scl import SENTINEL2_SCL, MaskSource

MASK_SOURCES: tuple[MaskSource, ...] = (SENTINEL2_SCL, LANDSAT_QA_PIXEL)


def mask_source(item: dict[str, Any]) -> Optional[tuple[MaskSource, str]]:
    """The item's mask source and asset key, or None when it carries no classification."""
    for source in MASK_SOURCES:
        key = source.asset_key(item)
        if key:
            return source, key
    return None
