"""Check and normalise a request before any request is sent: bad input gets a clear BadInput."""
from __future__ import annotations

import math
import re
from dataclasses import MISSING, fields, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import urlsplit

from stac_quicklook_plugin.core.bands.presets import band_math
from stac_quicklook_plugin.core.errors import BadInput
from stac_quicklook_plugin.core.models import Connection, QuicklookRequest, Rank
from stac_quicklook_plugin.core.stac.collections import parse_collections

MIN_WIDTH, MAX_WIDTH = 16, 8192
DEFAULT_DAYS = 30
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validate_bbox(bbox: object) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in bbox]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise BadInput(f"The bbox must be four numbers W S E N in degrees, got {bbox!r}.") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise BadInput(f"The bbox must be four finite numbers W S E N in degrees, got {bbox!r}.")
    w, s, e, n = values
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise BadInput(f"Longitudes must be between -180 and 180 (got W={w:g}, E={e:g}).")
    if not (-90 <= s <= 90 and -90 <= n <= 90):
        raise BadInput(f"Latitudes must be between -90 and 90 (got S={s:g}, N={n:g}).")
    if s >= n:
        raise BadInput(f"The bbox's south ({s:g}) must be less than its north ({n:g}).")
    if w > e:
        raise BadInput(f"The bbox crosses the antimeridian (W={w:g} > E={e:g}). A quicklook covers one side "
                       "of 180°: make two quicklooks, one on each side.")
    if w == e:
        raise BadInput("The bbox is empty (W equals E).")
    return (w, s, e, n)


def _parse_instant(text: str, end: bool) -> datetime:
    text = text.strip()
    if _DATE_ONLY.match(text):
        try:
            d = date.fromisoformat(text)
        except ValueError:
            raise BadInput(f"{text} is not a calendar date: use YYYY-MM-DD.") from None
        t = datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        return t + timedelta(days=1, seconds=-1) if end else t
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadInput(f"Cannot read the date {text!r}: use YYYY-MM-DD or RFC 3339 "
                       "(2024-07-01T00:00:00Z).") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _fmt(t: datetime) -> str:
    t = t.astimezone(timezone.utc)
    # Keep fractions of a second when given: an instant copied from an item must still match it.
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if t.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def normalize_datetime(value: Optional[str], today: Optional[date] = None) -> str:
    """An RFC 3339 interval "start/end" (open ends ".."); None means the last 30 days."""
    if value is None or not str(value).strip():
        today = today or datetime.now(timezone.utc).date()
        start = datetime(today.year, today.month, today.day, tzinfo=timezone.utc) - timedelta(days=DEFAULT_DAYS)
        end = datetime(today.year, today.month, today.day, 23, 59, 59, tzinfo=timezone.utc)
        return f"{_fmt(start)}/{_fmt(end)}"
    text = str(value).strip()
    if "/" not in text:
        return f"{_fmt(_parse_instant(text, False))}/{_fmt(_parse_instant(text, True))}" if _DATE_ONLY.match(text) \
            else _fmt(_parse_instant(text, False))
    first, _, second = text.partition("/")
    first, second = first.strip(), second.strip()
    open_start, open_end = first in ("", ".."), second in ("", "..")
    if open_start and open_end:
        raise BadInput("The date range is open at both ends: give a start or an end date.")
    begins: Optional[datetime] = None if open_start else _parse_instant(first, False)
    ends: Optional[datetime] = None if open_end else _parse_instant(second, True)
    if begins and ends and begins > ends:
        raise BadInput(f"The start date ({first}) is after the end date ({second}): swap them.")
    return f"{_fmt(begins) if begins else '..'}/{_fmt(ends) if ends else '..'}"


def validate_url(url: object) -> str:
    text = str(url or "").strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadInput(f"The STAC API URL must start with http:// or https:// and name a host, got {text!r}.")
    return text.rstrip("/")


