"""A click in QGIS on a Landsat Collection 2 Level-2 collection (issue 23): the layer lands, named and judged by
the cloud over the view that qa_pixel gives."""
from __future__ import annotations

from datetime import date

from qgis.core import Qgis, QgsMultiBandColorRenderer

from stac_quicklook_plugin.gui import settings
from tests.harness import landsat
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import click_and_wait, quicklook_layers, use_api


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
