"""GDAL configuration for streaming reads: our defaults, the user's environment, proxies. One place decides
which options a read runs with, whichever library (rasterio or osgeo.gdal) performs it."""
from __future__ import annotations

import math
import os
from typing import Optional
from urllib.parse import unquote, urlsplit

from stac_quicklook_plugin.core.net.redact import register_credentials, register_environment, register_secret

# The original snippet's two options, then what makes COG streaming fast. A user's own environment wins.
GDAL_DEFAULTS: dict[str, str] = {
    "AWS_NO_SIGN_REQUEST": "YES",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.TIF,.TIFF",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "GDAL_HTTP_MULTIPLEX": "YES",
    "GDAL_HTTP_VERSION": "2TLS",  # HTTP/2 where TLS negotiates it; no h2c upgrade on plain http
    # One GET takes the header (IFDs and tile index of a 10980 px COG are a few KB).
    "GDAL_INGESTED_BYTES_AT_OPEN": "32768",
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": str(64 * 1024 * 1024),
    "GDAL_HTTP_TIMEOUT": "30",
    "GDAL_HTTP_CONNECTTIMEOUT": "10",
    "GDAL_HTTP_MAX_RETRY": "2",
    "GDAL_HTTP_RETRY_DELAY": "0.5",
    # A trickling server is given up on instead of hanging a quicklook.
    "GDAL_HTTP_LOW_SPEED_TIME": "15",
    "GDAL_HTTP_LOW_SPEED_LIMIT": "1024",
    "GDAL_HTTP_USERAGENT": "stac-quicklook-qgis/0.1",
}
# The only formats a read may open. A catalog's "image" could be a VRT (or any XML format) whose sources are
# local files: content sniffing would open it whatever its name, and read the user's files.
JP2_DRIVERS = ("JP2OpenJPEG", "JP2KAK", "JP2ECW", "JP2MrSID", "JPEG2000")


def allowed_drivers(gdal_path: str) -> list[str]:
    """The GDAL drivers a read of ``gdal_path`` may use, best first: JPEG 2000 for .jp2, else GeoTIFF."""
    path = urlsplit(gdal_path.split("/vsicurl/", 1)[-1]).path.lower()
    return list(JP2_DRIVERS) if path.endswith((".jp2", ".j2k")) else ["GTiff"]
# Any of these means the user configured AWS access (keys, a profile, SSO...): s3:// reads are signed.
AWS_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                       "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def gdal_options(extra: Optional[dict[str, str]] = None, href: Optional[str] = None) -> dict[str, str]:
    """GDAL config options for one read: our defaults, minus what the user's environment sets."""
    register_environment()  # AWS keys GDAL will sign with never reach a message in clear
    opts = {k: v for k, v in GDAL_DEFAULTS.items() if k not in os.environ}
    if href is not None and not urlsplit(href).path.lower().endswith((".tif", ".tiff")):
        # The extension filter stops GDAL probing side-car files, but would refuse a COG served
        # without a .tif name (an API endpoint, a .jp2 chosen explicitly).
        opts.pop("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", None)
    if any(k in os.environ for k in AWS_CREDENTIAL_VARS):
        opts.pop("AWS_NO_SIGN_REQUEST", None)  # the user set up AWS credentials: sign with them
    for k, v in (extra or {}).items():
        if k not in os.environ:
            opts[k] = v
    return opts


LOW_SPEED_LIMIT_BYTES = 1024  # below this many bytes per second for LOW_SPEED_TIME, a transfer is given up


def timeout_options(timeout: Optional[float]) -> dict[str, str]:
    """GDAL's HTTP limits from the user's timeout (seconds): every request ends within it (connect and whole
    transfer), and a transfer slower than 1 KB/s for half of it (at least 1 s) is given up sooner."""
    if not timeout or timeout <= 0:
        return {}
    whole = max(1, math.ceil(timeout))
    return {"GDAL_HTTP_TIMEOUT": str(whole),
            "GDAL_HTTP_CONNECTTIMEOUT": str(max(1, min(10, whole))),
            "GDAL_HTTP_LOW_SPEED_TIME": str(max(1, math.ceil(timeout / 2))),
            "GDAL_HTTP_LOW_SPEED_LIMIT": str(LOW_SPEED_LIMIT_BYTES)}


def proxy_options(proxy: Optional[str]) -> dict[str, str]:
    """GDAL config options that send a read through ``proxy`` ("http://[user:pass@]host:port")."""
    if not proxy:
        return {}
    parts = urlsplit(proxy)
    host = f"{parts.scheme or 'http'}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    options = {"GDAL_HTTP_PROXY": host}
    if parts.username:
        register_credentials(parts.username, parts.password)
        register_secret(f"{unquote(parts.username)}:{unquote(parts.password or '')}")
        options["GDAL_HTTP_PROXYUSERPWD"] = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return options
