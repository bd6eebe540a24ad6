"""The README's screenshot of the Processing dialog: a real QGIS (under Xvfb when there is no display) with the
plugin in a throwaway profile opens "Quicklook of an extent" over Rocky Mountain National Park, filled in for the
local demo catalog, saves ``demo/processing_dialog.png``, runs it and checks the GeoTIFF it wrote.

    .venv/bin/python -m demo.processing_dialog
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from demo.run_demo import REPO, deploy, qgis_command

OUT = REPO / "demo" / "processing_dialog.png"


def main() -> int:
    from demo.catalog import DEMO_DATES, local_catalog

    with local_catalog("small") as api_url, tempfile.TemporaryDirectory(prefix="stac-ql-qgis-") as tmp:
        profiles = Path(tmp) / "profiles"
        deploy(profiles, api_url, DEMO_DATES)
        status_path = Path(tmp) / "status.json"
        cmd = qgis_command(profiles)
        cmd[cmd.index(str(REPO / "demo" / "qgis_startup.py"))] = str(REPO / "demo" / "processing_dialog_startup.py")
        env = dict(os.environ, STAC_QL_DEMO_OUT=str(OUT), STAC_QL_DEMO_STATUS=str(status_path),
                   STAC_QL_DEMO_API=api_url, STAC_QL_DEMO_DATES=",".join(DEMO_DATES),
                   STAC_QL_DEMO_TIF=str(Path(tmp) / "quicklook.tif"), QT_QPA_PLATFORM="xcb", XDG_RUNTIME_DIR=tmp)
        with open(REPO / "demo" / "qgis.log", "w") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                proc.wait(timeout=180)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        status = json.loads(status_path.read_text()) if status_path.exists() else {"error": "QGIS wrote no status"}
    print(json.dumps(status, indent=2))
    return 0 if OUT.exists() and status.get("results", {}).get("ITEMS") else 1


if __name__ == "__main__":
    sys.exit(main())
