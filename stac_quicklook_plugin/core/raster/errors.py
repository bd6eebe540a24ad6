"""What a failed GDAL read means, in words a person can act on, whichever GDAL version (3.6 to 3.13) and
binding (rasterio or osgeo.gdal) raised it."""
from __future__ import annotations

import re

from stac_quicklook_plugin.core.errors import ReadError
from stac_quicklook_plugin.core.net.redact import redact

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


def read_error(href: str, exc: BaseException) -> ReadError:
    """A ReadError that says what went wrong with the file, in words a person can act on."""
    text = redact(exception_text(exc))
    shown = redact(href)
    m = _HTTP_CODE.search(text)
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
