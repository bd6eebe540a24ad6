"""End to end as ``make demo`` does it: a real QGIS window under Xvfb, the plugin in a throwaway
profile, one click on the toolbar action, a screenshot."""
import shutil

import numpy as np
import pytest
import matplotlib.image

from demo import run_demo

pytestmark = [pytest.mark.slow]


@pytest.mark.skipif(shutil.which("qgis") is None or shutil.which("xvfb-run") is None,
                    reason="needs Debian's qgis and xvfb")
def test_real_qgis_click_adds_layer_and_screenshot_is_not_blank(stac_server, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    out = tmp_path / "quicklook.png"
    status = run_demo.run(stac_server.url, ("2024-05-01", "2024-09-30"), out=out, timeout=180)
    assert not status.get("error"), status
    layer = status["layer"]
    assert layer["valid"] and layer["crs"] == "EPSG:32613" and layer["source"].startswith("/vsimem/")
    assert "visual" in layer["name"] and "cloud" in layer["name"]
    pixels = (matplotlib.image.imread(str(out))[..., :3] * 255).astype(np.uint8)
    assert pixels.shape[1] >= 800 and pixels.shape[0] >= 600
    # Not blank: many distinct colours (the UI plus the quicklook's landscape).
    assert len(np.unique(pixels.reshape(-1, 3)[::7], axis=0)) > 500