def validate_request(req: QuicklookRequest) -> QuicklookRequest:
    """A checked copy of the request with defaults filled in; raises BadInput before any request."""
    bbox = validate_bbox(req.bbox_wgs84)
    url = validate_url(req.stac_api)
    collection = ",".join(parse_collections(req.collection))  # "": the best available Sentinel-2 L2A
    low, high = validate_reflectance_range(req.reflectance_range)
    try:
        cloud = float(req.cloud_cover_max)
    except (TypeError, ValueError):
        raise BadInput(f"The cloud limit must be a number from 0 to 100, got {req.cloud_cover_max!r}.") from None
    if not (0 <= cloud <= 100):
        raise BadInput(f"The cloud limit must be from 0 to 100 %, got {cloud:g}.")
    if not isinstance(req.width, int) or isinstance(req.width, bool) or not (MIN_WIDTH <= req.width <= MAX_WIDTH):
        raise BadInput(f"The output width must be a whole number from {MIN_WIDTH} to {MAX_WIDTH} pixels, "
                       f"got {req.width!r}.")
    if req.overview_level is not None and not (0 <= int(req.overview_level) <= 12):
        raise BadInput(f"The overview level must be from 0 to 12, got {req.overview_level!r}.")
    if req.dst_crs is not None:
        from stac_quicklook_plugin.core.raster.grid import crs_wkt

        crs_wkt(req.dst_crs)  # BadInput when GDAL does not know it
    connection = request_connection(req)
    if not (isinstance(connection.timeout, (int, float)) and connection.timeout > 0) or req.max_items < 1 or \
            req.max_mosaic_items < 1:
        raise BadInput("timeout, max_items and max_mosaic_items must be positive.")
    try:
        rank = Rank(req.rank)
    except ValueError:
        raise BadInput(f"The ranking must be 'view' (least cloud over the view) or 'scene' (least cloud over "
                       f"the whole scene), got {req.rank!r}.") from None
    shown = band_math(req.preset, req.expression)  # BadInput: an unknown preset, an expression refused
    if shown is not None and req.asset_key:
        raise BadInput(f"The asset {req.asset_key!r} and the {'expression' if req.expression else 'preset'} both say "
                       "what to show: give one of them.")
    datetime_range = normalize_datetime(req.datetime_range)
    if req.acquisition_date is not None:
        check_date_in_range(req.acquisition_date, datetime_range)
    return replace(req, bbox_wgs84=bbox, stac_api=url, collection=collection, cloud_cover_max=cloud,
                   datetime_range=datetime_range, mask_clouds=bool(req.mask_clouds), rank=rank,
                   reflectance_range=(low, high), preset=shown.name if shown and not req.expression else "",
                   expression=shown.expression.text if shown and shown.expression and req.expression else "",
                   connection=connection, headers=dict(connection.headers),
                   timeout=connection.timeout, proxy=connection.proxy, proxy_exclude=connection.proxy_exclude,
                   sas_token_url=connection.sas_token_url, sas_host_suffixes=connection.sas_host_suffixes)


def validate_reflectance_range(value: object) -> tuple[float, float]:
    """The display range of reflectance composites (low, high), finite, low < high, within -1..2."""
    try:
        low, high = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise BadInput(f"The reflectance range must be two numbers LOW HIGH, got {value!r}.") from None
    if not (math.isfinite(low) and math.isfinite(high) and -1.0 <= low < high <= 2.0):
        raise BadInput(f"The reflectance range must go from a lower to a higher reflectance between -1 and 2 "
                       f"(for example 0 0.3), got {low:g} {high:g}.")
    return low, high


def check_date_in_range(day: object, datetime_range: str) -> str:
    """``day`` as YYYY-MM-DD, if it is one and lies inside the (normalised) range; else BadInput."""
    text = str(day).strip()
    if not _DATE_ONLY.match(text):
        raise BadInput(f"The acquisition date must be YYYY-MM-DD, got {text!r}.")
    try:
        start_of_day = _parse_instant(text, False)
    except BadInput:
        raise BadInput(f"{text} is not a calendar date.") from None
    end_of_day = _parse_instant(text, True)
    first, _, second = datetime_range.partition("/") if "/" in datetime_range else (datetime_range, "", datetime_range)
    if (first not in ("", "..") and end_of_day < _parse_instant(first, False)) or \
            (second not in ("", "..") and start_of_day > _parse_instant(second, True)):
        raise BadInput(f"The acquisition date {text} lies outside the date range {datetime_range}: widen the "
                       "range or pick a date inside it.")
    return text


CONNECTION_FIELDS = ("headers", "timeout", "proxy", "proxy_exclude", "sas_token_url", "sas_host_suffixes")


def request_connection(req: QuicklookRequest) -> Connection:
    """The request's ``Connection``: the one it carries (else the defaults), with each of the request's own
    network fields that was set to something else than its default taking precedence (a script's
    ``replace(request, timeout=3)`` on a request that carries a connection still means 3 s)."""
    base = req.connection if req.connection is not None else Connection()
    if not isinstance(base, Connection):
        raise BadInput(f"The connection must be a Connection, got {type(base).__name__}.")
    defaults = {f.name: f.default_factory() if f.default is MISSING else f.default  # type: ignore[misc]
                for f in fields(QuicklookRequest) if f.name in CONNECTION_FIELDS}
    changes: dict[str, Any] = {}
    for name in CONNECTION_FIELDS:
        value = getattr(req, name)
        if value != defaults[name] and value != getattr(base, name):
            changes[name] = dict(value or {}) if name == "headers" else \
                tuple(value or ()) if name in ("proxy_exclude", "sas_host_suffixes") else value
    return replace(base, **changes) if changes else base
