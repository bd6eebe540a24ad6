"""The provenance of a quicklook layer, as a person reads it in Layer Properties > Metadata: the search, the
items and their collections, what the layer shows (a preset, band math, reflectance), and the images read.
Every URL passes through ``redact``."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from qgis.core import QgsAbstractMetadataBase, QgsLayerMetadata, QgsRasterLayer

from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.gui.i18n import tr

if TYPE_CHECKING:
    from stac_quicklook_plugin.core.models import Quicklook, QuicklookRequest


def percent(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def layer_metadata(result: Quicklook, request: QuicklookRequest,
                   layer: QgsRasterLayer) -> QgsLayerMetadata:
    """Provenance a person can read in Layer Properties > Metadata: items, asset, hrefs, API, strategy."""
    metadata = QgsLayerMetadata()
    metadata.setIdentifier(result.items[0].id if result.items else "")
    collection = searched_collections(result, request)
    metadata.setParentIdentifier(collection)
    metadata.setTitle(layer.name())
    metadata.setType("dataset")
    metadata.setLanguage("")
    metadata.setCrs(layer.crs())
    metadata.setAbstract(provenance_text(result, request))
    metadata.addKeywords("STAC", ["STAC", *collection.split(","), result.asset_key])
    metadata.setLinks([_link(href) for href in result.hrefs])
    metadata.setHistory([tr("Created by STAC Quicklook at {time}").format(
        time=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))])
    return metadata


def _link(href: str) -> QgsAbstractMetadataBase.Link:
    link = QgsAbstractMetadataBase.Link(href.rsplit("/", 1)[-1] or href, "WWW:LINK", redact(href))
    link.mimeType = "image/tiff; application=geotiff; profile=cloud-optimized"
    return link


def provenance_text(result: Quicklook, request: QuicklookRequest) -> str:
    """Plain-text provenance; every URL passes through ``redact``."""
    lines = [
        tr("Quicklook from the STAC API {api}, collection {collection}.").format(
            api=redact(request.stac_api), collection=searched_collections(result, request)),
        tr("Search: bbox {bbox}, dates {dates}, cloud cover ≤ {cloud} %, strategy “{strategy}”.").format(
            bbox=", ".join(f"{v:.5f}" for v in request.bbox_wgs84),
            dates=request.datetime_range or tr("last 30 days"),
            cloud=percent(request.cloud_cover_max), strategy=result.strategy),
        tr("Asset: {asset}").format(asset=result.asset_key),
        *_band_math_lines(result),
        _cloud_line(result),
        tr("Items ({count}):").format(count=len(result.items)),
    ]
    lines += [f"  - {item.id}  ({item.collection or '?'})  {item.datetime or '?'}  "
              + (tr("{cloud} % cloud").format(cloud=percent(item.cloud_cover))
                 if item.cloud_cover is not None else tr("cloud cover unknown"))
              + ("" if getattr(item, "view_cloud", None) is None
                 else ", " + tr("{cloud} % over the view").format(cloud=percent(round(item.view_cloud, 2))))
              for item in result.items]
    duplicates = (result.meta or {}).get("duplicates") or []
    if duplicates:
        lines.append(tr("The same acquisitions in another collection, left out:"))
        lines += [f"  - {d.get('id')}  ({d.get('collection') or '?'}) = {d.get('same_as')}" for d in duplicates]
    reflectance = (result.meta or {}).get("reflectance")
    if reflectance:
        low, high = reflectance.get("range", (0, 0))
        lines.append(tr("Reflectance {low} to {high} drawn as 1 to 255; scale and offset per item:").format(
            low=f"{low:g}", high=f"{high:g}"))
        lines += [f"  - {item_id}: " + ", ".join(f"{key} ×{c['scale']:g} {c['offset']:+g}" for key, c in keys.items())
                  for item_id, keys in (reflectance.get("scale_offset") or {}).items()]
    lines.append(tr("Images:"))
    lines += [f"  - {redact(href)}" for href in result.hrefs]
    notes = (result.meta or {}).get("metadata_notes") or []
    if notes:  # what the catalog gave that could not be used (band metadata, a cloud mask)
        lines.append(tr("Notes:"))
        lines += [f"  - {redact(note)}" for note in notes]
    return "\n".join(lines)


def _band_math_lines(result: Quicklook) -> list[str]:
    """What a preset or band math computed, from which asset of each band, and its colour range."""
    meta = result.meta or {}
    if not (meta.get("expression") or (meta.get("preset") and meta.get("preset") != "true-color")):
        return []
    lines = [tr("Shows: {what}").format(what=meta.get("label") or meta.get("preset") or "")]
    if meta.get("expression"):
        lines.append(tr("Expression: {expression}").format(expression=meta["expression"]))
    if meta.get("bands"):
        lines.append(tr("Bands: {bands}").format(bands=", ".join(f"{k} = {v}" for k, v in meta["bands"].items())))
    if meta.get("kind") == "index" and meta.get("value_range"):
        low, high = meta["value_range"]
        lines.append(tr("Colour ramp from {low} to {high}; no data and clouds (when masked) are transparent.").format(
            low=f"{low:g}", high=f"{high:g}"))
    return lines


def searched_collections(result: Quicklook, request: QuicklookRequest) -> str:
    """The collection(s) the engine searched ("a,b"), else the request's."""
    return str((result.meta or {}).get("collection") or request.collection or "")


def _cloud_line(result: Quicklook) -> str:
    """Both cloud figures: over the view (scene classification) and over the first scene (eo:cloud_cover)."""
    meta = result.meta or {}
    view, scene = meta.get("view_cloud"), meta.get("scene_cloud")
    return tr("Cloud: {view} over the view, {scene} over the scene (best scene by {rank}; clouds {masked}).").format(
        view=tr("unknown") if view is None else f"{percent(round(float(view), 2))} %",
        scene=tr("unknown") if scene is None else f"{percent(round(float(scene), 2))} %",
        rank=tr("scene cloud cover") if meta.get("rank") == "scene" else tr("cloud over the view"),
        masked=tr("masked") if meta.get("mask_clouds") else tr("not masked"))
