"""What a failed GDAL read means, in words a person can act on, whichever GDAL version (3.6 to 3.13) and
binding (rasterio or osgeo.gdal) raised it."""
from __future__ import annotations

import os
import re

from stac_quicklook_plugin.core.errors import ReadError
from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.core.raster.gdal_env import AWS_CREDENTIAL_VARS

_HTTP_CODE = re.compile(r"HTTP response code:\s*(\d+)")


def exception_text(exc: BaseException) -> str:
    """The exception's message and those of its causes: rasterio 1.4 keeps GDAL's useful detail
    ("IReadBlock failed ... TIFFReadEncodedTile() failed") in ``__cause__``, not in ``str(exc)``."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 8:
        seen.add(id(current))
        text = str(current).strip()
        if text and text not in parts:
            parts.append(text)
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def s3_denied(shown: str) -> str:
    """Why an s3:// read is refused and what to set: a private bucket, or a requester-pays one (Earth Search's
    Landsat is in ``s3://usgs-landsat``, which bills the reader and refuses anonymous reads)."""
    has_credentials = any(k in os.environ for k in AWS_CREDENTIAL_VARS)
    has_payer = os.environ.get("AWS_REQUEST_PAYER", "").strip().lower() == "requester"
    if has_credentials and has_payer:
        todo = ("Your AWS credentials and AWS_REQUEST_PAYER=requester are set, so this account may not read "
                "the bucket: check the credentials' permissions, or choose another catalog.")
    else:
        missing = [] if has_credentials else ["your AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                              "or AWS_PROFILE)"]
        missing += [] if has_payer else ["AWS_REQUEST_PAYER=requester"]
        todo = (f"Set {' and '.join(missing)} in QGIS's environment (Settings > Options > System > Environment) "
                "or your shell, then try again: the reads are then billed to your AWS account.")
    return (f"Could not read {shown}: access denied. The bucket is private or requester-pays (the reader pays "
            f"for what it reads, as for Landsat in s3://usgs-landsat), and refuses anonymous reads. {todo}")


def read_error(href: str, exc: BaseException) -> ReadError:
    """A ReadError that says what went wrong with the file, in words a person can act on."""
    text = redact(exception_text(exc))
    shown = redact(href)
    m = _HTTP_CODE.search(text)
    if m and int(m.group(1)) == 403 and href.startswith(("s3://", "/vsis3/")):
        return ReadError(s3_denied(shown) + f"\nGDAL says: {text[:500]}")
    if m:
        code = int(m.group(1))
        hint = {403: "access denied (the file may need signing or credentials)",
                404: "the file does not exist (the catalog may be out of date)",
                409: "the storage account refuses anonymous access (the href needs a signed token)"}.get(
            code, "the server failed; try again later" if code >= 500 else "the request was refused")
        return ReadError(f"Could not read {shown}: HTTP {code}, {hint}.\nGDAL says: {text[:500]}")
    # Before "not recognized": GDAL 3.10 fails the open with that and names this reason as an earlier error.
    if "Range downloading not supported" in text:
        return ReadError(f"The server of {shown} does not support HTTP range requests, so the file cannot be "
                         "streamed; a quicklook will not download whole files.")
    # GDAL <= 3.8: "not recognized as a supported file format"; 3.9+: "not recognized as being in a
    # supported file format".
    if "not recognized as" in text or "not a tiff" in text.lower():
        return ReadError(f"{shown} is not a readable GeoTIFF (the server may have sent an HTML page or an "
                         f"error instead of the image).\nGDAL says: {text[:500]}")
    if any(k in text for k in ("TIFFReadEncodedTile", "IReadBlock failed", "TIFFFillTile", "Read or write failed")):
        return ReadError(f"Could not read {shown}: the file is damaged or cut short on the server (a tile could "
                         "not be read). Try again later, or another date; if it persists, report it to the "
                         f"catalog's provider.\nGDAL says: {text[:500]}")
    return ReadError(f"Could not read {shown}. Check the asset's URL and try again later.\nGDAL says: {text[:500]}")
