"""The index time series in QGIS (issue 21): the map tool driven by a real click on the canvas, the chart in
its dock, shift-click adding a line, the view series, CSV and PNG export, a dot click quicklooking its date."""
from __future__ import annotations

import csv
from datetime import date

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY, QgsProject
from qgis.PyQt.QtCore import QPoint, Qt

from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import quicklook_layers, use_api

POINT = (-105.68, 40.35)
SEASON = (date(2024, 5, 1), date(2024, 9, 30))


def _screen_pos(canvas, lon, lat):
    to_map = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), canvas.mapSettings().destinationCrs(),
                                    QgsProject.instance())
    device = canvas.getCoordinateTransform().transform(to_map.transform(QgsPointXY(lon, lat)))
    return QPoint(int(device.x()), int(device.y()))


def _wait(plugin, qtbot, count):
    try:
        qtbot.waitUntil(lambda: plugin.chart.task is None and len(plugin.chart.series) == count, timeout=60000)
    except Exception:
        raise AssertionError(plugin.chart.dock.status.text() if plugin.chart.dock else "no dock") from None


def test_a_click_with_the_tool_charts_the_point_and_shift_click_adds_one(plugin, qgis_canvas, qtbot, messages,
                                                                          earth_search_v2, tmp_path):
    use_api(earth_search_v2.url, SEASON)
    from stac_quicklook_plugin.gui import settings

    settings.set_cloud_cover_max(100.0)
    set_canvas(qgis_canvas)
    plugin.chart.action.trigger()  # the toolbar button: the tool is the canvas's, the dock opens
    assert qgis_canvas.mapTool() is plugin.chart.tool and not plugin.chart.dock.isHidden()
    qtbot.mouseClick(qgis_canvas.viewport(), Qt.MouseButton.LeftButton, pos=_screen_pos(qgis_canvas, *POINT))
    _wait(plugin, qtbot, 1)
    (series,) = plugin.chart.series
    assert series.point and abs(series.point[0] - POINT[0]) < 0.01 and abs(series.point[1] - POINT[1]) < 0.01
    assert len(series.entries) == 5 and any(e.value is None and e.cloudy for e in series.entries)
    axes = plugin.chart.dock.figure.axes[0]
    assert "NDVI at" in axes.get_title() and "2024-05-14" in axes.get_title()
    assert len(axes.lines) == 2  # clear dates as a line with dots, cloudy ones as hollow markers
    # Shift-click a second point: a second line on the same chart.
    qtbot.mouseClick(qgis_canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     pos=_screen_pos(qgis_canvas, POINT[0] + 0.03, POINT[1] - 0.02))
    _wait(plugin, qtbot, 2)
    assert len(plugin.chart.dock.figure.axes[0].get_legend().get_texts()) >= 2
    # Export: the CSV holds both points' rows, the PNG is written.
    table = plugin.chart.export("csv", str(tmp_path / "series.csv"))
    with open(table) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["point", "date", "value", "cloudy", "valid_fraction", "items"]
    assert len(rows) == sum(len(s.entries) for s in plugin.chart.series)
    picture = plugin.chart.export("png", str(tmp_path / "series.png"))
    assert (tmp_path / "series.png").stat().st_size > 10000 and picture
    # A click on a dot quicklooks that date over the extent.
    line = next(ln for ln in plugin.chart._dots if plugin.chart._dots[ln] and plugin.chart._dots[ln][0].value)

    class Pick:
        artist, ind = line, [0]

    plugin.chart._picked(Pick())
    qtbot.waitUntil(lambda: not plugin._tasks and len(quicklook_layers()) == 1, timeout=60000)
    assert plugin.chart._dots[line][0].date in quicklook_layers()[0].name()


def test_the_view_series_and_a_refused_export_path(plugin, qgis_canvas, qtbot, messages, earth_search_v2, tmp_path):
    use_api(earth_search_v2.url, SEASON)
    set_canvas(qgis_canvas)
    plugin.chart.show_dock()
    plugin.chart.dock.view_button.click()
    _wait(plugin, qtbot, 1)
    assert plugin.chart.series[0].point is None
    assert "over the view" in plugin.chart.dock.figure.axes[0].get_title()
    assert plugin.chart.export("csv", str(tmp_path / "no-such-folder" / "x.csv")) is None
    assert "Could not write" in plugin.chart.dock.status.text()
    assert plugin.chart.series  # the chart stays


