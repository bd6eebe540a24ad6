"""Time series in the plugin, against rustac + the COG server: one layer per acquisition date in a sub-group,
each active on its day only, so the Temporal Controller's frame shows the right date; the date limit; cancel."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from qgis.core import (
    Qgis,
    QgsDateTimeRange,
    QgsInterval,
    QgsMapRendererSequentialJob,
    QgsProject,
    QgsTemporalNavigationObject,
)

from stac_quicklook_plugin.core.stac import client as stac
from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.compat import animated_navigation, one_day
from stac_quicklook_plugin.gui.layer import GROUP_NAME
from stac_quicklook_plugin.gui.series import SERIES_PROPERTY, day_range
from tests.core.engine.test_clouds import VIEW
from tests.qgis.conftest import set_canvas
from tests.qgis.test_servers import DATA_DATES, quicklook_layers

FIVE = ["2024-05-14", "2024-06-23", "2024-07-18", "2024-08-22", "2024-09-16"]


def start_series(plugin, qgis_canvas, url):
    stac.clear_api_cache()
    settings.set_api_url(url)
    settings.set_dates(*DATA_DATES)
    settings.set_cloud_cover_max(100.0)
    settings.set_output_width(256)
    set_canvas(qgis_canvas, bbox_wgs84=VIEW, crs="EPSG:32613")
    plugin.dock.dates_panel.series_button.click()


def series_group():
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    subgroups = [child for child in group.children() if child.nodeType() == child.NodeType.NodeGroup] \
        if group is not None else []
    return subgroups[0] if subgroups else None


def render(qgis_canvas, layers, when: QgsDateTimeRange) -> np.ndarray:
    """What the canvas draws of ``layers`` at the temporal range ``when`` (an RGBA array)."""
    map_settings = qgis_canvas.mapSettings()
    map_settings.setLayers(layers)
    map_settings.setIsTemporal(True)
    map_settings.setTemporalRange(when)
    job = QgsMapRendererSequentialJob(map_settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    pointer = image.constBits()
    pointer.setsize(image.sizeInBytes())
    return np.frombuffer(pointer, dtype=np.uint8).reshape(image.height(), image.width(), 4).copy()


@pytest.fixture()
def navigation(qgis_canvas):
    """A Temporal Controller driving the canvas, as in the QGIS window; the canvas is left untemporal after."""
    controller = QgsTemporalNavigationObject(qgis_canvas)  # owned by the canvas, which outlives the test
    qgis_canvas.setTemporalController(controller)
    yield controller
    controller.setNavigationMode(QgsTemporalNavigationObject.NavigationMode.NavigationOff)  # clears the range


def test_series_lands_as_temporal_layers_the_controller_animates(plugin, qgis_canvas, qtbot, messages,
                                                                 stac_server, navigation):
    start_series(plugin, qgis_canvas, stac_server.url)
    assert plugin.series.running and plugin.dock.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not plugin.series.running, timeout=120000)
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []
    (ready,) = messages.get_messages(Qgis.Success)
    assert ready.startswith("Time series ready:5 date(s), 2024-05-14 to 2024-09-16")

    group = series_group()
    assert group.name() == "Series 2024-05-01 – 2024-09-30"
    layers = [node.layer() for node in group.findLayers()]
    assert [layer.customProperty(SERIES_PROPERTY) for layer in layers] == FIVE[::-1]  # newest on top
    for layer, day in zip(layers, FIVE[::-1]):
        assert layer.name().startswith(f"S2 {day} · ") and layer.name().endswith("% cloud over view")
        properties = layer.temporalProperties()
        assert properties.isActive() and properties.mode() == Qgis.RasterTemporalMode.FixedTemporalRange
        assert properties.fixedTemporalRange() == day_range(day)
        assert properties.fixedTemporalRange().begin().toString("yyyy-MM-dd") == day
    assert set(quicklook_layers()) == set(layers)

    # The Temporal Controller now spans the series, one day per frame, animated.
    extent = navigation.temporalExtents()
    assert extent.begin() == day_range(FIVE[0]).begin() and extent.end() == day_range(FIVE[-1]).end()
    assert navigation.navigationMode() == animated_navigation()
    assert navigation.frameDuration() == one_day() and one_day().seconds() == 24 * 3600
    assert QgsProject.instance().timeSettings().temporalRange() == extent

    # At each acquisition's frame exactly that date's layer is visible, on the canvas too.
    for day in FIVE:
        frame = (date.fromisoformat(day) - date.fromisoformat(FIVE[0])).days
        navigation.setCurrentFrameNumber(frame)
        when = qgis_canvas.temporalRange()
        assert when == navigation.dateTimeRangeForFrameNumber(frame)
        visible = [layer.customProperty(SERIES_PROPERTY) for layer in layers
                   if layer.temporalProperties().isVisibleInTemporalRange(when)]
        assert visible == [day]
    # A day between two acquisitions shows none of them.
    navigation.setCurrentFrameNumber(1)
    assert not any(layer.temporalProperties().isVisibleInTemporalRange(qgis_canvas.temporalRange())
                   for layer in layers)

    # What the canvas draws: the frame of a date renders that date's picture alone, another date differs.
    day_layers = dict(zip(FIVE[::-1], layers))
    june = render(qgis_canvas, layers, day_range("2024-06-23"))
    assert np.array_equal(june, render(qgis_canvas, [day_layers["2024-06-23"]], day_range("2024-06-23")))
    assert not np.array_equal(june, render(qgis_canvas, layers, day_range("2024-08-22")))
    between = day_range("2024-07-01")
    assert np.array_equal(render(qgis_canvas, layers, between), render(qgis_canvas, [], between))  # nothing drawn


def test_series_refuses_more_dates_than_the_setting(plugin, qgis_canvas, qtbot, messages, stac_server):
    plugin.dock.dates_panel.max_dates_spin.setValue(3)
    assert settings.series_max_dates() == 3
    start_series(plugin, qgis_canvas, stac_server.url)
    qtbot.waitUntil(lambda: not plugin.series.running, timeout=60000)
    (message,) = messages.get_messages(Qgis.Warning)
    assert message.startswith("Invalid input:The date range has 5 acquisition dates over this view, more than the 3")
    assert "Narrow the date range" in message
    assert series_group() is None and quicklook_layers() == []
    assert settings.DEFAULT_SERIES_MAX_DATES == 40


def test_cancel_keeps_the_dates_already_made(plugin, qgis_canvas, qtbot, messages, stac_server_slow_cogs):
    start_series(plugin, qgis_canvas, stac_server_slow_cogs.url)
    qtbot.waitUntil(lambda: len(plugin.series.layers) >= 1, timeout=120000)
    plugin.dock.cancel_button.click()
    assert not plugin.series.running and not plugin.dock.cancel_button.isEnabled()
    (message,) = messages.get_messages(Qgis.Info)
    kept = len(plugin.series.layers)
    assert message == f"Time series cancelled:Kept the {kept} date(s) already made."
    assert 1 <= kept < 5
    qtbot.wait(3000)  # the worker stops at its next check; nothing more lands
    layers = [node.layer() for node in series_group().findLayers()]
    assert len(layers) == kept and all(layer.temporalProperties().isActive() for layer in layers)
    assert messages.get_messages(Qgis.Success) == []


def test_compat_picks_the_temporal_enums_of_the_running_qgis(monkeypatch):
    from types import SimpleNamespace

    from qgis.core import QgsUnitTypes

    from stac_quicklook_plugin.gui import compat

    assert one_day() == QgsInterval(1, QgsUnitTypes.TemporalUnit.TemporalDays)
    if Qgis.QGIS_VERSION_INT < compat.TEMPORAL_ENUMS_IN_QGIS_SINCE:
        assert animated_navigation() == QgsTemporalNavigationObject.NavigationMode.Animated
    newer = SimpleNamespace(QGIS_VERSION_INT=40000, TemporalNavigationMode=SimpleNamespace(Animated="qgis-4"),
                            TemporalUnit=SimpleNamespace(Days=QgsUnitTypes.TemporalUnit.TemporalDays))
    monkeypatch.setattr(compat, "Qgis", newer)
    assert compat.animated_navigation() == "qgis-4"
    assert compat.one_day().seconds() == 24 * 3600


def test_export_animation_writes_one_frame_per_date_of_the_series(plugin, qgis_canvas, qtbot, messages, stac_server,
                                                                   tmp_path):
    from PIL import Image

    assert plugin.series.export_animation(path=str(tmp_path / "none.gif")) is None  # no series yet: a sentence
    assert "Make a time series first" in messages.get_messages(Qgis.Info)[-1]
    start_series(plugin, qgis_canvas, stac_server.url)
    qtbot.waitUntil(lambda: not plugin.series.running, timeout=120000)
    days = plugin.series.days()
    path = plugin.series.export_animation(path=str(tmp_path / "season.gif"))
    with Image.open(path) as gif:
        assert gif.n_frames == len(days) == 5
    assert plugin.series.export_animation(path=str(tmp_path / "no-folder" / "x.gif")) is None
    assert "Could not export the animation" in messages.get_messages(Qgis.Warning)[-1]
