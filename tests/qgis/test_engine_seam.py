"""The QGIS side's seam to the lazily imported engine (gui/engine.py)."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import threading
import time

from stac_quicklook_plugin.gui import engine


def test_a_module_another_thread_is_importing_is_handed_over_whole(monkeypatch):
    # The warm-up imports the engine in a worker; an unload at that moment must not find it half made
    # ("partially initialized module ... has no attribute 'shutdown_threads'").
    name = f"{engine.ENGINE}.slow_for_the_test"

    class Loader(importlib.abc.Loader):
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            time.sleep(0.3)
            module.shutdown_threads = lambda: None

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            return importlib.util.spec_from_loader(fullname, Loader()) if fullname == name else None

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    worker = threading.Thread(target=importlib.import_module, args=(name,))
    worker.start()
    deadline = time.monotonic() + 5
    while name not in sys.modules and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        module = engine.loaded("slow_for_the_test")
        assert module is not None and hasattr(module, "shutdown_threads")
    finally:
        worker.join()
        sys.modules.pop(name, None)
    assert engine.loaded("never_imported_by_anyone") is None
