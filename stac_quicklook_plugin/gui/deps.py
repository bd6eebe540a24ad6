"""Check the engine's third-party imports without importing the engine, and say how to install them.

The plugin must load (toolbar button, dock) even when rasterio is missing; the click then explains
what to install for *this* QGIS instead of failing with a traceback.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

from stac_quicklook_plugin.gui.i18n import tr

REQUIRED_MODULES = ("numpy", "requests", "rasterio")

# Package names per platform, where they differ from the import name.
_DEBIAN_PACKAGES = {"numpy": "python3-numpy", "requests": "python3-requests", "rasterio": "python3-rasterio"}


def missing_modules(load: bool = True) -> list[str]:
    """Names of the required modules that cannot be imported in this Python.

    ``load=False`` only looks for them (cheap enough for QGIS start-up: importing rasterio takes a
    noticeable fraction of a second); the click imports them, which also catches broken installs.
    """
    missing = []
    for name in REQUIRED_MODULES:
        try:
            if load:
                importlib.import_module(name)
            elif name in sys.modules:
                if sys.modules[name] is None:  # an import that is known to fail
                    missing.append(name)
            elif importlib.util.find_spec(name) is None:
                missing.append(name)
        except Exception:  # ImportError, or a broken install (e.g. a GDAL ABI mismatch): missing in practice
            missing.append(name)
    return missing


def install_hint(missing: list[str], platform: str = sys.platform) -> str:
    """How to install ``missing`` for the QGIS this code runs in, as one short paragraph."""
    names = " ".join(missing)
    if platform.startswith("win"):
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
