"""Quicklooks that survive saving the project: each one written as a GeoTIFF beside the project file.

When a saved project is written, every quicklook layer in it (a layer with ``layer.PATH_PROPERTY``) gets a
compressed GeoTIFF in ``<project name>_quicklooks/`` next to the project file, the saved XML points at that
file (relative unless the project stores absolute paths), and once the save is done the live layer is
re-pointed there and its /vsimem copy freed. Name, style, metadata, group and temporal properties are the
layer's own and are kept. Files in that folder that no quicklook layer uses any more are deleted on save;
nothing is written or deleted anywhere else. Unsaved projects (no file name) keep /vsimem.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Optional

from osgeo import gdal
from qgis.core import Qgis, QgsDataProvider, QgsMapLayer, QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QObject, QTimer, pyqtSignal
from qgis.PyQt.QtWidgets import QAction, QFileDialog
from qgis.PyQt.QtXml import QDomDocument, QDomElement

from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.gui.layer import PATH_PROPERTY, VSIMEM_DIR, LayerError, unlink_vsimem

FOLDER_SUFFIX = "_quicklooks"
# Only files named like this are ever deleted from the folder: the ones this module wrote.
FILE_PATTERN = re.compile(r"^ql_[0-9a-f]{16}\.tif$")
CREATION_OPTIONS = ["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"]


def quicklooks_folder(project: QgsProject) -> Optional[Path]:
    """``<folder of the project file>/<project name>_quicklooks``, or None for a project never saved."""
    path = project.absoluteFilePath()
    if not path:
        return None
    project_file = Path(path)
    return project_file.parent / f"{project_file.stem}{FOLDER_SUFFIX}"


def is_quicklook(layer: Optional[QgsMapLayer]) -> bool:
    return isinstance(layer, QgsRasterLayer) and bool(layer.customProperty(PATH_PROPERTY))


def file_name(layer: QgsMapLayer) -> str:
    """A stable file name from the layer id (ids are unique in a project and survive save and reopen)."""
    return f"ql_{hashlib.sha1(layer.id().encode('utf-8')).hexdigest()[:16]}.tif"


def write_copy(layer: QgsRasterLayer, path: Path | str) -> Path:
    """The layer's pixels, georeferencing, mask and tags as a compressed GeoTIFF at ``path`` (replaced if there)."""
    path = Path(path)
    source = layer.source()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    try:
        dataset = gdal.Translate(str(temporary), source, format="GTiff", creationOptions=CREATION_OPTIONS)
    except RuntimeError as exc:
        raise LayerError(tr("GDAL could not write {path}: {error}").format(path=path, error=exc)) from exc
    if dataset is None:
        raise LayerError(tr("GDAL could not write {path}: {error}").format(path=path, error=gdal.GetLastErrorMsg()))
    dataset = None
    os.replace(temporary, path)
    return path


def repoint(layer: QgsRasterLayer, path: Path | str) -> None:
    """Make ``layer`` read ``path`` instead of its current source, keeping its name, style and metadata, and
    free the /vsimem file it read before."""
    old = str(layer.customProperty(PATH_PROPERTY) or "")
    name, renderer, metadata = layer.name(), layer.renderer().clone(), layer.metadata()
    options = QgsDataProvider.ProviderOptions()
    options.transformContext = layer.transformContext()
    layer.setDataSource(str(path), name, "gdal", options)
    if not layer.isValid():
        raise LayerError(tr("QGIS could not open {path} for the layer “{name}”.").format(path=path, name=name))
    layer.setRenderer(renderer)
    layer.setMetadata(metadata)
    layer.setCustomProperty(PATH_PROPERTY, str(path))
    if old.startswith(VSIMEM_DIR + "/") and old != str(path):
        unlink_vsimem(old)
        unlink_vsimem(old + ".aux.xml")
    layer.triggerRepaint()


