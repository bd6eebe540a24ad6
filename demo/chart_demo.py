"""The README's screenshot of the index time series: a real QGIS (under Xvfb when there is no display) with the
plugin in a throwaway profile, on the local demo catalog: an NDVI quicklook, then the chart of two points made
with the time-series tool; saves ``demo/timeseries.png``.

    .venv/bin/python -m demo.chart_demo
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from demo.run_demo import REPO, deploy, launch

OUT = REPO / "demo" / "timeseries.png"
VIEW = (-105.8, 40.25, -105.55, 40.45)
POINTS = ((-105.68, 40.35), (-105.62, 40.30))


def main() -> int:
    from demo.catalog import DEMO_DATES, local_catalog

    with local_catalog("small") as api_url, tempfile.TemporaryDirectory(prefix="stac-ql-qgis-") as tmp:
        profiles = Path(tmp) / "profiles"
        deploy(profiles, api_url, DEMO_DATES)
        status = launch("chart_startup.py", Path(tmp), {
            "STAC_QL_DEMO_OUT": str(OUT), "STAC_QL_DEMO_BBOX": ",".join(f"{v:.6f}" for v in VIEW),
            "STAC_QL_DEMO_POINTS": ";".join(f"{x},{y}" for x, y in POINTS)}, timeout=240)
    print(json.dumps({k: v for k, v in status.items() if k != "series"}, indent=2))
    return 0 if OUT.exists() and not status.get("error") else 1


if __name__ == "__main__":
    sys.exit(main())
