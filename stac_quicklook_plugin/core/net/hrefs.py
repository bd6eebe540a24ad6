"""What a catalog may point at, in one place. A STAC API is someone else's server: its hrefs and links are
data, never paths. A catalog names ``http(s)://``, ``s3://`` or ``gs://`` URLs; the engine alone chooses
the GDAL prefix (``/vsicurl/``, ``/vsis3/``, ``/vsigs/``) and its options. Local paths, ``file:``, GDAL
virtual paths (``/vsi...``), ``data:`` and any other scheme are refused; a relative href resolves only
against an http(s) URL (the item's own, else the API's)."""
from __future__ import annotations

import re
from typing import Iterable, Optional
from urllib.parse import quote, urljoin, urlsplit

from stac_quicklook_plugin.core.errors import RefusedHref
from stac_quicklook_plugin.core.net.redact import redact

WEB_SCHEMES = ("http", "https")
GDAL_PREFIXES = {"http": "/vsicurl/", "https": "/vsicurl/", "s3": "/vsis3/", "gs": "/vsigs/"}
MAX_HREF_CHARS = 8192
# Whitespace and controls have no place in a URL; GDAL or a shell would read them differently than we do.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
# What stays as written when an http(s) href is percent-encoded: RFC 3986's reserved and unreserved
# characters, and "%" (an href already encoded stays as it is).
_URL_SAFE = "/:?#[]@!$&'()*+,;=%-._~"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
NOT_LOCAL = "a catalog cannot point at local files or GDAL paths"


def _refuse(what: str, href: str, why: str) -> RefusedHref:
    shown = redact(href)[:300]
    return RefusedHref(f"{what} has the href '{shown}', which was refused: {why}; {NOT_LOCAL}. "
                       "A STAC API's links and assets must be http(s):// or s3:// URLs.", url=shown)


def _why_not(href: str, schemes: Iterable[str]) -> Optional[str]:
    """Why ``href`` (already absolute) is not an allowed URL, or None when it is."""
    if len(href) > MAX_HREF_CHARS:
        return f"it is longer than {MAX_HREF_CHARS} characters"
    if _UNSAFE_CHARS.search(href):
        return "it holds spaces, backslashes or control characters"
    if href.lower().startswith("/vsi"):
        return "it is a GDAL virtual file path"
    try:
        parts = urlsplit(href)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "it is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme in ("file", ""):
        return "it is a local path"
    if scheme not in schemes:
        return f"the scheme '{scheme}:' is not one a quicklook reads"
    if not parts.hostname:
        return "it names no host"
    return None


def percent_encoded(href: str) -> str:
    """An http(s) href with spaces and other characters a URL cannot hold percent-encoded, as real catalogs
    write them ("my scene.tif", non-ASCII names); controls and backslashes are left for refusal."""
    match = re.match(r"^(https?://[^/?#]*)(.*)$", href, re.IGNORECASE | re.DOTALL)
    if _CONTROLS.search(href) or not match:
        return href
    return match.group(1) + _quoted(match.group(2))  # the host as written: only what follows is encoded


def _quoted(text: str) -> str:
    """Path, query and fragment percent-encoded; a "%" that starts no escape is one itself ("100%.tif")."""
    return quote(_LONE_PERCENT.sub("%25", text), safe=_URL_SAFE)


def check_url(href: str, what: str, schemes: Iterable[str] = WEB_SCHEMES) -> str:
    """``href`` if it is an absolute URL with one of ``schemes`` and a host; else RefusedHref about ``what``.
    An http(s) href comes back percent-encoded where it needs to be."""
    if not isinstance(href, str) or not href:
        raise RefusedHref(f"{what} has no usable href (got {type(href).__name__}).")
    href = percent_encoded(href)
    why = _why_not(href, tuple(schemes))
    if why:
        raise _refuse(what, href, why)
    return href


def resolve(href: str, bases: Iterable[Optional[str]], what: str, schemes: Iterable[str] = WEB_SCHEMES) -> str:
    """``href`` made absolute against the first http(s) URL of ``bases`` when it is relative, then checked."""
    schemes = tuple(schemes)
    if not isinstance(href, str) or not href:
        raise RefusedHref(f"{what} has no usable href (got {type(href).__name__}).")
    if href.lower().startswith("/vsi"):  # never resolved: a GDAL path as the catalog wrote it
        raise _refuse(what, href, "it is a GDAL virtual file path")
    if _is_relative(href):
        base = next((b for b in bases if isinstance(b, str) and is_web_url(b)), None)
        if base is None:
            raise _refuse(what, href, "it is relative and there is no http(s) URL to resolve it against")
        if not _CONTROLS.search(href):
            href = _quoted(href)  # "my scene.tif" relative to the item
        href = urljoin(base, href)
    return check_url(href, what, schemes)


def is_web_url(url: str) -> bool:
    return isinstance(url, str) and _why_not(url, WEB_SCHEMES) is None


def _is_relative(href: str) -> bool:
    """A relative reference (RFC 3986): no scheme. "/data/a.tif" is one too: on an item served over http
    it is on that host; with no http base it is refused, never read as a local path."""
    return not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href) and not href.startswith("\\")


def to_gdal_path(href: str, what: str = "An asset") -> str:
    """The GDAL path of an allowed href: http(s) -> /vsicurl/, s3:// -> /vsis3/, gs:// -> /vsigs/.
    Anything else raises RefusedHref: what a catalog wrote never becomes a GDAL path as given."""
    href = check_url(href, what, GDAL_PREFIXES)
    parts = urlsplit(href)
    scheme = parts.scheme.lower()
    if scheme in WEB_SCHEMES:
        return GDAL_PREFIXES[scheme] + href
    return f"{GDAL_PREFIXES[scheme]}{parts.netloc}{parts.path}"
