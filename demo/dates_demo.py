"""The README's screenshots of cloud over the view: a real QGIS (under Xvfb when there is no display) with the
plugin in a throwaway profile, on the local demo catalog, quicklooks a 10 km view of 13TDE, waits for the
acquisitions list (with footprints), saves ``demo/acquisitions.png``; then makes the time series and saves
``demo/series.png`` with the Temporal Controller on one of its dates. It also checks, in that real window, that
the Previous / Next date shortcuts belong to no other QGIS action.

    .venv/bin/python -m demo.dates_demo
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from demo.run_demo import REPO, deploy, launch

OUT_LIST = REPO / "demo" / "acquisitions.png"
OUT_SERIES = REPO / "demo" / "series.png"


def main() -> int:
    from demo.catalog import DEMO_DATES, local_catalog
    from tests.core.engine.test_clouds import VIEW

    with local_catalog("small") as api_url, tempfile.TemporaryDirectory(prefix="stac-ql-qgis-") as tmp:
        profiles = Path(tmp) / "profiles"
        deploy(profiles, api_url, DEMO_DATES)
        status = launch("dates_startup.py", Path(tmp), {
            "STAC_QL_DEMO_OUT": str(OUT_LIST), "STAC_QL_DEMO_SERIES_OUT": str(OUT_SERIES),
            "STAC_QL_DEMO_BBOX": ",".join(f"{v:.6f}" for v in VIEW)}, timeout=240)
    print(json.dumps(status, indent=2))
    ok = OUT_LIST.exists() and OUT_SERIES.exists() and not status.get("error") and status.get("shortcuts_free")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
