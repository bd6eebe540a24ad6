"""Run inside a real QGIS (``qgis --code``): zoom to Rocky Mountain National Park, click the
plugin's toolbar button, wait for the quicklook layer, save a screenshot, quit.

Reads its parameters from the environment: STAC_QL_DEMO_OUT (screenshot path), STAC_QL_DEMO_STATUS
(JSON status file), STAC_QL_DEMO_BBOX (W,S,E,N).
"""
import os
import sys
import time
import traceback

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsRasterLayer, QgsRectangle
from qgis.utils import iface, plugins

OUT = os.environ["STAC_QL_DEMO_OUT"]
BBOX = [float(v) for v in os.environ.get("STAC_QL_DEMO_BBOX", "-105.9,40.1,-105.3,40.6").split(",")]
TIMEOUT_S = float(os.environ.get("STAC_QL_DEMO_TIMEOUT", "120"))

sys.path.insert(0, os.environ["STAC_QL_DEMO_KIT"])  # demo/startup_kit.py: what the start-up scripts share
from startup_kit import keep, later, state, write_status  # noqa: E402

state.update(clicked=None, layer=None, messages=[])


def quit_qgis():
    # Exit without the "save project?" dialog: the demo project is throwaway.
    os._exit(0)


def on_message(title, text, level, *_):
    state["messages"].append({"title": title, "text": text, "level": int(level)})


def rmnp_extent(crs):
    tr = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), crs, QgsProject.instance())
    return tr.transformBoundingBox(QgsRectangle(*BBOX))


def add_outline():
    """The seed's bbox as an outline layer: context on a map with no basemap (and it replaces
    QGIS's welcome page with the map canvas)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "Rocky Mountain NP area (seed bbox)", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(*BBOX)))
    layer.dataProvider().addFeatures([feature])
    symbol = layer.renderer().symbol()
    symbol.setColor(symbol.color().fromRgb(0, 0, 0, 0))
    symbol.symbolLayer(0).setStrokeColor(symbol.color().fromRgb(230, 40, 40))
    symbol.symbolLayer(0).setStrokeWidth(0.8)
    QgsProject.instance().addMapLayer(layer)


def zoom():
    project = QgsProject.instance()
    if not project.mapLayers():
        add_outline()
    crs = QgsCoordinateReferenceSystem("EPSG:3857")
    project.setCrs(crs)
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(crs)
    canvas.setExtent(rmnp_extent(crs))
    canvas.refresh()
    write_status(stage="zoomed", canvas_width=canvas.width())
    later(1500, click)


def click():
    """Click once the window is laid out, so "Auto" width is the real canvas width."""
    try:
        canvas = iface.mapCanvas()
        if canvas.width() < 300 and time.time() - state["started"] < 30:
            iface.mainWindow().showMaximized()
            later(500, zoom)
            return
        if "stac_quicklook_plugin" not in plugins:
            raise RuntimeError(f"the plugin did not load; loaded: {sorted(plugins)}")
        write_status(canvas_extent=canvas.extent().toString(), canvas_width=canvas.width())
        plugins["stac_quicklook_plugin"].action.trigger()
        write_status(clicked=time.time())
        later(250, wait_for_layer)
    except Exception:
        write_status(error=traceback.format_exc())
        quit_qgis()


def wait_for_layer():
    layers = [ln for ln in QgsProject.instance().mapLayers().values() if isinstance(ln, QgsRasterLayer)]
    elapsed = time.time() - state["started"]
    if layers:
        layer = layers[0]
        write_status(layer={"name": layer.name(), "valid": layer.isValid(), "crs": layer.crs().authid(),
                            "bands": layer.bandCount(), "extent": layer.extent().toString(),
                            "source": layer.source()}, layer_at=time.time(), python=python_state())
        copy_layer(layer)
        canvas = iface.mapCanvas()
        # Adding the first layer gives the project that layer's CRS: show the park again.
        canvas.setExtent(rmnp_extent(canvas.mapSettings().destinationCrs()))
        root = QgsProject.instance().layerTreeRoot()  # the outline above the picture
        for node in [n for n in root.children() if n.name().startswith("Rocky Mountain")]:
            root.insertChildNode(0, node.clone())
            root.removeChildNode(node)
        for group in root.findGroups():  # the quicklook's legend (an index's colour ramp) in sight
            group.setExpanded(True)
            for child in group.children():
                child.setExpanded(True)
        for dock_name in ("Browser", "Browser2"):  # room for the Layers panel and its legend
            from qgis.PyQt.QtWidgets import QDockWidget
            dock = iface.mainWindow().findChild(QDockWidget, dock_name)
            if dock is not None:
                dock.hide()
        canvas.mapCanvasRefreshed.connect(on_refreshed)
        keep.append(on_refreshed)
        canvas.refreshAllLayers()
        later(8000, screenshot)  # in case the refreshed signal came before we connected
    elif elapsed > TIMEOUT_S:
        write_status(error=f"no layer after {TIMEOUT_S:.0f} s")
        screenshot()
    else:
        later(250, wait_for_layer)


def python_state():
    """Which read backend the engine used, and whether rasterio was ever imported in this QGIS."""
    import sys
    try:
        from stac_quicklook_plugin.core.raster.backend import backend_name
        reader = backend_name()
    except Exception as exc:  # recorded, not fatal: the demo still takes its screenshot
        reader = f"error: {exc}"
    return {"reader": reader, "rasterio_imported": "rasterio" in sys.modules,
            "rasterio_hidden": os.environ.get("STAC_QL_RASTERIO_HIDDEN") == "1"}


def copy_layer(layer):
    """A GeoTIFF copy of the quicklook (its /vsimem file is gone when QGIS exits), for the tests."""
    path = os.environ.get("STAC_QL_DEMO_LAYER_COPY")
    if path:
        from osgeo import gdal
        gdal.Translate(path, layer.source(), format="GTiff")


def on_refreshed():
    later(1500, screenshot)


def screenshot():
    if state.get("screenshot"):
        return
    try:
        view = iface.layerTreeView()
        if view is not None:  # the quicklook's legend (an index's colour ramp) in sight
            view.expandAll()
        iface.mainWindow().grab().save(OUT)
        write_status(screenshot=OUT)
    finally:
        later(200, quit_qgis)


try:
    iface.messageBar().widgetAdded.connect(
        lambda item: on_message(item.title(), item.text(), item.level()))
except Exception:  # the demo still works without recording messages
    pass
iface.mainWindow().showMaximized()
later(3000, zoom)
write_status()
