"""The plugin in a real QGIS (stub iface): load/unload, the click with a stand-in engine, cancel, messages."""
from __future__ import annotations

import threading

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import Qt

from stac_quicklook_plugin.core import errors
from stac_quicklook_plugin.gui import layer as layer_mod
from stac_quicklook_plugin.gui import settings
from tests.qgis.conftest import make_quicklook, set_canvas


def quicklook_layers() -> list[QgsRasterLayer]:
    return [lyr for lyr in QgsProject.instance().mapLayers().values()
            if lyr.customProperty(layer_mod.PATH_PROPERTY)]


def wait_idle(qtbot, plugin, timeout=10000):
    qtbot.waitUntil(lambda: not plugin._tasks, timeout=timeout)


class BlockingEngine:
    """Reports progress, then waits until cancelled (or released), polling like the real engine."""

    def __init__(self, result=None):
        self.started = threading.Event()
        self.release = threading.Event()
        self.requests = []
        self.result = result or make_quicklook()

    def __call__(self, request, progress=None, is_cancelled=None):
        self.requests.append(request)
        progress(10, "Reading 1 of 2 image(s)")
        self.started.set()
        while not self.release.wait(0.01):
            if is_cancelled():
                raise errors.Cancelled("The quicklook was cancelled.")
        return self.result


def test_load_adds_action_menu_dock_and_unload_removes_them(web_iface, clean_settings, qgis_new_project):
    from stac_quicklook_plugin import classFactory

    rec = web_iface.recorder
    plugin = classFactory(web_iface)
    plugin.initGui()
    assert rec.toolbar == [plugin.action, plugin.chart.action]  # issue 21: the time-series map tool
    assert plugin.action.text() == "Quicklook current extent"
    assert not plugin.action.icon().isNull()
    assert ("STAC Quicklook", plugin.action) in rec.menu
    assert [a.text() for _, a in rec.menu] == ["Quicklook current extent", "STAC Quicklook panel",
                                               "Previous date", "Next date", "Time series at a point"]
    assert rec.docks == [plugin.dock]
    assert web_iface.mainWindow().dockWidgetArea(plugin.dock) == Qt.RightDockWidgetArea
    assert plugin.dock.isHidden()  # not visible unless remembered visible
    project = QgsProject.instance()
    assert project.receivers(project.layersWillBeRemoved) >= 1

    before = project.receivers(project.layersWillBeRemoved)
    plugin.unload()
    assert rec.toolbar == [] and rec.menu == [] and rec.docks == []
    assert plugin.action is None and plugin.dock is None
    assert project.receivers(project.layersWillBeRemoved) == before - 1


def test_loads_on_the_bare_stub_iface(qgis_iface, clean_settings, qgis_new_project):
    """pytest-qgis' stub lacks the Web toolbar/menu calls: the plugin falls back and still unloads."""
    from stac_quicklook_plugin import classFactory

    plugin = classFactory(qgis_iface)
    plugin.initGui()
    assert plugin.action is not None and plugin.dock is not None
    plugin.unload()
    assert plugin.action is None and plugin.dock is None


def test_click_adds_one_layer_from_the_engine_result(plugin, qgis_canvas, qtbot, messages):
    result = make_quicklook()
    seen = []
    plugin.engine = lambda request, progress=None, is_cancelled=None: seen.append(request) or result
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    assert not plugin.dock.isHidden()  # the first click opens the dock
    wait_idle(qtbot, plugin)

    (layer,) = quicklook_layers()
    assert layer.isValid() and layer.crs().authid() == "EPSG:32613"
    request = seen[0]
    west, south, east, north = request.bbox_wgs84  # the canvas keeps its aspect ratio: wider than asked
    assert west <= -105.7 + 1e-9 and south <= 40.25 + 1e-9 and east >= -105.5 - 1e-9 and north >= 40.45 - 1e-9
    assert request.bbox_wgs84 == pytest.approx(canvas_bbox_wgs84(qgis_canvas), abs=1e-9)
    assert request.width == qgis_canvas.width() == 1000
    assert request.collection == "" and request.cloud_cover_max == 20.0  # "": the best available Sentinel-2
    assert request.dst_crs is None and request.asset_key is None
    start, end = request.datetime_range.split("/")
    assert start.endswith("T00:00:00Z") and end.endswith("T23:59:59Z")
    assert plugin.dock.history.topLevelItemCount() == 1
    assert plugin.dock.history.topLevelItem(0).child(0).text(0) == "S2B_13TDE_20240803_0_L2A"
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []


