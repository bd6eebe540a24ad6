"""STAC items as the engine reads them: a pure parse step that gives a tidied item or the sentence saying
why a feature is unusable (a catalog is untrusted input: wrong types, NaN, strings, absurd nesting), and the
accessors (cloud cover, time, date, summary, best-first order)."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any, Optional

from stac_quicklook_plugin.core.models import ItemSummary
from stac_quicklook_plugin.core.net.redact import strip_controls
from stac_quicklook_plugin.core.stac.families import SCENE_CLOUD, family_of

MAX_ID_CHARS = 256
MAX_GEOMETRY_DEPTH = 6  # GeometryCollection > MultiPolygon > polygon > ring > position > number


def cloud_cover(item: dict[str, Any]) -> Optional[float]:
    """The scene's cloud cover in percent: the first of its family's properties (``stac.families``; else
    ``eo:cloud_cover``) that is a percentage, or None (missing, not a number: some servers send strings)."""
    props = item.get("properties")
    if not isinstance(props, dict):
        return None
    family = family_of(item)
    for name in family.scene_cloud if family is not None else SCENE_CLOUD:
        number = _percentage(props.get(name))
        if number is not None:
            return number
    return None


def _percentage(value: Any) -> Optional[float]:
    if isinstance(value, bool) or (isinstance(value, str) and len(value) > 32):
        return None
    try:
        number = float(value)  # None and other types: TypeError below
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0.0 <= number <= 100.0 else None


def item_time(item: dict[str, Any]) -> float:
    props = item.get("properties") or {}
    text = props.get("datetime") or props.get("start_datetime") or ""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def item_date(item: dict[str, Any]) -> str:
    props = item.get("properties") or {}
    return str(props.get("datetime") or props.get("start_datetime") or "")[:10]


def summarize(item: dict[str, Any]) -> ItemSummary:
    props = item.get("properties") or {}
    collection = item.get("collection") if isinstance(item.get("collection"), str) else None
    return ItemSummary(id=str(item.get("id")), collection=collection,
                       datetime=props.get("datetime") or props.get("start_datetime"),
                       cloud_cover=cloud_cover(item))


def best_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Least cloudy first, ties broken by newest; unknown cloud cover last."""
    return sorted(items, key=lambda it: (cloud_cover(it) is None, cloud_cover(it) or 0.0, -item_time(it)))


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _geometry_problem(geometry: Any, depth: int = 0) -> Optional[str]:
    """Why a GeoJSON geometry is unusable (wrong types, NaN, strings, absurd nesting), or None."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str):
        return "its geometry is not a GeoJSON object"
    if geometry["type"] == "GeometryCollection":
        parts = geometry.get("geometries")
        if depth > 0 or not isinstance(parts, list):
            return "its geometry collection is malformed"
        return next((p for p in (_geometry_problem(g, depth + 1) for g in parts) if p), None)
    stack, seen = [(geometry.get("coordinates"), 0)], 0
    while stack:
        node, level = stack.pop()
        seen += 1
        if level > MAX_GEOMETRY_DEPTH or seen > 2_000_000:
            return "its geometry is nested too deeply or too large"
        if isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
        elif not _finite(node):
            return f"its geometry holds {_shown_value(node)} where coordinates belong"
    return None


def _shown_value(value: Any) -> str:
    if isinstance(value, float):
        return str(value)  # nan, inf
    text = json.dumps(strip_controls(value) if isinstance(value, str) else value, default=str)
    return strip_controls(text if len(text) <= 40 else text[:40] + "...")


def parse_item(feature: dict[str, Any]) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    """(item, None) for a usable STAC item, or (None, why not, naming it). Pure: the item returned is a tidied
    copy (fields a quicklook only reads as hints, such as roles and proj:*, dropped when they have the wrong
    type); ``feature`` is left as it came."""
    problem = item_problem(feature)
    if problem is not None:
        return None, problem
    item = dict(feature)
    if isinstance(item.get("assets"), dict):
        item["assets"] = {k: dict(a) if isinstance(a, dict) else a for k, a in item["assets"].items()}
    if isinstance(item.get("properties"), dict):
        item["properties"] = dict(item["properties"])
    _tidy_assets(item)
    return item, None


def item_problem(item: dict[str, Any]) -> Optional[str]:
    """Why a feature is not a usable STAC item (naming it), or None. Judges only: see ``parse_item``."""
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id or len(item_id) > MAX_ID_CHARS or strip_controls(item_id) != item_id:
        return f"a feature with id {_shown_value(item_id)}: its id is not a short plain text"
    name = f"item {item_id}"
    props = item.get("properties")
    if not isinstance(props, dict):
        return f"{name}: its properties are not a JSON object"
    for key in ("datetime", "start_datetime", "end_datetime"):
        value = props.get(key)
        if value is not None and not (isinstance(value, str) and len(value) < 64 and strip_controls(value) == value):
            return f"{name}: properties.{key} is {_shown_value(value)}, not a date"
    if props.get("eo:cloud_cover") is not None and cloud_cover(item) is None:
        return f"{name}: its eo:cloud_cover is {_shown_value(props['eo:cloud_cover'])}, not a number from 0 to 100"
    bbox = item.get("bbox")
    if bbox is not None and not (isinstance(bbox, list) and len(bbox) in (4, 6) and all(_finite(v) for v in bbox)):
        return f"{name}: its bbox is {_shown_value(bbox)}, not 4 or 6 numbers"
    problem = _geometry_problem(item.get("geometry"))
    if problem:
        return f"{name}: {problem}"
    assets = item.get("assets")
    if assets is not None and not isinstance(assets, dict):
        return f"{name}: its assets are a JSON {type(assets).__name__}, not an object"
    if item.get("collection") is not None and not isinstance(item.get("collection"), str):
        return f"{name}: its collection is not a text"
    return None


_EPSG_CODE = re.compile(r"^EPSG:\d{4,5}$", re.IGNORECASE)


def _tidy_assets(item: dict[str, Any]) -> None:
    """Drop what a quicklook would trip on in hints: non-object assets, non-text hrefs, roles that are no
    list, proj:epsg / proj:code that are no EPSG code (the file's own CRS is read instead)."""
    if not isinstance(item.get("links"), list):
        item["links"] = []
    if isinstance(item.get("assets"), dict):
        item["assets"] = {strip_controls(k)[:200]: a for k, a in item["assets"].items() if isinstance(a, dict)}
    for source in [item.get("properties") or {}] + list((item.get("assets") or {}).values()):
        if "href" in source and not isinstance(source["href"], str):
            source.pop("href")
        roles = source.get("roles")
        if "roles" in source and not (isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
            source.pop("roles")
        if "type" in source and not isinstance(source["type"], str):
            source.pop("type")
        epsg = source.get("proj:epsg")
        if epsg is not None and not (isinstance(epsg, int) and not isinstance(epsg, bool) and 1024 <= epsg <= 32767):
            source.pop("proj:epsg")
        code = source.get("proj:code")
        if code is not None and not (isinstance(code, str) and _EPSG_CODE.match(code)):
            source.pop("proj:code")
        for bands_key in ("eo:bands", "bands"):
            if bands_key in source and not isinstance(source[bands_key], list):
                source.pop(bands_key)
        shape = source.get("proj:shape")
        if shape is not None and not (isinstance(shape, list) and shape and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v < 10_000_000 for v in shape)):
            source.pop("proj:shape")
