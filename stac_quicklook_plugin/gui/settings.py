"""Typed access to the plugin's QgsSettings, all under the ``stac_quicklook/`` group.

The defaults live here and nowhere else. Empty strings / zero mean "automatic" so that a
default that moves with time (the last 30 days) is not frozen into the user's profile.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from qgis.core import QgsSettings

# Literal copies of core.models defaults: this module must import without numpy/rasterio.
from stac_quicklook_plugin.core.models import EARTH_SEARCH_V1  # noqa: E402 (models imports no numpy at run time)

PLANETARY_COMPUTER = "https://planetarycomputer.microsoft.com/api/stac/v1"
DEFAULT_COLLECTION = ""  # the best Sentinel-2 L2A the API has (core.catalog)
OLD_DEFAULT_COLLECTION = "sentinel-2-l2a"  # the default before 2026-12: Earth Search v1's retiring collection

PREFIX = "stac_quicklook/"
API_PRESETS = (EARTH_SEARCH_V1, PLANETARY_COMPUTER)
DEFAULT_DAYS_BACK = 30
DEFAULT_CLOUD_COVER_MAX = 20.0
MIN_WIDTH = 64
MAX_WIDTH = 8192


def _settings() -> QgsSettings:
    return QgsSettings()


def _get_str(key: str, default: str) -> str:
    value = _settings().value(PREFIX + key, default)
    if isinstance(value, (list, tuple)):  # an INI line a person wrote, "a,b" unquoted: QSettings reads a list
        return ",".join(str(v) for v in value)
    return default if value is None else str(value)


def _set(key: str, value: object) -> None:
    _settings().setValue(PREFIX + key, value)


def api_url() -> str:
    return _get_str("api_url", EARTH_SEARCH_V1).strip() or EARTH_SEARCH_V1


def set_api_url(url: str) -> None:
    _set("api_url", url.strip())


def collection() -> str:
    """The collection id(s) to search ("a,b"), or "" for the best available Sentinel-2 L2A."""
    return _get_str("collection", DEFAULT_COLLECTION).strip()


def set_collection(collection_id: str) -> None:
    _set("collection", collection_id.strip())


def migrate_old_default_collection() -> bool:
    """Once per profile: the old default (sentinel-2-l2a on Earth Search v1) becomes the best available
    Sentinel-2 L2A, which searches Collection 1 too. True when it moved (the caller says so to the user)."""
    if _get_str("collection_migrated", "") == "1":
        return False
    _set("collection_migrated", "1")
    if collection() == OLD_DEFAULT_COLLECTION and api_url().rstrip("/") == EARTH_SEARCH_V1:
        set_collection(DEFAULT_COLLECTION)
        return True
    return False


def _get_date(key: str) -> Optional[date]:
    text = _get_str(key, "")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def date_from() -> date:
    """Start of the search window; by default 30 days before today."""
    return _get_date("date_from") or (date.today() - timedelta(days=DEFAULT_DAYS_BACK))


def date_to() -> date:
    """End of the search window (inclusive); by default today."""
    return _get_date("date_to") or date.today()


def dates_are_default() -> bool:
    return _get_date("date_from") is None and _get_date("date_to") is None


def set_dates(start: Optional[date], end: Optional[date]) -> None:
    """Store a fixed window; ``None`` for both goes back to the rolling last 30 days."""
    _set("date_from", start.isoformat() if start else "")
    _set("date_to", end.isoformat() if end else "")


def cloud_cover_max() -> float:
    try:
        value = float(_settings().value(PREFIX + "cloud_cover_max", DEFAULT_CLOUD_COVER_MAX))
    except (TypeError, ValueError):
        return DEFAULT_CLOUD_COVER_MAX
    return min(max(value, 0.0), 100.0)


def set_cloud_cover_max(percent: float) -> None:
    _set("cloud_cover_max", float(percent))


DEFAULT_REFLECTANCE_RANGE = (0.0, 0.3)  # literal copy of core.models.DEFAULT_REFLECTANCE_RANGE


def reflectance_range() -> tuple[float, float]:
    """Reflectance drawn darkest and brightest in composites of reflectance bands (the same every date)."""
    try:
        low = float(_settings().value(PREFIX + "reflectance_min", DEFAULT_REFLECTANCE_RANGE[0]))
        high = float(_settings().value(PREFIX + "reflectance_max", DEFAULT_REFLECTANCE_RANGE[1]))
    except (TypeError, ValueError):
        return DEFAULT_REFLECTANCE_RANGE
    if not (-1.0 <= low < high <= 2.0):
        return DEFAULT_REFLECTANCE_RANGE
    return low, high


def set_reflectance_range(low: float, high: float) -> None:
    _set("reflectance_min", float(low))
    _set("reflectance_max", float(high))


def asset_key() -> Optional[str]:
    """The asset to read, or None for automatic choice."""
    return _get_str("asset_key", "").strip() or None


def set_asset_key(key: Optional[str]) -> None:
    _set("asset_key", (key or "").strip())


def preset() -> str:
    """What a quicklook shows: "" (true colour) or a preset's name (core.bands.presets)."""
    return _get_str("preset", "").strip().lower()[:32]


