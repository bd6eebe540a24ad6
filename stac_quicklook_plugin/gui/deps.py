"""Check the engine's third-party imports without importing the engine, and say how to install them.

Every QGIS ships numpy, requests and GDAL's bindings (osgeo.gdal), and the engine reads images with
rasterio where it is installed, else with osgeo.gdal: nothing needs installing. Should a broken
install lack one, the plugin still loads (toolbar button, dock) and the click explains what to install
for *this* QGIS instead of failing with a traceback.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

from stac_quicklook_plugin.gui.i18n import tr

REQUIRED_MODULES = ("numpy", "requests")
# Either reads the images (core.backend): rasterio where it is installed, else GDAL's own bindings.
READERS = ("rasterio", "osgeo.gdal")
# What to name (and install) when no reader is importable: the one every QGIS ships.
READER_PACKAGE = "osgeo"

# Package names per platform, where they differ from the import name.
_DEBIAN_PACKAGES = {"numpy": "python3-numpy", "requests": "python3-requests", "rasterio": "python3-rasterio",
                    "osgeo": "python3-gdal"}


def missing_modules(load: bool = True) -> list[str]:
    """Names of the required modules that cannot be imported in this Python ("osgeo" when no reader is).

    ``load=False`` only looks for them (cheap enough for QGIS start-up: importing rasterio takes a
    noticeable fraction of a second); the click imports them, which also catches broken installs.
    """
    missing = [name for name in REQUIRED_MODULES if not _importable(name, load)]
    if not any(_importable(name, load) for name in READERS):
        missing.append(READER_PACKAGE)
    return missing


def _importable(name: str, load: bool) -> bool:
    try:
        if load:
            importlib.import_module(name)
            return True
        if name in sys.modules:
            return sys.modules[name] is not None  # None: an import that is known to fail
        return importlib.util.find_spec(name) is not None
    except Exception:  # ImportError, or a broken install (e.g. a GDAL ABI mismatch): missing in practice
        return False


def install_hint(missing: list[str], platform: str = sys.platform) -> str:
    """How to install ``missing`` for the QGIS this code runs in, as one short paragraph."""
    names = " ".join(missing)
    if READER_PACKAGE in missing and not platform.startswith("linux"):
        how = tr("GDAL's Python bindings (osgeo) are part of every QGIS installer: repair or reinstall QGIS.")
    elif platform.startswith("win"):
        how = tr("In the OSGeo4W Shell (Start menu), run: python -m pip install {names}").format(names=names)
    elif platform == "darwin":
        how = tr("In a terminal, run: /Applications/QGIS.app/Contents/MacOS/bin/pip3 install {names}").format(
            names=names)
    else:
        packages = " ".join(_DEBIAN_PACKAGES.get(n, n) for n in missing)
        how = tr("On Debian/Ubuntu, run: sudo apt install {packages} "
                 "(other Linux: install {names} for the Python that QGIS uses)").format(
                     packages=packages, names=names)
    return tr("STAC Quicklook needs the Python package(s) {names}, which this QGIS cannot import. "
              "{how} Then restart QGIS.").format(names=", ".join(missing), how=how)
