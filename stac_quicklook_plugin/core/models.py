"""Typed request and result of a quicklook: what goes in the engine's front door and comes out."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

if TYPE_CHECKING:  # numpy is imported by the engine, not by the plugin's start-up (QGIS's main thread)
    from numpy.typing import NDArray

EARTH_SEARCH_V1 = "https://earth-search.aws.element84.com/v1"  # the one definition (gui/settings imports it)
USER_AGENT = "stac-quicklook-qgis/0.1"  # sent by the JSON client and the byte-range reads alike
PLANETARY_COMPUTER = "https://planetarycomputer.microsoft.com/api/stac/v1"
DEFAULT_COLLECTION = ""  # the best Sentinel-2 L2A the API has (core.catalog): C1 + the old one on Earth Search v1
SNIPPET_COLLECTION = "sentinel-2-l2a"  # the original snippet's default, asked alone when named
DEFAULT_REFLECTANCE_RANGE = (0.0, 0.3)  # reflectance drawn as 1..255 in composites of reflectance bands
DEFAULT_WIDTH = 1024


@dataclass(frozen=True)
class Connection:
    """How the engine talks to one STAC API and its images, in one place: the API's headers (auth), the proxy
    and what bypasses it, the timeout, the CA bundle, the SAS token endpoint. GDAL options are derived from it
    only where GDAL is called (``raster.remote``); the JSON client and the byte-range reads take it as it is."""

    headers: dict[str, str] = field(default_factory=dict)  # sent to the STAC API's origin only
    timeout: float = 20.0  # seconds per HTTP request (the whole answer)
    proxy: Optional[str] = None  # "http://[user:pass@]host:port" for the API and the images (QGIS's proxy)
    proxy_exclude: tuple[str, ...] = ()  # URL prefixes (or hosts) reached without the proxy
    ca_bundle: Optional[str] = None  # a CA bundle file to trust instead of the system's
    sas_token_url: Optional[str] = None  # SAS token endpoint; None = Planetary Computer's for its API
    sas_host_suffixes: tuple[str, ...] = (".blob.core.windows.net",)  # hosts whose hrefs get signed

    def proxy_for(self, url: str) -> Optional[str]:
        """The proxy ``url`` goes through: none without one, or when the URL starts with an excluded prefix
        (or is on an excluded host)."""
        if not self.proxy:
            return None
        low = url.lower()
        if urlsplit(low).path == "":
            low += "/"  # what is sent for "http://host:port"
        for prefix in self.proxy_exclude:
            p = prefix.strip().lower()
            if p and (low.startswith(p) or (urlsplit(low).hostname or "") == p):
                return None
        return self.proxy

    def for_token_endpoint(self) -> Connection:
        """The same network path without the API's headers: the token endpoint is not the STAC API."""
        return replace(self, headers={})


class Rank(str, Enum):
    """How the best scene is chosen. A ``str`` too: ``Rank.VIEW == "view"``, so requests written with the
    plain words (scripts, saved settings, Processing) keep working."""

    VIEW = "view"  # least cloud over the view, from the scene classification
    SCENE = "scene"  # least eo:cloud_cover of the whole scene

    def __str__(self) -> str:
        return self.value


@dataclass
class QuicklookRequest:
    """Everything the engine needs; validated by ``validate_request`` before any request."""

    bbox_wgs84: tuple[float, float, float, float]
    stac_api: str = EARTH_SEARCH_V1
    collection: str = DEFAULT_COLLECTION  # "" = best available Sentinel-2 L2A; "a,b" = both, de-duplicated
    datetime_range: Optional[str] = None  # RFC 3339 interval "start/end", open ends ".."; None = last 30 days
    cloud_cover_max: float = 20.0
    asset_key: Optional[str] = None  # None = automatic (visual, else RGB bands, else heuristic)
    width: int = DEFAULT_WIDTH  # output width in pixels; the plugin passes the canvas width
    dst_crs: Optional[str] = None  # output CRS (e.g. "EPSG:3857" or WKT); None = the best item's CRS
    overview_level: Optional[int] = None  # explicit overview index override (as in the original snippet)
    max_items: int = 100  # bound on items looked at while paging
    headers: dict[str, str] = field(default_factory=dict)  # extra headers for the STAC API only
    timeout: float = 20.0  # seconds per HTTP request
    max_mosaic_items: int = 8  # bound on scenes read for one mosaic
    proxy: Optional[str] = None  # "http://[user:pass@]host:port" for the API and the images (QGIS's proxy)
    proxy_exclude: tuple[str, ...] = ()  # URL prefixes reached without the proxy (QGIS's exclude list)
    sas_token_url: Optional[str] = None  # SAS token endpoint; None = Planetary Computer's for its API
    sas_host_suffixes: tuple[str, ...] = (".blob.core.windows.net",)  # hosts whose hrefs get signed
    rank: Rank = Rank.VIEW  # "view": least cloud over the view (scene classification), "scene": eo:cloud_cover
    mask_clouds: bool = False  # cloudy pixels (scene classification) filled from the next scenes
    acquisition_date: Optional[str] = None  # "YYYY-MM-DD": only that day's scenes (inside datetime_range)
    reflectance_range: tuple[float, float] = DEFAULT_REFLECTANCE_RANGE  # stretch of reflectance composites
    preset: str = ""  # "" or "true-color" = true colour; "false-color", "ndvi", ... (core.bands.presets)
    expression: str = ""  # band math over common names or asset keys, e.g. "(nir - red) / (nir + red)"
    # The network settings as one object. None: made from headers, timeout, proxy, proxy_exclude,
    # sas_token_url and sas_host_suffixes above (kept for scripts that set them); once validated, the request
    # carries it and those fields mirror it.
    connection: Optional[Connection] = None


@dataclass(frozen=True)
class ItemSummary:
    """What a user sees of one item used in the quicklook."""

    id: str
    collection: Optional[str]
    datetime: Optional[str]
    cloud_cover: Optional[float]
    view_cloud: Optional[float] = None  # percent cloudy over the view where the scene has data; None = unknown

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "collection": self.collection, "datetime": self.datetime,
                "eo:cloud_cover": self.cloud_cover, "view_cloud": self.view_cloud}


@dataclass
class Quicklook:
    """The engine's result: a georeferenced array with its mask and provenance."""

    array: NDArray[Any]  # (bands, rows, cols)
    mask: NDArray[Any]  # (rows, cols) bool, True where a pixel is valid
    crs: str  # WKT of the output CRS
    crs_epsg: Optional[int]
    transform: tuple[float, float, float, float, float, float]  # affine a, b, c, d, e, f (rasterio order)
    bounds: tuple[float, float, float, float]  # left, bottom, right, top in ``crs``
    items: list[ItemSummary]
    asset_key: str  # the asset used, or "red,green,blue" when composed from bands
    hrefs: list[str]  # redacted
    strategy: str  # search strategy that produced the items: "query", "filter", "client"
    nodata: Optional[float]
    meta: dict[str, Any]  # the original snippet's keys: chosen_asset_key, href, vsi_href, item_id, plus the profile
    # Composites of reflectance bands: the bands as reflectance (float32, NaN where no data) before the
    # display stretch that made ``array``; None otherwise.
    reflectance: Optional[NDArray[Any]] = None

    @property
    def count(self) -> int:
        return int(self.array.shape[0])

    @property
    def height(self) -> int:
        return int(self.array.shape[1])

    @property
    def width(self) -> int:
        return int(self.array.shape[2])

    @property
    def gdal_geotransform(self) -> tuple[float, float, float, float, float, float]:
        a, b, c, d, e, f = self.transform
        return (c, a, b, f, d, e)