def test_cancel_from_the_dock_adds_no_layer_and_no_file(plugin, qgis_canvas, qtbot, messages):
    engine = BlockingEngine()
    plugin.engine = engine
    set_canvas(qgis_canvas)
    files_before = set(layer_mod.vsimem_files())
    plugin.action.trigger()
    qtbot.waitUntil(engine.started.is_set, timeout=5000)
    qtbot.waitUntil(lambda: "Reading 1 of 2" in plugin.dock.status_label.text(), timeout=5000)
    assert plugin.dock.cancel_button.isEnabled()
    plugin.dock.cancel_button.click()
    wait_idle(qtbot, plugin, timeout=2000)  # the engine polls is_cancelled: well under a second

    assert quicklook_layers() == []
    assert set(layer_mod.vsimem_files()) == files_before
    assert messages.get_messages(Qgis.Info) == ["Quicklook cancelled:No layer was added."]
    assert messages.get_messages(Qgis.Critical) == []


def test_cancel_from_the_task_manager(plugin, qgis_canvas, qtbot, messages):
    engine = BlockingEngine()
    plugin.engine = engine
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    qtbot.waitUntil(engine.started.is_set, timeout=5000)
    QgsApplication.taskManager().cancelAll()
    wait_idle(qtbot, plugin, timeout=2000)
    assert quicklook_layers() == []
    assert len(messages.get_messages(Qgis.Info)) == 1


def test_second_click_replaces_the_running_quicklook(plugin, qgis_canvas, qtbot, messages):
    first = BlockingEngine()
    plugin.engine = first
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    qtbot.waitUntil(first.started.is_set, timeout=5000)

    second_result = make_quicklook(rows=30)
    plugin.engine = lambda request, progress=None, is_cancelled=None: second_result
    plugin.action.trigger()
    wait_idle(qtbot, plugin)

    (layer,) = quicklook_layers()
    assert layer.height() == 30
    assert messages.get_messages(Qgis.Info) == []  # replaced, not "cancelled"


@pytest.mark.parametrize("error, level, title", [
    (errors.APIError("The STAC API answered HTTP 500.", status=500, url="http://x/search?token=T0KEN",
                     body="boom"), Qgis.Critical, "STAC API error"),
    (errors.NetworkError("Could not connect to 127.0.0.1:1."), Qgis.Critical, "Network error"),
    (errors.NothingFound("No item within 20 % cloud."), Qgis.Warning, "No imagery found"),
    (errors.BadInput("cloud_cover_max must be 0..100"), Qgis.Warning, "Invalid input"),
    (errors.ReadError("HTTP 404 on visual.tif"), Qgis.Critical, "Could not read the image"),
])
def test_engine_errors_become_messages(plugin, qgis_canvas, qtbot, messages, error, level, title):
    def engine(request, progress=None, is_cancelled=None):
        raise error

    plugin.engine = engine
    set_canvas(qgis_canvas)
    logged = []
    QgsApplication.messageLog().messageReceived.connect(lambda msg, tag, lvl: logged.append((msg, tag, lvl)))
    plugin.action.trigger()
    wait_idle(qtbot, plugin)

    assert messages.get_messages(level) == [f"{title}:{error}"]
    assert quicklook_layers() == []
    ours = [m for m, tag, _ in logged if tag == "STAC Quicklook"]
    assert any(str(error) in m for m in ours)
    if isinstance(error, errors.APIError) and error.status:
        assert any("Body: boom" in m and "token=REDACTED" in m for m in ours)
        assert not any("T0KEN" in m for m in ours)


def test_unexpected_error_is_reported_with_the_traceback_in_the_log(plugin, qgis_canvas, qtbot, messages):
    def engine(request, progress=None, is_cancelled=None):
        raise ZeroDivisionError("division by zero")

    plugin.engine = engine
    set_canvas(qgis_canvas)
    logged = []
    QgsApplication.messageLog().messageReceived.connect(lambda msg, tag, lvl: logged.append(msg))
    plugin.action.trigger()
    wait_idle(qtbot, plugin)
    (message,) = messages.get_messages(Qgis.Critical)
    assert message.startswith("Unexpected error:") and "ZeroDivisionError" in message
    assert "Traceback" not in message
    assert any("Traceback (most recent call last)" in m and "engine" in m for m in logged)


