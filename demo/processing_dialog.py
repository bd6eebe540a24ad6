"""The README's screenshot of the Processing dialog: a real QGIS (under Xvfb when there is no display) with the
plugin in a throwaway profile opens "Quicklook of an extent" over Rocky Mountain National Park, filled in for the
local demo catalog, saves ``demo/processing_dialog.png``, runs it and checks the GeoTIFF it wrote.

    .venv/bin/python -m demo.processing_dialog
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from demo.run_demo import REPO, deploy, launch

OUT = REPO / "demo" / "processing_dialog.png"


def main() -> int:
    from demo.catalog import DEMO_DATES, local_catalog

    with local_catalog("small") as api_url, tempfile.TemporaryDirectory(prefix="stac-ql-qgis-") as tmp:
        profiles = Path(tmp) / "profiles"
        deploy(profiles, api_url, DEMO_DATES)
        status = launch("processing_dialog_startup.py", Path(tmp), {
            "STAC_QL_DEMO_OUT": str(OUT), "STAC_QL_DEMO_API": api_url, "STAC_QL_DEMO_DATES": ",".join(DEMO_DATES),
            "STAC_QL_DEMO_TIF": str(Path(tmp) / "quicklook.tif")}, timeout=180)
    print(json.dumps(status, indent=2))
    return 0 if OUT.exists() and status.get("results", {}).get("ITEMS") else 1


if __name__ == "__main__":
    sys.exit(main())
