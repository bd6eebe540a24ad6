"""The plugin stays loadable by QGIS 4 (Qt6/PyQt6) while it runs on QGIS 3.22 (Qt5/PyQt5).

PyQt6 removed unscoped enum access (``Qt.AlignCenter``; only ``Qt.AlignmentFlag.AlignCenter`` works) and
QGIS 4 keeps its own unscoped names only as deprecated aliases, so every enum member the plugin names
must be written through its enum class. The checker below reads the plugin's source with ``ast``,
resolves every name it imports from ``qgis.*`` (and the plugin's own Qt subclasses) to the installed
class, and asks the installed PyQt/QGIS which attributes of that class are enum members: nothing here is
a hand-kept list of enum names. It also refuses the Qt5-only APIs, direct PyQt5/PyQt6/sip imports and
metadata that hides the plugin from QGIS 4.

Run by hand on any file or folder: ``python3 scripts/qt6_check.py [path ...]`` (QGIS's Python: it asks the
installed bindings); its tests are ``tests/test_qt6_ready.py``.
"""
from __future__ import annotations

import ast
import configparser
import enum
import functools
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "stac_quicklook_plugin"
# The one module allowed to name an API that the running QGIS lacks (behind a version check).
COMPAT = PACKAGE / "gui" / "compat.py"

# Qt5-only APIs (removed or reworked in Qt6/PyQt6), with what to write instead.
QT5_ONLY_NAMES = {
    "QRegExp": "QRegularExpression",
    "QRegExpValidator": "QRegularExpressionValidator",
    "QDesktopWidget": "QScreen (QApplication.screens(), widget.screen())",
    "QGLWidget": "QOpenGLWidget",
    "QMatrix": "QTransform",
}
OVERLOADED_STR_SIGNALS = {"activated", "currentIndexChanged", "highlighted"}  # Qt6 dropped the QString overloads
DIRECT_BINDINGS = {"PyQt5", "PyQt6", "PySide2", "PySide6", "sip"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


# ----------------------------------------------------------------------------- enum members, at run time

@functools.cache
def _sip_enum_type() -> Optional[type]:
    """PyQt5's metaclass of old-style enums (``sip.enumtype``), read off any enum; None on PyQt6."""
    from qgis.PyQt.QtCore import Qt

    meta = type(Qt.AlignmentFlag)
    return None if issubclass(meta, enum.EnumMeta) else meta


def is_enum_type(obj: Any) -> bool:
    """A Qt/QGIS enum class: a Python ``enum.Enum`` (PyQt6, QGIS ``enum class``) or a PyQt5 sip enum."""
    if isinstance(obj, type) and issubclass(obj, enum.Enum):
        return True
    sip_enum = _sip_enum_type()
    return sip_enum is not None and isinstance(obj, sip_enum)


def _attributes(cls: Any) -> Iterable[tuple[str, Any]]:
    for name in dir(cls):
        if name.startswith("__"):
            continue
        try:
            yield name, getattr(cls, name)
        except Exception:  # some sip descriptors refuse class-level access
            continue


@functools.cache
def enum_members(cls: Any) -> dict[str, str]:
    """``{member: enum class name}`` for every enum member reachable as ``cls.member`` (unscoped) or
    listed by one of ``cls``'s enum classes, where ``cls.<enum class name>.member`` is the scoped form."""
    scoped_name: dict[Any, str] = {}  # enum class -> its attribute name on cls
    for name, value in _attributes(cls):
        if is_enum_type(value):
            scoped_name.setdefault(value, name)
    members: dict[str, str] = {}
    for name, value in _attributes(cls):
        if is_enum_type(value):
            continue
        enum_class = type(value)
        try:
            hit = scoped_name.get(enum_class)
        except TypeError:  # unhashable attribute type
            continue
        if hit is None:
            continue
        if issubclass(enum_class, enum.Enum) and name not in enum_class.__members__:
            continue  # a constant of that type (Qgis.DEFAULT_SNAP_UNITS, a Qgis.MapToolUnit), not a member
        members[name] = hit
    for enum_class, name in scoped_name.items():
        if isinstance(enum_class, type) and issubclass(enum_class, enum.Enum):
            for member in enum_class.__members__:
                if is_enum_type(getattr(cls, member, None)):
                    continue  # cls.<member> is another enum class (Qgis.Aggregate), not this member unscoped
                members.setdefault(member, name)
    return members


def _is_qt_or_qgis(obj: Any) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module.split(".")[0] in {"qgis", "PyQt5", "PyQt6"} or module.startswith("sip")


# ----------------------------------------------------------------------------- the source scan

class _Scope:
    """Names a module binds by import (anywhere in it) and its classes' Qt/QGIS bases."""

    def __init__(self, tree: ast.Module):
        self.imports: dict[str, tuple[str, Optional[str]]] = {}  # local name -> (module, attribute or None)
        self.class_bases: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".")[0]
                        self.imports[top] = (top, None)
            elif isinstance(node, ast.ClassDef):
                self.class_bases[node.name] = list(node.bases)
        self._resolving: set[str] = set()

    def resolve_name(self, name: str) -> list[Any]:
        """The objects ``name`` stands for: an imported object, or a local class's resolved bases."""
        if name in self.imports:
            module, attribute = self.imports[name]
            if module.split(".")[0] not in ("qgis", "stac_quicklook_plugin"):
                return []
            try:
                obj = importlib.import_module(module)
                if attribute is not None:
                    obj = getattr(obj, attribute) if hasattr(obj, attribute) else \
                        importlib.import_module(f"{module}.{attribute}")
            except Exception:
                return []
            return [obj]
        if name in self.class_bases and name not in self._resolving:
            self._resolving.add(name)
            try:
                return [obj for base in self.class_bases[name] for obj in self.resolve(base)]
            finally:
                self._resolving.discard(name)
        return []

    def resolve(self, node: ast.expr) -> list[Any]:
        if isinstance(node, ast.Name):
            return self.resolve_name(node.id)
        if isinstance(node, ast.Attribute):
            found = []
            for parent in self.resolve(node.value):
                try:
                    found.append(getattr(parent, node.attr))
                except AttributeError:
                    continue
            return found
        return []


