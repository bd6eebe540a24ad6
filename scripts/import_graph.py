#!/usr/bin/env python3
"""The import graph of stac_quicklook_plugin/core: every import between its modules (function-local ones too),
checked against the wings' layers (a module imports only from its own wing or lower ones) and for cycles.

    python3 scripts/import_graph.py            # the wing-level graph as Mermaid, then any violation
    python3 scripts/import_graph.py --check    # exit 1 on an upward import or a cycle

Layers, lowest first: base (models, errors, threads) < net < raster < bands < stac < masks < engine. The package
front doors (core/__init__.py and the old-path shim core/quicklook.py) stand above them all.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "stac_quicklook_plugin" / "core"
PREFIX = "stac_quicklook_plugin.core"
LAYERS = ["base", "net", "raster", "bands", "stac", "masks", "engine", "front"]
BASE = {"models", "errors", "threads"}
FRONT = {"__init__", "quicklook"}


def module_name(path: Path) -> str:
    rel = path.relative_to(CORE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts) or "__init__"


def wing(module: str) -> str:
    head = module.split(".")[0]
    if head in BASE:
        return "base"
    if "." not in module and head in FRONT:
        return "front"
    return head


def imports(path: Path) -> set[str]:
    """Core modules ``path`` imports (``from core.x import y`` counts y when it is a module of x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            base = node.module[len(PREFIX):].lstrip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}".lstrip(".")
                if (CORE / Path(*candidate.split("."))).with_suffix(".py").is_file():
                    found.add(candidate)
                elif base:
                    found.add(base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PREFIX + "."):
                    found.add(alias.name[len(PREFIX) + 1:])
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in CORE.rglob("*.py")}
    return {m: {i for i in imports(p) if i in modules and i != m} for m, p in modules.items()}


def violations(g: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(g.items()):
        for target in sorted(targets):
            if LAYERS.index(wing(target)) > LAYERS.index(wing(module)):
                out.append(f"upward import: {module} ({wing(module)}) imports {target} ({wing(target)})")
    # cycles between modules (Tarjan's strongly connected components)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append("import cycle: " + " -> ".join(sorted(component)))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def mermaid(g: dict[str, set[str]]) -> str:
    edges = sorted({(wing(m), wing(t)) for m, ts in g.items() for t in ts if wing(m) != wing(t)})
    lines = ["flowchart TD"] + [f"  {a} --> {b}" for a, b in edges]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    g = graph()
    problems = violations(g)
    if not args.check:
        print(mermaid(g))
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
