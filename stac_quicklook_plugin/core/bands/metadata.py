"""What an asset says of its bands, read from whichever STAC version wrote it.

- STAC 1.0 (eo 1.x, raster 1.x): ``eo:bands`` (``common_name``, ``name``) and ``raster:bands`` (``scale``,
  ``offset``, ``nodata``, ``data_type``), two lists matched by position.
- STAC 1.1 (eo 2.0, raster 2.0): a multi-band asset has a ``bands`` array whose entries carry
  ``eo:common_name``, ``raster:scale``, ``raster:offset``, ``nodata``, ``data_type``; a single-band asset
  carries the same fields on the asset itself (Earth Search v2's ``red``, ``nir``, ``scl``).
- Items in between (``stac_version`` 1.1.0 with ``eo:bands``/``raster:bands``) are read as they are.

A catalog is untrusted: a scale that is no finite non-zero number, an offset that is no finite number,
or a band list that is no list of objects is treated as "unscaled", with a note, never an exception.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

MAX_BANDS = 64  # more entries than any real asset has: the rest are ignored
_INHERITED = ("nodata", "data_type", "raster:scale", "raster:offset")


@dataclass(frozen=True)
class BandInfo:
    """One band of an asset: its names and how stored values become physical ones (value = DN * scale + offset)."""

    common_name: Optional[str] = None
    name: Optional[str] = None
    scale: Optional[float] = None  # None: the metadata says nothing usable
    offset: Optional[float] = None
    nodata: Optional[float] = None

    @property
    def scaled(self) -> bool:
        """Whether the metadata gives a scale or an offset (so values are physical after conversion)."""
        return self.scale is not None or self.offset is not None


@dataclass(frozen=True)
class AssetBands:
    """The bands of one asset, and what was wrong with its metadata (notes for the log)."""

    bands: tuple[BandInfo, ...]
    notes: tuple[str, ...] = ()

    @property
    def common_names(self) -> tuple[Optional[str], ...]:
        return tuple(b.common_name for b in self.bands)

    @property
    def scaled(self) -> bool:
        return bool(self.bands) and all(b.scaled for b in self.bands)


def _text(value: Any) -> Optional[str]:
    return value.strip()[:64] if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # a whole number of 400 digits is valid JSON
        return None
    return number if math.isfinite(number) else None


def _nodata(value: Any) -> Optional[float]:
    if isinstance(value, str) and value.lower() in ("nan", "inf", "-inf"):
        return float(value.lower())
    return _number(value)


def _dicts(value: Any) -> Optional[list[dict[str, Any]]]:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value[:MAX_BANDS]
    return None


def _band(names: dict[str, Any], raster: dict[str, Any], notes: list[str], where: str) -> BandInfo:
    """One band from its eo-ish fields (``names``) and raster-ish fields (``raster``), either version's keys."""
    common = _text(names.get("eo:common_name", names.get("common_name")))
    name = _text(names.get("name"))
    raw_scale = raster.get("raster:scale", raster.get("scale"))
    raw_offset = raster.get("raster:offset", raster.get("offset"))
    scale = _number(raw_scale)
    offset = _number(raw_offset)
    if raw_scale is not None and (scale is None or scale == 0.0):
        notes.append(f"{where}: scale {str(raw_scale)[:40]!r} is not a usable number; read unscaled")
        scale, offset = None, None
    elif raw_offset is not None and offset is None:
        notes.append(f"{where}: offset {str(raw_offset)[:40]!r} is not a usable number; read unscaled")
        scale, offset = None, None
    return BandInfo(common, name, scale, offset, _nodata(raster.get("nodata")))


def asset_bands(asset: Any, where: str = "an asset") -> AssetBands:
    """The bands an asset describes (empty when it describes none)."""
    if not isinstance(asset, dict):
        return AssetBands(())
    notes: list[str] = []
    bands = asset.get("bands")
    if bands is not None:  # STAC 1.1: one entry per band, eo/raster fields prefixed (or not, leniently)
        entries = _dicts(bands)
        if entries is None:
            notes.append(f"{where}: 'bands' is not a list of objects; ignored")
        else:  # fields on the asset apply to every band that does not say otherwise (STAC 1.1 inheritance)
            shared = {k: asset[k] for k in _INHERITED if k in asset}
            return AssetBands(tuple(_band(e, {**shared, **e}, notes, f"{where} band {i + 1}")
                                    for i, e in enumerate(entries)), tuple(notes))
    eo, raster = asset.get("eo:bands"), asset.get("raster:bands")
    eo_list, raster_list = _dicts(eo), _dicts(raster)
    for key, value, parsed in (("eo:bands", eo, eo_list), ("raster:bands", raster, raster_list)):
        if value is not None and parsed is None:
            notes.append(f"{where}: '{key}' is not a list of objects; ignored")
    if eo_list or raster_list:  # STAC 1.0 style, matched by position
        n = max(len(eo_list or []), len(raster_list or []))
        out = tuple(_band((eo_list or [])[i] if i < len(eo_list or []) else {},
                          (raster_list or [])[i] if i < len(raster_list or []) else {},
                          notes, f"{where} band {i + 1}") for i in range(n))
        return AssetBands(out, tuple(notes))
    if any(k in asset for k in ("eo:common_name", "raster:scale", "raster:offset", "nodata")):
        return AssetBands((_band(asset, asset, notes, where),), tuple(notes))  # STAC 1.1 single band
    return AssetBands((), tuple(notes))


def common_name(asset: Any) -> Optional[str]:
    """The common name of a single-band asset, or None."""
    bands = asset_bands(asset).bands
    return bands[0].common_name if len(bands) == 1 else None