def test_too_large_extent_is_refused_without_a_request(plugin, qgis_canvas, qtbot, messages):
    plugin.engine = lambda *a, **k: pytest.fail("no request should be made")
    set_canvas(qgis_canvas, bbox_wgs84=(-110.0, 36.0, -100.0, 44.0))
    plugin.action.trigger()
    assert not plugin._tasks
    (message,) = messages.get_messages(Qgis.Warning)
    assert message.startswith("Map extent too large:")


@pytest.mark.parametrize("setting, value, fragment", [
    ("api_url", "ftp://example.com/stac", "must start with http:// or https://"),
    ("collection", "sentinel 2", "is not a collection id"),
])
def test_bad_settings_are_refused_without_a_request(plugin, qgis_canvas, messages, setting, value, fragment):
    plugin.engine = lambda *a, **k: pytest.fail("no request should be made")
    getattr(settings, f"set_{setting}")(value)
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    assert not plugin._tasks
    (message,) = messages.get_messages(Qgis.Warning)
    assert message.startswith("Check the STAC Quicklook settings:") and fragment in message


def test_dates_in_the_wrong_order_are_refused(plugin, qgis_canvas, messages):
    from datetime import date

    plugin.engine = lambda *a, **k: pytest.fail("no request should be made")
    settings.set_dates(date(2024, 8, 31), date(2024, 8, 1))
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    (message,) = messages.get_messages(Qgis.Warning)
    assert "after the end date" in message


def test_missing_rasterio_is_no_obstacle(web_iface, clean_settings, qgis_new_project, messages, monkeypatch):
    """A stock Windows or macOS QGIS has no rasterio: nothing to install, no message (osgeo reads)."""
    import sys

    from stac_quicklook_plugin import classFactory
    from stac_quicklook_plugin.gui.deps import missing_modules

    monkeypatch.setitem(sys.modules, "rasterio", None)  # "import rasterio" now raises ImportError
    assert missing_modules() == [] and missing_modules(load=False) == []
    plugin = classFactory(web_iface)
    plugin.initGui()
    try:
        assert plugin.action is not None
        assert messages.get_messages(Qgis.Critical) == []
    finally:
        plugin.unload()


def test_no_gdal_bindings_still_loads_and_says_how_to_install(web_iface, clean_settings, qgis_new_project,
                                                              qgis_canvas, messages, monkeypatch):
    import sys

    from stac_quicklook_plugin import classFactory

    for name in ("rasterio", "osgeo.gdal"):
        monkeypatch.setitem(sys.modules, name, None)  # "import ..." now raises ImportError
    monkeypatch.setattr(sys, "platform", "linux")
    plugin = classFactory(web_iface)
    plugin.initGui()
    try:
        assert plugin.action is not None
        (message,) = messages.get_messages(Qgis.Critical)
        assert "osgeo" in message and "sudo apt install python3-gdal" in message
        set_canvas(qgis_canvas)
        plugin.action.trigger()
        assert not plugin._tasks
        assert len(messages.get_messages(Qgis.Critical)) == 2
    finally:
        plugin.unload()


@pytest.mark.parametrize("platform, missing, command", [
    ("win32", ["numpy"], "python -m pip install numpy"),
    ("darwin", ["requests"], "/Applications/QGIS.app/Contents/MacOS/bin/pip3 install requests"),
    ("linux", ["osgeo"], "sudo apt install python3-gdal"),
    ("win32", ["osgeo"], "repair or reinstall QGIS"),
])
def test_install_hint_per_platform(platform, missing, command):
    from stac_quicklook_plugin.gui.deps import install_hint

    assert command in install_hint(missing, platform=platform)


def test_removing_the_layer_unlinks_its_file(plugin, qgis_canvas, qtbot):
    plugin.engine = lambda request, progress=None, is_cancelled=None: make_quicklook()
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    wait_idle(qtbot, plugin)
    (layer,) = quicklook_layers()
    path = layer.customProperty(layer_mod.PATH_PROPERTY)
    assert gdal_exists(path)
    QgsProject.instance().removeMapLayer(layer.id())
    assert not gdal_exists(path)


