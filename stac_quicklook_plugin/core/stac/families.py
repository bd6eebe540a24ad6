"""The collection families the engine knows, as data: one ``Family`` row each.

A row says how to recognise the family's items (their collection id, else their ``platform``), the short
name layers and series label them with, the ``eo:common_name`` of the true-colour bands, which mask source
judges their cloud (by name: ``masks.sources`` holds how each is read), the properties that carry the
scene's cloud cover, and the reflectance range true colour is stretched over.

An item of no known family keeps the generic behaviour: true colour from any red, green and blue bands, a
mask source found by its asset key (``masks.sources``), ``eo:cloud_cover``, collection id as its label.

Adding a family is adding a row to ``FAMILIES`` (and, for a new kind of cloud mask, a ``MaskSource`` in
``masks/`` named by the row's ``mask``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

SCENE_CLOUD = ("eo:cloud_cover",)


@dataclass(frozen=True)
class Family:
    name: str  # "Sentinel-2 L2A"
    short: str  # layer names, a mixed series' sensor label: "S2"
    collections: tuple[str, ...]  # collection ids known to hold it
    platforms: tuple[str, ...]  # lower-case prefixes of the items' ``platform`` (an unlisted collection id)
    mask: str = ""  # the name of its mask source (``masks.sources``); "" = none known
    true_colour: tuple[str, str, str] = ("red", "green", "blue")  # eo:common_name
    scene_cloud: tuple[str, ...] = SCENE_CLOUD  # properties, the first that is a percentage wins
    display_range: tuple[float, float] = (0.0, 0.3)  # true colour's reflectance stretch

    def holds(self, item: dict[str, Any]) -> bool:
        collection = item.get("collection")
        if isinstance(collection, str) and collection in self.collections:
            return True
        props = item.get("properties")
        platform = props.get("platform") if isinstance(props, dict) else None
        return isinstance(platform, str) and platform.strip().lower().startswith(self.platforms)


SENTINEL2_L2A = Family(
    "Sentinel-2 L2A", "S2", ("sentinel-2-l2a", "sentinel-2-c1-l2a", "sentinel2-l2a"), ("sentinel-2",),
    mask="scl")
# USGS Landsat Collection 2 Level-2 (Landsat 4-9): surface reflectance with the qa_pixel bit field.
# eo:cloud_cover is the whole scene's; landsat:cloud_cover_land (land only) when a server leaves the first out.
LANDSAT_C2_L2 = Family(
    "Landsat Collection 2 Level-2", "Landsat", ("landsat-c2-l2",), ("landsat-",), mask="qa_pixel",
    scene_cloud=("eo:cloud_cover", "landsat:cloud_cover_land"))
FAMILIES: tuple[Family, ...] = (SENTINEL2_L2A, LANDSAT_C2_L2)


def family_of(item: dict[str, Any]) -> Optional[Family]:
    """The item's family, or None (generic behaviour)."""
    for family in FAMILIES:
        if family.holds(item):
            return family
    return None


def sensor(item: dict[str, Any]) -> str:
    """What an item is labelled with beside items of other sensors: its family's short name, else its
    collection id, else ""."""
    family = family_of(item)
    if family is not None:
        return family.short
    collection = item.get("collection")
    return collection if isinstance(collection, str) else ""
