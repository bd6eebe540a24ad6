"""One benchmark run of one contender, in its own process (cold GDAL caches), printing one JSON line.

    python -m benchmarks.contenders '{"contender": "ours", "scenario": {...}, "stac_api": "...", ...}'

Timing starts after the imports (a plugin or a tile server has its libraries loaded already) and ends when the image is in
memory (for the seed: when its matplotlib figure is drawn, its end). ``t0``/``t1`` are wall-clock times so
the parent can pick this run's requests out of the servers' logs.
"""
from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import requests

from benchmarks import series_contenders
from benchmarks.shared import RIO_TILER_GDAL, ours_request, search_features

# The seed's only GDAL options.
SEED_GDAL = {"AWS_NO_SIGN_REQUEST": "YES", "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff"}
SEED_DECIMATION = 2 ** 4  # the seed's overview_level 4
def best_first(features: list[dict[str, Any]], cloud_max: float) -> list[dict[str, Any]]:
    """Items within the cloud limit, least cloudy first, newest first on ties (what ours does)."""
    passing = [f for f in features if f["properties"].get("eo:cloud_cover", 101) <= cloud_max]
    newest = sorted(passing, key=lambda f: f["properties"]["datetime"], reverse=True)
    return sorted(newest, key=lambda f: f["properties"]["eo:cloud_cover"])


# ----------------------------------------------------------------------------- seed