class ProjectSaver(QObject):
    """Connects to one project: writes its quicklooks beside it on save and re-points them afterwards."""

    # What went wrong in a save, one sentence each (a layer that could not be written keeps its old source).
    saveProblems = pyqtSignal(list)

    def __init__(self, project: Optional[QgsProject] = None, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._project = project or QgsProject.instance()
        self._pending: dict[str, Path] = {}  # layer id -> file written in this save, re-pointed afterwards
        self._errors: list[str] = []
        self._project.writeMapLayer.connect(self._on_write_map_layer)
        self._project.writeProject.connect(self._on_write_project)
        self._project.projectSaved.connect(self._after_save)

    def unload(self) -> None:
        self.disconnect_project()
        self.deleteLater()

    def disconnect_project(self) -> None:
        for signal, slot in ((self._project.writeMapLayer, self._on_write_map_layer),
                             (self._project.writeProject, self._on_write_project),
                             (self._project.projectSaved, self._after_save)):
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass

    def _on_write_map_layer(self, layer: QgsMapLayer, element: QDomElement, document: QDomDocument) -> None:
        if not is_quicklook(layer):
            return
        folder = quicklooks_folder(self._project)
        if folder is None:
            return
        target = folder / file_name(layer)
        try:
            if Path(layer.source()).resolve() != target.resolve() or not target.is_file():
                write_copy(layer, target)
        except (LayerError, OSError) as exc:
            self._errors.append(tr("“{name}” keeps its memory copy: {error}").format(name=layer.name(), error=exc))
            return
        saved_path = self._project.pathResolver().writePath(str(target))
        datasource = element.firstChildElement("datasource")
        if datasource.isNull():
            return
        while datasource.hasChildNodes():
            datasource.removeChild(datasource.firstChild())
        datasource.appendChild(document.createTextNode(saved_path))
        # The same source is kept in two more places: the layer's custom property and its layer-tree node
        # (written before the layers); neither may name the /vsimem file that is freed after the save.
        _set_attributes(element.elementsByTagName("Option"), "name", PATH_PROPERTY, "value", str(target))
        _set_attributes(document.elementsByTagName("layer-tree-layer"), "id", layer.id(), "source", saved_path)
        self._pending[layer.id()] = target

    def _on_write_project(self, document: QDomDocument) -> None:
        """Delete the folder's files that no quicklook of the project uses (QGIS 3.22 emits this before it writes
        the layers; which files are kept depends only on the project's layers)."""
        for layer_id, target in self._pending.items():  # should a QGIS emit it after the layers instead
            _set_attributes(document.elementsByTagName("layer-tree-layer"), "id", layer_id, "source",
                            self._project.pathResolver().writePath(str(target)))
        folder = quicklooks_folder(self._project)
        if folder is None or not folder.is_dir():
            return
        keep = {file_name(layer) for layer in self._project.mapLayers().values() if is_quicklook(layer)}
        for entry in folder.iterdir():
            base = entry.name[: -len(".aux.xml")] if entry.name.endswith(".aux.xml") else entry.name
            if FILE_PATTERN.match(base) and base not in keep and entry.is_file():
                try:
                    entry.unlink()
                except OSError as exc:
                    self._errors.append(tr("Could not delete {path}: {error}").format(path=entry, error=exc))
        try:
            folder.rmdir()  # only succeeds when empty: a project without quicklooks leaves no folder
        except OSError:
            pass

    def _after_save(self) -> None:
        # Re-pointing a layer while QgsProject is still writing it would change what is being written.
        QTimer.singleShot(0, self.repoint_saved)

    def repoint_saved(self) -> None:
        """Re-point the layers written by the last save to their files (also called directly by tests)."""
        pending, self._pending = self._pending, {}
        for layer_id, target in pending.items():
            layer = self._project.mapLayer(layer_id)
            if layer is None or not target.is_file():
                continue
            if layer.source() == str(target):
                continue
            try:
                repoint(layer, target)
            except LayerError as exc:
                self._errors.append(str(exc))
        errors, self._errors = self._errors, []
        if errors:
            self.saveProblems.emit(errors)


def _set_attributes(nodes: Any, key: str, key_value: str, attribute: str, value: str) -> None:
    """Set ``attribute`` to ``value`` on each element of ``nodes`` whose ``key`` attribute is ``key_value``."""
    for index in range(nodes.count()):
        node = nodes.at(index).toElement()
        if node.attribute(key) == key_value:
            node.setAttribute(attribute, value)


class SaveCopyAction(QObject):
    """The layer context-menu action "Save quicklook as...": a GeoTIFF copy of the quicklook wherever the user
    picks. Shown on quicklook layers only (QGIS's custom layer actions, registered per layer)."""

    def __init__(self, iface: Any, project: Optional[QgsProject] = None, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._iface = iface
        self._project = project or QgsProject.instance()
        self.action = QAction(tr("Save quicklook as…"), iface.mainWindow())
        self.action.setObjectName("StacQuicklookSaveAs")
        self.action.triggered.connect(self.save_active_layer)
        self._registered = False
        self._project.layersAdded.connect(self._on_layers_added)
        self._on_layers_added(list(self._project.mapLayers().values()))

    def _on_layers_added(self, layers: list) -> None:
        add_for_type = getattr(self._iface, "addCustomActionForLayerType", None)
        if add_for_type is None:  # an iface without custom layer actions (a stub)
            return
        for layer in layers:
            if not is_quicklook(layer):
                continue
            if not self._registered:
                # The layer's own type: no enum to name, the same on every QGIS version.
                add_for_type(self.action, "", layer.type(), False)
                self._registered = True
            self._iface.addCustomActionForLayer(self.action, layer)

    def save_active_layer(self, *_: Any) -> Optional[Path]:
        """Ask where, write the copy, say where it went; returns the file written (None if cancelled)."""
        layer = self._iface.activeLayer()
        if not is_quicklook(layer):
            return None
        folder = Path(self._project.absolutePath() or Path.home())
        suggested = str(folder / (re.sub(r"[^\w.-]+", "_", layer.name()).strip("_") + ".tif"))
        path, _ = QFileDialog.getSaveFileName(self._iface.mainWindow(), tr("Save quicklook as"), suggested,
                                              tr("GeoTIFF (*.tif *.tiff)"))
        if not path:
            return None
        if Path(path).suffix.lower() not in (".tif", ".tiff"):
            path += ".tif"
        bar = self._iface.messageBar()
        try:
            written = write_copy(layer, path)
        except (LayerError, OSError) as exc:
            bar.pushMessage(tr("Could not save the quicklook"), str(exc), Qgis.MessageLevel.Critical, 15)
            return None
        bar.pushMessage(tr("Quicklook saved"), tr("Saved “{name}” as {path}").format(name=layer.name(), path=written),
                        Qgis.MessageLevel.Success, 5)
        return written

    def unload(self) -> None:
        try:
            self._project.layersAdded.disconnect(self._on_layers_added)
        except (TypeError, RuntimeError):
            pass
        remove = getattr(self._iface, "removeCustomActionForLayerType", None)
        if remove is not None and self._registered:
            remove(self.action)
        self.action.deleteLater()
