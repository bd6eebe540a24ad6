"""What a quicklook shows: true colour, a false-colour composite or a spectral index, by band common name.

A preset names bands by their ``eo:common_name`` (STAC 1.0 ``eo:bands``, STAC 1.1 ``bands``), so Earth Search
(``red``, ``nir``), Planetary Computer (``B04``, ``B08``) and any well-described collection work alike
(``band_assets`` finds each band's asset in an item). Composites are three bands stretched in reflectance over a
fixed range; indices are one float32 band computed on reflectance by an expression (``bands.expression``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from stac_quicklook_plugin.core.bands.expression import Expression, parse
from stac_quicklook_plugin.core.bands.metadata import common_name
from stac_quicklook_plugin.core.errors import AssetError, BadInput

# A band may go by another common name in some collections: Sentinel-2's narrow NIR (B8A) is "nir08", its
# broad NIR (B08) "nir"; a preset asking for "nir08" takes "nir" where there is no "nir08".
ALTERNATIVES = {"nir08": ("nir",), "nir": ("nir08",)}


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    bands: tuple[str, ...] = ()  # a composite's red, green, blue channels (common names)
    formula: str = ""  # an index's expression over common names
    value_range: tuple[float, float] = (0.0, 0.3)  # a composite's reflectance stretch; an index's colour ramp
    ramp: str = ""  # an index's colour ramp (the QGIS side draws it)

    @property
    def is_index(self) -> bool:
        return bool(self.formula)

    @property
    def needs(self) -> tuple[str, ...]:
        return parse(self.formula).names if self.formula else self.bands


# Colour ramps of the indices, (position 0..1 over the preset's value range, colour), drawn alike by the PNG
# figure (matplotlib) and the QGIS layer (a pseudocolour renderer).
RAMPS: dict[str, tuple[tuple[float, str], ...]] = {
    "ndvi": ((0.0, "#8c510a"), (0.2, "#bf812d"), (0.35, "#dfc27d"), (0.5, "#f6e8c3"), (0.65, "#a6d96a"),
             (0.8, "#4dac26"), (1.0, "#1b5e20")),  # brown (bare, water) to green (dense vegetation)
    "water": ((0.0, "#f7fbff"), (0.45, "#c6dbef"), (0.6, "#6baed6"), (0.8, "#2171b5"), (1.0, "#08306b")),
    "moisture": ((0.0, "#8c510a"), (0.35, "#dfc27d"), (0.5, "#f5f5f5"), (0.7, "#80cdc1"), (1.0, "#01665e")),
    "burn": ((0.0, "#7f0000"), (0.3, "#d7301f"), (0.45, "#fdae61"), (0.6, "#ffffbf"), (1.0, "#1a9850")),
}
TRUE_COLOR = "true-color"
PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset(TRUE_COLOR, "True colour"),
    Preset("false-color", "False colour (NIR, red, green)", ("nir", "red", "green"), value_range=(0.0, 0.4)),
    Preset("swir", "Short-wave infrared (SWIR 2.2, NIR, red)", ("swir22", "nir08", "red"), value_range=(0.0, 0.4)),
    Preset("agriculture", "Agriculture (SWIR 1.6, NIR, blue)", ("swir16", "nir", "blue"), value_range=(0.0, 0.4)),
    Preset("ndvi", "NDVI (vegetation)", formula="(nir - red) / (nir + red)", value_range=(-0.2, 0.9),
           ramp="ndvi"),
    Preset("ndwi", "NDWI (open water)", formula="(green - nir) / (green + nir)", value_range=(-0.8, 0.8),
           ramp="water"),
    Preset("ndmi", "NDMI (moisture)", formula="(nir - swir16) / (nir + swir16)", value_range=(-0.6, 0.8),
           ramp="moisture"),
    Preset("nbr", "NBR (burn ratio)", formula="(nir - swir22) / (nir + swir22)", value_range=(-0.6, 0.9),
           ramp="burn"),
    # EVI with MODIS/Sentinel-2 constants: G = 2.5, C1 = 6, C2 = 7.5, L = 1, on surface reflectance (0..1).
    Preset("evi", "EVI (enhanced vegetation)", formula="2.5 * (nir - red) / (nir + 6 * red - 7.5 * blue + 1)",
           value_range=(-0.2, 0.9), ramp="ndvi"),
)}


def preset(name: str) -> Preset:
    """The preset called ``name``; BadInput naming the presets when there is none."""
    found = PRESETS.get((name or "").strip().lower())
    if found is None:
        raise BadInput(f"Unknown preset {name!r}. Presets: {', '.join(PRESETS)}.")
    return found


@dataclass(frozen=True)
class BandMath:
    """What a request asks to show beyond true colour: a composite (three bands) or one band by expression."""

    name: str  # the preset's name, or "expression"
    label: str
    bands: tuple[str, ...]  # a composite's channels; empty for an expression
    expression: Optional[Expression]
    value_range: tuple[float, float]
    ramp: str

    @property
    def is_index(self) -> bool:
        return self.expression is not None

    @property
    def needs(self) -> tuple[str, ...]:
        return self.expression.names if self.expression is not None else self.bands


def band_math(preset_name: str = "", expression: str = "") -> Optional[BandMath]:
    """The band math of a request: a preset other than true colour, or an expression typed by the user; None
    for true colour. BadInput for an unknown preset, a bad expression, or both given."""
    if expression and expression.strip():
        if preset_name and preset_name.strip().lower() not in ("", "expression", TRUE_COLOR):  # the default
            raise BadInput("Give a preset or an expression, not both.")
        parsed = parse(expression)
        return BandMath("expression", parsed.text, (), parsed, (-1.0, 1.0), "ndvi")
    if not preset_name or not preset_name.strip():
        return None
    chosen = preset(preset_name)
    if chosen.name == TRUE_COLOR:
        return None
    formula = parse(chosen.formula) if chosen.formula else None
    return BandMath(chosen.name, chosen.label, chosen.bands, formula, chosen.value_range, chosen.ramp)


def item_bands(item: dict[str, Any]) -> dict[str, str]:
    """Band name -> asset key of an item's single-band assets: each asset by its key, and by its common name
    (the first asset of a common name wins)."""
    assets: dict[str, Any] = item["assets"] if isinstance(item.get("assets"), dict) else {}
    found: dict[str, str] = {}
    for key, asset in assets.items():
        if not isinstance(asset, dict) or not isinstance(asset.get("href"), str):
            continue
        name = common_name(asset)
        if name and name not in found:
            found[name] = key
    for key, asset in assets.items():
        if isinstance(asset, dict) and isinstance(asset.get("href"), str) and isinstance(key, str):
            found.setdefault(key, key)
    return found


def band_assets(item: dict[str, Any], math: BandMath) -> dict[str, str]:
    """The asset key of each band ``math`` needs in ``item`` (by common name, else by asset key); AssetError
    naming the missing band, the bands there are and the presets this item supports."""
    available = item_bands(item)
    keys: dict[str, str] = {}
    for name in math.needs:
        key = available.get(name) or next((available[a] for a in ALTERNATIVES.get(name, ()) if a in available),
                                          None)
        if key is None:
            names = sorted(n for n in available if n != "thumbnail")
            raise AssetError(f"Item {item.get('id')} has no {name!r} band (by eo:common_name or asset key), which "
                             f"{'the expression' if math.name == 'expression' else 'the preset ' + repr(math.name)} "
                             f"needs. Its bands: {', '.join(names) or 'none'}. Presets it supports: "
                             f"{', '.join(supported_presets(item))}.")
        keys[name] = key
    return keys


def supported_presets(item: dict[str, Any]) -> list[str]:
    """The presets whose bands ``item`` has."""
    available = item_bands(item)
    out = []
    for p in PRESETS.values():
        if all(n in available or any(a in available for a in ALTERNATIVES.get(n, ())) for n in p.needs):
            out.append(p.name)
    return out
