"""Broken image servers through the toolbar click: items whose hrefs point at the COG server's fault
paths. One critical message that says what failed, no layer, no /vsimem file, the next quicklook works."""
from __future__ import annotations

import pytest

from stac_quicklook_plugin.gui import layer as layer_mod
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import (
    assert_next_quicklook_works,
    assert_nothing_left,
    assert_one_message,
    click_and_wait,
    use_api,
)

TITLE = "Could not read the image"


@pytest.mark.parametrize("mode, fragments", [
    ("403", ("HTTP 403, access denied", "signing or credentials", "/_fault/403/")),  # S3 XML AccessDenied
    ("404", ("HTTP 404, the file does not exist", "catalog may be out of date")),
    ("500", ("HTTP 500", "try again later")),
    ("html", ("is not a readable GeoTIFF", "HTML page")),
    ("truncated", ("Could not read", "/_fault/truncated/")),
    ("ignore-range", ("does not support HTTP range requests", "will not download whole files")),
])
def test_image_faults_are_one_critical_message(plugin, qgis_canvas, qtbot, messages, api_over_cogs, stac_server,
                                               mode, fragments):
    use_api(api_over_cogs(mode).url)
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    click_and_wait(plugin, qtbot)
    assert_one_message(messages, "critical", TITLE, *fragments)
    assert_nothing_left(before)
    assert_next_quicklook_works(plugin, qgis_canvas, qtbot, messages, stac_server.url)
