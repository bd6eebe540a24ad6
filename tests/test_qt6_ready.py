"""Tests of the Qt6 readiness checker (scripts/qt6_check.py), and the check itself on the plugin: it stays
loadable by QGIS 4 (Qt6/PyQt6) while it runs on QGIS 3.22 (Qt5/PyQt5)."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from qt6_check import (  # noqa: E402
    PACKAGE,
    REPO,
    _attributes,
    check_metadata,
    check_source,
    check_tree,
    enum_members,
    is_enum_type,
    referenced_classes,
)

# ----------------------------------------------------------------------------- the tests

def test_plugin_source_is_qt6_ready():
    findings = check_tree()
    assert not findings, "\n" + "\n".join(map(str, findings))


def test_metadata_lets_qgis_4_load_the_plugin():
    findings = check_metadata((REPO / "metadata.txt").read_text(encoding="utf-8"))
    assert not findings, "\n" + "\n".join(map(str, findings))


def test_enum_members_come_from_the_installed_bindings():
    from qgis.core import Qgis, QgsContrastEnhancement, QgsTask
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtWidgets import QSizePolicy

    assert enum_members(Qt)["AlignCenter"] == "AlignmentFlag"
    assert enum_members(Qt)["RightDockWidgetArea"] == "DockWidgetArea"
    assert enum_members(QSizePolicy)["Expanding"] == "Policy"
    assert enum_members(Qgis)["Warning"] == "MessageLevel"
    assert enum_members(QgsTask)["CanCancel"] == "Flag"
    assert enum_members(QgsContrastEnhancement)["StretchToMinimumMaximum"] == "ContrastEnhancementAlgorithm"
    assert len(enum_members(Qt)) > 300  # the whole Qt namespace, not a sample


def test_enum_members_leave_out_constants_and_enum_classes():
    """Neither a constant of an enum's type nor an enum class whose name is also a member of another enum is an
    unscoped member to rewrite (both exist from QGIS 3.40: Qgis.DEFAULT_SNAP_UNITS, Qgis.Aggregate)."""
    from qgis.core import Qgis

    members = enum_members(Qgis)
    for name, value in _attributes(Qgis):
        if is_enum_type(value):
            assert name not in members, (name, members[name])
        elif name in members:
            scoped = getattr(getattr(Qgis, members[name]), name)
            assert scoped == value, (name, members[name])
    # (Qgis.Aggregate itself is left out here: on QGIS 3.22 it is the unscoped Qgis.SqlKeywordCategory.Aggregate.)
    source = "from qgis.core import Qgis\nb = Qgis.DEFAULT_SNAP_UNITS\nc = Qgis.MessageLevel\n"
    assert not check_source(source, check_existence=False)
    assert [f.message.split(":")[0] for f in check_source(source + "d = Qgis.Info\n", check_existence=False)] == \
        ["Qgis.Info is an unscoped enum member (removed in PyQt6, deprecated in QGIS 4)"]


def test_referenced_classes_are_found_in_the_plugin_source():
    from qgis.core import Qgis, QgsContrastEnhancement, QgsTask
    from qgis.PyQt.QtCore import Qt

    found: set[Any] = set()
    for path in PACKAGE.rglob("*.py"):
        found |= referenced_classes(path.read_text(encoding="utf-8"))
    assert {Qt, Qgis, QgsTask, QgsContrastEnhancement} <= found



def test_every_scoped_form_the_checker_asks_for_exists_here():
    """What the checker tells a developer to write (Class.Enum.Member) works on this QGIS/PyQt, for every
    enum member of every Qt/QGIS class the plugin reads an attribute of."""
    classes: set[Any] = set()
    for path in PACKAGE.rglob("*.py"):
        classes |= referenced_classes(path.read_text(encoding="utf-8"))
    checked, wrong = 0, []
    for cls in classes:
        for member, enum_name in enum_members(cls).items():
            checked += 1
            scoped = getattr(getattr(cls, enum_name), member, None)
            if scoped is None or (hasattr(cls, member) and getattr(cls, member) != scoped):
                wrong.append(f"{cls.__name__}.{enum_name}.{member}")
    assert checked > 1000 and not wrong, wrong[:20]


PLANTED = '''
from qgis.core import Qgis, QgsTask
from qgis.PyQt import QtCore
from qgis.PyQt.QtCore import Qt, QRegExp, QVariant
from qgis.PyQt.QtWidgets import QDialog, QSizePolicy
from PyQt5.QtGui import QIcon
from . import resources

class Dialog(QDialog):
    def run(self, combo, label):
        label.setAlignment(Qt.AlignCenter)
        label.setAlignment(QtCore.Qt.AlignLeft)
        self.iface.messageBar().pushMessage("t", "x", Qgis.Warning, 5)
        task = QgsTask("x", QgsTask.CanCancel)
        combo.activated[str].connect(print)
        width = label.fontMetrics().width("abc")
        field_type = QVariant.Int
        policy = QSizePolicy.Expanding
        self.setResult(self.Accepted)
        ok = Qt.AlignmentFlag.AlignCenter  # scoped: fine
        return QRegExp("a"), QIcon(":/plugins/x/icon.png")

dlg = Dialog()
dlg.exec_()
'''


def test_checker_reports_each_planted_problem():
    text = "\n".join(str(f) for f in check_source(PLANTED, "planted.py"))
    for expected in (
        "Qt.AlignCenter is an unscoped enum member", "write Qt.AlignmentFlag.AlignCenter",
        "QtCore.Qt.AlignLeft is an unscoped enum member",
        "Qgis.Warning is an unscoped enum member", "write Qgis.MessageLevel.Warning",
        "QgsTask.CanCancel is an unscoped enum member", "write QgsTask.Flag.CanCancel",
        "QSizePolicy.Expanding is an unscoped enum member",
        "self.Accepted is an unscoped enum member",  # through the QDialog subclass
        "exec_() is Qt5-only",
        "QRegExp is Qt5-only",
        "activated[str] is a Qt5-only signal overload",
        "QFontMetrics.width() is Qt5-only",
        "QVariant.Int: QVariant types are Qt5-only",
        "'from PyQt5.QtGui import ...': import Qt through qgis.PyQt only",
        "compiled Qt resources ('resources')",
        "':/plugins/x/icon.png' names a compiled Qt resource",
    ):
        assert expected in text, f"{expected!r} not reported in:\n{text}"
    assert "AlignmentFlag.AlignCenter is" not in text  # the scoped form is not reported


def test_checker_reports_a_name_this_qgis_lacks():
    text = "\n".join(map(str, check_source("from qgis.core import Qgis\nx = Qgis.NoSuchEnum.Member\n")))
    assert "Qgis.NoSuchEnum does not exist in this QGIS/PyQt" in text


def test_checker_reports_metadata_that_hides_the_plugin_from_qgis_4():
    text = "\n".join(map(str, check_metadata("[general]\nname=x\nqgisMinimumVersion=3.22\n")))
    assert "supportsQt6=True is missing" in text and "qgisMaximumVersion=(unset, read as 3.99)" in text
    text = "\n".join(map(str, check_metadata("[general]\nqgisMinimumVersion=3.22\nqgisMaximumVersion=3.99\n"
                                             "supportsQt6=True\n")))
    assert "qgisMaximumVersion=3.99" in text and "supportsQt6" not in text
    assert check_metadata("[general]\nqgisMinimumVersion=3.22\nqgisMaximumVersion=4.99\nsupportsQt6=True\n") == []


@pytest.mark.parametrize("module", ["plugin", "gui.dock", "gui.layer", "gui.task", "gui.network", "gui.compat"])
def test_checked_modules_import_on_this_qgis(module):
    """The scoped forms the check asks for are accepted by this QGIS/PyQt at import time too."""
    importlib.import_module(f"stac_quicklook_plugin.{module}")


def test_compat_picks_the_raster_range_limit_of_the_running_qgis(monkeypatch):
    from types import SimpleNamespace

    from qgis.core import Qgis, QgsRasterMinMaxOrigin

    from stac_quicklook_plugin.gui import compat

    if Qgis.QGIS_VERSION_INT < compat.RASTER_RANGE_LIMIT_SINCE:
        assert compat.cumulative_cut_limit() == QgsRasterMinMaxOrigin.Limits.CumulativeCut
    else:
        assert compat.cumulative_cut_limit() == Qgis.RasterRangeLimit.CumulativeCut
    newer = SimpleNamespace(QGIS_VERSION_INT=40000, RasterRangeLimit=SimpleNamespace(CumulativeCut="qgis-4"))
    monkeypatch.setattr(compat, "Qgis", newer)
    assert compat.cumulative_cut_limit() == "qgis-4"
    older = SimpleNamespace(QGIS_VERSION_INT=32200)  # no RasterRangeLimit: must not be touched
    monkeypatch.setattr(compat, "Qgis", older)
    monkeypatch.setattr(compat, "QgsRasterMinMaxOrigin", SimpleNamespace(Limits=SimpleNamespace(CumulativeCut="3.22")))
    assert compat.cumulative_cut_limit() == "3.22"


def test_gdal_exceptions_on_and_no_future_warning_in_a_bare_python():
    """As in QGIS: the plugin's first osgeo use turns GDAL exceptions on, without GDAL's FutureWarning."""
    code = ("import warnings; warnings.simplefilter('error')\n"
            "import stac_quicklook_plugin.gui.layer as layer\n"
            "from osgeo import gdal\n"
            "assert gdal.GetUseExceptions() == 1\n"
            "layer._unlink('/vsimem/stac_quicklook/missing.tif')  # gone already: no error\n"
            "try:\n"
            "    gdal.Open('/vsimem/stac_quicklook/missing.tif')  # GDAL >= 3.7 warns here when neither was called\n"
            "    raise SystemExit('no exception')\n"
            "except RuntimeError:\n"
            "    pass\n"
            "from osgeo import osr\n"
            "osr.SpatialReference()  # osr has its own warning; gdal.UseExceptions covers it from GDAL 3.7\n"
            "print(layer.vsimem_files())\n")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]" and "Warning" not in done.stderr
