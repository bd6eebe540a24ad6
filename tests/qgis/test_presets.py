"""Presets and band math in QGIS (issue 20): the dock's Show row, an index layer in its colour ramp with a legend
and the value under the cursor, a composite, Processing's PRESET and EXPRESSION; against the Earth Search v2-like
rustac world and the real engine."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    Qgis,
    QgsApplication,
    QgsMultiBandColorRenderer,
    QgsPointXY,
    QgsProcessingException,
    QgsRaster,
    QgsSingleBandPseudoColorRenderer,
)

from stac_quicklook_plugin.gui import settings
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import click_and_wait, quicklook_layers, use_api
from tests.qgis.test_processing import ALG, extent_string, params, provider  # noqa: F401 (the fixture)

SEPTEMBER = ("2024-09-01", "2024-09-30")


def _choose(plugin, name):
    picker = plugin.dock.show_picker
    picker.combo.setCurrentIndex(picker.combo.findData(name))


def test_the_show_row_lists_the_presets_saves_the_choice_and_sets_the_asset_aside(plugin):
    picker = plugin.dock.show_picker
    names = [picker.combo.itemData(i) for i in range(picker.combo.count())]
    assert names == ["true-color", "false-color", "swir", "agriculture", "ndvi", "ndwi", "ndmi", "nbr", "evi",
                     "expression"]
    assert plugin.dock.asset_combo.isEnabled() and picker.expression_edit.isHidden()
    _choose(plugin, "ndvi")
    assert settings.preset() == "ndvi" and settings.expression() == ""
    assert not plugin.dock.asset_combo.isEnabled()
    _choose(plugin, "expression")
    assert not picker.expression_edit.isHidden()
    picker.expression_edit.setText("(nir - red) / (nir + red)")
    assert settings.expression() == "(nir - red) / (nir + red)" and settings.preset() == ""
    picker.expression_edit.setText("__import__('os').system('id')")  # told at once, never run
    assert "function call" in picker.expression_edit.toolTip()
    _choose(plugin, "true-color")
    assert settings.preset() == "" and settings.expression() == "" and plugin.dock.asset_combo.isEnabled()


def test_an_ndvi_click_adds_a_pseudocolour_layer_with_a_legend_and_values(plugin, qgis_canvas, qtbot, messages,
                                                                           earth_search_v2):
    from datetime import date

    use_api(earth_search_v2.url, (date(2024, 6, 1), date(2024, 6, 30)))
    _choose(plugin, "ndvi")
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []
    (layer,) = quicklook_layers()
    assert " · NDVI · " in layer.name() and "cloud over view" in layer.name()
    renderer = layer.renderer()
    assert isinstance(renderer, QgsSingleBandPseudoColorRenderer)
    assert (renderer.classificationMin(), renderer.classificationMax()) == (-0.2, 0.9)
    legend = renderer.legendSymbologyItems()
    assert len(legend) >= 5 and legend[0][0] == "-0.20" and legend[-1][0] == "0.90"
    assert layer.dataProvider().dataType(1) == Qgis.DataType.Float32
    # Identify gives the index under the cursor: the file's own value at the extent's centre.
    centre = layer.extent().center()
    found = layer.dataProvider().identify(QgsPointXY(centre), QgsRaster.IdentifyFormat.IdentifyFormatValue).results()
    value = found[1]
    assert value is not None and -1.0 <= float(value) <= 1.0
    assert "Expression: (nir - red) / (nir + red)" in layer.metadata().abstract()
    assert "Bands: nir = nir, red = red" in layer.metadata().abstract()


def test_a_false_colour_click_is_an_rgb_layer(plugin, qgis_canvas, qtbot, messages, earth_search_v2):
    from datetime import date

    use_api(earth_search_v2.url, (date(2024, 6, 1), date(2024, 6, 30)))
    _choose(plugin, "false-color")
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    (layer,) = quicklook_layers()
    assert isinstance(layer.renderer(), QgsMultiBandColorRenderer) and " · false-color · " in layer.name()


def test_a_bad_saved_expression_is_a_sentence_in_the_message_bar_and_no_layer(plugin, qgis_canvas, qtbot, messages,
                                                                               earth_search_v2):
    use_api(earth_search_v2.url)
    settings.set_expression("nir ** 99999999")  # as a tampered project or settings file might hold
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    assert quicklook_layers() == []
    (message,) = messages.get_messages(Qgis.Warning) or messages.get_messages(Qgis.Critical)
    assert "operator **" in message


def test_processing_preset_writes_a_float_index(provider, earth_search_v2, tmp_path):  # noqa: F811
    import processing

    out = tmp_path / "ndvi.tif"
    processing.run(ALG, params(earth_search_v2, out, COLLECTION="", START=SEPTEMBER[0], END=SEPTEMBER[1],
                               CLOUD_COVER_MAX=100, PRESET="ndvi"))
    dataset = gdal.Open(str(out))
    band = dataset.GetRasterBand(1)
    assert dataset.RasterCount == 1 and band.DataType == gdal.GDT_Float32
    values = band.ReadAsArray()
    assert np.isfinite(values).any() and np.nanmax(values) <= 1.0 and np.nanmin(values) >= -1.0
    dataset = None


@pytest.mark.parametrize("extra, words", [
    ({"PRESET": "ndxx"}, "Unknown preset 'ndxx'"),
    ({"EXPRESSION": "open('/etc/passwd')"}, "function call"),
    ({"PRESET": "ndvi", "ASSET": "red"}, "give one of them"),
])
def test_processing_refuses_bad_presets_with_the_clis_sentences(provider, earth_search_v2, tmp_path, extra,  # noqa: F811
                                                                words):
    import processing

    out = tmp_path / "x.tif"
    with pytest.raises(QgsProcessingException, match=None) as caught:
        processing.run(ALG, params(earth_search_v2, out, COLLECTION="", **extra))
    assert words in str(caught.value)
    assert not out.exists()


def test_the_algorithm_offers_preset_and_expression(provider):  # noqa: F811
    alg = QgsApplication.processingRegistry().algorithmById(ALG)
    names = [p.name() for p in alg.parameterDefinitions()]
    assert "PRESET" in names and "EXPRESSION" in names
    assert extent_string()


def test_processing_index_time_series_at_points(provider, earth_search_v2, tmp_path):  # noqa: F811
    # Two points given in another CRS (web mercator), a table of one row per point and date.
    import processing
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsProject,
        QgsVectorLayer,
    )

    layer = QgsVectorLayer("Point?crs=EPSG:3857&field=name:string", "points", "memory")
    to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                         QgsCoordinateReferenceSystem("EPSG:3857"), QgsProject.instance())
    for name, (lon, lat) in (("meadow", (-105.68, 40.35)), ("ridge", (-105.62, 40.30))):
        feature = QgsFeature(layer.fields())
        feature.setAttributes([name])
        feature.setGeometry(QgsGeometry.fromPointXY(to_mercator.transform(QgsPointXY(lon, lat))))
        layer.dataProvider().addFeatures([feature])
    out = str(tmp_path / "series.csv")
    result = processing.run("stac_quicklook:timeseries", {
        "POINTS": layer, "ID_FIELD": "name", "STAC_API": earth_search_v2.url, "COLLECTION": "",
        "START": "2024-05-01", "END": "2024-09-30", "CLOUD_COVER_MAX": 100, "PRESET": "ndvi", "OUTPUT": out})
    table = QgsVectorLayer(result["OUTPUT"], "table", "ogr")
    rows = [f.attributes() for f in table.getFeatures()]
    names = [f.name() for f in table.fields()]
    assert names[-6:] == ["point_id", "date", "value", "cloudy", "valid_fraction", "items"]
    assert len(rows) == 10  # 2 points x 5 dates
    by_point = {}
    for row in rows:
        values = dict(zip(names, row))
        by_point.setdefault(values["point_id"], []).append(values)
    assert set(by_point) == {"meadow", "ridge"}
    from stac_quicklook_plugin.core.engine.timeseries import timeseries
    from stac_quicklook_plugin.core.models import QuicklookRequest

    direct = timeseries(QuicklookRequest(bbox_wgs84=(-105.69, 40.34, -105.67, 40.36), stac_api=earth_search_v2.url,
                                         datetime_range="2024-05-01/2024-09-30", cloud_cover_max=100.0),
                        point=(-105.68, 40.35))
    for entry, row in zip(direct.entries, sorted(by_point["meadow"], key=lambda r: r["date"])):
        assert row["date"] == entry.date
        assert (entry.value is None and row["value"] in (None, "", 0) and str(row["cloudy"]).lower() in ("true", "1")) \
            or abs(float(row["value"]) - entry.value) < 1e-4, (row, entry)  # the CSV keeps 5 decimals


def test_processing_time_series_refuses_a_composite(provider, earth_search_v2):  # noqa: F811
    import processing
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    layer = QgsVectorLayer("Point?crs=EPSG:4326", "points", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(-105.68, 40.35)))
    layer.dataProvider().addFeatures([feature])
    with pytest.raises(QgsProcessingException) as caught:
        processing.run("stac_quicklook:timeseries", {"POINTS": layer, "STAC_API": earth_search_v2.url,
                                                     "PRESET": "false-color", "OUTPUT": "memory:"})
    assert "composite of three bands" in str(caught.value)


def test_a_saved_project_keeps_the_index_layer_and_its_ramp(plugin, qgis_canvas, qtbot, messages, earth_search_v2,
                                                           tmp_path):
    from datetime import date

    from qgis.core import QgsProject

    use_api(earth_search_v2.url, (date(2024, 6, 1), date(2024, 6, 30)))
    _choose(plugin, "ndvi")
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    (layer,) = quicklook_layers()
    name = layer.name()
    path = tmp_path / "ndvi.qgz"
    assert QgsProject.instance().write(str(path))
    qtbot.waitUntil(lambda: not layer.source().startswith("/vsimem/"), timeout=5000)
    other = QgsProject()  # the saved file read back into a project of its own (the live one stays as it is)
    assert other.read(str(path))
    (reopened,) = [lyr for lyr in other.mapLayers().values() if lyr.name() == name]
    assert reopened.source().endswith(".tif") and not reopened.source().startswith("/vsimem/")
    renderer = reopened.renderer()
    assert isinstance(renderer, QgsSingleBandPseudoColorRenderer)
    assert (renderer.classificationMin(), renderer.classificationMax()) == (-0.2, 0.9)
    assert reopened.dataProvider().dataType(1) == Qgis.DataType.Float32
