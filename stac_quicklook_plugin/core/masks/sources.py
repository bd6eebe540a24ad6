"""The mask sources the engine knows, by the name a collection family's row gives (``stac.families``). An item
of a known family is judged by its family's mask source when it has that asset; an item of no known family by
the first source whose asset it has (generic behaviour); an item with neither ranks by its scene cloud cover,
and says so. A new kind of mask is a ``MaskSource`` here, under the name its family row uses."""
from __future__ import annotations

from typing import Any, Optional

from stac_quicklook_plugin.core.masks.qa_pixel import LANDSAT_QA_PIXEL
from stac_quicklook_plugin.core.masks.scl import SENTINEL2_SCL, MaskSource
from stac_quicklook_plugin.core.stac.families import family_of

MASK_SOURCES: dict[str, MaskSource] = {"scl": SENTINEL2_SCL, "qa_pixel": LANDSAT_QA_PIXEL}


def mask_source(item: dict[str, Any]) -> Optional[tuple[MaskSource, str]]:
    """The item's mask source and asset key, or None when it carries no classification."""
    family = family_of(item)
    if family is not None:
        source = MASK_SOURCES.get(family.mask)
        key = source.asset_key(item) if source is not None else None
        return (source, key) if source is not None and key else None
    for source in MASK_SOURCES.values():
        key = source.asset_key(item)
        if key:
            return source, key
    return None
