"""A click in QGIS on a Landsat Collection 2 Level-2 collection (issue 23): the layer lands, named and judged by
the cloud over the view that qa_pixel gives."""
from __future__ import annotations

from datetime import date

import numpy as np
from osgeo import gdal
from qgis.core import Qgis, QgsMultiBandColorRenderer

from stac_quicklook_plugin.gui import settings
from tests.core.engine.test_landsat import _view_window
from tests.harness import landsat
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import click_and_wait, quicklook_layers, use_api
from tests.qgis.test_processing import ALG, params, provider  # noqa: F401 (the fixture)


def test_a_click_on_landsat_adds_the_clear_dates_true_colour(plugin, qgis_canvas, qtbot, messages, landsat_world):
    use_api(landsat_world.url, (date(2024, 6, 1), date(2024, 8, 31)))
    settings.set_collection("landsat-c2-l2")
    settings.set_cloud_cover_max(100.0)
    set_canvas(qgis_canvas, bbox_wgs84=landsat.VIEW)
    click_and_wait(plugin, qtbot)
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []
    (layer,) = quicklook_layers()
    assert layer.name().startswith("Landsat 2024-06-24 · red,green,blue · 0 % cloud over view"), layer.name()
    assert isinstance(layer.renderer(), QgsMultiBandColorRenderer) and layer.crs().authid() == "EPSG:32613"
    assert landsat.DATES[0]["id"] in layer.metadata().abstract()


def test_processing_ndvi_and_a_time_series_on_landsat(provider, landsat_world, tmp_path):  # noqa: F811
    """Processing on ``landsat-c2-l2`` (issue 23): NDVI from ``nir08`` and ``red`` on reflectance, and the index time
    series at a point with its cloudy dates from ``qa_pixel``; truth from the generator."""
    import processing
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    out = tmp_path / "ndvi.tif"
    result = processing.run(ALG, params(landsat_world, out, bbox=landsat.VIEW, COLLECTION="landsat-c2-l2",
                                        START="2024-06-01", END="2024-08-31", CLOUD_COVER_MAX=100, WIDTH=120,
                                        PRESET="ndvi"))
    assert result["ITEMS"] == landsat.DATES[0]["id"]  # the clearest over the view
    data = gdal.Open(str(out)).ReadAsArray()
    assert data.dtype == np.float32 and np.nanmax(data) <= 1.0 and np.nanmin(data) >= -1.0
    rows, cols = _view_window()
    nir, red = landsat.reflectance(0, "nir08")[rows, cols], landsat.reflectance(0, "red")[rows, cols]
    truth = float(((nir - red) / (nir + red)).mean())  # about 0.6 here; the DNs' NDVI would be about 0.3
    assert abs(float(np.nanmean(data)) - truth) < 0.02, (float(np.nanmean(data)), truth)

    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=name:string", "points", "memory")
    feature = QgsFeature(layer.fields())
    feature.setAttributes(["p"])
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(-105.70, 40.36)))
    layer.dataProvider().addFeatures([feature])
    series = processing.run("stac_quicklook:timeseries", {
        "POINTS": layer, "ID_FIELD": "name", "STAC_API": landsat_world.url, "COLLECTION": "landsat-c2-l2",
        "START": "2024-06-01", "END": "2024-08-31", "CLOUD_COVER_MAX": 100, "PRESET": "ndvi",
        "OUTPUT": str(tmp_path / "series.csv")})
    table = QgsVectorLayer(series["OUTPUT"], "table", "ogr")
    names = [f.name() for f in table.fields()]
    rows = sorted((dict(zip(names, f.attributes())) for f in table.getFeatures()), key=lambda r: r["date"])
    assert [r["date"] for r in rows] == [d["date"] for d in landsat.DATES]
    # the point lies in 2024-07-10's cloud and under 2024-07-26's: cloudy, no value (the engine's test says why)
    assert [str(r["cloudy"]).lower() in ("true", "1") for r in rows] == [False, True, True]
    assert rows[0]["value"] not in (None, "") and abs(float(rows[0]["value"])) <= 1.0


