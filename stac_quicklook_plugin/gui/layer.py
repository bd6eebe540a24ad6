"""The engine's result as a QGIS raster layer: a GeoTIFF in /vsimem, a renderer, metadata, cleanup.

Main thread only, but for ``write_pending`` (a quicklook task writes its layer's GeoTIFF in its worker, so
QGIS's main thread only opens it). The GeoTIFF is written with QGIS's own GDAL (``osgeo.gdal``) so the GDAL
provider reads exactly the bytes written here; the file is unlinked when its layer leaves the project.
"""
from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Iterable, Optional

from osgeo import gdal
from qgis.core import (
    QgsColorRampShader,
    QgsContrastEnhancement,
    QgsLayerTreeGroup,
    QgsMultiBandColorRenderer,
    QgsProject,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandGrayRenderer,
    QgsSingleBandPseudoColorRenderer,
)
from qgis.PyQt.QtCore import QObject
from qgis.PyQt.QtGui import QColor

from stac_quicklook_plugin.core.bands.presets import RAMPS
from stac_quicklook_plugin.core.stac.families import family_of
from stac_quicklook_plugin.gui.compat import cumulative_cut_limit
from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.gui.provenance import layer_metadata, percent, provenance_text, searched_collections

__all__ = ["layer_metadata", "provenance_text", "searched_collections"]  # (as this module had them)

if TYPE_CHECKING:
    from stac_quicklook_plugin.core.models import Quicklook, QuicklookRequest

# QGIS's own Python code calls gdal.UseExceptions() (qgis/QGIS#57477); the plugin does too, on its first osgeo
# use, so it behaves alike in every QGIS, in tests and in a bare Python, and GDAL >= 3.7 gives no
# FutureWarning. The code below copes with either mode, should another plugin switch it back.
if not gdal.GetUseExceptions():
    gdal.UseExceptions()

VSIMEM_DIR = "/vsimem/stac_quicklook"
GROUP_NAME = "STAC Quicklooks"
PATH_PROPERTY = "stac_quicklook/vsimem_path"


class LayerError(Exception):
    """The result could not be written or opened as a raster layer (a bug or a broken GDAL)."""


# Files a worker has written for a layer the main thread has not made yet: the janitor leaves them alone.
_pending: set[str] = set()
_pending_lock = threading.Lock()


def write_pending(result: Quicklook) -> str:
    """``write_geotiff`` from a worker thread (QGIS's main thread then only opens the layer): the file is
    pending until ``create_layer`` takes it or ``discard`` frees it."""
    path = write_geotiff(result)
    with _pending_lock:
        _pending.add(path)
    return path


def discard(path: Optional[str]) -> None:
    """Free a pending file no layer took (a result that was cancelled, superseded or failed)."""
    if path:
        with _pending_lock:
            _pending.discard(path)
        _unlink(path)


def discard_pending() -> None:
    """Free every pending file (the plugin unloads: no outcome will reach a layer any more)."""
    with _pending_lock:
        paths = list(_pending)
    for path in paths:
        discard(path)


def write_geotiff(result: Quicklook) -> str:
    """Write ``result`` to a new GeoTIFF under VSIMEM_DIR and return its path.

    uint8 data gets an alpha band from the mask (so black stays black and only invalid pixels are
    transparent); other types get a nodata value written into the invalid pixels.
    """
    import numpy as np
    from osgeo import gdal_array

    array = np.asarray(result.array)
    if array.ndim != 3 or 0 in array.shape:
        raise LayerError(f"expected a (bands, rows, cols) array, got shape {array.shape}")
    bands, rows, cols = array.shape
    mask = np.asarray(result.mask, dtype=bool)
    use_alpha = array.dtype == np.uint8
    gdal_type = gdal_array.NumericTypeCodeToGDALTypeCode(array.dtype)
    if gdal_type is None:
        raise LayerError(f"no GDAL type for {array.dtype}")

    options = ["COMPRESS=NONE", "TILED=YES"]
    if use_alpha:
        options += ["ALPHA=YES", "PHOTOMETRIC=RGB" if bands == 3 else "PHOTOMETRIC=MINISBLACK"]
    path = f"{VSIMEM_DIR}/{uuid.uuid4().hex}.tif"
    driver = gdal.GetDriverByName("GTiff")
    try:
        dataset = driver.Create(path, cols, rows, bands + (1 if use_alpha else 0), gdal_type, options)
    except RuntimeError as exc:
        raise LayerError(f"GDAL could not create {path}: {exc}") from exc
    if dataset is None:
        raise LayerError(f"GDAL could not create {path}: {gdal.GetLastErrorMsg()}")
    try:
        dataset.SetGeoTransform(result.gdal_geotransform)
        dataset.SetProjection(result.crs)
        if use_alpha:
            for index in range(bands):
                dataset.GetRasterBand(index + 1).WriteArray(array[index])
            dataset.GetRasterBand(bands + 1).WriteArray(np.where(mask, 255, 0).astype(np.uint8))
        else:
            nodata = _nodata_for(array.dtype, result.nodata)
            for index in range(bands):
                band = dataset.GetRasterBand(index + 1)
                band.SetNoDataValue(float(nodata))
                if (result.meta or {}).get("kind") == "index":  # the legend says "Band 1: NDVI"
                    band.SetDescription(shown_label(result))
                band.WriteArray(np.where(mask, array[index], nodata).astype(array.dtype, copy=False))
        dataset.FlushCache()
    except Exception:
        dataset = None
        _unlink(path)
        raise
    dataset = None  # closes the file so the GDAL provider sees it complete
    return path


