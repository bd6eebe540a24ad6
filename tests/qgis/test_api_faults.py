"""Misbehaving STAC APIs through the toolbar click in a real QGIS: the right message at the right level,
no layer, no /vsimem file, and the next quicklook works."""
from __future__ import annotations

import pytest
from qgis.core import Qgis

from stac_quicklook_plugin.gui import layer as layer_mod
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import (
    assert_next_quicklook_works,
    assert_nothing_left,
    assert_one_message,
    click_and_wait,
    quicklook_layers,
    use_api,
)


@pytest.mark.parametrize("flags, strategy", [
    ("bare-conformance,filter-conformance,reject-filter", "client"),  # 400 on filter
    ("reject-both,filter-conformance", "client"),  # 400 on query, then on filter
    ("no-assets,self-404", "query"),  # assets missing, self link 404: /collections/{c}/items/{id}
    ("cloud-string", "query"),
    ("next-loop,bare-conformance", "client"),
    ("redirect", "query"),
    ("no-conformsto", "query"),
    ("http-503-once,tag-plugin", "query"),
])
def test_faults_the_plugin_works_around_still_add_the_layer(plugin, qgis_canvas, qtbot, messages, fault_stac,
                                                            flags, strategy):
    use_api(fault_stac.url_for(flags))
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    click_and_wait(plugin, qtbot)
    assert messages.get_messages(Qgis.Critical) == [] and messages.get_messages(Qgis.Warning) == []
    (layer,) = quicklook_layers()
    assert layer.isValid() and " % cloud" in layer.name()
    assert f"strategy “{strategy}”" in layer.metadata().abstract()
    assert len(set(layer_mod.vsimem_files()) - before) == 1


@pytest.mark.parametrize("flags, level, title, fragments", [
    ("http-503", "critical", "STAC API error", ("HTTP 503", "try again later")),  # Retry-After: 1, twice
    ("http-422", "critical", "STAC API error", ("HTTP 422", "could not process the search parameters")),
    ("big-body", "critical", "STAC API error", ("MB", "misconfigured")),
    ("not-featurecollection", "critical", "STAC API error", ("FeatureCollection", "Check that the URL")),
    ("drop-mid-body", "critical", "Network error", ("broke while reading", "Try again")),
    ("asset-no-href", "critical", "No usable asset", ("has no raster asset", "Its assets are")),
    ("cloud-missing", "warning", "No imagery found", ("cloud cover <= 20 %", "Try a longer date range")),
])
def test_api_faults_are_one_message_and_leave_nothing(plugin, qgis_canvas, qtbot, messages, fault_stac,
                                                      stac_server, flags, level, title, fragments):
    use_api(fault_stac.url_for(flags))
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    click_and_wait(plugin, qtbot)
    message = assert_one_message(messages, level, title, *fragments)
    assert len(message) < 450 and "\n" not in message
    assert_nothing_left(before)
    assert_next_quicklook_works(plugin, qgis_canvas, qtbot, messages, stac_server.url)
