"""End to end as ``make demo`` does it: a real QGIS window under Xvfb, the plugin in a throwaway
profile, one click on the toolbar action, a screenshot. Run twice: as QGIS on Linux has it (rasterio
importable), and with rasterio hidden, as in a stock Windows or macOS QGIS; both must add the same layer."""
import shutil
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from osgeo import gdal

from demo import run_demo

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qgis") is None or shutil.which("xvfb-run") is None,
                                 reason="needs Debian's qgis and xvfb")]
HIDE_RASTERIO = Path(__file__).resolve().parents[1] / "hide_rasterio"
DATES = ("2024-05-01", "2024-09-30")


@pytest.fixture(scope="module")
def demo_runs(stac_server, tmp_path_factory):
    """One real QGIS click per reader situation: {"rasterio": status, "hidden": status}."""
    mp = pytest.MonkeyPatch()
    mp.delenv("DISPLAY", raising=False)
    mp.delenv("QT_QPA_PLATFORM", raising=False)
    mp.delenv("STAC_QUICKLOOK_READER", raising=False)
    runs = {}
    try:
        for name, extra in (("rasterio", {}), ("hidden", {"PYTHONPATH": str(HIDE_RASTERIO)})):
            tmp = tmp_path_factory.mktemp(f"demo_{name}")
            extra = dict(extra, STAC_QL_DEMO_LAYER_COPY=str(tmp / "layer.tif"))
            status = run_demo.run(stac_server.url, DATES, out=tmp / "quicklook.png", timeout=180, extra_env=extra)
            status["out"], status["copy"] = tmp / "quicklook.png", tmp / "layer.tif"
            runs[name] = status
    finally:
        mp.undo()
    return runs


def test_real_qgis_click_adds_layer_and_screenshot_is_not_blank(demo_runs):
    status = demo_runs["rasterio"]
    assert not status.get("error"), status
    layer = status["layer"]
    assert layer["valid"] and layer["crs"] == "EPSG:32613" and layer["source"].startswith("/vsimem/")
    assert "visual" in layer["name"] and "cloud" in layer["name"]
    assert status["python"]["reader"] == "rasterio"
    pixels = (matplotlib.image.imread(str(status["out"]))[..., :3] * 255).astype(np.uint8)
    assert pixels.shape[1] >= 640 and pixels.shape[0] >= 480
    # Not blank: many distinct colours (the UI plus the quicklook's landscape).
    assert len(np.unique(pixels.reshape(-1, 3)[::7], axis=0)) > 500


def test_real_qgis_without_rasterio_adds_the_same_layer(demo_runs):
    with_rasterio, hidden = demo_runs["rasterio"], demo_runs["hidden"]
    assert not hidden.get("error"), hidden
    assert hidden["python"] == {"reader": "gdal", "rasterio_imported": False, "rasterio_hidden": True}
    assert not [m for m in hidden["messages"] if m["level"] in (1, 2)], hidden["messages"]  # no warning, no hint
    assert hidden["layer"]["name"] == with_rasterio["layer"]["name"]
    assert hidden["layer"]["crs"] == with_rasterio["layer"]["crs"]
    a, b = gdal.Open(str(with_rasterio["copy"])), gdal.Open(str(hidden["copy"]))
    assert (a.RasterXSize, a.RasterYSize, a.RasterCount) == (b.RasterXSize, b.RasterYSize, b.RasterCount)
    assert a.GetGeoTransform() == pytest.approx(b.GetGeoTransform())
    pa, pb = a.ReadAsArray().astype(int), b.ReadAsArray().astype(int)
    assert pa.mean() > 10  # a real picture
    assert np.abs(pa - pb).max() <= 1, f"max |diff| {np.abs(pa - pb).max()} DN"
