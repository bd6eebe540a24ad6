"""Cloud over the view in the plugin, against rustac + the COG server: the dates list fills in the background,
Previous / Next step through it, a double-click quicklooks a date, Mask clouds, the footprints layer."""
from __future__ import annotations

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject, QgsSettings, QgsWkbTypes
from qgis.PyQt.QtCore import Qt

from stac_quicklook_plugin.core.engine.acquisitions import list_acquisitions
from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.acquisitions import percent_text
from stac_quicklook_plugin.gui.dates import NEXT_SHORTCUT, PREVIOUS_SHORTCUT
from stac_quicklook_plugin.gui.footprints import footprint_layers
from stac_quicklook_plugin.gui.layer import GROUP_NAME
from tests.core.engine.test_clouds import VIEW
from tests.qgis.conftest import set_canvas
from tests.qgis.test_servers import DATA_DATES, quicklook_layers

ALL_FIVE = ["2024-09-16", "2024-08-22", "2024-07-18", "2024-06-23", "2024-05-14"]  # newest first


@pytest.fixture()
def over_view(plugin, qgis_canvas, stac_server):
    """The plugin on rustac, the canvas on the 10 km view where the scene-level winner is cloudy."""
    stac.clear_api_cache()
    settings.set_api_url(stac_server.url)
    settings.set_dates(*DATA_DATES)
    settings.set_cloud_cover_max(100.0)
    set_canvas(qgis_canvas, bbox_wgs84=VIEW, crs="EPSG:32613")
    return plugin


def wait_all(qtbot, plugin, timeout=60000):
    """Until the quicklook and the listing have both finished (and the dock shows their outcome)."""
    qtbot.waitUntil(lambda: not plugin._tasks and plugin.dates._task is None, timeout=timeout)


def canvas_request(plugin, **kw):
    request = plugin.canvas_request()
    from dataclasses import replace

    return replace(request, **kw)


def layer_dates(layer) -> list[str]:
    """The dates a layer's name shows ("S2 2024-08-22 · visual · ...")."""
    when = layer.name().split(" · ")[0].split(" ", 1)[1]
    return when.split("…")


def newest_layer():
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    rasters = [node.layer() for node in group.findLayers() if node.layer() in quicklook_layers()]
    return rasters[0]


def test_a_quicklook_fills_the_dates_list_of_its_view(over_view, qtbot, messages):
    plugin = over_view
    plugin.action.trigger()
    wait_all(qtbot, plugin)
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []
    panel = plugin.dock.dates_panel
    expected = list_acquisitions(canvas_request(plugin))
    assert panel.dates() == [a.date for a in expected] == ALL_FIVE
    for index, acquisition in enumerate(expected):
        row = panel.list.topLevelItem(index)
        assert [row.text(c) for c in range(4)] == [
            acquisition.date, percent_text(acquisition.view_cloud), percent_text(acquisition.scene_cloud),
            percent_text(acquisition.view_coverage)]
    # The layer is the clearest over the view, not the scene-level winner, and its name says so.
    (layer,) = quicklook_layers()
    shown = quicklook(canvas_request(plugin))
    clearest = min(expected, key=lambda a: (a.view_cloud, a.scene_cloud))
    assert layer_dates(layer) == [clearest.date] != ["2024-06-23"]
    assert layer.name().endswith(f"· {percent_text(shown.meta['view_cloud']).replace(' %', '')} % cloud over view")
    assert "over the view" in layer.metadata().abstract() and "over the scene" in layer.metadata().abstract()
    assert panel.current_marked() == clearest.date  # the date on screen in bold
    assert "5 date(s) over the view" in panel.note_label.text()


def test_refresh_lists_the_current_extent_without_a_quicklook(over_view, qgis_canvas, qtbot):
    plugin = over_view
    panel = plugin.dock.dates_panel
    panel.refresh_button.click()
    # In the background: a task in QGIS's task manager, the dock free meanwhile.
    assert not panel.refresh_button.isEnabled() and "Listing the acquisition dates" in panel.note_label.text()
    assert "STAC Quicklook: acquisition dates" in [t.description() for t in QgsApplication.taskManager().tasks()]
    wait_all(qtbot, plugin)
    assert panel.dates() == ALL_FIVE and quicklook_layers() == []
    settings.set_dates(DATA_DATES[0], DATA_DATES[0].replace(month=7, day=31))  # May to July
    panel.refresh_button.click()
    wait_all(qtbot, plugin)
    assert panel.dates() == ["2024-07-18", "2024-06-23", "2024-05-14"]


def test_previous_and_next_step_through_the_dates(over_view, qtbot):
    plugin = over_view
    panel = plugin.dock.dates_panel
    plugin.action.trigger()
    wait_all(qtbot, plugin)
    start = layer_dates(newest_layer())[0]
    order = sorted(ALL_FIVE)
    seen = [start]
    for _ in range(order.index(start)):  # back to the oldest date
        panel.previous_button.click()
        wait_all(qtbot, plugin)
        seen.append(layer_dates(newest_layer())[0])
        assert panel.current_marked() == seen[-1]
    assert seen == order[: order.index(start) + 1][::-1]
    count = len(quicklook_layers())
    plugin.dates.previous_action.trigger()  # nothing older: a note, no quicklook
    wait_all(qtbot, plugin)
    assert len(quicklook_layers()) == count and "No earlier acquisition" in panel.note_label.text()
    plugin.dates.next_action.trigger()
    wait_all(qtbot, plugin)
    assert layer_dates(newest_layer()) == [order[1]]
    assert all(i.startswith("S2") for i in [newest_layer().name()])