def _unlink(path: str) -> None:
    """Free a /vsimem file; one already gone is no error (GDAL raises for it with exceptions on)."""
    try:
        gdal.Unlink(path)
    except RuntimeError:
        pass


unlink_vsimem = _unlink


def _nodata_for(dtype, engine_nodata: Optional[float]) -> float:
    import numpy as np

    if engine_nodata is not None:
        return engine_nodata
    return float("nan") if np.issubdtype(dtype, np.floating) else 0


def create_layer(result: Quicklook, request: QuicklookRequest, path: Optional[str] = None) -> QgsRasterLayer:
    """A valid raster layer showing ``result`` (from its file ``path`` when a worker wrote it already), named
    and documented; not yet added to any project."""
    path = path or write_geotiff(result)
    try:
        layer = QgsRasterLayer(path, layer_name(result, searched_collections(result, request)), "gdal")
        if not layer.isValid():
            error = layer.error().summary() if layer.error() else ""
            _unlink(path)
            raise LayerError(f"QGIS could not open {path}: {error}")
        layer.setCustomProperty(PATH_PROPERTY, path)
    finally:
        with _pending_lock:
            _pending.discard(path)
    apply_renderer(layer, result)
    layer.setMetadata(layer_metadata(result, request, layer))
    return layer


def apply_renderer(layer: QgsRasterLayer, result: Quicklook) -> None:
    """RGB for 3 bands, gray for one; 8-bit data shown as is, other types stretched 2-98 %; an index in its
    colour ramp over its fixed range (the same for every date), with a legend."""
    import numpy as np

    meta = result.meta or {}
    if meta.get("kind") == "index":
        low, high = meta.get("value_range") or (-1.0, 1.0)
        layer.setRenderer(index_renderer(layer, float(low), float(high), str(meta.get("ramp") or "ndvi")))
        return
    provider = layer.dataProvider()
    is_byte = np.asarray(result.array).dtype == np.uint8
    alpha_band = result.count + 1 if is_byte else -1
    if result.count >= 3:
        renderer = QgsMultiBandColorRenderer(provider, 1, 2, 3)
    else:
        renderer = QgsSingleBandGrayRenderer(provider, 1)
    renderer.setAlphaBand(alpha_band)
    layer.setRenderer(renderer)
    if is_byte:
        # Engine output is already composited to display values: no stretch, 0..255 as is.
        layer.setContrastEnhancement(QgsContrastEnhancement.ContrastEnhancementAlgorithm.NoEnhancement)
    else:
        layer.setContrastEnhancement(QgsContrastEnhancement.ContrastEnhancementAlgorithm.StretchToMinimumMaximum,
                                     cumulative_cut_limit())


def index_renderer(layer: QgsRasterLayer, low: float, high: float, ramp: str) -> QgsSingleBandPseudoColorRenderer:
    """A pseudocolour renderer of band 1: the index's ramp (core.bands.presets.RAMPS) from ``low`` to ``high``."""
    stops = RAMPS.get(ramp, RAMPS["ndvi"])
    shader_function = QgsColorRampShader(low, high)  # interpolated, continuous: the default
    shader_function.setColorRampItemList([
        QgsColorRampShader.ColorRampItem(low + position * (high - low), QColor(colour),
                                         f"{low + position * (high - low):.2f}")
        for position, colour in stops])
    shader = QgsRasterShader(low, high)
    shader.setRasterShaderFunction(shader_function)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    renderer.setClassificationMin(low)
    renderer.setClassificationMax(high)
    return renderer


