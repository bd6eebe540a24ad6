"""The dock and its saved settings: defaults, persistence across a plugin reload, background lists."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QDate

from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.dock import QuicklookDock


def test_defaults(clean_settings):
    assert settings.api_url() == settings.EARTH_SEARCH_V1
    assert settings.collection() == ""  # the best available Sentinel-2 L2A
    assert settings.date_to() == date.today()
    assert settings.date_from() == date.today() - timedelta(days=30)
    assert settings.dates_are_default()
    assert settings.cloud_cover_max() == 20.0
    assert settings.asset_key() is None
    assert settings.output_width() is None
    assert settings.dock_visible() is False


def test_everything_lives_under_the_plugin_group(clean_settings):
    settings.set_api_url("http://localhost:1/api")
    settings.set_cloud_cover_max(35)
    assert QgsSettings().value("stac_quicklook/api_url") == "http://localhost:1/api"
    assert float(QgsSettings().value("stac_quicklook/cloud_cover_max")) == 35.0


def test_garbage_in_the_profile_falls_back_to_defaults(clean_settings):
    s = QgsSettings()
    s.setValue("stac_quicklook/cloud_cover_max", "lots")
    s.setValue("stac_quicklook/output_width", "wide")
    s.setValue("stac_quicklook/date_from", "yesterday")
    assert settings.cloud_cover_max() == 20.0
    assert settings.output_width() is None
    assert settings.date_from() == date.today() - timedelta(days=30)


def test_dock_controls_are_saved_and_survive_a_plugin_reload(web_iface, clean_settings, qgis_new_project):
    from stac_quicklook_plugin import classFactory

    plugin = classFactory(web_iface)
    plugin.initGui()
    dock = plugin.dock
    dock.api_combo.setEditText(settings.PLANETARY_COMPUTER)
    dock.collection_combo.setEditText("landsat-c2-l2")
    dock.date_from.setDate(QDate(2024, 7, 1))
    dock.date_to.setDate(QDate(2024, 7, 31))
    dock.cloud_spin.setValue(55)
    dock.asset_combo.setEditText("nir08")
    dock.width_spin.setValue(640)
    plugin.unload()

    plugin = classFactory(web_iface)
    plugin.initGui()
    try:
        dock = plugin.dock
        assert dock.api_combo.currentText() == settings.PLANETARY_COMPUTER
        assert dock.collection_combo.currentText() == "landsat-c2-l2"
        assert dock.date_from.date() == QDate(2024, 7, 1) and dock.date_to.date() == QDate(2024, 7, 31)
        assert dock.cloud_spin.value() == 55
        assert dock.asset_combo.currentText() == "nir08"
        assert dock.width_spin.value() == 640
        assert (settings.asset_key(), settings.output_width(), settings.date_from()) == \
            ("nir08", 640, date(2024, 7, 1))
    finally:
        plugin.unload()


def test_auto_choices_are_saved_as_automatic(clean_settings, qtbot):
    dock = QuicklookDock(catalog_functions=_no_engine)
    qtbot.addWidget(dock)
    dock.asset_combo.setEditText("visual")
    assert settings.asset_key() == "visual"
    dock.asset_combo.setCurrentIndex(0)
    assert dock.asset_combo.currentText() == "Auto" and settings.asset_key() is None
    dock.width_spin.setValue(512)
    dock.width_spin.setValue(0)
    assert dock.width_spin.text() == "Auto (canvas width)" and settings.output_width() is None
    dock.date_from.setDate(QDate(2024, 1, 1))
    assert not settings.dates_are_default()
    dock.last_30_days_button.click()
    assert settings.dates_are_default()
    assert dock.date_to.date() == QDate.currentDate()


def test_dock_visibility_is_remembered(web_iface, clean_settings, qgis_new_project):
    from stac_quicklook_plugin import classFactory

    plugin = classFactory(web_iface)
    plugin.initGui()
    assert plugin.dock.isHidden()
    plugin.dock.toggleViewAction().trigger()  # View > Panels, or the Web menu entry
    assert not plugin.dock.isHidden() and settings.dock_visible()
    plugin.unload()  # unloading hides the dock but is not the user closing it
    assert settings.dock_visible()

    plugin = classFactory(web_iface)
    plugin.initGui()
    assert not plugin.dock.isHidden()
    plugin.dock.toggleViewAction().trigger()
    assert not settings.dock_visible()
    plugin.unload()


class FakeCatalog:
    """Stands in for core.stac.list_collections / collection_item_assets, counting calls per thread."""

    def __init__(self):
        self.calls = []
        self.threads = set()

    def functions(self):
        return self.list_collections, self.collection_item_assets

    def list_collections(self, api_url, timeout=10, **network):
        self.calls.append(("collections", api_url))
        self.threads.add(threading.get_ident())
        return [("sentinel-2-l2a", "Sentinel-2 Level-2A"), ("landsat-c2-l2", "Landsat")]

    def collection_item_assets(self, api_url, collection, timeout=10, **network):
        self.calls.append(("assets", api_url, collection))
        self.threads.add(threading.get_ident())
        if collection == "broken":
            raise RuntimeError("HTTP 500 from /collections/broken")
        return ["visual", "red", "green", "blue", "scl"]


def test_collections_and_assets_are_filled_in_the_background(clean_settings, qtbot):
    catalog = FakeCatalog()
    settings.set_api_url("http://127.0.0.1:9/api")
    settings.set_asset_key("scl")
    dock = QuicklookDock(catalog_functions=catalog.functions)
    qtbot.addWidget(dock)
    dock.show()  # lists load once the dock is seen
    qtbot.waitUntil(lambda: dock.asset_combo.count() == 6 and dock.collection_combo.count() == 3, timeout=5000)
    assert threading.get_ident() not in catalog.threads
    assert [dock.collection_combo.itemText(i) for i in range(3)] == [
        "Sentinel-2 L2A (best available)", "landsat-c2-l2", "sentinel-2-l2a"]
    assert dock.collection_combo.currentText() == "Sentinel-2 L2A (best available)"  # filling keeps the choice
    assert settings.collection() == ""
    assert ("assets", "http://127.0.0.1:9/api", "sentinel-2-l2a") in catalog.calls  # the best one's assets
    assert dock.asset_combo.currentText() == "scl" and settings.asset_key() == "scl"

    dock.collection_combo.setEditText("broken")
    qtbot.waitUntil(lambda: "Could not read the asset list" in dock.status_label.text(), timeout=5000)
    assert ("assets", "http://127.0.0.1:9/api", "broken") in catalog.calls
    assert catalog.calls.count(("collections", "http://127.0.0.1:9/api")) == 1  # same API: not reloaded
    dock.cancel_catalog_task()


def test_history_lists_items_and_activates_the_layer(clean_settings, qtbot):
    from stac_quicklook_plugin.core.models import ItemSummary

    dock = QuicklookDock(catalog_functions=_no_engine)
    qtbot.addWidget(dock)
    items = [ItemSummary("A", "c", "2024-08-01T10:00:00Z", 1.25), ItemSummary("B", "c", None, None)]
    dock.add_history("layer-1", "S2 2024-08-01 · visual", items)
    row = dock.history.topLevelItem(0)
    assert [row.child(i).text(0) for i in range(2)] == ["A", "B"]
    assert (row.child(0).text(1), row.child(0).text(2)) == ("2024-08-01", "1.2 %")
    with qtbot.waitSignal(dock.layerActivated) as blocker:
        dock.history.itemDoubleClicked.emit(row.child(1), 0)
    assert blocker.args == ["layer-1"]


def _no_engine():
    raise ImportError("no engine in this test")


@pytest.fixture(autouse=True)
def _no_network_lists(monkeypatch):
    """Plugin-made docks must not reach Earth Search from the test suite."""
    monkeypatch.setattr("stac_quicklook_plugin.gui.catalog._engine_catalog_functions", _no_engine)


def test_output_width(clean_settings):
    from stac_quicklook_plugin.gui.request import output_width

    assert output_width(1000) == 1000
    assert output_width(100) == 256  # a hidden canvas is tiny: Auto keeps a useful size
    settings.set_output_width(640)
    assert output_width(1000) == 640
    settings.set_output_width(100000)
    assert output_width(1000) == settings.MAX_WIDTH


def test_the_old_default_moves_to_the_best_available_once(clean_settings):
    settings.set_collection("sentinel-2-l2a")  # saved by a release whose default it was
    assert settings.migrate_old_default_collection() and settings.collection() == ""
    settings.set_collection("sentinel-2-l2a")  # chosen again by the user: kept
    assert not settings.migrate_old_default_collection() and settings.collection() == "sentinel-2-l2a"


def test_the_old_collection_on_another_api_is_not_moved(clean_settings):
    settings.set_api_url(settings.PLANETARY_COMPUTER)
    settings.set_collection("sentinel-2-l2a")
    assert not settings.migrate_old_default_collection() and settings.collection() == "sentinel-2-l2a"


def test_choosing_the_best_available_entry_saves_an_empty_collection(clean_settings, qtbot):
    settings.set_collection("landsat-c2-l2")
    dock = QuicklookDock(catalog_functions=FakeCatalog().functions)
    qtbot.addWidget(dock)
    assert dock.collection_combo.currentText() == "landsat-c2-l2"
    dock.collection_combo.setCurrentIndex(dock.collection_combo.findData(""))
    assert settings.collection() == ""
    dock.collection_combo.setEditText("sentinel-2-c1-l2a,sentinel-2-l2a")
    assert settings.collection() == "sentinel-2-c1-l2a,sentinel-2-l2a"


def test_the_reflectance_range_is_saved_and_reaches_the_request(clean_settings, qtbot):
    from stac_quicklook_plugin.gui.request import build_request

    dock = QuicklookDock(catalog_functions=FakeCatalog().functions)
    qtbot.addWidget(dock)
    assert (dock.reflectance_low_spin.value(), dock.reflectance_high_spin.value()) == (0.0, 0.3)
    dock.reflectance_high_spin.setValue(0.25)
    assert settings.reflectance_range() == (0.0, 0.25)
    dock.reflectance_low_spin.setValue(0.5)  # above the high end: the last good range stays
    assert settings.reflectance_range() == (0.0, 0.25)
    assert build_request((-105.75, 40.3, -105.6, 40.4), 800).reflectance_range == (0.0, 0.25)


def test_the_session_history_keeps_the_newest_quicklooks_only(clean_settings, qgis_new_project):
    # A long session (hundreds of clicks) must not grow the panel without end.
    from stac_quicklook_plugin.core.models import ItemSummary
    from stac_quicklook_plugin.gui.dock import HISTORY_ROWS

    dock = QuicklookDock()
    try:
        for index in range(HISTORY_ROWS + 20):
            dock.add_history(f"layer{index}", f"quicklook {index}",
                             [ItemSummary(f"item{index}", "sentinel-2-l2a", "2024-06-23T17:52:31Z", 1.0)])
        assert dock.history.topLevelItemCount() == HISTORY_ROWS
        assert dock.history.topLevelItem(0).text(0) == f"quicklook {HISTORY_ROWS + 19}"
        assert dock.history.topLevelItem(HISTORY_ROWS - 1).text(0) == "quicklook 20"
    finally:
        dock.deleteLater()


def test_a_comma_list_written_by_hand_in_the_ini_reads_as_the_list(clean_settings):
    """"collection=landsat-c2-l2,sentinel-2-l2a" typed into QGIS3.ini (unquoted) is read by QSettings as a string
    list: the plugin reads it as the comma list the person meant, not as "['landsat-c2-l2', ...]"."""
    QgsSettings().setValue(settings.PREFIX + "collection", ["landsat-c2-l2", "sentinel-2-l2a"])
    assert settings.collection() == "landsat-c2-l2,sentinel-2-l2a"
    settings.set_collection("landsat-c2-l2,sentinel-2-l2a")  # as the plugin writes it: a string, read back whole
    assert settings.collection() == "landsat-c2-l2,sentinel-2-l2a"