def test_unload_removes_the_tool_and_the_dock(plugin, qgis_canvas):
    assert not plugin.chart.action.icon().isNull()  # a toolbar button with an icon of QGIS's own theme
    plugin.chart.action.trigger()
    assert qgis_canvas.mapTool() is plugin.chart.tool
    plugin.unload()
    assert qgis_canvas.mapTool() is None


def test_the_chart_follows_the_panels_preset_and_dates(plugin, qgis_canvas, qtbot, messages, earth_search_v2):
    use_api(earth_search_v2.url, SEASON)
    from stac_quicklook_plugin.gui import settings

    settings.set_cloud_cover_max(100.0)
    set_canvas(qgis_canvas)
    plugin.chart.run(POINT, False)
    _wait(plugin, qtbot, 1)
    plugin.chart.run((POINT[0] + 0.03, POINT[1] - 0.02), True)
    _wait(plugin, qtbot, 2)
    assert "NDVI" in plugin.chart.dock.figure.axes[0].get_title()
    picker = plugin.dock.show_picker
    picker.combo.setCurrentIndex(picker.combo.findData("ndwi"))  # both lines are made again, as NDWI
    qtbot.waitUntil(lambda: plugin.chart.task is None and len(plugin.chart.series) == 2
                    and plugin.chart.series[0].preset == "ndwi" and plugin.chart.series[1].preset == "ndwi",
                    timeout=60000)
    assert "NDWI" in plugin.chart.dock.figure.axes[0].get_title()
    assert [s.point for s in plugin.chart.series][1][0] == POINT[0] + 0.03
    from qgis.PyQt.QtCore import QDate

    plugin.dock.date_to.setDate(QDate(2024, 9, 30))
    plugin.dock.date_from.setDate(QDate(2024, 6, 15))  # a later start: four dates, not five
    qtbot.waitUntil(lambda: plugin.chart.task is None and len(plugin.chart.series) == 2
                    and len(plugin.chart.series[0].entries) < 5, timeout=60000)


def test_a_series_of_two_sensors_draws_a_line_per_sensor_and_a_dot_quicklooks_its_sensor(
        plugin, qgis_canvas, qtbot, messages, mixed_same_day_world):
    from stac_quicklook_plugin.gui import settings
    from tests.harness import landsat

    use_api(mixed_same_day_world.url, (date(2024, 6, 1), date(2024, 7, 31)))
    settings.set_collection("landsat-c2-l2,sentinel-2-l2a")
    settings.set_cloud_cover_max(100.0)
    set_canvas(qgis_canvas, bbox_wgs84=landsat.VIEW)
    plugin.chart.action.trigger()
    qtbot.mouseClick(qgis_canvas.viewport(), Qt.MouseButton.LeftButton, pos=_screen_pos(qgis_canvas, -105.70, 40.36))
    _wait(plugin, qtbot, 1)
    (series,) = plugin.chart.series
    assert set(series.sensors) == {"S2", "Landsat"}
    legend = [t.get_text() for t in plugin.chart.dock.figure.axes[0].get_legend().get_texts()]
    assert any(t.endswith(" · Landsat") for t in legend) and any(t.endswith(" · S2") for t in legend)
    for entries in plugin.chart._dots.values():  # never a line through two sensors' values
        assert len({e.sensor for e in entries}) == 1
    # The Landsat dot of the day both sensors acquired quicklooks Landsat's scene, not the Sentinel-2 one
    line, index = next((ln, i) for ln, entries in plugin.chart._dots.items() for i, e in enumerate(entries)
                       if e.sensor == "Landsat" and e.date == "2024-06-23")

    class Pick:
        artist, ind = line, [index]

    plugin.chart._picked(Pick())
    qtbot.waitUntil(lambda: not plugin._tasks and len(quicklook_layers()) == 1, timeout=60000)
    assert quicklook_layers()[0].name().startswith("Landsat 2024-06-23"), quicklook_layers()[0].name()


def test_a_catalogs_dollar_signs_are_drawn_as_text_not_math():
    """A collection id is drawn in the legend: "$" would start matplotlib's mathtext, whose parser raises on an
    unknown symbol at draw time and leaves the chart undrawn."""
    import io

    from matplotlib.figure import Figure

    from stac_quicklook_plugin.gui.chart import plain

    figure = Figure()
    ax = figure.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], label=f"the view · {plain(r'evil$' + chr(92) + 'foo$')}")
    ax.legend()
    figure.savefig(io.BytesIO(), format="png")  # raises ValueError ("Unknown symbol") without plain()
    assert ax.get_legend().get_texts()[0].get_text().endswith(r"evil\$" + chr(92) + r"foo\$")
