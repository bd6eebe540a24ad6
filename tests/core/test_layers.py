"""The engine's shape: core/ is pure Python (no Qt, no qgis), its wings import only downward (base < net <
raster < bands < stac < masks < engine), there is no import cycle, and the old import paths still work."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "stac_quicklook_plugin" / "core"
sys.path.insert(0, str(REPO / "scripts"))
import import_graph  # noqa: E402


def test_the_wings_import_only_downward_and_without_cycles():
    graph = import_graph.graph()
    assert {"engine.quicklook", "stac.client", "raster.ranges", "net.http", "masks.scl", "bands.reflectance"} <= set(graph)
    assert import_graph.violations(graph) == []
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "import_graph.py"), "--check"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_the_checker_sees_an_upward_import_and_a_cycle():
    graph = {"net.http": {"engine.run"}, "engine.run": {"net.http"}, "stac.a": {"stac.b"}, "stac.b": {"stac.a"}}
    found = import_graph.violations(graph)
    assert "upward import: net.http (net) imports engine.run (engine)" in found
    assert any(v.startswith("import cycle:") and "stac.a" in v for v in found)


def test_core_imports_neither_qt_nor_qgis():
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.split(".")[0] in ("qgis", "PyQt5", "PyQt6", "sip")], path


def test_old_import_paths_keep_working():
    from stac_quicklook_plugin.core import stac
    from stac_quicklook_plugin.core.engine import quicklook as engine_quicklook
    from stac_quicklook_plugin.core.quicklook import QuicklookRequest, quicklook
    from stac_quicklook_plugin.core.stac import clear_api_cache, search_items

    assert quicklook is engine_quicklook.quicklook and QuicklookRequest.__name__ == "QuicklookRequest"
    assert callable(search_items) and callable(clear_api_cache) and callable(stac.get_api_info)
    assert importlib.import_module("stac_quicklook_plugin.core.stac.client").search_items is search_items
