"""The plugin's side of issue 13: its message-bar items cleared by a success (only its own), quicklooks saved
with the project through the plugin, and the layer action "Save quicklook as..."."""
from __future__ import annotations

import numpy as np
from osgeo import gdal
from qgis.core import Qgis, QgsProject
from qgis.gui import QgsMessageBar, QgsMessageBarItem

from stac_quicklook_plugin.core import errors
from stac_quicklook_plugin.gui import layer as layer_mod
from stac_quicklook_plugin.gui import project as project_mod
from tests.qgis.conftest import make_quicklook, set_canvas


def run_quicklook(plugin, qtbot, engine) -> None:
    plugin.engine = engine
    plugin.quicklook_current_extent()
    qtbot.waitUntil(lambda: not plugin._tasks, timeout=10000)
    qtbot.wait(10)  # the outcome slot runs on the main thread


def failing(exc):
    def engine(request, progress=None, is_cancelled=None):
        raise exc
    return engine


def succeeding(request, progress=None, is_cancelled=None):
    return make_quicklook()


def test_success_dismisses_only_the_plugins_own_errors_and_warnings(plugin, web_iface, qgis_canvas, qtbot,
                                                                   monkeypatch):
    bar = QgsMessageBar()
    monkeypatch.setattr(web_iface, "messageBar", lambda: bar)
    set_canvas(qgis_canvas)
    foreign = QgsMessageBarItem("Other plugin", "its own warning", Qgis.MessageLevel.Warning, 0)
    bar.pushItem(foreign)
    run_quicklook(plugin, qtbot, failing(errors.NetworkError("Could not connect to 127.0.0.1: connection refused.")))
    run_quicklook(plugin, qtbot, failing(errors.NothingFound("No scene of collection c over this area.")))
    titles = [item.title() for item in bar.items()]
    assert titles.count("Network error") == 1 and titles.count("No imagery found") == 1
    assert len(bar.items()) == 3

    layers_before = len(QgsProject.instance().mapLayers())
    run_quicklook(plugin, qtbot, succeeding)
    assert len(QgsProject.instance().mapLayers()) == layers_before + 1  # the layer was added
    assert bar.items() == [foreign]  # ours gone, the other plugin's message stays

    # A later error is shown again, and cleared again by the next success.
    run_quicklook(plugin, qtbot, failing(errors.ReadError("Could not read https://x/y.tif: HTTP 500.")))
    assert sorted(item.title() for item in bar.items()) == ["Could not read the image", "Other plugin"]
    run_quicklook(plugin, qtbot, succeeding)
    assert bar.items() == [foreign]


def test_plugin_saves_its_quicklooks_with_the_project(plugin, qgis_canvas, qtbot, tmp_path):
    set_canvas(qgis_canvas)
    run_quicklook(plugin, qtbot, succeeding)
    (layer,) = [lyr for lyr in QgsProject.instance().mapLayers().values() if project_mod.is_quicklook(lyr)]
    vsimem, before = layer.source(), gdal.Open(layer.source()).ReadAsArray()
    path = tmp_path / "with plugin.qgz"
    assert QgsProject.instance().write(str(path))
    target = tmp_path / "with plugin_quicklooks" / project_mod.file_name(layer)
    qtbot.waitUntil(lambda: layer.source() == str(target), timeout=5000)
    assert np.array_equal(gdal.Open(str(target)).ReadAsArray(), before)
    assert vsimem not in layer_mod.vsimem_files() and gdal.VSIStatL(vsimem) is None


def test_save_quicklook_as_action(plugin, web_iface, qgis_canvas, qtbot, tmp_path, monkeypatch):
    registered, per_layer = [], []
    monkeypatch.setattr(web_iface, "addCustomActionForLayerType",
                        lambda action, menu, layer_type, all_layers: registered.append((action, layer_type,
                                                                                         all_layers)),
                        raising=False)
    monkeypatch.setattr(web_iface, "addCustomActionForLayer", lambda action, lyr: per_layer.append((action, lyr)),
                        raising=False)
    set_canvas(qgis_canvas)
    run_quicklook(plugin, qtbot, succeeding)
    (layer,) = [lyr for lyr in QgsProject.instance().mapLayers().values() if project_mod.is_quicklook(lyr)]
    action = plugin.save_copy.action
    assert action.text() == "Save quicklook as…"
    assert registered == [(action, layer.type(), False)]  # not on every raster: only on quicklooks
    assert per_layer == [(action, layer)]

    target = tmp_path / "anywhere" / "my copy"
    monkeypatch.setattr(web_iface, "activeLayer", lambda: layer, raising=False)
    monkeypatch.setattr(project_mod.QFileDialog, "getSaveFileName", lambda *args: (str(target), "GeoTIFF"))
    messages = web_iface.messageBar()
    action.trigger()
    written = tmp_path / "anywhere" / "my copy.tif"
    assert np.array_equal(gdal.Open(str(written)).ReadAsArray(), gdal.Open(layer.source()).ReadAsArray())
    assert messages.get_messages(Qgis.Success) == [f"Quicklook saved:Saved “{layer.name()}” as {written}"]
    assert layer.source().startswith(layer_mod.VSIMEM_DIR)


def test_a_quicklook_the_save_cannot_write_is_a_warning(plugin, qgis_canvas, qtbot, tmp_path, messages):
    set_canvas(qgis_canvas)
    run_quicklook(plugin, qtbot, succeeding)
    (tmp_path / "blocked_quicklooks").write_text("a file where the folder should be")
    assert QgsProject.instance().write(str(tmp_path / "blocked.qgz"))
    qtbot.waitUntil(lambda: bool(messages.get_messages(Qgis.Warning)), timeout=5000)
    (warning,) = messages.get_messages(Qgis.Warning)
    assert warning.startswith("Quicklooks not saved with the project:“S2 2024-08-03") and "keeps its memory copy" in warning
