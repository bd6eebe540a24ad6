"""The benchmark's cases (a)-(h) and its rows: which contenders run on each, and how a variant row differs
from its contender (venv, environment). Run by benchmarks/run.py."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.season import COLLECTION as SEASON
from benchmarks.season import DATES as SEASON_DATES

DEBIAN = "Debian GDAL, as in QGIS"
GDAL_READER = f"ours, osgeo.gdal reader [{DEBIAN}]"  # the read path of a QGIS without rasterio
# "Before" in the same sitting: the engine with its own range reads switched off (GDAL /vsicurl/ reads every
# file itself: size, header, tiles), as the engine read before #14's third item.
GDAL_VSICURL = {"STAC_QUICKLOOK_RANGES": "gdal"}
BEFORE = "GDAL /vsicurl/ reads"
# "Before": a checkout of an earlier commit (git worktree add /tmp/old-release <commit>), if present.
PREVIOUS_TREE = Path(os.environ.get("STAC_QL_PREVIOUS_TREE", "/tmp/old-release"))


def _previous_label() -> str:
    try:
        short = subprocess.run(["git", "-C", str(PREVIOUS_TREE), "rev-parse", "--short", "HEAD"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        short = ""
    return f"ours, earlier commit ({short or PREVIOUS_TREE.name})"


PREVIOUS = _previous_label()
SECOND_CLICKS = ("repeat", "pan half a view", "zoom in 2x")
# Rows that are a contender run differently: name -> (contender, venv, environment).
VARIANTS = {
    f"ours, conformance cached, {BEFORE}": ("ours, conformance cached", "bench", GDAL_VSICURL),
    f"ours, {BEFORE}": ("ours", "bench", GDAL_VSICURL),
    f"ours [{DEBIAN}]": ("ours", "debian", {"STAC_QUICKLOOK_READER": "rasterio"}),
    f"ours, conformance cached [{DEBIAN}]": ("ours, conformance cached", "debian",
                                             {"STAC_QUICKLOOK_READER": "rasterio"}),
    GDAL_READER: ("ours", "debian", {"STAC_QUICKLOOK_READER": "gdal"}),
    **{f"ours, {m}, {BEFORE}": (f"ours, {m}", "bench", GDAL_VSICURL) for m in SECOND_CLICKS},
}


# A later click of a QGIS session: first a quicklook of this view inside 13TEE (other files, a search of its
# own), then the measured click on case (a) in 13TDE, nothing of it known but the landing page.
LATER_CLICK_FIRST_VIEW = (-104.8, 40.15, -104.5, 40.45)  # east of the 13TDE/13TEE overlap
# UTM 13N (447960, 4442400)-(457560, 4452000), as in tests/core/engine/test_clouds.py: the least cloudy scene
# (2024-06-23) has clouds over 29 % of this view, 2024-08-22 and 2024-09-16 none.
# In the generated Landsat world (tests/harness/landsat.py, and the top-left of benchmarks/landsat_scene.py's), scene
# columns 25-1085, rows 930-1092 (32 x 5 km): outside
# every cloud box but 2024-07-26's, so the least cloudy scene (2024-07-10, 5 %) is also the clearest here.
LANDSAT_CLEAR_VIEW = (-105.932, 40.2644, -105.5584, 40.3057)
CLOUDY_WINNER_VIEW = (-105.61159, 40.13032, -105.49814, 40.21734)


def canvas_bbox(lon: float, lat: float, width_km: float, height_km: float) -> tuple[float, ...]:
    """WGS84 bbox of a width x height km rectangle of UTM 13N centred on (lon, lat)."""
    from rasterio.crs import CRS
    from rasterio.warp import transform, transform_bounds

    (x,), (y,) = transform(CRS.from_epsg(4326), CRS.from_epsg(32613), [lon], [lat])
    w, h = width_km * 500, height_km * 500
    return tuple(round(v, 5) for v in transform_bounds(CRS.from_epsg(32613), CRS.from_epsg(4326),
                                                       x - w, y - h, x + w, y + h))


def scenarios() -> dict[str, dict[str, Any]]:
    canvas = canvas_bbox(-105.6, 40.35, 30, 25)  # inside 13TDE
    previous = [PREVIOUS] if PREVIOUS_TREE.is_dir() else []
    cold = ["rio-tiler", "ours", "ours, conformance cached", f"ours, conformance cached, {BEFORE}",
            f"ours, {BEFORE}", f"ours [{DEBIAN}]", f"ours, conformance cached [{DEBIAN}]", GDAL_READER,
            "rio-tiler, later click", "ours, later click"]
    return {
        "a": {"title": "seed example: one tile, visual, 1024 px", "bbox": (-105.9, 40.1, -105.3, 40.6),
              "width": 1024, "asset": "visual", "asset_key": None, "kind": "single",
              "contenders": ["seed", *cold, "rio-tiler preview", "ours, rank by scene", *previous]},
        "b": {"title": "30 x 25 km canvas at 1000 px, visual", "bbox": canvas, "width": 1000, "asset": "visual",
              "asset_key": None, "kind": "single", "contenders": [*cold, *previous]},
        "c": {"title": "two MGRS tiles mosaicked, visual, 1024 px", "bbox": (-105.25, 40.15, -104.6, 40.55),
              "width": 1024, "asset": "visual", "asset_key": None, "kind": "mosaic", "contenders": [*cold, *previous]},
        "d": {"title": "the (b) canvas as RGB from red, green, blue (3 x uint16 files)", "bbox": canvas,
              "width": 1000, "assets": ("red", "green", "blue"), "asset_key": "red,green,blue", "kind": "rgb",
              "contenders": [*cold, *previous]},
        "e": {"title": "10 km view where the least cloudy scene is cloudy (13TDE), visual, 1000 px",
              "bbox": CLOUDY_WINNER_VIEW, "width": 1000, "asset": "visual", "asset_key": None, "kind": "single",
              "contenders": ["rio-tiler", "ours", "ours, rank by scene", "ours, mask clouds"]},
        "f": {"title": "time series of the seed view: 4 dates (May-August, any cloud), 1024 px",
              "bbox": (-105.9, 40.1, -105.3, 40.6), "width": 1024, "asset": "visual", "asset_key": None,
              "kind": "single", "datetime_range": "2024-05-01/2024-08-31", "cloud_cover_max": 100.0,
              "contenders": ["ours", "ours, series"]},
        "h": {"title": "the second quicklook of a session: the seed view again, panned by half, zoomed in 2x",
              "bbox": (-105.9, 40.1, -105.3, 40.6), "width": 1024, "asset": "visual", "asset_key": None,
              "kind": "single",
              "contenders": ["ours", *[f"ours, {m}" for m in SECOND_CLICKS], "rio-tiler",
                             *[f"rio-tiler, {m}" for m in SECOND_CLICKS],
                             *[f"ours, {m}, {BEFORE}" for m in SECOND_CLICKS]]},
        "i": {"title": "(a) on Earth Search v1's two Sentinel-2 collections: sentinel-2-c1-l2a alone, and the "
                       "best available (C1 and sentinel-2-l2a in one search, each acquisition once)",
              "bbox": (-105.9, 40.1, -105.3, 40.6), "width": 1024, "asset": "visual", "asset_key": None,
              "kind": "single", "collection": "sentinel-2-c1-l2a",
              "contenders": ["ours", "ours, best available"]},
        "j": {"title": "the (b) canvas as NDVI (nir, red: 2 x uint16 files), on reflectance",
              "bbox": canvas, "width": 1000, "assets": ("nir", "red"), "asset_key": None, "preset": "ndvi",
              "kind": "index", "expression": "(b1 - b2) / (b1 + b2)",  # rio-tiler: the assets in order
              "contenders": ["rio-tiler", "ours, conformance cached", "ours, true colour from bands"]},
        "k": {"title": "the (b) canvas in false colour (nir, red, green: 3 x uint16 files)",
              "bbox": canvas, "width": 1000, "assets": ("nir", "red", "green"), "asset_key": None,
              "preset": "false-color", "kind": "rgb",
              "contenders": ["rio-tiler", "ours, conformance cached", "ours, true colour from bands"]},
        "l": {"title": f"NDVI time series at a point over a season of {SEASON_DATES} dates (May-September 2024, "
                       "any cloud)",
              "bbox": (-105.70, 40.33, -105.66, 40.37), "point": (-105.68, 40.35), "width": 64, "asset": "nir",
              "asset_key": None, "kind": "timeseries", "cloud_cover_max": 100.0, "collection": SEASON,
              "datetime_range": "2024-05-01/2024-09-30",
              "contenders": ["ours, timeseries", "rio-tiler, timeseries", "odc-stac, timeseries"]},
        "m": {"title": f"NDVI time series over a 10 km view (the season of {SEASON_DATES} dates, 256 px across)",
              "bbox": CLOUDY_WINNER_VIEW, "width": 256, "asset": "nir", "asset_key": None, "kind": "timeseries",
              "cloud_cover_max": 100.0, "datetime_range": "2024-05-01/2024-09-30", "collection": SEASON,
              "contenders": ["ours, timeseries", "rio-tiler, timeseries", "odc-stac, timeseries"]},
        "n": {"title": "Landsat C2 L2 true colour (red, green, blue: 3 x uint16 files of a real scene's size, "
                       "7681 x 7821 px, 256 px tiles, + qa_pixel) over a 32 x 5 km view clear on the least cloudy "
                       "scene (as (a), (b)), 400 px",
              "bbox": LANDSAT_CLEAR_VIEW, "width": 400, "assets": ("red", "green", "blue"), "asset_key": None,
              "kind": "rgb", "collection": "landsat-c2-l2", "cloud_cover_max": 100.0,
              "contenders": ["rio-tiler", "ours, conformance cached", "ours"]},
        "g": {"title": "--list of the seed view over a month (June 2024)", "bbox": (-105.9, 40.1, -105.3, 40.6),
              "width": 1024, "asset": "visual", "asset_key": None, "kind": "single",
              "datetime_range": "2024-06-01/2024-06-30", "contenders": ["ours, list", "ours"]},
    }
