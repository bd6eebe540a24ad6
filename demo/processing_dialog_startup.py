"""Run inside a real QGIS (``qgis --code``) by demo/processing_dialog.py: open the plugin's Processing dialog filled
in, screenshot it, run it, write a status file, quit."""
import os
import sys

from qgis.core import QgsApplication
from qgis.utils import iface

OUT = os.environ["STAC_QL_DEMO_OUT"]
START, END = os.environ["STAC_QL_DEMO_DATES"].split(",")

sys.path.insert(0, os.environ["STAC_QL_DEMO_KIT"])  # demo/startup_kit.py: what the start-up scripts share
from startup_kit import guarded, keep, later, write_status  # noqa: E402


def open_dialog():
    import processing

    if QgsApplication.processingRegistry().algorithmById("stac_quicklook:quicklook") is None:
        raise RuntimeError("the plugin's algorithm is not registered")
    dialog = processing.createAlgorithmDialog("stac_quicklook:quicklook", {
        "EXTENT": "-105.7,-105.5,40.25,40.45 [EPSG:4326]", "STAC_API": os.environ["STAC_QL_DEMO_API"],
        "START": START, "END": END, "CLOUD_COVER_MAX": 20, "WIDTH": 1024,
        "OUTPUT": os.environ["STAC_QL_DEMO_TIF"]})
    dialog.resize(1000, 760)
    dialog.show()
    keep.append(dialog)
    later(2500, guarded(lambda: shoot(dialog)))


def shoot(dialog):
    dialog.grab().save(OUT)
    write_status(screenshot=OUT, title=dialog.windowTitle())
    dialog.runAlgorithm()
    later(500, lambda: wait(dialog, 0))


def wait(dialog, tries):
    results = dialog.results() or {}
    if "ITEMS" in results or tries > 120:
        write_status(results=results, exists=os.path.exists(os.environ["STAC_QL_DEMO_TIF"]))
        os._exit(0)
    later(500, lambda: wait(dialog, tries + 1))


iface.mainWindow().showMaximized()
later(3000, guarded(open_dialog))
