"""Put this folder first on PYTHONPATH and ``import rasterio`` fails in that Python, as it does in a stock
Windows or macOS QGIS (which ship osgeo.gdal, numpy and requests, but no rasterio)."""
import importlib.abc
import os
import sys


class _HideRasterio(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "rasterio" or name.startswith("rasterio."):
            raise ImportError(f"{name} is hidden (tests/hide_rasterio: a QGIS without rasterio)")
        return None


sys.meta_path.insert(0, _HideRasterio())
os.environ["STAC_QL_RASTERIO_HIDDEN"] = "1"  # the tests check that the hiding took effect
