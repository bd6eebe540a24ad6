"""Bad input at the edges, through the plugin's click path: views across the antimeridian and at the poles,
empty or untransformable extents, non-http URLs, cloud cover and width out of range. A refusal is one
warning that says what to change, made before any task starts; the next quicklook works."""
from __future__ import annotations

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsProject, QgsRectangle

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.gui import layer as layer_mod
from stac_quicklook_plugin.gui import settings
from tests.qgis.conftest import _lay_out, set_canvas
from tests.qgis.plugin_checks import (
    assert_next_quicklook_works,
    assert_nothing_left,
    assert_one_message,
    click_and_wait,
    quicklook_layers,
    use_api,
)

GEOS = "+proj=geos +h=35785831 +lon_0=0 +datum=WGS84 +units=m +no_defs"


def show(canvas, crs: QgsCoordinateReferenceSystem, extent: QgsRectangle) -> None:
    """The canvas in ``crs`` showing ``extent`` (given in that CRS)."""
    _lay_out(canvas)
    canvas.setDestinationCrs(crs)
    QgsProject.instance().setCrs(crs)
    canvas.setExtent(extent)


def recording_engine(seen: list):
    def engine(request, progress=None, is_cancelled=None):
        seen.append(request)
        return quicklook(request, progress, is_cancelled)
    return engine


@pytest.mark.parametrize("crs, extent, title, fragment", [
    ("EPSG:4326", (179.8, -17.2, 180.2, -16.8), "Map extent crosses the antimeridian", "180° meridian"),
    ("EPSG:4326", (-180.3, -17.2, -179.9, -16.8), "Map extent crosses the antimeridian", "one quicklook on each side"),
    ("EPSG:3857", (19.98e6, -1.9e6, 20.1e6, -1.85e6), "Map extent crosses the antimeridian", "180° meridian"),
    ("EPSG:4326", (10.0, 91.0, 11.0, 92.0), "Cannot transform the map extent", "no valid position on Earth"),
    (GEOS, (6.0e6, 6.0e6, 6.1e6, 6.1e6), "Cannot transform the map extent", "+proj=geos"),  # off the disk
])
def test_views_that_cannot_be_searched_are_refused_with_a_warning(plugin, qgis_canvas, qtbot, messages,
                                                                  stac_server, crs, extent, title, fragment):
    plugin.engine = lambda *a, **k: pytest.fail("no request should be made")
    crs_obj = (QgsCoordinateReferenceSystem(crs) if crs.startswith("EPSG")
               else QgsCoordinateReferenceSystem.fromProj(crs))
    show(qgis_canvas, crs_obj, QgsRectangle(*extent))
    before = set(layer_mod.vsimem_files())
    plugin.action.trigger()
    assert not plugin._tasks
    message = assert_one_message(messages, "warning", title, fragment)
    assert "Zoom in" not in message  # zooming in would not help: say what would
    assert_nothing_left(before)
    plugin.engine = None
    assert_next_quicklook_works(plugin, qgis_canvas, qtbot, messages, stac_server.url)


@pytest.mark.parametrize("crs, extent, north", [
    ("EPSG:4326", (10.0, 89.6, 11.0, 90.4), 90.0),  # the part beyond the pole is cut off
    ("EPSG:4326", (-11.0, -90.4, -10.0, -89.6), -89.6),
    ("EPSG:3857", (1.0e6, 19.9e6, 1.1e6, 20.1e6), 85.2),  # Web Mercator's edge
])
def test_views_at_the_poles_are_searched_on_the_earth_part(plugin, qgis_canvas, qtbot, messages, stac_server,
                                                           crs, extent, north):
    seen = []
    plugin.engine = recording_engine(seen)
    use_api(stac_server.url)
    show(qgis_canvas, QgsCoordinateReferenceSystem(crs), QgsRectangle(*extent))
    before = set(layer_mod.vsimem_files())
    click_and_wait(plugin, qtbot)
    west, south, east, north_seen = seen[0].bbox_wgs84
    assert -90.0 <= south < north_seen <= 90.0 and north_seen == pytest.approx(north, abs=0.2)
    assert -180.0 <= west < east <= 180.0
    assert_one_message(messages, "warning", "No imagery found", "Try a longer date range")  # no data there
    assert_nothing_left(before)


def test_empty_canvas_extent_is_refused(plugin, qgis_canvas, qtbot, messages, stac_server, monkeypatch):
    plugin.engine = lambda *a, **k: pytest.fail("no request should be made")
    set_canvas(qgis_canvas)
    monkeypatch.setattr(qgis_canvas, "extent", lambda: QgsRectangle())
    plugin.action.trigger()
    assert not plugin._tasks
    assert_one_message(messages, "warning", "Empty map extent", "Zoom to an area")
    monkeypatch.undo()
    plugin.engine = None
    assert_next_quicklook_works(plugin, qgis_canvas, qtbot, messages, stac_server.url)


def test_project_without_a_crs_is_refused(plugin, qgis_canvas, messages):
    plugin.engine = lambda *a, **k: pytest.fail("no request should be made")
    show(qgis_canvas, QgsCoordinateReferenceSystem(), QgsRectangle(0, 0, 10, 10))
    plugin.action.trigger()
    assert not plugin._tasks
    assert_one_message(messages, "warning", "Unknown map CRS", "Project > Properties > CRS")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "JAVASCRIPT://127.0.0.1/x"])
def test_non_http_urls_are_refused_before_any_request(plugin, qgis_canvas, qtbot, messages, stac_server, url):
    plugin.engine = lambda *a, **k: pytest.fail("no request should be made")
    use_api(url)
    set_canvas(qgis_canvas)
    plugin.action.trigger()
    assert not plugin._tasks
    assert_one_message(messages, "warning", "Check the STAC Quicklook settings", "must start with http://")
    plugin.engine = None
    assert_next_quicklook_works(plugin, qgis_canvas, qtbot, messages, stac_server.url)


@pytest.mark.parametrize("stored, sent", [(-5.0, 0.0), (0.0, 0.0), (100.0, 100.0), (150.0, 100.0)])
def test_cloud_limit_outside_0_100_is_clamped(plugin, qgis_canvas, qtbot, messages, stac_server, stored, sent):
    seen = []
    plugin.engine = recording_engine(seen)
    use_api(stac_server.url)
    settings.set_cloud_cover_max(stored)
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    assert seen[0].cloud_cover_max == sent
    if sent == 0.0:  # the least cloudy generated scene has 0.8 %
        assert_one_message(messages, "warning", "No imagery found", "raise the cloud limit")
        assert quicklook_layers() == []
    else:
        assert len(quicklook_layers()) == 1


@pytest.mark.parametrize("stored, sent", [(1, 64), (63, 64), (64, 64), (8192, 8192), (100000, 8192)])
def test_width_outside_the_dock_range_is_clamped(plugin, qgis_canvas, qtbot, stored, sent):
    from tests.qgis.conftest import make_quicklook

    seen = []
    plugin.engine = lambda request, progress=None, is_cancelled=None: seen.append(request) or make_quicklook()
    settings.set_output_width(stored)
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    assert seen[0].width == sent
