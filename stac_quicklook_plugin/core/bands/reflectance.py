"""Stored values to reflectance as the metadata says (value = DN * scale + offset), and the fixed display
stretch of reflectance composites.

Earth Search's Sentinel-2 reflectance assets say ``scale 0.0001, offset -0.1``: the stored DN is
10000 x (reflectance + 0.1) (processing baseline 04.00 on). A composite stretched in reflectance over one
fixed range looks the same on two dates where the ground did not change; a per-date percentile stretch of
DNs does not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.bands.metadata import AssetBands, BandInfo, asset_bands


@dataclass(frozen=True)
class Conversion:
    """How one asset's band becomes reflectance."""

    scale: float
    offset: float

    def as_json(self) -> dict[str, float]:
        return {"scale": self.scale, "offset": self.offset}


def conversion(band: BandInfo) -> Optional[Conversion]:
    """The band's scale/offset as a conversion, or None when its metadata gives neither."""
    if not band.scaled:
        return None
    return Conversion(1.0 if band.scale is None else band.scale, 0.0 if band.offset is None else band.offset)


def single_band(item: dict[str, Any], key: str) -> tuple[Optional[BandInfo], tuple[str, ...]]:
    """The first band of asset ``key`` of ``item`` (None when it describes none), with metadata notes."""
    assets: dict[str, Any] = item["assets"] if isinstance(item.get("assets"), dict) else {}
    described: AssetBands = asset_bands(assets.get(key), f"asset '{key}' of item {item.get('id')}")
    return (described.bands[0] if described.bands else None), described.notes


def asset_conversions(item: dict[str, Any], keys: Sequence[str]
                      ) -> tuple[Optional[tuple[Conversion, ...]], tuple[str, ...]]:
    """One conversion per single-band asset in ``keys``, or None when any of them is no single band with a
    scale/offset (the composite is then of stored values, as before); and notes on unusable metadata."""
    out: list[Conversion] = []
    notes: list[str] = []
    assets: dict[str, Any] = item["assets"] if isinstance(item.get("assets"), dict) else {}
    for key in keys:
        described = asset_bands(assets.get(key), f"asset '{key}' of item {item.get('id')}")
        notes.extend(described.notes)
        band = described.bands[0] if len(described.bands) == 1 else None
        found = conversion(band) if band is not None else None
        if found is None:
            return None, tuple(notes)
        out.append(found)
    return tuple(out), tuple(notes)


def to_reflectance(array: NDArray[Any], valid: NDArray[Any], conversions: Sequence[Conversion]) -> NDArray[Any]:
    """float32 reflectance of ``array`` (bands, rows, cols), one conversion per band; NaN where not valid."""
    out = np.empty(array.shape, dtype=np.float32)
    for i, conv in enumerate(conversions):
        np.multiply(array[i], np.float32(conv.scale), out=out[i], casting="unsafe")
        out[i] += np.float32(conv.offset)
    np.copyto(out, np.float32(np.nan), where=~valid)
    return out


def stretch_uint8(reflectance: NDArray[Any], valid: NDArray[Any], low: float, high: float) -> NDArray[Any]:
    """Reflectance from ``low`` to ``high`` as 1..255 (clipped), 0 where not valid: the same for every date."""
    # The same arithmetic in place, one array instead of five temporaries (a quicklook's compose is its last CPU)
    scaled = reflectance - np.float32(low)
    scaled *= np.float32(254.0 / (high - low))
    scaled += np.float32(1.0)
    np.nan_to_num(scaled, copy=False, nan=1.0)
    np.rint(scaled, out=scaled)
    np.minimum(scaled, 255, out=scaled)  # finite now: as np.clip, without its checks
    np.maximum(scaled, 1, out=scaled)
    out: NDArray[Any] = scaled.astype(np.uint8)
    np.copyto(out, 0, where=~valid)
    return out