def _dotted(node: ast.expr) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module, check_existence: bool):
        self.path = path
        self.scope = _Scope(tree)
        self.check_existence = check_existence
        self.findings: list[Finding] = []
        self.referenced: set[Any] = set()
        self._class_stack: list[str] = []

    def report(self, node: ast.AST, message: str) -> None:
        self.findings.append(Finding(self.path, node.lineno, node.col_offset + 1, message))

    # --- imports
    def visit_Import(self, node: ast.Import) -> None:  # noqa: N802
        for alias in node.names:
            if alias.name.split(".")[0] in DIRECT_BINDINGS:
                self.report(node, f"'import {alias.name}': import Qt through qgis.PyQt only")
            self._qt5_module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802
        module = node.module or ""
        if node.level == 0 and module.split(".")[0] in DIRECT_BINDINGS:
            self.report(node, f"'from {module} import ...': import Qt through qgis.PyQt only")
        self._qt5_module(node, module)
        for alias in node.names:
            self._qt5_module(node, alias.name)
            if alias.name in QT5_ONLY_NAMES:
                self.report(node, f"{alias.name} is Qt5-only: use {QT5_ONLY_NAMES[alias.name]}")
        self.generic_visit(node)

    def _qt5_module(self, node: ast.AST, name: str) -> None:
        last = name.split(".")[-1]
        if last == "resources" or last.endswith("_rc"):
            self.report(node, f"compiled Qt resources ('{name}') are gone in PyQt6: load icons from files")

    # --- classes (self.Member inside a Qt subclass)
    def visit_ClassDef(self, node: ast.ClassDef) -> None:  # noqa: N802
        self._class_stack.append(node.name)
        self.generic_visit(node)
        self._class_stack.pop()

    # --- names and attributes
    def visit_Name(self, node: ast.Name) -> None:  # noqa: N802
        if node.id in QT5_ONLY_NAMES:
            self.report(node, f"{node.id} is Qt5-only: use {QT5_ONLY_NAMES[node.id]}")

    def visit_Attribute(self, node: ast.Attribute) -> None:  # noqa: N802
        if node.attr == "exec_":
            self.report(node, "exec_() is Qt5-only: call exec()")
        elif node.attr in QT5_ONLY_NAMES:
            self.report(node, f"{node.attr} is Qt5-only: use {QT5_ONLY_NAMES[node.attr]}")
        self._check_enum_access(node)
        self.generic_visit(node)

    def _parents(self, node: ast.Attribute) -> list[Any]:
        if isinstance(node.value, ast.Name) and node.value.id == "self" and self._class_stack:
            return self.scope.resolve_name(self._class_stack[-1])
        return self.scope.resolve(node.value)

    def _check_enum_access(self, node: ast.Attribute) -> None:
        parents = [p for p in self._parents(node) if isinstance(p, type) or _is_qt_or_qgis(p)]
        parents = [p for p in parents if not isinstance(p, type(sys))]  # a module is no enum holder
        if parents and getattr(parents[0], "__name__", "") == "QVariant":
            self.report(node, f"QVariant.{node.attr}: QVariant types are Qt5-only; use QMetaType.Type")
            return
        for parent in parents:
            if is_enum_type(parent):
                continue  # Class.Enum.Member: scoped
            self.referenced.add(parent)
            enum_name = enum_members(parent).get(node.attr)
            if enum_name is not None:
                owner = _dotted(node.value) or getattr(parent, "__name__", "?")
                self.report(node, f"{owner}.{node.attr} is an unscoped enum member (removed in PyQt6, deprecated "
                                  f"in QGIS 4): write {owner}.{enum_name}.{node.attr}")
                return
        if self.check_existence and parents and not self._is_self(node) \
                and all(not hasattr(p, node.attr) for p in parents) and self._rooted_at_qgis(node):
            # A name this QGIS lacks (e.g. a scoped form only a later QGIS has) fails at run time.
            self.report(node, f"{_dotted(node.value)}.{node.attr} does not exist in this QGIS/PyQt "
                              "(guard it in gui/compat.py behind a version check)")

    def _is_self(self, node: ast.Attribute) -> bool:
        return isinstance(node.value, ast.Name) and node.value.id == "self"

    def _rooted_at_qgis(self, node: ast.Attribute) -> bool:
        root = (_dotted(node) or "").split(".")[0]
        return self.scope.imports.get(root, ("",))[0].split(".")[0] == "qgis"

    # --- calls: signal overloads, fontMetrics().width
    def visit_Subscript(self, node: ast.Subscript) -> None:  # noqa: N802
        if isinstance(node.value, ast.Attribute) and node.value.attr in OVERLOADED_STR_SIGNALS:
            index = node.slice
            if (isinstance(index, ast.Name) and index.id == "str") or \
                    (isinstance(index, ast.Constant) and index.value == "QString"):
                self.report(node, f"{node.value.attr}[str] is a Qt5-only signal overload: connect "
                                  f"{'textActivated' if node.value.attr == 'activated' else 'currentTextChanged'}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "width" and isinstance(func.value, ast.Call):
            inner = func.value.func
            inner_name = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", "")
            if inner_name in ("fontMetrics", "QFontMetrics", "QFontMetricsF"):
                self.report(node, "QFontMetrics.width() is Qt5-only: use horizontalAdvance()")
        if isinstance(func, ast.Attribute) and func.attr == "desktop" and not node.args:
            self.report(node, "QApplication.desktop() is Qt5-only: use QApplication.screens()")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:  # noqa: N802
        if isinstance(node.value, str) and node.value.startswith((":/", "qrc:/")) \
                and not node.value.startswith("://"):
            self.report(node, f"'{node.value}' names a compiled Qt resource: load the file by path")


def check_source(source: str, path: str = "<string>", check_existence: bool = True) -> list[Finding]:
    """Every Qt6/QGIS-4 problem in one module's source."""
    tree = ast.parse(source, filename=path)
    checker = _Checker(path, tree, check_existence)
    checker.visit(tree)
    return sorted(set(checker.findings), key=lambda f: (f.path, f.line, f.col, f.message))


def referenced_classes(source: str) -> set[Any]:
    """The Qt/QGIS classes (and the plugin's Qt subclasses) whose attributes a module's source reads."""
    tree = ast.parse(source)
    checker = _Checker("<string>", tree, check_existence=False)
    checker.visit(tree)
    return checker.referenced


def check_tree(root: Path = PACKAGE) -> list[Finding]:
    findings = []
    for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
        rel = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
        findings += check_source(path.read_text(encoding="utf-8"), rel, check_existence=path != COMPAT)
    if root.is_dir():
        findings += [Finding(p.relative_to(REPO).as_posix(), 1, 1, "a .qrc resource file: PyQt6 has no pyrcc")
                     for p in sorted(root.rglob("*.qrc"))]
    return findings


def check_metadata(text: str, path: str = "metadata.txt") -> list[Finding]:
    """Metadata QGIS 4 (and Qt6 builds of QGIS 3) read before loading a plugin."""
    meta = configparser.ConfigParser()
    meta.read_string(text)
    general = meta["general"] if meta.has_section("general") else {}
    findings = []
    if str(general.get("supportsQt6", "")).strip().lower() not in ("true", "yes", "1"):
        findings.append(Finding(path, 1, 1, "supportsQt6=True is missing: Qt6 builds of QGIS hide the plugin"))
    maximum = str(general.get("qgisMaximumVersion", "")).strip()
    try:
        major = int(maximum.split(".")[0])
    except ValueError:
        major = None
    if major is None or major < 4:
        findings.append(Finding(path, 1, 1, f"qgisMaximumVersion={maximum or '(unset, read as 3.99)'}: QGIS 4 "
                                            "marks the plugin incompatible; set 4.99"))
    if str(general.get("qgisMinimumVersion", "")).strip() != "3.22":
        findings.append(Finding(path, 1, 1, "qgisMinimumVersion must stay 3.22 (Debian 12 ships it)"))
    return findings


if __name__ == "__main__":  # python3 scripts/qt6_check.py [file or folder ...]
    roots = [Path(p).resolve() for p in sys.argv[1:]] or [PACKAGE]
    results = [f for root in roots for f in check_tree(root)]
    if not sys.argv[1:]:
        results += check_metadata((REPO / "metadata.txt").read_text(encoding="utf-8"))
    print("\n".join(map(str, results)) or "no findings")
    sys.exit(1 if results else 0)
