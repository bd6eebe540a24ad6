"""The toolbar click end to end in a real QGIS, against real local servers (tests/conftest.py):
rustac STAC API + COG server, the fault STAC API, slow and trickling image servers."""
from __future__ import annotations

import time
from datetime import date

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    Qgis,
    QgsCoordinateTransform,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QTimer

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.gui import layer as layer_mod
from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.extent import bbox_wgs84
from stac_quicklook_plugin.gui.request import build_request
from tests.qgis.conftest import set_canvas

DATA_DATES = (date(2024, 5, 1), date(2024, 9, 30))  # the generated scenes: 2024-05-14 .. 2024-09-16


def quicklook_layers() -> list[QgsRasterLayer]:
    return [lyr for lyr in QgsProject.instance().mapLayers().values()
            if lyr.customProperty(layer_mod.PATH_PROPERTY)]


def click_and_wait(plugin, qtbot, timeout=60000) -> float:
    started = time.monotonic()
    plugin.action.trigger()
    qtbot.waitUntil(lambda: not plugin._tasks, timeout=timeout)
    return time.monotonic() - started


def use_api(url: str, dates=DATA_DATES) -> None:
    settings.set_api_url(url)
    settings.set_dates(*dates)


def boundary_points(rect, per_edge: int = 25):
    xs = np.linspace(rect.xMinimum(), rect.xMaximum(), per_edge)
    ys = np.linspace(rect.yMinimum(), rect.yMaximum(), per_edge)
    return ([(x, rect.yMinimum()) for x in xs] + [(x, rect.yMaximum()) for x in xs]
            + [(rect.xMinimum(), y) for y in ys] + [(rect.xMaximum(), y) for y in ys])


@pytest.mark.parametrize("project_crs", ["EPSG:3857", "EPSG:32613", "EPSG:4326"])
def test_click_adds_the_engines_picture_of_the_canvas(plugin, qgis_canvas, qtbot, messages, stac_server,
                                                      project_crs):
    use_api(stac_server.url)
    set_canvas(qgis_canvas, crs=project_crs)
    seconds = click_and_wait(plugin, qtbot)
    print(f"\nquicklook in {project_crs}: {seconds:.2f} s")
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []

    (layer,) = quicklook_layers()
    group = QgsProject.instance().layerTreeRoot().children()[0]
    assert group.name() == "STAC Quicklooks" and group.findLayer(layer.id()) is not None
    assert layer.isValid()
    assert layer.crs().authid() == "EPSG:32613"  # native UTM of the scenes; QGIS reprojects on the fly
    assert layer.name().startswith("S2 2024-") and " % cloud" in layer.name()

    # Its extent covers the canvas extent: every point of the canvas border falls inside the layer.
    to_layer = QgsCoordinateTransform(qgis_canvas.mapSettings().destinationCrs(), layer.crs(),
                                      QgsProject.instance())
    extent, pixel = layer.extent(), layer.rasterUnitsPerPixelX()
    for x, y in boundary_points(qgis_canvas.extent()):
        point = to_layer.transform(QgsPointXY(x, y))
        assert extent.xMinimum() - pixel <= point.x() <= extent.xMaximum() + pixel
        assert extent.yMinimum() - pixel <= point.y() <= extent.yMaximum() + pixel

    # Same pixels as the engine called directly with the request the click made.
    request = build_request(bbox_wgs84(qgis_canvas.extent(), qgis_canvas.mapSettings().destinationCrs()),
                            qgis_canvas.width())
    expected = quicklook(request)
    dataset = gdal.Open(layer.source())
    written = dataset.ReadAsArray()
    has_alpha = expected.array.dtype == np.uint8
    assert layer.bandCount() == expected.count + (1 if has_alpha else 0)
    assert (layer.width(), layer.height()) == (expected.width, expected.height)
    np.testing.assert_array_equal(written[: expected.count], expected.array)
    if has_alpha:
        np.testing.assert_array_equal(written[-1], np.where(expected.mask, 255, 0))
    assert dataset.GetGeoTransform() == pytest.approx(expected.gdal_geotransform)
    dataset = None

    abstract = layer.metadata().abstract()
    assert all(item.id in abstract for item in expected.items)
    assert stac_server.url.rstrip("/") in abstract and expected.strategy in abstract


def test_layer_removal_frees_its_memory_file(plugin, qgis_canvas, qtbot, stac_server):
    use_api(stac_server.url)
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    (layer,) = quicklook_layers()
    path = layer.customProperty(layer_mod.PATH_PROPERTY)
    assert path in layer_mod.vsimem_files()
    QgsProject.instance().removeMapLayer(layer.id())
    assert path not in layer_mod.vsimem_files() and gdal.VSIStatL(path) is None


def test_cancel_mid_read_adds_no_layer_and_no_file(plugin, qgis_canvas, qtbot, messages, stac_server_slow_cogs):
    use_api(stac_server_slow_cogs.url)
    set_canvas(qgis_canvas)
    files_before = set(layer_mod.vsimem_files())
    plugin.action.trigger()
    # Images are read from "Judging cloud over the view" on (the best scene's imagery meanwhile).
    qtbot.waitUntil(lambda: any(w in plugin.dock.status_label.text() for w in ("Read", "Judging")), timeout=30000)
    qtbot.wait(300)  # well inside the first image request (the server answers after 2 s)
    cancelled_at = time.monotonic()
    plugin.dock.cancel_button.click()
    # The user is told at once and the dock is free for the next click ...
    assert messages.get_messages(Qgis.Info) == ["Quicklook cancelled:No layer was added."]
    assert not plugin.dock.cancel_button.isEnabled()
    # ... while the worker thread stops at the engine's next cancel check.
    qtbot.waitUntil(lambda: not plugin._tasks, timeout=30000)
    print(f"\nthe engine stopped {time.monotonic() - cancelled_at:.2f} s after Cancel")

    assert quicklook_layers() == []
    assert set(layer_mod.vsimem_files()) == files_before
    assert len(messages.get_messages(Qgis.Info)) == 1
    assert messages.get_messages(Qgis.Critical) == []


