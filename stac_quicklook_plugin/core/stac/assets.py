"""Which asset of an item makes the quicklook, and its href as a GDAL path."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from stac_quicklook_plugin.core.bands.metadata import common_name
from stac_quicklook_plugin.core.errors import AssetError, RefusedHref
from stac_quicklook_plugin.core.net import hrefs
from stac_quicklook_plugin.core.stac.families import family_of

RGB_COMMON_NAMES = ("red", "green", "blue")  # an item of no known family (stac.families)
RASTER_HINTS = ("image/tiff", "geotiff", "image/jp2", "image/vnd.stac.geotiff")


@dataclass(frozen=True)
class AssetChoice:
    """The asset key(s) to read: one asset (``visual`` or any single one), or three bands as RGB."""

    keys: tuple[str, ...]
    kind: str  # "visual", "rgb" or "single"

    @property
    def label(self) -> str:
        return ",".join(self.keys)


def is_cog(asset: dict[str, Any]) -> bool:
    media = str(asset.get("type") or "").lower()
    href = str(asset.get("href") or "").lower().split("?")[0]
    return "profile=cloud-optimized" in media or (
        ("image/tiff" in media or media == "") and href.endswith((".tif", ".tiff")))


def _is_raster(asset: dict[str, Any]) -> bool:
    media = str(asset.get("type") or "").lower()
    href = str(asset.get("href") or "").lower().split("?")[0]
    return any(h in media for h in RASTER_HINTS) or href.endswith((".tif", ".tiff", ".jp2"))


def heuristic_asset_score(key: str, asset: dict[str, Any]) -> int:
    """The original snippet's scoring: cloud-optimized GeoTIFF data assets first. On its own it picks ``aot``
    on a real Earth Search item (first COG data asset in key order), which is why it is the last resort."""
    if not _is_raster(asset):
        return -1
    roles = asset.get("roles") or []
    score = 0
    if is_cog(asset):
        score += 4
    if "data" in roles or "visual" in roles:
        score += 2
    if "overview" in roles or "thumbnail" in roles:
        score -= 3
    return score


def _common_name(asset: dict[str, Any]) -> Optional[str]:
    """A single-band asset's common name, from STAC 1.0 ``eo:bands`` or STAC 1.1 fields."""
    return common_name(asset)


def _usable(assets: dict[str, Any], key: str) -> bool:
    a = assets.get(key)
    return isinstance(a, dict) and isinstance(a.get("href"), str) and bool(a["href"]) and is_cog(a)


def choose_assets(item: dict[str, Any], asset_key: Optional[str] = None) -> AssetChoice:
    """An explicit key wins; else ``visual``; else red/green/blue COGs as RGB; else the original snippet's heuristic."""
    assets: dict[str, Any] = item["assets"] if isinstance(item.get("assets"), dict) else {}
    item_id = item.get("id")
    if asset_key and "," in asset_key:  # "red,green,blue": three single-band assets as RGB
        keys = tuple(k.strip() for k in asset_key.split(",") if k.strip())
        if len(keys) != 3:
            raise AssetError(f"Give one asset key, or three separated by commas for RGB, got {asset_key!r}.")
        for key in keys:
            choose_assets(item, key)
        return AssetChoice(keys, "rgb")
    if asset_key:
        if asset_key not in assets:
            raise AssetError(f"Item {item_id} has no asset '{asset_key}'. Its assets are: "
                             f"{', '.join(sorted(assets)) or 'none'}. Choose one of them, or Auto.")
        if not isinstance(assets[asset_key], dict) or not assets[asset_key].get("href"):
            raise AssetError(f"Asset '{asset_key}' of item {item_id} has no href.")
        return AssetChoice((asset_key,), "visual" if asset_key == "visual" else "single")
    if _usable(assets, "visual"):
        return AssetChoice(("visual",), "visual")
    visual_role = [k for k, a in assets.items() if isinstance(a, dict) and "visual" in (a.get("roles") or [])
                   and _usable(assets, k)]
    if visual_role:
        return AssetChoice((visual_role[0],), "visual")
    family = family_of(item)
    rgb = _rgb_keys(assets, family.true_colour if family is not None else RGB_COMMON_NAMES)
    if rgb:
        return AssetChoice(rgb, "rgb")
    found = heuristic_asset_choice(item)
    if found is None:
        raise AssetError(f"Item {item_id} has no raster asset a quicklook can read. Its assets are: "
                         f"{', '.join(sorted(assets)) or 'none'}.")
    return AssetChoice((found,), "single")


def heuristic_asset_choice(item: dict[str, Any]) -> Optional[str]:
    """The best-scoring asset key by the original snippet's heuristic alone (first in key order wins a tie)."""
    assets: dict[str, Any] = item["assets"] if isinstance(item.get("assets"), dict) else {}
    scored = [(heuristic_asset_score(k, a), i, k) for i, (k, a) in enumerate(assets.items())
              if isinstance(a, dict) and a.get("href")]
    scored = [s for s in scored if s[0] >= 0]
    return max(scored, key=lambda s: (s[0], -s[1]))[2] if scored else None


def _rgb_keys(assets: dict[str, Any], names: tuple[str, ...]) -> Optional[tuple[str, ...]]:
    """The keys of the assets whose common names (else keys) are ``names``, in that order."""
    by_name: dict[str, str] = {}
    for key, asset in assets.items():
        if not isinstance(asset, dict) or not _usable(assets, key):
            continue
        name = _common_name(asset) or key.lower()
        if name in names and name not in by_name:
            by_name[name] = key
    if all(n in by_name for n in names):
        return tuple(by_name[n] for n in names)
    return None


def asset_href(item: dict[str, Any], key: str, api_url: Optional[str] = None) -> str:
    """The asset's href as an absolute URL a quicklook may read (http(s), s3, gs): a relative href resolves
    against the item's own http(s) self link, else ``api_url``. Anything else raises RefusedHref."""
    href: Any = item["assets"][key].get("href") if isinstance(item["assets"][key], dict) else None
    api_url = api_url.rstrip("/") + "/" if api_url else None  # the API root is a folder: "x.tif" is under it
    what = f"Asset '{key}' of item {item.get('id')}"
    self_href = next((ln.get("href") for ln in item.get("links") or [] if isinstance(ln, dict)
                      and ln.get("rel") == "self" and isinstance(ln.get("href"), str)), None)
    bases: list[Optional[str]] = []
    if self_href and api_url:
        try:
            bases.append(hrefs.resolve(self_href, [api_url], f"The self link of item {item.get('id')}"))
        except RefusedHref:
            pass  # a self link that is no web URL is no base
    elif self_href:
        bases.append(self_href)
    bases.append(api_url)
    return hrefs.resolve(href, bases, what, hrefs.GDAL_PREFIXES)


def to_gdal_path(href: str) -> str:
    """http(s) -> /vsicurl/, s3:// -> /vsis3/, gs:// -> /vsigs/; anything else raises RefusedHref."""
    return hrefs.to_gdal_path(href)
