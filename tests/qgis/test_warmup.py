"""Before the click: the API's landing page is read in the background when the plugin loads and when the
API changes, kept on disk, and the click then goes straight to the search; the engine is imported in a
worker, not on QGIS's main thread."""
from __future__ import annotations

import json
import os
import threading

from stac_quicklook_plugin.core.stac import cache
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.gui import settings, warmup
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import DATA_DATES, click_and_wait


def landing_requests(fault_stac, tag):
    return [r for r in fault_stac.requests() if r["path"].rstrip("/") == f"/{tag}"]


def load_plugin(web_iface):
    from stac_quicklook_plugin import classFactory

    plugin = classFactory(web_iface)
    plugin.initGui()
    return plugin


def test_the_landing_page_is_read_before_the_click_and_kept_on_disk(web_iface, clean_settings, qgis_new_project,
                                                                    messages, qtbot, fault_stac, qgis_canvas):
    tag = "tag-warm-load"
    url = fault_stac.url_for(tag)
    settings.set_api_url(url)
    settings.set_dates(*DATA_DATES)
    plugin = load_plugin(web_iface)
    try:
        store = warmup.store_dir() / "api_info.json"
        # (the facts reach memory a moment before the file is written)
        qtbot.waitUntil(lambda: stac.cached_api_info(url) is not None and store.exists(), timeout=10000)
        assert len(landing_requests(fault_stac, tag)) == 1  # before any click
        stored = json.loads(store.read_text())
        assert url.rstrip("/") in stored
        set_canvas(qgis_canvas)
        click_and_wait(plugin, qtbot)
        assert len(landing_requests(fault_stac, tag)) == 1  # the click did not ask again
        from qgis.core import Qgis

        assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []
        assert [r for r in fault_stac.requests() if r["path"] == f"/{tag}/search"]  # it searched
    finally:
        plugin.unload()


def test_a_new_api_in_the_dock_is_read_once_typing_pauses(plugin, qtbot, fault_stac):
    tag = "tag-warm-typed"
    url = fault_stac.url_for(tag)
    plugin.dock.api_combo.setEditText(url[:-5])  # half typed: not asked (the debounce restarts)
    plugin.dock.api_combo.setEditText(url)
    qtbot.waitUntil(lambda: stac.cached_api_info(url) is not None, timeout=10000)
    assert len(landing_requests(fault_stac, tag)) == 1
    assert plugin.warmup.fetched[-1] == url


def test_changing_the_api_or_the_dates_forgets_recent_searches(plugin, monkeypatch):
    cleared = []
    monkeypatch.setattr(cache, "clear_searches", lambda: cleared.append(1))
    plugin.dock.api_combo.setEditText("http://127.0.0.1:9/other")
    assert cleared
    cleared.clear()
    plugin.dock.date_from.setDate(plugin.dock.date_from.date().addDays(-1))
    assert cleared


def test_changing_the_api_forgets_the_image_bytes_kept(plugin):
    from stac_quicklook_plugin.core.raster import ranges

    ranges._cache.put("http://127.0.0.1:9/a.tif", ranges.RemoteTiff(100, [], {0: b"II*\0"}))
    plugin.dock.date_from.setDate(plugin.dock.date_from.date().addDays(-1))
    assert ranges._cache.get("http://127.0.0.1:9/a.tif") is not None  # dates: the files have not changed
    plugin.dock.api_combo.setEditText("http://127.0.0.1:9/another")
    assert ranges._cache.get("http://127.0.0.1:9/a.tif") is None


def test_the_engine_is_imported_in_a_worker(web_iface, clean_settings, qgis_new_project, messages, qtbot,
                                            monkeypatch):
    threads = []
    real = warmup._import_engine
    monkeypatch.setattr(warmup, "_import_engine", lambda task: (threads.append(threading.get_ident()), real(task)))
    plugin = load_plugin(web_iface)
    try:
        qtbot.waitUntil(lambda: bool(threads), timeout=10000)
        assert threads[0] != threading.get_ident()
    finally:
        plugin.unload()


def test_the_store_is_beside_qgis_settings_unless_a_folder_is_given(monkeypatch):
    from qgis.core import QgsApplication

    assert warmup.store_dir() == type(warmup.store_dir())(os.environ[warmup.CACHE_DIR_ENV])
    monkeypatch.delenv(warmup.CACHE_DIR_ENV)
    assert str(warmup.store_dir()).startswith(QgsApplication.qgisSettingsDirPath().rstrip("/"))


def test_while_qgis_is_still_starting_the_warm_up_waits_for_it(web_iface, clean_settings, qgis_new_project,
                                                               messages):
    # A real QGIS loads its plugins before it shows its window and says initializationCompleted; other plugins
    # import modules on the main thread meanwhile, and the engine's imports in a worker could deadlock with them.
    from qgis.PyQt.QtCore import QObject, pyqtSignal
    from qgis.PyQt.QtWidgets import QMainWindow

    class StartingIface(QObject):
        initializationCompleted = pyqtSignal()

        def __init__(self, inner):
            super().__init__()
            self.inner, self.window = inner, QMainWindow()  # never shown: QGIS is starting

        def mainWindow(self):  # noqa: N802 (QGIS API)
            return self.window

        def __getattr__(self, name):
            return getattr(self.inner, name)

    iface = StartingIface(web_iface)
    plugin = load_plugin(iface)
    try:
        assert plugin.warmup is not None and plugin.warmup._tasks == []  # nothing imported yet
        iface.initializationCompleted.emit()
        assert any("loading the engine" in task.description() for task in plugin.warmup._tasks)
        iface.initializationCompleted.emit()  # once only
        assert sum("loading the engine" in t.description() for t in plugin.warmup._tasks) == 1
    finally:
        plugin.unload()