def canvas_bbox_wgs84(canvas) -> tuple[float, float, float, float]:
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform

    transform = QgsCoordinateTransform(canvas.mapSettings().destinationCrs(),
                                       QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
    box = transform.transformBoundingBox(canvas.extent())
    return (box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum())


def gdal_exists(path: str) -> bool:
    from osgeo import gdal

    return gdal.VSIStatL(path) is not None


def test_server_answers_stay_out_of_the_message_bar():
    from stac_quicklook_plugin.gui.messages import bar_text

    message = ("POST http://h/search failed with HTTP 502. The server had a problem: try again later.\n"
               "Server says: <html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>")
    assert bar_text(message) == ("POST http://h/search failed with HTTP 502. The server had a problem: "
                                 "try again later. (The server's answer is in the log.)")
    assert bar_text("One line.\nSecond line.") == "One line. Second line."


def test_missing_module_found_without_importing_it(monkeypatch):
    import importlib.util
    import sys

    from stac_quicklook_plugin.gui.deps import missing_modules

    assert missing_modules(load=False) == [] and missing_modules() == []
    for name in ("rasterio", "osgeo.gdal", "requests"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: None if name in ("rasterio", "requests") else object())
    assert missing_modules(load=False) == ["requests"]  # osgeo.gdal reads: rasterio is not needed
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert missing_modules(load=False) == ["requests", "osgeo"]  # numpy is loaded already


def test_double_click_in_the_history_zooms_to_the_layer(plugin, qgis_canvas, qtbot):
    plugin.engine = lambda request, progress=None, is_cancelled=None: make_quicklook()
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    wait_idle(qtbot, plugin)
    (layer,) = quicklook_layers()
    set_canvas(qgis_canvas, bbox_wgs84=(10.0, 50.0, 10.1, 50.1))  # somewhere else
    plugin.dock.layerActivated.emit(layer.id())
    center = qgis_canvas.extent().center()
    from qgis.core import QgsCoordinateTransform

    to_layer = QgsCoordinateTransform(qgis_canvas.mapSettings().destinationCrs(), layer.crs(), QgsProject.instance())
    assert layer.extent().contains(to_layer.transform(center))


def test_the_layer_file_is_written_in_the_worker_and_a_dropped_result_leaves_none(plugin, qgis_canvas, qtbot,
                                                                                 monkeypatch):
    """QGIS's main thread only opens the layer (the write took 11-55 ms there); a superseded result's file
    is freed."""
    writers = []
    real_write = layer_mod.write_geotiff

    def write(result):
        writers.append(threading.current_thread() is threading.main_thread())
        return real_write(result)

    monkeypatch.setattr(layer_mod, "write_geotiff", write)
    gate = threading.Event()

    def engine(request, progress=None, is_cancelled=None):
        gate.wait(5)
        return make_quicklook()

    plugin.engine = engine
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    plugin.action.trigger()  # superseded by the next click: its result must leave no file behind
    plugin.action.trigger()
    gate.set()
    wait_idle(qtbot, plugin)
    qtbot.waitUntil(lambda: not layer_mod._pending, timeout=5000)
    (layer,) = quicklook_layers()
    assert writers and not any(writers)  # every file written off the main thread
    assert set(layer_mod.vsimem_files()) - before == {layer.customProperty(layer_mod.PATH_PROPERTY)}


def test_a_saved_old_default_moves_to_the_best_available_once_with_a_note(web_iface, clean_settings,
                                                                         qgis_new_project, messages):
    from stac_quicklook_plugin import classFactory

    settings.set_collection("sentinel-2-l2a")  # what the panel saved under the old default
    for moved in (True, False):
        for level_messages in messages.messages.values():
            level_messages.clear()
        instance = classFactory(web_iface)
        instance.initGui()
        try:
            notes = [m for m in messages.get_messages(Qgis.MessageLevel.Info) if "best available" in m]
            assert len(notes) == (1 if moved else 0)
            assert settings.collection() == ""
            assert instance.dock.collection_combo.currentText() == "Sentinel-2 L2A (best available)"
        finally:
            instance.unload()
