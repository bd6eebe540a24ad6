"""A long QGIS session: many quicklooks in a row in one process, layers added and removed, memory watched.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m benchmarks.long_session [--count 200] [--keep 5]

Starts the test servers (COG server and rustac over the small generated dataset, on 127.0.0.1), loads the
real plugin in an offscreen QgsApplication on a stub iface (as benchmarks/qgis_bench.py does), pans the
canvas between a few views of the test area and clicks the toolbar button ``count`` times. After each
layer is added the oldest quicklook layers beyond ``keep`` are removed from the project. Prints the
process RSS every 20 quicklooks, the RSS slope, and the /vsimem files left (with ``keep`` layers still in
the project, then after removing them all). A measurement, not a test: it fails only when a quicklook does.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Views inside the generated scenes (13TDE / 13TEE over Rocky Mountain National Park), visited in turn.
VIEWS = [(-105.70, 40.25, -105.50, 40.45), (-105.80, 40.15, -105.60, 40.35), (-105.60, 40.30, -105.40, 40.50),
         (-105.75, 40.35, -105.55, 40.55), (-105.65, 40.20, -105.45, 40.40)]


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def libc():
    import ctypes

    return ctypes.CDLL("libc.so.6")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def holdings() -> dict[str, float]:
    """What the process holds that could grow: GDAL's block cache, the engine's fetched bytes, the engine's
    searches remembered, threads, Python objects."""
    import gc
    import threading

    from osgeo import gdal

    from stac_quicklook_plugin.core.raster import ranges

    return {"gdal_block_cache_mb": round(gdal.GetCacheUsed() / 2**20, 1),
            "gdal_block_cache_max_mb": round(gdal.GetCacheMax() / 2**20, 1),
            "fetched_bytes_mb": round(ranges.cached_bytes() / 2**20, 1),
            "threads": threading.active_count(), "python_objects": len(gc.get_objects())}


def slope_per_100(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of RSS (MB) against the quicklook count, per 100 quicklooks."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return 100 * sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


def start_servers(workdir: Path):
    from tests.conftest import _start_rustac
    from tests.harness import datagen
    from tests.harness.servers import CogServer

    cache = (REPO / ".cache" / "testdata").resolve()
    dataset = datagen.build_dataset(cache, "small").resolve()
    cogs = CogServer(cache, workdir / "cog.jsonl")
    api = _start_rustac(dataset, cogs, workdir)
    return cogs, api


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--keep", type=int, default=5, help="quicklook layers kept in the project")
    parser.add_argument("--every", type=int, default=20, help="print RSS every N quicklooks")
    parser.add_argument("--malloc-trim", action="store_true",
                        help="experiment: glibc's malloc_trim(0) after each quicklook (on the main thread)")
    parser.add_argument("--mmap-threshold", type=int, default=0, metavar="BYTES",
                        help="experiment: fix glibc's mmap threshold (mallopt M_MMAP_THRESHOLD) before the plugin loads")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="long-session-"))
    cogs, api = start_servers(workdir)
    try:
        return run(args, api.url)
    finally:
        api.server.stop()
        cogs.stop()


def run(args: argparse.Namespace, api_url: str) -> int:
    from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsProject, QgsRectangle

    app = QgsApplication([], True, tempfile.mkdtemp(prefix="long-session-profile-"))
    app.initQgis()
    from qgis.core import Qgis
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtGui import QResizeEvent
    from qgis.PyQt.QtWidgets import QApplication, QMainWindow

    from benchmarks.qgis_bench import StubIface
    from stac_quicklook_plugin import classFactory
    from stac_quicklook_plugin.gui import settings
    from stac_quicklook_plugin.gui.layer import PATH_PROPERTY, vsimem_files

    window = QMainWindow()
    canvas = QgsMapCanvas(window)
    window.setCentralWidget(canvas)
    canvas.resize(1000, 800)
    for widget in (canvas, canvas.viewport()):
        QApplication.sendEvent(widget, QResizeEvent(widget.size(), widget.size()))
    crs = QgsCoordinateReferenceSystem("EPSG:4326")
    canvas.setDestinationCrs(crs)
    QgsProject.instance().setCrs(crs)
    iface = StubIface(canvas, window)

    settings.set_api_url(api_url)
    settings.set_collection("sentinel-2-l2a")
    settings.set_dates(date(2024, 5, 1), date(2024, 9, 30))
    settings.set_cloud_cover_max(20.0)
    settings.set_asset_key(None)
    settings.set_output_width(None)  # Auto: the canvas width, 1000 px

    if args.mmap_threshold:  # an experiment: glibc's mmap threshold fixed (see the README's memory section)
        libc().mallopt(M_MMAP_THRESHOLD, args.mmap_threshold)
    plugin = classFactory(iface)
    plugin.initGui()
    import stac_quicklook_plugin.core.engine.quicklook  # noqa: F401  (the plugin preloads it 2 s after start)

    project = QgsProject.instance()
    ours: list[str] = []  # layer ids, oldest first
    samples: list[tuple[int, float]] = [(0, rss_mb())]
    seconds: list[float] = []
    trims: list[float] = []
    print(f"quicklook {0:4d}: RSS {samples[0][1]:7.1f} MB", flush=True)
    for index in range(1, args.count + 1):
        canvas.setExtent(QgsRectangle(*VIEWS[index % len(VIEWS)]))
        layers_before = len(project.mapLayers())
        started = time.monotonic()
        plugin.action.trigger()
        while plugin._tasks:
            app.processEvents()
            time.sleep(0.002)
        app.processEvents()
        seconds.append(time.monotonic() - started)
        added = [lid for lid, lyr in project.mapLayers().items()
                 if lyr.customProperty(PATH_PROPERTY) and lid not in ours]
        if len(added) != 1 or len(project.mapLayers()) != layers_before + 1:
            print(json.dumps({"error": f"quicklook {index} added {len(added)} layers",
                              "messages": iface.messages[-3:]}))
            return 1
        ours += added
        if args.malloc_trim:  # an experiment: glibc's free pages handed back after each quicklook
            t_trim = time.perf_counter()
            libc().malloc_trim(0)
            trims.append(time.perf_counter() - t_trim)
        while len(ours) > args.keep:
            project.removeMapLayer(ours.pop(0))
        if index % args.every == 0:
            samples.append((index, rss_mb()))
            held = holdings()
            print(f"quicklook {index:4d}: RSS {samples[-1][1]:7.1f} MB, {len(vsimem_files())} /vsimem files, "
                  f"last {seconds[-1]:.2f} s, GDAL block cache {held['gdal_block_cache_mb']} MB, fetched bytes "
                  f"{held['fetched_bytes_mb']} MB, {held['threads']} threads, {held['python_objects']} objects",
                  flush=True)

    with_layers = len(vsimem_files())
    for layer_id in ours:
        project.removeMapLayer(layer_id)
    app.processEvents()
    left = len(vsimem_files())
    errors = [text for level, text in iface.messages if level >= int(Qgis.Warning)]
    later = [s for s in samples if s[0] >= min(args.count, 2 * args.every)]  # after the caches fill
    plateau = [s for s in samples if s[0] >= 100]  # the target: <= 2 MB per 100 quicklooks after the first 100
    summary = {
        "quicklooks": args.count, "kept_layers": args.keep,
        "rss_start_mb": round(samples[0][1], 1), "rss_after_first_sample_mb": round(samples[1][1], 1),
        "rss_end_mb": round(samples[-1][1], 1), "rss_max_mb": round(max(y for _, y in samples), 1),
        "slope_mb_per_100": round(slope_per_100(samples[1:]), 2),
        "slope_mb_per_100_after_40": round(slope_per_100(later), 2) if len(later) > 1 else None,
        "slope_mb_per_100_after_100": round(slope_per_100(plateau), 2) if len(plateau) > 1 else None,
        "held_at_end": holdings(),
        "vsimem_files_with_kept_layers": with_layers, "vsimem_files_after_removing_all": left,
        "median_s": round(sorted(seconds)[len(seconds) // 2], 3), "max_s": round(max(seconds), 3),
        "warnings_or_errors": errors,
        "qgis_version": Qgis.QGIS_VERSION,
    }
    if trims:
        summary["trim_ms_median"] = round(1000 * sorted(trims)[len(trims) // 2], 2)
        summary["trim_ms_max"] = round(1000 * max(trims), 2)
    print(json.dumps(summary))
    plugin.unload()
    project.clear()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