def test_a_mixed_list_shows_a_day_per_sensor_and_steps_through_both(plugin, qgis_canvas, qtbot,
                                                                      mixed_same_day_world):
    """Landsat and Sentinel-2 listed together (the dock's comma list): a day both acquired is two rows, each
    quicklooks its own sensor, and Previous / Next step from one to the other."""
    use_api(mixed_same_day_world.url, (date(2024, 6, 1), date(2024, 6, 30)))
    settings.set_collection("landsat-c2-l2,sentinel-2-l2a")
    settings.set_cloud_cover_max(100.0)
    set_canvas(qgis_canvas, bbox_wgs84=landsat.VIEW)
    panel = plugin.dock.dates_panel
    panel.refresh_button.click()
    qtbot.waitUntil(lambda: plugin.dates._task is None, timeout=60000)
    assert panel.dates() == ["2024-06-23 · Landsat", "2024-06-23 · S2"]

    def wait():
        qtbot.waitUntil(lambda: not plugin._tasks and plugin.dates._task is None, timeout=60000)

    panel.list.itemDoubleClicked.emit(panel.list.topLevelItem(0), 0)  # the Landsat row
    wait()
    (layer,) = quicklook_layers()
    assert layer.name().startswith("Landsat 2024-06-23"), layer.name()
    assert panel.current_marked() == "2024-06-23 · Landsat" and plugin.dates.listed_key is not None
    plugin.dates.next_action.trigger()  # the same day's other sensor
    wait()
    newest = [lyr for lyr in quicklook_layers() if lyr is not layer]
    assert len(newest) == 1 and not newest[0].name().startswith("Landsat"), newest[0].name()
    assert "LC09" not in newest[0].metadata().abstract()
    assert panel.current_marked() == "2024-06-23 · S2"
    plugin.dates.next_action.trigger()  # nothing later in June
    wait()
    assert len(quicklook_layers()) == 2 and "No later acquisition" in panel.note_label.text()
    plugin.dates.previous_action.trigger()  # back to Landsat's
    wait()
    assert len(quicklook_layers()) == 3 and panel.current_marked() == "2024-06-23 · Landsat"


def test_a_mixed_series_has_a_layer_and_a_frame_per_day_and_sensor(plugin, qgis_canvas, qtbot, messages, tmp_path,
                                                                    mixed_same_day_world):
    """The Temporal Controller series of two sensors: the day both acquired has two layers on that day, each of
    its own sensor's scenes only; the animation has a frame for each."""
    from PIL import Image

    from stac_quicklook_plugin.gui.series import SERIES_PROPERTY

    use_api(mixed_same_day_world.url, (date(2024, 6, 1), date(2024, 7, 15)))
    settings.set_collection("landsat-c2-l2,sentinel-2-l2a")
    settings.set_cloud_cover_max(100.0)
    set_canvas(qgis_canvas, bbox_wgs84=landsat.VIEW)
    plugin.dock.dates_panel.series_button.click()
    qtbot.waitUntil(lambda: not plugin.series.running, timeout=120000)
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []
    days = {(lyr.customProperty(SERIES_PROPERTY), lyr.name().startswith("Landsat")) for lyr in plugin.series.layers}
    assert days == {("2024-06-23", True), ("2024-06-23", False), ("2024-07-10", True)}
    assert plugin.series.days() == ["2024-06-23", "2024-07-10"]
    for layer in plugin.series.layers:
        landsat_layer = layer.name().startswith("Landsat")
        assert ("LC0" in layer.metadata().abstract()) is landsat_layer
    assert sorted(plugin.series.frames) == ["2024-06-23 Landsat", "2024-06-23 S2", "2024-07-10 Landsat"]
    with Image.open(plugin.series.export_animation(path=str(tmp_path / "mixed.gif"))) as gif:
        assert gif.n_frames == 3