def test_next_over_a_new_extent_lists_it_first(over_view, qgis_canvas, qtbot):
    """Previous / Next work over the current extent: a panned map is listed, then stepped."""
    plugin = over_view
    plugin.dates.current_date = "2024-06-23"
    plugin.dates.next_action.trigger()
    assert plugin.dates._task is not None  # listing first
    wait_all(qtbot, plugin)
    assert plugin.dock.dates_panel.dates() == ALL_FIVE
    assert layer_dates(newest_layer()) == ["2024-07-18"]


def test_double_click_quicklooks_that_date(over_view, qtbot):
    plugin = over_view
    panel = plugin.dock.dates_panel
    panel.refresh_button.click()
    wait_all(qtbot, plugin)
    row = panel.list.topLevelItem(ALL_FIVE.index("2024-06-23"))
    plugin.dock.setFloating(True)
    plugin.dock.show()
    qtbot.waitExposed(plugin.dock)
    rect = panel.list.visualItemRect(row)
    assert rect.isValid()
    # A real double-click: press-release, then the double-click event (Qt's views need the press first).
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_all(qtbot, plugin)
    (layer,) = quicklook_layers()
    assert layer_dates(layer) == ["2024-06-23"]
    expected = list_acquisitions(canvas_request(plugin))[ALL_FIVE.index("2024-06-23")]
    assert set(expected.items) <= set(layer.metadata().abstract().split())
    assert panel.current_marked() == "2024-06-23"


def test_previous_and_next_have_shortcuts_in_qgis(web_iface, clean_settings, qgis_new_project, monkeypatch):
    registered: dict[str, str] = {}

    def register(action, shortcut):
        registered[action.text()] = shortcut
        action.setShortcut(shortcut)
        return True

    monkeypatch.setattr(web_iface, "registerMainWindowAction", register, raising=False)
    monkeypatch.setattr(web_iface, "unregisterMainWindowAction", lambda action: registered.pop(action.text()),
                        raising=False)
    from stac_quicklook_plugin import classFactory

    plugin = classFactory(web_iface)
    plugin.initGui()
    assert registered == {"Previous date": PREVIOUS_SHORTCUT, "Next date": NEXT_SHORTCUT}
    assert plugin.dock.dates_panel.previous_button.defaultAction().shortcut().toString() == PREVIOUS_SHORTCUT
    assert PREVIOUS_SHORTCUT in plugin.dates.previous_action.toolTip()
    plugin.unload()
    assert registered == {}


def test_mask_clouds_is_saved_and_reaches_the_engine(over_view, web_iface, qtbot):
    plugin = over_view
    dock = plugin.dock
    dock.rank_combo.setCurrentIndex(dock.rank_combo.findData("scene"))  # the cloudy scene-level winner first
    dock.mask_clouds_check.click()
    assert settings.mask_clouds() is True and settings.rank() == "scene"
    assert QgsSettings().value("stac_quicklook/mask_clouds", type=bool) is True
    request = plugin.canvas_request()
    assert request.mask_clouds is True and request.rank == "scene" and request.acquisition_date is None
    plugin.action.trigger()
    wait_all(qtbot, plugin)
    (layer,) = quicklook_layers()
    masked, plain = quicklook(request), quicklook(canvas_request(plugin, mask_clouds=False))
    winner = plain.items[0].datetime[:10]
    by_date = {a.date: a for a in list_acquisitions(request)}
    assert by_date[winner].view_cloud > 5 > masked.meta["view_cloud"]  # the winner's clouds over the view...
    assert masked.items[0].datetime[:10] == winner
    assert len({i.datetime[:10] for i in masked.items}) >= 2  # ...filled from another date
    assert all(i.id in layer.metadata().abstract() for i in masked.items)
    assert layer.name().endswith(f"· {percent_text(masked.meta['view_cloud']).replace(' %', '')} % cloud over view")
    assert "clouds masked" in layer.metadata().abstract()

    plugin.unload()  # saved: a new session shows it checked
    from stac_quicklook_plugin import classFactory

    again = classFactory(web_iface)
    again.initGui()
    try:
        assert again.dock.mask_clouds_check.isChecked()
        assert again.dock.rank_combo.currentData() == "scene"
    finally:
        again.unload()
        plugin.initGui()  # the fixture unloads it


def test_footprints_layer_shows_the_searched_scenes(over_view, qtbot):
    plugin = over_view
    panel = plugin.dock.dates_panel
    panel.footprints_check.click()  # nothing listed yet: lists the view
    assert settings.show_footprints() is True
    wait_all(qtbot, plugin)
    (layer,) = footprint_layers()
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    assert group.findLayer(layer.id()) is not None
    assert [f.name() for f in layer.fields()] == ["id", "date", "scene_cloud", "view_cloud"]
    assert layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry
    expected = list_acquisitions(canvas_request(plugin))
    features = list(layer.getFeatures())
    assert sorted(f["id"] for f in features) == sorted(i for a in expected for i in a.items)
    for acquisition in expected:
        mine = [f for f in features if f["date"].toString("yyyy-MM-dd") == acquisition.date]
        assert len(mine) == len(acquisition.items)
        if len(mine) == 1:  # one scene that day: its view cloud is the date's
            assert mine[0]["view_cloud"] == pytest.approx(acquisition.view_cloud, abs=0.01)
    symbol = layer.renderer().symbol()
    assert symbol.color().alpha() == 0 and symbol.symbolLayer(0).strokeColor().alpha() == 255  # outlines only
    panel.footprints_check.click()
    assert footprint_layers() == [] and settings.show_footprints() is False
