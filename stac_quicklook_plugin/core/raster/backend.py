"""Which library performs the reads: rasterio where it can be imported, else GDAL's own Python bindings
(``osgeo.gdal``, shipped by every QGIS: stock Windows and macOS QGIS have no rasterio).

Both backends offer the same small interface (see ``read_rasterio`` and ``read_gdal``): CRS helpers,
``env(options)``, ``open(path, overview_level)`` giving a ``Source`` with ``read``/``read_mask``/``warp``,
and ``write_geotiff``. The rest of the engine never imports either library itself.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

from stac_quicklook_plugin.core.errors import MissingDependency

# "rasterio" or "gdal" forces a backend (tests, benchmarks, a user who wants one); unset = automatic.
BACKEND_ENV = "STAC_QUICKLOOK_READER"
BACKENDS = {"rasterio": "stac_quicklook_plugin.core.raster.rasterio_reader",
            "gdal": "stac_quicklook_plugin.core.raster.gdal_reader"}
_loaded: dict[str, ModuleType] = {}


def backend_name() -> str:
    """The backend reads use now: the forced one, else rasterio when importable, else gdal."""
    wanted = os.environ.get(BACKEND_ENV, "").strip().lower()
    if wanted:
        if wanted not in BACKENDS:
            raise MissingDependency(f"{BACKEND_ENV}={wanted!r} is not a read backend; use "
                                    f"{' or '.join(sorted(BACKENDS))}, or unset it.")
        return wanted
    for name in ("rasterio", "gdal"):
        if _importable(name):
            return name
    raise MissingDependency("Neither rasterio nor GDAL's Python bindings (osgeo.gdal) can be imported, so no "
                            "image can be read. Every QGIS ships osgeo.gdal; outside QGIS, install rasterio "
                            "(pip install rasterio).")


def is_loaded() -> bool:
    """Whether a backend has been imported already (the plugin's warm-up does it; a CLI run at its first read)."""
    return bool(_loaded)


def backend() -> ModuleType:
    """The backend module (imported once)."""
    name = backend_name()
    if name not in _loaded:
        try:
            _loaded[name] = importlib.import_module(BACKENDS[name])
        except ImportError as exc:
            raise MissingDependency(f"The '{name}' read backend cannot be used: {exc}.") from None
    return _loaded[name]


def _importable(name: str) -> bool:
    try:
        backend_module = BACKENDS[name]
        if backend_module in _loaded:
            return True
        importlib.import_module("rasterio" if name == "rasterio" else "osgeo.gdal")
        return True
    except Exception:  # ImportError, or a broken install (a GDAL ABI mismatch): unusable in practice
        return False
