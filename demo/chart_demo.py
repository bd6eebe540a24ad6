"""The README's screenshot of the index time series: a real QGIS (under Xvfb when there is no display) with the
plugin in a throwaway profile, on the local demo catalog: an NDVI quicklook, then the chart of two points made
with the time-series tool; saves ``demo/timeseries.png``.

    .venv/bin/python -m demo.chart_demo
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from demo.run_demo import REPO, deploy, qgis_command

OUT = REPO / "demo" / "timeseries.png"
VIEW = (-105.8, 40.25, -105.55, 40.45)
POINTS = ((-105.68, 40.35), (-105.62, 40.30))


def main() -> int:
    from demo.catalog import DEMO_DATES, local_catalog

    with local_catalog("small") as api_url, tempfile.TemporaryDirectory(prefix="stac-ql-qgis-") as tmp:
        profiles = Path(tmp) / "profiles"
        deploy(profiles, api_url, DEMO_DATES)
        status_path = Path(tmp) / "status.json"
        cmd = qgis_command(profiles)
        cmd[cmd.index(str(REPO / "demo" / "qgis_startup.py"))] = str(REPO / "demo" / "chart_startup.py")
        env = dict(os.environ, STAC_QL_DEMO_OUT=str(OUT), STAC_QL_DEMO_STATUS=str(status_path),
                   STAC_QL_DEMO_BBOX=",".join(f"{v:.6f}" for v in VIEW),
                   STAC_QL_DEMO_POINTS=";".join(f"{x},{y}" for x, y in POINTS),
                   QT_QPA_PLATFORM="xcb", XDG_RUNTIME_DIR=tmp)
        with open(REPO / "demo" / "qgis.log", "w") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                proc.wait(timeout=240)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        status = json.loads(status_path.read_text()) if status_path.exists() else {"error": "QGIS wrote no status"}
    print(json.dumps({k: v for k, v in status.items() if k != "series"}, indent=2))
    return 0 if OUT.exists() and not status.get("error") else 1


if __name__ == "__main__":
    sys.exit(main())
