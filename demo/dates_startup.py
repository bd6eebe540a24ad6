"""Run inside a real QGIS (``qgis --code``) by demo/dates_demo.py: a quicklook of the view, the dates list and
footprints, a screenshot; the time series in the Temporal Controller, a screenshot; a status file; quit."""
import os
import sys
import time

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsRectangle
from qgis.gui import QgsGui
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QKeySequence
from qgis.PyQt.QtWidgets import QAction, QDockWidget
from qgis.utils import iface, plugins

OUT_LIST = os.environ["STAC_QL_DEMO_OUT"]
OUT_SERIES = os.environ["STAC_QL_DEMO_SERIES_OUT"]
BBOX = [float(v) for v in os.environ["STAC_QL_DEMO_BBOX"].split(",")]

sys.path.insert(0, os.environ["STAC_QL_DEMO_KIT"])  # demo/startup_kit.py: what the start-up scripts share
from startup_kit import guarded, later, state, wait_until, write_status  # noqa: E402


def plugin():
    return plugins["stac_quicklook_plugin"]


def shortcut_owners(sequence):
    """Every action of the QGIS window (and the shortcut manager) bound to ``sequence``."""
    key = QKeySequence(sequence)
    owners = {a.objectName() or a.text() for a in iface.mainWindow().findChildren(QAction) if a.shortcut() == key}
    manager = QgsGui.shortcutsManager()
    found = manager.actionForSequence(key)
    if found is not None:
        owners.add(found.objectName() or found.text())
    return sorted(owners)


def add_view_outline():
    """The view as a red outline: context on a map with no basemap, and the canvas instead of the welcome page."""
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "The 10 km view", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(*BBOX)))
    layer.dataProvider().addFeatures([feature])
    symbol = layer.renderer().symbol()
    symbol.setColor(symbol.color().fromRgb(0, 0, 0, 0))
    symbol.symbolLayer(0).setStrokeColor(symbol.color().fromRgb(230, 40, 40))
    symbol.symbolLayer(0).setStrokeWidth(0.8)
    QgsProject.instance().addMapLayer(layer)


def zoom_to_view(margin=1.15):
    crs = QgsCoordinateReferenceSystem("EPSG:32613")
    project = QgsProject.instance()
    project.setCrs(crs)
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(crs)
    to_utm = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), crs, project)
    extent = to_utm.transformBoundingBox(QgsRectangle(*BBOX))
    extent.scale(margin)
    canvas.setExtent(extent)
    canvas.refresh()


def start():
    for d in iface.mainWindow().findChildren(QDockWidget):  # room for the layer tree
        if d.objectName().startswith("Browser"):
            d.hide()
    add_view_outline()
    dock = plugin().dock
    dock.show()
    dock.cloud_spin.setValue(100)  # every date of the view, however cloudy
    dock.width_spin.setValue(0)
    dock.dates_panel.footprints_check.setChecked(True)
    later(1500, guarded(click))


def click():
    canvas = iface.mapCanvas()
    if canvas.width() < 300 and time.time() - state["started"] < 40:
        iface.mainWindow().showMaximized()
        later(500, guarded(click))
        return
    zoom_to_view()
    from stac_quicklook_plugin.gui.dates import NEXT_SHORTCUT, PREVIOUS_SHORTCUT

    write_status(shortcuts={s: shortcut_owners(s) for s in (PREVIOUS_SHORTCUT, NEXT_SHORTCUT)},
                 canvas_width=canvas.width())
    state["shortcuts_free"] = state["shortcuts"] == {PREVIOUS_SHORTCUT: ["StacQuicklookPreviousDate"],
                                                     NEXT_SHORTCUT: ["StacQuicklookNextDate"]}
    plugin().action.trigger()
    wait_until(lambda: not plugin()._tasks and plugin().dates._task is None and plugin().dock.dates_panel.dates(),
               list_shot)


def expand_groups():
    """Groups open, layers' band legends closed: the layer tree as a user arranges it."""
    iface.layerTreeView().expandAll()
    for node in QgsProject.instance().layerTreeRoot().findLayers():
        node.setExpanded(False)


def list_shot():
    assert plugin().dock.dates_panel is not None
    expand_groups()
    later(1500, guarded(grab_list))


def grab_list():
    panel = plugin().dock.dates_panel
    iface.mainWindow().grab().save(OUT_LIST)
    rows = [[panel.list.topLevelItem(i).text(c) for c in range(4)] for i in range(panel.list.topLevelItemCount())]
    names = [layer.name() for layer in QgsProject.instance().mapLayers().values()]
    write_status(list_screenshot=OUT_LIST, rows=rows, marked=panel.current_marked(), layers=names)
    panel.footprints_check.setChecked(False)
    panel.series_button.click()
    wait_until(lambda: not plugin().series.running and plugin().series.layers, series_shot, 150)


def series_shot():
    root = QgsProject.instance().layerTreeRoot()
    series_ids = {layer.id() for layer in plugin().series.layers}
    for node in root.findLayers():  # the series alone on the map
        node.setItemVisibilityChecked(node.layerId() in series_ids)
    temporal = [d for d in iface.mainWindow().findChildren(QDockWidget) if "emporal" in d.objectName() + d.windowTitle()]
    for d in temporal:
        iface.mainWindow().addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d)
        d.show()
        d.raise_()
        d.setMaximumHeight(110)  # its controls, not the blank space under them
    expand_groups()
    navigation = iface.mapCanvas().temporalController()
    days = plugin().series.days()
    from datetime import date

    frame = (date.fromisoformat("2024-08-22") - date.fromisoformat(days[0])).days
    navigation.setCurrentFrameNumber(frame)
    iface.mapCanvas().refresh()
    write_status(series_days=days, frame=frame, temporal_docks=[d.objectName() for d in temporal],
                 canvas_range=iface.mapCanvas().temporalRange().begin().toString("yyyy-MM-dd hh:mm"))
    later(1000, guarded(widen_layers))
    later(4000, guarded(final_shot))


def widen_layers():
    """Showing the Temporal Controller squeezes the left dock area: give the layer tree its width back."""
    for d in iface.mainWindow().findChildren(QDockWidget):
        if d.objectName() == "Layers":
            d.setMinimumWidth(290)


def final_shot():
    iface.mainWindow().grab().save(OUT_SERIES)
    write_status(series_screenshot=OUT_SERIES, done=True)
    later(200, lambda: os._exit(0))


iface.mainWindow().showMaximized()
iface.mainWindow().resize(1440, 900)  # no window manager under Xvfb to maximize it
later(3000, guarded(start))
write_status()