def shown_label(result: Quicklook) -> str:
    """What the layer shows, for its name: the asset, a preset ("NDVI", "false-color") or the band math."""
    meta = result.meta or {}
    preset = str(meta.get("preset") or "")
    if meta.get("kind") == "index" and preset:
        return preset.upper()
    if preset and preset != "true-color":
        return preset
    expression = str(meta.get("expression") or "")
    if expression:
        return expression if len(expression) <= 40 else expression[:39] + "…"
    return result.asset_key


def layer_name(result: Quicklook, collection: str) -> str:
    """Like "S2 2024-08-03 · visual · 0 % cloud over view" (cloud over the view, when the engine judged it),
    else "S2 2024-08-03 · visual · 4.8 % cloud"; a mosaic shows its date span and worst scene cloud cover."""
    first = result.items[0] if result.items else None  # its family's short name ("S2", "Landsat")
    family = family_of({"collection": first.collection}) if first is not None and first.collection else None
    prefix = family.short if family is not None else (
        "S2" if not collection or collection.lower().startswith("sentinel-2") else collection)
    dates = sorted({(item.datetime or "")[:10] for item in result.items if item.datetime})
    if not dates:
        when = tr("undated")
    elif len(dates) == 1:
        when = dates[0]
    else:
        when = f"{dates[0]}…{dates[-1]}"
    clouds = [item.cloud_cover for item in result.items if item.cloud_cover is not None]
    parts = [f"{prefix} {when}", shown_label(result)]
    view_cloud = (result.meta or {}).get("view_cloud")
    if view_cloud is not None:  # what the user sees: cloud over the view, from the scene classification
        parts.append(tr("{cloud} % cloud over view").format(cloud=percent(round(float(view_cloud), 1))))
    elif clouds:
        worst = max(clouds)
        parts.append(tr("{cloud} % cloud").format(cloud=percent(worst)) if len(result.items) == 1
                     else tr("≤ {cloud} % cloud").format(cloud=percent(worst)))
    return " · ".join(parts)


def add_to_project(layer: QgsRasterLayer, project: Optional[QgsProject] = None) -> QgsLayerTreeGroup:
    """Add ``layer`` on top of the "STAC Quicklooks" group, which is made at the top of the tree if missing."""
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    group = root.findGroup(tr(GROUP_NAME))
    if group is None:
        group = root.insertGroup(0, tr(GROUP_NAME))
    project.addMapLayer(layer, False)
    group.insertLayer(0, layer)
    return group


def vsimem_files() -> list[str]:
    """Files this plugin currently holds in /vsimem (for tests and diagnostics)."""
    names = gdal.ReadDirRecursive(VSIMEM_DIR) or []
    return [f"{VSIMEM_DIR}/{name}" for name in names if not name.endswith("/")]


class VsimemJanitor(QObject):
    """Unlinks a quicklook's /vsimem file when its layer is removed from the project, and the side files
    GDAL writes when QGIS closes the layer (``.aux.xml`` with the statistics of the stretch)."""

    def __init__(self, project: Optional[QgsProject] = None, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._project = project or QgsProject.instance()
        self._project.layersWillBeRemoved["QStringList"].connect(self._on_layers_will_be_removed)
        self._project.layersRemoved.connect(self.sweep)

    def unload(self) -> None:
        """Files no layer took are freed; the project's signals let go."""
        discard_pending()
        self.disconnect_project()
        self.deleteLater()

    def disconnect_project(self) -> None:
        for signal, slot in ((self._project.layersWillBeRemoved["QStringList"], self._on_layers_will_be_removed),
                             (self._project.layersRemoved, self.sweep)):
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):  # already disconnected or project gone
                pass

    def _on_layers_will_be_removed(self, layer_ids: Iterable[str]) -> None:
        for layer_id in layer_ids:
            layer = self._project.mapLayer(layer_id)
            path = layer.customProperty(PATH_PROPERTY) if layer is not None else None
            if path and str(path).startswith(VSIMEM_DIR + "/"):
                # The provider may still hold the file open; GDAL frees the bytes when it closes.
                _unlink(str(path))

    def sweep(self, *_: object) -> None:
        """Unlink every file under VSIMEM_DIR that belongs to no quicklook layer of the project: the
        ``.aux.xml`` GDAL writes as a removed layer closes (after layersWillBeRemoved), or a file whose
        layer went away some other way."""
        in_use = {str(layer.customProperty(PATH_PROPERTY)) for layer in self._project.mapLayers().values()
                  if layer.customProperty(PATH_PROPERTY)}
        with _pending_lock:
            in_use |= _pending
        for path in vsimem_files():
            base = path[: -len(".aux.xml")] if path.endswith(".aux.xml") else path
            if base not in in_use:
                _unlink(path)