@pytest.mark.parametrize("flags, title, fragment", [
    ("http-500", "STAC API error", "HTTP 500"),
    ("http-502", "STAC API error", "HTTP 502"),
    ("invalid-json", "STAC API error", "not JSON"),
])
def test_server_errors_are_critical_messages(plugin, qgis_canvas, qtbot, messages, fault_stac, flags, title,
                                             fragment):
    use_api(fault_stac.url_for(flags))
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    (message,) = messages.get_messages(Qgis.Critical)
    assert message.startswith(f"{title}:") and fragment in message
    assert "<html>" not in message  # the server's answer is in the log, not the bar
    assert quicklook_layers() == []


def test_unreachable_api_is_a_network_error(plugin, qgis_canvas, qtbot, messages):
    from tests.harness.servers import free_port

    use_api(f"http://127.0.0.1:{free_port()}/")
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    (message,) = messages.get_messages(Qgis.Critical)
    assert message.startswith("Network error:")


def test_nothing_found_is_a_warning(plugin, qgis_canvas, qtbot, messages, stac_server):
    use_api(stac_server.url, dates=(date(2020, 5, 1), date(2020, 9, 30)))
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    (message,) = messages.get_messages(Qgis.Warning)
    assert message.startswith("No imagery found:")
    assert messages.get_messages(Qgis.Critical) == [] and quicklook_layers() == []


def test_bad_settings(plugin, qgis_canvas, qtbot, messages, stac_server, cog_server):
    set_canvas(qgis_canvas)
    use_api("127.0.0.1/no-scheme")
    plugin.action.trigger()
    assert not plugin._tasks
    assert messages.get_messages(Qgis.Warning)[-1].startswith("Check the STAC Quicklook settings:")

    use_api(stac_server.url)
    settings.set_asset_key("no-such-asset")
    click_and_wait(plugin, qtbot)
    (message,) = messages.get_messages(Qgis.Critical)
    assert message.startswith("No usable asset:") and "no-such-asset" in message

    settings.set_asset_key(None)
    use_api(cog_server.url + "/")  # a web server, but not a STAC API
    click_and_wait(plugin, qtbot)
    assert len(messages.get_messages(Qgis.Critical)) == 2
    assert messages.get_messages(Qgis.Critical)[-1].startswith("STAC API error:")
    assert quicklook_layers() == []


def test_ui_stays_responsive_against_a_slow_server(plugin, qgis_canvas, qtbot, stac_server_50ms):
    use_api(stac_server_50ms.url)
    set_canvas(qgis_canvas)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    try:
        started = time.monotonic()
        plugin.action.trigger()
        qtbot.waitUntil(lambda: not plugin._tasks, timeout=60000)
        ended = time.monotonic()
    finally:
        timer.stop()
    during = [t for t in ticks if started <= t <= ended]
    gaps = np.diff([started] + during + [ended])
    print(f"\nquicklook took {ended - started:.2f} s; {len(during)} ticks of 10 ms; "
          f"longest gap between ticks {gaps.max() * 1000:.0f} ms; median {np.median(gaps) * 1000:.0f} ms")
    assert len(during) >= 5  # the event loop ran while the task worked
    assert len(quicklook_layers()) == 1


@pytest.mark.parametrize("mode", ["404", "html"])
def test_image_errors_are_critical_messages(plugin, qgis_canvas, qtbot, messages, testdata_small, cog_server,
                                            tmp_path, mode):
    from tests.qgis.conftest import _cogs_relpath, _rustac_over

    server = _rustac_over(testdata_small, cog_server.fault_url(mode, _cogs_relpath(cog_server, testdata_small)),
                          tmp_path)
    try:
        use_api(server.url)
        set_canvas(qgis_canvas)
        click_and_wait(plugin, qtbot)
    finally:
        server.stop()
    (message,) = messages.get_messages(Qgis.Critical)
    assert message.startswith("Could not read the image:")
    assert quicklook_layers() == []


def test_dock_lists_collections_and_assets_from_the_api(clean_settings, qtbot, stac_server):
    from stac_quicklook_plugin.gui.dock import QuicklookDock

    settings.set_api_url(stac_server.url)
    dock = QuicklookDock()  # the engine's list_collections / collection_item_assets
    qtbot.addWidget(dock)
    dock.show()
    qtbot.waitUntil(lambda: dock.asset_combo.count() > 1 and dock.collection_combo.count() > 1, timeout=10000)
    assert "sentinel-2-l2a" in [dock.collection_combo.itemText(i) for i in range(dock.collection_combo.count())]
    assets = [dock.asset_combo.itemText(i) for i in range(dock.asset_combo.count())]
    assert assets[0] == "Auto" and "visual" in assets
    assert dock.asset_combo.currentText() == "Auto" and settings.asset_key() is None
