"""Run inside a real QGIS (``qgis --code``) by demo/chart_demo.py: an NDVI quicklook of the view, then the
time-series tool's chart of two points (the second added as a shift-click does), a screenshot, a status file."""
import os
import sys

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsRectangle
from qgis.PyQt.QtWidgets import QDockWidget
from qgis.utils import iface, plugins

OUT = os.environ["STAC_QL_DEMO_OUT"]
BBOX = [float(v) for v in os.environ["STAC_QL_DEMO_BBOX"].split(",")]
POINTS = [tuple(float(v) for v in p.split(",")) for p in os.environ["STAC_QL_DEMO_POINTS"].split(";")]

sys.path.insert(0, os.environ["STAC_QL_DEMO_KIT"])  # demo/startup_kit.py: what the start-up scripts share
from startup_kit import guarded, later, wait_until, write_status  # noqa: E402


def plugin():
    return plugins["stac_quicklook_plugin"]


def start():
    for d in iface.mainWindow().findChildren(QDockWidget):
        if d.objectName().startswith("Browser"):
            d.hide()
    iface.mainWindow().showMaximized()
    dock = plugin().dock
    dock.show()
    dock.cloud_spin.setValue(100)
    picker = dock.show_picker
    picker.combo.setCurrentIndex(picker.combo.findData("ndvi"))
    later(1500, guarded(click))


def click():
    crs = QgsCoordinateReferenceSystem("EPSG:3857")
    QgsProject.instance().setCrs(crs)
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(crs)
    to_map = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), crs, QgsProject.instance())
    canvas.setExtent(to_map.transformBoundingBox(QgsRectangle(*BBOX)))
    plugin().action.trigger()
    wait_until(lambda: not plugin()._tasks and QgsProject.instance().mapLayers(), chart)


def chart():
    chart_ = plugin().chart
    chart_.action.trigger()  # the tool, as a click on its toolbar button
    chart_.run(POINTS[0], False)
    wait_until(lambda: chart_.task is None and len(chart_.series) == 1, more)


def more():
    chart_ = plugin().chart
    chart_.run(POINTS[1], True)  # as a shift-click does
    wait_until(lambda: chart_.task is None and len(chart_.series) == 2, shot)


def shot():
    chart_ = plugin().chart
    write_status(series=[[e.as_json() for e in s.entries] for s in chart_.series],
                 title=chart_.dock.figure.axes[0].get_title())
    iface.mainWindow().grab().save(OUT)
    write_status(screenshot=OUT)
    later(200, lambda: os._exit(0))


later(3000, guarded(start))