def set_preset(name: str) -> None:
    _set("preset", (name or "").strip().lower())


def expression() -> str:
    """Band math the user typed ("" when a preset is shown). Text only: the engine parses it, never runs it."""
    return _get_str("expression", "").strip()[:500]


def set_expression(text: str) -> None:
    _set("expression", (text or "").strip())


def output_width() -> Optional[int]:
    """Output width in pixels, or None for automatic (the canvas width)."""
    try:
        value = int(_settings().value(PREFIX + "output_width", 0))
    except (TypeError, ValueError):
        return None
    return min(max(value, MIN_WIDTH), MAX_WIDTH) if value > 0 else None


def set_output_width(width: Optional[int]) -> None:
    _set("output_width", int(width or 0))


def auth_cfg() -> Optional[str]:
    """Id of the QGIS authentication config for the STAC API (the secret stays in QGIS's auth database)."""
    return _get_str("auth_cfg", "").strip() or None


def set_auth_cfg(config_id: Optional[str]) -> None:
    _set("auth_cfg", (config_id or "").strip())


def dock_visible() -> bool:
    return _settings().value(PREFIX + "dock_visible", False, type=bool)


def set_dock_visible(visible: bool) -> None:
    _set("dock_visible", bool(visible))


def recent_api_urls() -> list[str]:
    """User-typed API URLs seen before, newest first (presets not included)."""
    value = _settings().value(PREFIX + "recent_api_urls", [])
    if isinstance(value, str):
        value = [value] if value else []
    return [str(v) for v in (value or []) if str(v).strip()]


def remember_api_url(url: str, keep: int = 8) -> None:
    url = url.strip()
    if not url or url in API_PRESETS:
        return
    urls = [url] + [u for u in recent_api_urls() if u != url]
    _set("recent_api_urls", urls[:keep])


# ----- cloud over the view, every date (issue #12) -----

RANKS = ("view", "scene")  # the engine's QuicklookRequest.rank values
DEFAULT_SERIES_MAX_DATES = 40  # core.series.MAX_DATES: a series refuses more dates than this
MAX_SERIES_MAX_DATES = 500


def rank() -> str:
    """How the best scene is chosen: "view" (least cloud over the view, the default) or "scene"."""
    value = _get_str("rank", "view").strip()
    return value if value in RANKS else "view"


def set_rank(value: str) -> None:
    _set("rank", value if value in RANKS else "view")


def mask_clouds() -> bool:
    """Cloudy pixels (scene classification) filled from the next scenes."""
    return _settings().value(PREFIX + "mask_clouds", False, type=bool)


def set_mask_clouds(enabled: bool) -> None:
    _set("mask_clouds", bool(enabled))


def show_footprints() -> bool:
    """The searched items' outlines as a vector layer in the quicklook group."""
    return _settings().value(PREFIX + "show_footprints", False, type=bool)


def set_show_footprints(enabled: bool) -> None:
    _set("show_footprints", bool(enabled))


def series_max_dates() -> int:
    """A time series refuses more acquisition dates than this."""
    try:
        value = int(_settings().value(PREFIX + "series_max_dates", DEFAULT_SERIES_MAX_DATES))
    except (TypeError, ValueError):
        return DEFAULT_SERIES_MAX_DATES
    return min(max(value, 1), MAX_SERIES_MAX_DATES)


def set_series_max_dates(count: int) -> None:
    _set("series_max_dates", int(count))
