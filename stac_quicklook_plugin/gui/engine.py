"""The QGIS side's one seam to the engine's modules: the engine (numpy, requests, GDAL bindings) is imported
lazily, in a worker thread or on a click, never at QGIS start-up; what the plugin does to an engine it may
never have loaded goes through here."""
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Optional

ENGINE = "stac_quicklook_plugin.core"


def loaded(module: str) -> Optional[ModuleType]:
    """``core.<module>`` if something imported it already, else None. A module another thread is importing
    right now (the warm-up, a task) is waited for: its import finishes, then it is handed over whole."""
    found = sys.modules.get(f"{ENGINE}.{module}")
    if found is not None and getattr(getattr(found, "__spec__", None), "_initializing", False):
        found = importlib.import_module(f"{ENGINE}.{module}")  # blocks on the module's import lock
    return found


def shutdown_threads() -> None:
    """End the engine's idle threads and kept-alive connections, if the engine was ever loaded."""
    run = loaded("engine.run")
    if run is not None:
        run.shutdown_threads()


def forget_image_bytes() -> None:
    """Forget the image bytes the engine keeps (another API, a refresh), if it was ever loaded."""
    ranges = loaded("raster.ranges")
    if ranges is not None:
        ranges.clear()
