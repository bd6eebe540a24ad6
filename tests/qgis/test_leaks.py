"""Nothing leaks over repeated quicklooks: removing a quicklook layer frees every /vsimem file it made,
including the ``.aux.xml`` GDAL writes when QGIS closes the layer."""
from __future__ import annotations

import pytest
from qgis.core import QgsProject

from stac_quicklook_plugin.gui import layer as layer_mod
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import click_and_wait, quicklook_layers, use_api


@pytest.mark.parametrize("asset", [None, "nir"])  # uint8 with alpha; uint16 stretched (statistics)
def test_removing_layers_frees_every_file(plugin, qgis_canvas, qtbot, messages, stac_server, asset):
    from stac_quicklook_plugin.gui import settings

    use_api(stac_server.url)
    settings.set_asset_key(asset)
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    for _ in range(3):
        click_and_wait(plugin, qtbot)
        qgis_canvas.refresh()
        qgis_canvas.waitWhileRendering()
    layers = quicklook_layers()
    assert len(layers) == 3
    made = set(layer_mod.vsimem_files()) - before
    assert len(made) == 3
    QgsProject.instance().removeMapLayers([layer.id() for layer in layers])
    left = set(layer_mod.vsimem_files())
    assert not left - before and not any(path.startswith(tuple(made)) for path in left)
