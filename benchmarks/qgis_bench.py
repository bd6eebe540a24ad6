"""The plugin in a real, offscreen QGIS: one toolbar click, time to the layer being added, main-thread stalls.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m benchmarks.qgis_bench '{"stac_api": ..., "bbox": [...], ...}'

Loads the plugin as QGIS does (classFactory + initGui) on a stub iface with a real QgsMapCanvas, points the
canvas at the bbox, triggers the toolbar action once, and prints one JSON line. A QTimer ticks every 10 ms
on the main thread; the longest gap between ticks is the longest time QGIS could not repaint or react.
It is the first click of a QGIS session: the engine's import (rasterio, numpy) happens in the worker.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from typing import Any

TICK_MS = 10
TIMEOUT_S = 90


class StubIface:
    """The parts of QgisInterface the plugin calls, over a real main window and map canvas."""

    def __init__(self, canvas: Any, window: Any):
        self._canvas, self._window, self.messages = canvas, window, []
        bar = self

        class Bar:
            def pushMessage(self, title: str, text: str, level: Any = 0, duration: int = 0) -> None:  # noqa: N802
                bar.messages.append((int(level), f"{title}: {text}"))

        self._bar = Bar()

    def mainWindow(self) -> Any:  # noqa: N802 (QGIS API)
        return self._window

    def mapCanvas(self) -> Any:  # noqa: N802
        return self._canvas

    def messageBar(self) -> Any:  # noqa: N802
        return self._bar

    def addDockWidget(self, area: Any, dock: Any) -> None:  # noqa: N802
        self._window.addDockWidget(area, dock)

    def removeDockWidget(self, dock: Any) -> None:  # noqa: N802
        self._window.removeDockWidget(dock)

    def addToolBarIcon(self, action: Any) -> None:  # noqa: N802
        pass

    removeToolBarIcon = addToolBarIcon

    def addPluginToMenu(self, name: str, action: Any) -> None:  # noqa: N802
        pass

    removePluginMenu = addPluginToMenu


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    profile_dir = tempfile.mkdtemp(prefix="bench-qgis-profile-")
    from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsProject, QgsRectangle
    from qgis.PyQt.QtCore import QTimer

    app = QgsApplication([], True, profile_dir)
    app.initQgis()
    from osgeo import gdal
    from qgis.core import Qgis
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtGui import QResizeEvent
    from qgis.PyQt.QtWidgets import QApplication, QMainWindow

    from stac_quicklook_plugin import classFactory
    from stac_quicklook_plugin.gui import settings

    window = QMainWindow()
    canvas = QgsMapCanvas(window)
    window.setCentralWidget(canvas)
    iface = StubIface(canvas, window)

    settings.set_api_url(spec["stac_api"])
    settings.set_collection(spec["collection"])
    settings.set_dates(*(date.fromisoformat(d) for d in spec.get("dates", ("2024-01-01", "2024-12-31"))))
    settings.set_cloud_cover_max(spec["cloud_cover_max"])
    settings.set_asset_key(None)
    settings.set_output_width(spec["width"])

    w, s, e, n = spec["bbox"]
    canvas.resize(int(1000 * (e - w) / (n - s)), 1000)  # the bbox's aspect, so the extent is the bbox
    for widget in (canvas, canvas.viewport()):
        QApplication.sendEvent(widget, QResizeEvent(widget.size(), widget.size()))
    crs = QgsCoordinateReferenceSystem("EPSG:4326")
    canvas.setDestinationCrs(crs)
    QgsProject.instance().setCrs(crs)
    # "first_bbox": an earlier click of the session somewhere else (other files, another search)
    canvas.setExtent(QgsRectangle(*(spec.get("first_bbox") or spec["bbox"])))

    t_load = time.perf_counter()
    plugin = classFactory(iface)
    plugin.initGui()
    plugin_load_ms = (time.perf_counter() - t_load) * 1000  # on the main thread, as QGIS loads plugins
    if spec.get("preimport"):  # a later click of the session: the engine is already imported
        import stac_quicklook_plugin.core.engine.quicklook  # noqa: F401
        from stac_quicklook_plugin.core.raster.backend import backend

        backend()
        import matplotlib.figure  # noqa: F401  (the warm-up imports the chart's figure too)

    ticks: list[float] = []
    marks: dict[str, float] = {}
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    on_outcome = plugin._on_outcome

    stages: list[tuple[float, str]] = []
    def watch(task_id: int) -> None:
        stage = getattr(QgsApplication.taskManager().task(task_id), "stageChanged", None)
        if stage is not None:  # the quicklook's task (the warm-up tasks have none)
            stage.connect(lambda pct, msg: stages.append((time.perf_counter(), msg)))

    QgsApplication.taskManager().taskAdded.connect(watch)

    def outcome_seen(serial: int, outcome: Any) -> None:
        marks.setdefault("outcome", time.perf_counter())
        on_outcome(serial, outcome)

    plugin._on_outcome = outcome_seen  # the task's signal looks the method up at call time

    # 2: the second click is measured (the same view again, or the bbox after a click on first_bbox)
    clicks_left = [int(spec.get("clicks", 1)) + (1 if spec.get("first_bbox") else 0)]

    def layers_added(layers: Any) -> None:
        from stac_quicklook_plugin.gui.layer import PATH_PROPERTY

        if not any(ln.customProperty(PATH_PROPERTY) for ln in layers):
            return  # footprints or other layers
        clicks_left[0] -= 1
        if clicks_left[0] > 0:
            canvas.setExtent(QgsRectangle(w, s, e, n))
            QTimer.singleShot(200, click)
            return
        marks.setdefault("layer", time.perf_counter())
        QTimer.singleShot(50, app.quit)  # a few more ticks, then stop

    QgsProject.instance().layersAdded.connect(layers_added)

    def click() -> None:
        marks["click"] = time.perf_counter()
        marks.pop("outcome", None)
        if spec.get("chart_point"):  # the time-series tool's click at a point (what PointTool hands on)
            plugin.chart.point_clicked(tuple(spec["chart_point"]), False)
        else:
            plugin.action.trigger()

    if spec.get("chart_point"):  # done when the chart is drawn
        draw = plugin.chart.draw

        def drawn() -> None:
            draw()
            marks.setdefault("outcome", time.perf_counter())
            marks.setdefault("layer", time.perf_counter())
            QTimer.singleShot(50, app.quit)

        plugin.chart.draw = drawn

    def give_up() -> None:
        marks.setdefault("timeout", time.perf_counter())
        app.quit()

    timer.start()
    QTimer.singleShot(int(spec.get("click_after_ms", 300)), click)  # the event loop and the ticks settle first
    QTimer.singleShot(TIMEOUT_S * 1000, give_up)
    app.exec_()
    timer.stop()

    messages = [text for level, text in iface.messages if level >= int(Qgis.Warning)]
    if "layer" not in marks:
        print(json.dumps({"error": "no layer was added", "messages": messages, "marks": marks}))
        return 1
    t_click, t_layer = marks["click"], marks["layer"]
    t_outcome = marks.get("outcome", t_layer)
    before_click = [t for t in ticks if t <= t_click]
    load_gaps = [(b - a) * 1000 for a, b in zip(before_click, before_click[1:] + [t_click])]
    window_ticks = [t for t in ticks if t_click <= t <= t_layer + 0.05]
    gaps = [(b - a) * 1000 for a, b in zip([t_click] + window_ticks, window_ticks + [t_layer])]
    task_ticks = [t for t in ticks if t_click <= t <= t_outcome]
    task_gaps = [(b - a) * 1000 for a, b in zip([t_click] + task_ticks, task_ticks + [t_outcome])]
    layer = next(iter(QgsProject.instance().mapLayers().values()), None)
    chart = plugin.chart.series[0] if spec.get("chart_point") and plugin.chart.series else None
    print(json.dumps({
        "mode": "time-series tool click at a point (QgsTask worker)" if chart else "plugin toolbar click (QgsTask worker)",
        "chart_dates": len(chart.entries) if chart else None,
        "click_to_layer_s": t_layer - t_click,
        "click_to_outcome_s": t_outcome - t_click,
        "max_stall_ms": max(gaps),
        "max_stall_task_ms": max(task_gaps),
        "plugin_load_ms": plugin_load_ms,
        "max_stall_before_click_ms": max(load_gaps, default=0.0),
        "ticks": len(window_ticks),
        "worst_gap_ends_ms": round((window_ticks[gaps.index(max(gaps))] - t_click) * 1000
                                   if gaps.index(max(gaps)) < len(window_ticks) else -1, 1),
        "stages": [f"{(t - t_click) * 1000:.0f} ms {m}" for t, m in stages],
        "layer": layer.name() if layer else None, "layer_width": layer.width() if layer else None,
        "layer_height": layer.height() if layer else None,
        "qgis_version": Qgis.QGIS_VERSION, "gdal_version": gdal.__version__,
        "messages": messages,
    }))
    plugin.unload()
    QgsProject.instance().clear()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
