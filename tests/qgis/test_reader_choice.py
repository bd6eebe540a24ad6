"""Which library reads the images in this QGIS: rasterio where importable, else osgeo.gdal. ``make test``
runs the QGIS tests a second time with rasterio hidden (tests/hide_rasterio), as in a stock Windows or
macOS QGIS; this test proves the hiding took effect there, and that nothing else was needed."""
import importlib
import os

import pytest

from stac_quicklook_plugin.core.raster.backend import BACKEND_ENV, backend_name
from stac_quicklook_plugin.gui.deps import missing_modules


def test_reader_follows_what_this_qgis_can_import(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    if os.environ.get("STAC_QL_EXPECT_RASTERIO_HIDDEN") == "1":  # set by make test's second pass
        assert os.environ.get("STAC_QL_RASTERIO_HIDDEN") == "1", "tests/hide_rasterio was not loaded"
    if os.environ.get("STAC_QL_RASTERIO_HIDDEN") == "1":
        with pytest.raises(ImportError):
            importlib.import_module("rasterio")
        assert backend_name() == "gdal"
    else:
        importlib.import_module("rasterio")
        assert backend_name() == "rasterio"
    assert missing_modules() == []  # nothing to install either way
