"""A screenshot of two sensors in one list: a real QGIS (under Xvfb when there is no display) with the plugin
pointed at one catalog serving ``sentinel-2-l2a`` and ``landsat-c2-l2`` (a day both acquired: the tests'
``mixed_same_day_world``), the collection list "landsat-c2-l2,sentinel-2-l2a", a quicklook of the Landsat test
view, the dates list (a row per day and sensor) and the Temporal Controller series (a layer per day and sensor).
Saves ``demo/mixed_list.png`` and ``demo/mixed_series.png``; the start-up script is the dates demo's.

    .venv/bin/python -m demo.mixed_demo
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from demo.run_demo import REPO, deploy, launch

OUT_LIST = REPO / "demo" / "mixed_list.png"
OUT_SERIES = REPO / "demo" / "mixed_series.png"
BOTH = "landsat-c2-l2,sentinel-2-l2a"


def main() -> int:
    from demo.catalog import CACHE
    from tests.conftest import SAME_DAY, _mixed_api
    from tests.harness import datagen, landsat
    from tests.harness.servers import CogServer

    small = datagen.build_dataset(CACHE, "small").resolve()
    with tempfile.TemporaryDirectory(prefix="stac-ql-qgis-") as tmp, \
            CogServer(CACHE.resolve(), Path(tmp) / "cog.jsonl") as cogs:
        worlds = _mixed_api(small, CACHE.resolve(), cogs, Path(tmp), SAME_DAY)
        api = next(worlds)
        try:
            profiles = Path(tmp) / "profiles"
            deploy(profiles, api.url, ("2024-06-01", "2024-07-31"))
            ini = profiles / "profiles" / "demo" / "QGIS" / "QGIS3.ini"
            ini.write_text(ini.read_text().replace("[stac_quicklook]\n", f"[stac_quicklook]\ncollection={BOTH}\n"
                                                   "cloud_cover_max=100\n").replace("cloud_cover_max=20\n", ""))
            status = launch("dates_startup.py", Path(tmp), {
                "STAC_QL_DEMO_OUT": str(OUT_LIST), "STAC_QL_DEMO_SERIES_OUT": str(OUT_SERIES),
                "STAC_QL_DEMO_BBOX": ",".join(f"{v:.6f}" for v in landsat.VIEW)}, timeout=240)
        finally:
            next(worlds, None)
    print(json.dumps(status, indent=2))
    return 0 if OUT_LIST.exists() and OUT_SERIES.exists() and not status.get("error") else 1


if __name__ == "__main__":
    sys.exit(main())