def run_seed(spec: dict[str, Any]) -> dict[str, Any]:
    """The seed's algorithm: search (query, fallback without), FIRST item, GET it by its self link,
    whole scene at overview level 4 with the seed's two GDAL options, then a matplotlib figure."""
    import io

    import matplotlib.pyplot as plt

    sc = spec["scenario"]
    url = spec["stac_api"].rstrip("/") + "/search"
    body = {"collections": [spec["collection"]], "bbox": list(sc["bbox"]), "datetime": spec["datetime_rfc3339"],
            "query": {"eo:cloud_cover": {"lt": spec["cloud_cover_max"]}}}
    notes = []
    try:
        answer = requests.post(url, json=body, timeout=60)
        answer.raise_for_status()
        features = answer.json()["features"]
    except (requests.RequestException, ValueError, KeyError):
        features = None
    if not features:
        # The seed retried only on an error. rustac answers an unsupported `query` with 200 and no
        # features, where the seed would stop with an IndexError; we retry so it has a number at all.
        notes.append("query answered 0 features: retried without it (the seed would have failed)")
        body.pop("query")
        answer = requests.post(url, json=body, timeout=60)
        answer.raise_for_status()
        features = answer.json()["features"]
    first = features[0]
    self_href = next(ln["href"] for ln in first["links"] if ln.get("rel") == "self")
    item = requests.get(self_href, timeout=60).json()
    href = item["assets"][sc["asset"]]["href"]
    import rasterio

    with rasterio.Env(**SEED_GDAL):
        with rasterio.open("/vsicurl/" + href) as src:
            shape = (src.height // SEED_DECIMATION, src.width // SEED_DECIMATION)
            array = src.read(1, out_shape=shape)
    t_read = time.perf_counter()
    fig = plt.figure(figsize=(8, 8))
    plt.imshow(array, cmap="gray")
    plt.title(item["id"])
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    return {"shape": [1, *shape], "hrefs": [href], "items": [item["id"]], "notes": notes,
            "_t_read": t_read}


# ----------------------------------------------------------------------------- rio-tiler

def run_rio_tiler(spec: dict[str, Any], preview: bool = False) -> dict[str, Any]:
    """rio-tiler's Reader.part (or STACReader for bands, mosaic_reader for two tiles) on the same search."""
    from rio_tiler.io import Reader, STACReader
    from rio_tiler.mosaic import mosaic_reader

    sc = spec["scenario"]
    items = best_first(search_features(spec), spec["cloud_cover_max"])
    best = items[0]
    import rasterio
    from rasterio.crs import CRS

    dst_crs = CRS.from_epsg(best["properties"]["proj:epsg"])
    kwargs = dict(dst_crs=dst_crs, bounds_crs=CRS.from_epsg(4326), max_size=sc["width"])
    with rasterio.Env(**RIO_TILER_GDAL):
        if preview:
            with Reader(best["assets"][sc["asset"]]["href"]) as reader:
                img = reader.preview(max_size=sc["width"])
            hrefs, used = [best["assets"][sc["asset"]]["href"]], [best["id"]]
        elif sc["kind"] == "index":  # rio-tiler's band math: on the stored values (it reads no STAC scale/offset)
            with STACReader(None, item=best) as reader:
                img = reader.part(sc["bbox"], assets=list(sc["assets"]), expression=sc["expression"],
                                  asset_as_band=True, **kwargs)
            hrefs, used = [best["assets"][k]["href"] for k in sc["assets"]], [best["id"]]
        elif sc["kind"] == "rgb":
            with STACReader(None, item=best) as reader:
                img = reader.part(sc["bbox"], assets=list(sc["assets"]), **kwargs)
            hrefs, used = [best["assets"][k]["href"] for k in sc["assets"]], [best["id"]]
        elif sc["kind"] == "mosaic":
            by_href = {f["assets"][sc["asset"]]["href"]: f["id"] for f in items}

            def part(href: str, bbox: Any, **kw: Any) -> Any:
                with Reader(href) as reader:
                    return reader.part(bbox, **kw)

            # threads=2: read two scenes at a time and stop once the canvas is full, as ours does.
            img, hrefs = mosaic_reader(list(by_href), part, sc["bbox"], threads=2, **kwargs)
            used = [by_href[h] for h in hrefs]
        else:
            with Reader(best["assets"][sc["asset"]]["href"]) as reader:
                img = reader.part(sc["bbox"], **kwargs)
            hrefs, used = [best["assets"][sc["asset"]]["href"]], [best["id"]]
    return {"shape": list(img.data.shape), "hrefs": hrefs, "items": used, "notes": []}


# ----------------------------------------------------------------------------- ours

def _describe(result: Any) -> dict[str, Any]:
    grid = {"crs": result.crs, "transform": list(result.transform), "width": result.width,
            "height": result.height}
    return {"shape": list(result.array.shape), "hrefs": list(result.hrefs),
            "items": [i.id for i in result.items], "overview_factor": result.meta.get("overview_factor"),
            "grid": grid, "strategy": result.strategy, "notes": list(result.meta.get("search_notes") or []),
            "view_cloud": result.meta.get("view_cloud")}


def run_ours(spec: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    from stac_quicklook_plugin.core.engine.quicklook import quicklook

    return _describe(quicklook(ours_request(spec, **overrides)))


def run_series(spec: dict[str, Any]) -> dict[str, Any]:
    """Every acquisition date of the scenario's range over the view (the dock's Time series button)."""
    from stac_quicklook_plugin.core.engine.series import quicklook_series

    frames = quicklook_series(ours_request(spec))
    first = next(f.quicklook for f in frames if f.quicklook is not None)
    out = _describe(first)
    out.update(items=[i.id for f in frames if f.quicklook for i in f.quicklook.items],
               hrefs=[h for f in frames if f.quicklook for h in f.quicklook.hrefs], dates=[f.date for f in frames],
               shape=[len(frames)] + list(first.array.shape))
    return out


def run_list(spec: dict[str, Any]) -> dict[str, Any]:
    """The acquisition dates over the view (``--list``): scene classification only."""
    from stac_quicklook_plugin.core.engine.acquisitions import list_acquisitions

    dates = list_acquisitions(ours_request(spec))
    return {"shape": [len(dates)], "hrefs": [], "items": [i for a in dates for i in a.items],
            "overview_factor": None, "notes": [], "dates": [a.as_json() for a in dates]}


def warm_api_cache(spec: dict[str, Any]) -> None:
    """What a second click in the same QGIS session has: the landing page already read."""
    from stac_quicklook_plugin.core.net.http import HttpClient
    from stac_quicklook_plugin.core.stac import client as stac

    client = HttpClient()
    try:
        stac.get_api_info(client, spec["stac_api"])
    finally:
        client.close()


# The second quicklook of a session: the same view again, the view panned by half its width, zoomed in 2x.
MOVES = {"repeat": (0.0, 1.0), "pan half a view": (0.5, 1.0), "zoom in 2x": (0.0, 2.0)}


def moved(spec: dict[str, Any], move: str) -> dict[str, Any]:
    shift, zoom = MOVES[move]
    w, s, e, n = spec["scenario"]["bbox"]
    cx, cy = (w + e) / 2 + shift * (e - w), (s + n) / 2
    hw, hh = (e - w) / 2 / zoom, (n - s) / 2 / zoom
    return {**spec, "scenario": {**spec["scenario"], "bbox": (cx - hw, cy - hh, cx + hw, cy + hh)}}


def _second(run: Callable[[dict[str, Any]], dict[str, Any]], move: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda spec: run(moved(spec, move))


def elsewhere(spec: dict[str, Any]) -> dict[str, Any]:
    """A later click of a session, somewhere new: first a quicklook of a view inside 13TEE (other files, a search
    of its own; the landing page is then known), then the measured one. Threads and libraries are warm."""
    from benchmarks.cases import LATER_CLICK_FIRST_VIEW

    return {**spec, "scenario": {**spec["scenario"], "bbox": LATER_CLICK_FIRST_VIEW, "width": 1024, "asset_key": None,
                                 "assets": ("visual",), "asset": "visual", "kind": "single"}}


CONTENDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "seed": run_seed,
    "rio-tiler": run_rio_tiler,
    "rio-tiler preview": lambda spec: run_rio_tiler(spec, preview=True),
    "ours": run_ours,
    "ours, conformance cached": run_ours,
    "ours, rank by scene": lambda spec: run_ours(spec, rank="scene"),
    "ours, mask clouds": lambda spec: run_ours(spec, mask_clouds=True),
    "ours, best available": lambda spec: run_ours(spec, collection=""),
    "ours, series": run_series,
    "ours, true colour from bands": lambda spec: run_ours(spec, preset="", asset_key="red,green,blue"),
    "ours, list": run_list,
    **series_contenders.RUNNERS,
    **{f"ours, {m}": _second(run_ours, m) for m in MOVES},
    "ours, later click": run_ours,
    "rio-tiler, later click": run_rio_tiler,
    **{f"rio-tiler, {m}": _second(run_rio_tiler, m) for m in MOVES},
}
# Run before the clock: the first quicklook of the session, for the "second quicklook" contenders.
WARMUPS = {**{f"ours, {m}": run_ours for m in MOVES}, **{f"rio-tiler, {m}": run_rio_tiler for m in MOVES},
           "ours, later click": lambda spec: run_ours(elsewhere(spec)),
           "rio-tiler, later click": lambda spec: run_rio_tiler(elsewhere(spec))}
# Imported before the clock starts: a plugin or a tile server has its libraries loaded already.
IMPORTS = {
    "seed": ["matplotlib.pyplot"],
    "rio-tiler": ["rio_tiler.io", "rio_tiler.mosaic"],
    "rio-tiler preview": ["rio_tiler.io", "rio_tiler.mosaic"],
    "ours": ["stac_quicklook_plugin.core.engine.quicklook"],
    "ours, conformance cached": ["stac_quicklook_plugin.core.engine.quicklook"],
    "ours, rank by scene": ["stac_quicklook_plugin.core.engine.quicklook"],
    "ours, mask clouds": ["stac_quicklook_plugin.core.engine.quicklook"],
    "ours, best available": ["stac_quicklook_plugin.core.engine.quicklook"],
    "ours, series": ["stac_quicklook_plugin.core.engine.series"],
    "ours, true colour from bands": ["stac_quicklook_plugin.core.engine.quicklook"],
    "ours, list": ["stac_quicklook_plugin.core.engine.acquisitions"],
    **series_contenders.IMPORTS,
    **{f"ours, {m}": ["stac_quicklook_plugin.core.engine.quicklook"] for m in MOVES},
    **{f"rio-tiler, {m}": ["rio_tiler.io", "rio_tiler.mosaic"] for m in MOVES},
    "ours, later click": ["stac_quicklook_plugin.core.engine.quicklook"],
    "rio-tiler, later click": ["rio_tiler.io", "rio_tiler.mosaic"],
}


def _versions() -> dict[str, Any]:
    """GDAL's version (and rasterio's when this process loaded it: the osgeo.gdal reader does not)."""
    if "rasterio" in sys.modules:
        import rasterio
        return {"gdal_version": rasterio.__gdal_version__, "rasterio_version": rasterio.__version__}
    from osgeo import gdal
    return {"gdal_version": gdal.__version__, "rasterio_version": None}


def _wait_for_profiler() -> None:
    """Under ``make profile`` (benchmarks/profile.py): say the set-up is done, then wait until the sampling
    profiler is attached, so that it samples the measured quicklook only."""
    ready = os.environ.get("STAC_QL_PROFILE_READY")
    if not ready:
        return
    Path(ready).write_text(str(os.getpid()))
    go = Path(ready + ".go")
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    name = spec["contender"]
    if name == "seed":
        import matplotlib
        matplotlib.use("Agg")
    for module in IMPORTS[name]:
        importlib.import_module(module)
    if name.startswith("ours"):
        from stac_quicklook_plugin.core.raster.backend import backend, backend_name

        backend()  # the engine imports its read library lazily: load it before the clock, like the plugin
    if name == "ours, conformance cached":
        warm_api_cache(spec)
    if name in WARMUPS:
        WARMUPS[name](spec)
    _wait_for_profiler()
    t0_wall, t0 = time.time(), time.perf_counter()
    out = CONTENDERS[name](spec)
    t1 = time.perf_counter()
    t_read = out.pop("_t_read", t1)
    out.update(contender=name, t0=t0_wall, t1=t0_wall + (t1 - t0), wall_s=t1 - t0, read_s=t_read - t0,
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
               numpy_version=np.__version__, **_versions())
    if name.startswith("ours"):
        out["reader"] = backend_name()
    try:
        import rio_tiler
        out["rio_tiler_version"] = rio_tiler.__version__
    except ImportError:
        pass
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
