"""How a place changes, as a chart: a map tool "Time series at a point" (shift-click adds a point, up to 5),
"Series over the view", a dock with the curve of the chosen index per date (matplotlib's Qt canvas, Qt5 and Qt6),
cloudy dates as hollow markers on the axis, a dot's date, value and item on hover, a click on a dot quicklooks
that date, and CSV and PNG export. The series runs in a QgsTask (``core.engine.timeseries``)."""
from __future__ import annotations

from typing import Any, Callable, Optional

from qgis.core import Qgis, QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject
from qgis.gui import QgsMapTool, QgsMapToolEmitPoint
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QAction,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.gui.task import EngineOutcome, EngineTask

MAX_POINTS = 5
REFRESH_DELAY_MS = 600
COLOURS = ("#1b7837", "#2166ac", "#b2182b", "#e08214", "#762a83")
SENSOR_MARKERS = ("o", "s", "^")  # a series of two sensors: a line each, the point's colour, its own marker


def plain(text: str) -> str:
    """Text from a catalog (item ids, collection ids) as matplotlib draws it: "$" would start mathtext, whose
    parser raises on what it does not know and leaves the chart undrawn."""
    return text.replace("$", r"\$")


class TimeseriesTask(EngineTask):
    """``core.engine.timeseries.timeseries`` in a worker thread."""

    def __init__(self, request: Any, point: Optional[tuple[float, float]]):
        def work(progress: Callable[[float, str], None], is_cancelled: Callable[[], bool]) -> Any:
            from stac_quicklook_plugin.core.engine.timeseries import timeseries

            return timeseries(request, point, progress, is_cancelled)

        super().__init__(tr("STAC Quicklook: index time series"), work)


class PointTool(QgsMapToolEmitPoint):
    """Click: the series at that point; shift-click: one more point on the same chart."""

    def __init__(self, canvas: Any, on_point: Callable[[tuple[float, float], bool], None]):
        super().__init__(canvas)
        self.on_point = on_point

    def flags(self) -> Any:
        """No zoom rectangle on Shift: shift-click is ours (one more point)."""
        return super().flags() & ~QgsMapTool.Flag.AllowZoomRect

    def canvasReleaseEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        point = self.toMapCoordinates(event.pos())
        source = self.canvas().mapSettings().destinationCrs()
        to_wgs84 = QgsCoordinateTransform(source, QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
        lonlat = to_wgs84.transform(point)
        adding = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.on_point((lonlat.x(), lonlat.y()), adding)


class ChartDock(QDockWidget):
    """The chart, its export buttons and a status line."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(tr("STAC Quicklook: time series"), parent)
        self.setObjectName("StacQuicklookChartDock")
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.figure = Figure(figsize=(6, 3.2), dpi=100)
        self.canvas = FigureCanvasQTAgg(self.figure)
        layout.addWidget(self.canvas, 1)
        buttons = QHBoxLayout()
        self.view_button = QPushButton(tr("Series over the view"), body)
        self.csv_button = QPushButton(tr("Export CSV…"), body)
        self.png_button = QPushButton(tr("Export PNG…"), body)
        for button in (self.view_button, self.csv_button, self.png_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.status = QLabel(tr("Click the map with the time-series tool (shift-click adds a point)."), body)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setWidget(body)


class ChartController:
    """The tool, the dock and the tasks; each series drawn as one line (up to MAX_POINTS)."""

    def __init__(self, iface: Any, request_for_canvas: Callable[[], Any], quicklook_date: Callable[..., None],
                 report: Callable[[str, str, Qgis.MessageLevel], None]):
        self.iface = iface
        self.request_for_canvas = request_for_canvas
        self.quicklook_date = quicklook_date
        self.report = report
        self.series: list[Any] = []  # core.engine.timeseries.Timeseries, one per line
        self.task: Optional[TimeseriesTask] = None
        self._running_point: Optional[tuple[float, float]] = None
        self.dock: Optional[ChartDock] = None
        self.tool = PointTool(iface.mapCanvas(), self.point_clicked)
        from qgis.core import QgsApplication

        self.action = QAction(QgsApplication.getThemeIcon("/histogram.svg"), tr("Time series at a point"),
                              iface.mainWindow())
        self.action.setObjectName("StacQuicklookSeriesAtPoint")
        self.action.setCheckable(True)
        self.action.setToolTip(tr("Click the map: the chosen index per date at that point, cloud-free "
                                  "(shift-click adds a point)"))
        self.action.triggered.connect(self._toggle_tool)
        self.tool.setAction(self.action)
        self._dots: dict[Any, list[Any]] = {}  # each drawn line -> the entries of its dots
        self._tip: Any = None
        self._queue: list[Optional[tuple[float, float]]] = []  # points still to redraw after a settings change
        from qgis.PyQt.QtCore import QTimer

        self._refresh_timer = QTimer()
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)  # typing an expression: one refresh at the end
        self._refresh_timer.timeout.connect(self._refresh_now)

    def settings_changed(self, *_: Any) -> None:
        """The preset, the expression or the dates changed: the chart on screen is made again, every line."""
        if self.series or self.task is not None:
            self._refresh_timer.start()

    def _refresh_now(self) -> None:
        points = [s.point for s in self.series] or ([self._running_point] if self.task is not None else [])
        if not points:
            return
        self._queue = points[1:]
        self.run(points[0], False, keep_queue=True)

    # ----- the dock, made on first use (matplotlib is imported then, not at QGIS start-up) -----
    def show_dock(self) -> ChartDock:
        if self.dock is None:
            self.dock = ChartDock(self.iface.mainWindow())
            self.dock.view_button.clicked.connect(self.series_over_view)
            self.dock.csv_button.clicked.connect(lambda: self.export("csv"))
            self.dock.png_button.clicked.connect(lambda: self.export("png"))
            self.dock.canvas.mpl_connect("motion_notify_event", self._hover)
            self.dock.canvas.mpl_connect("pick_event", self._picked)
            self.iface.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.show()
        return self.dock

    def _toggle_tool(self, checked: bool) -> None:
        canvas = self.iface.mapCanvas()
        if checked:
            canvas.setMapTool(self.tool)
            self.show_dock()
        elif canvas.mapTool() is self.tool:
            canvas.unsetMapTool(self.tool)

    # ----- running a series -----
    def point_clicked(self, lonlat: tuple[float, float], adding: bool) -> None:
        self.run(lonlat, adding)

    def series_over_view(self) -> None:
        self.run(None, False)

    def run(self, point: Optional[tuple[float, float]], adding: bool, keep_queue: bool = False) -> None:
        if not keep_queue:
            self._queue = []
        self._running_point = point
        request = self.request_for_canvas()
        if request is None:
            return  # the plugin said why
        dock = self.show_dock()
        if self.task is not None:
            try:
                self.task.cancel()
            except RuntimeError:
                pass
        if not adding:
            self.series = []
        elif len(self.series) >= MAX_POINTS:
            dock.status.setText(tr("At most {count} points on one chart: click without Shift to start again.").format(
                count=MAX_POINTS))
            return
        from qgis.core import QgsApplication

        task = TimeseriesTask(request, point)
        task.progressed.connect(lambda pct, message: dock.status.setText(f"{pct:.0f} % · {message}"))
        task.done.connect(self._finished)
        self.task = task
        dock.status.setText(tr("Reading the dates …"))
        QgsApplication.taskManager().addTask(task)

    def _finished(self, outcome: EngineOutcome) -> None:
        self.task = None
        if self.dock is None:
            return
        if outcome.cancelled:
            self.dock.status.setText(tr("Time series cancelled."))
            return
        if outcome.exception is not None:
            from stac_quicklook_plugin.core.net.redact import redact

            title = tr(getattr(outcome.exception, "title", "Time series failed"))
            self.dock.status.setText(f"{title}: {redact(str(outcome.exception))}")
            self.report(title, redact(str(outcome.exception)), Qgis.MessageLevel.Warning)
            return
        self.series.append(outcome.value)
        self.draw()
        if self._queue:  # redrawing after a settings change: the next line
            self.run(self._queue.pop(0), True, keep_queue=True)

    # ----- drawing, hovering, picking -----
    def draw(self) -> None:
        if self.dock is None:
            return
        from datetime import date

        figure = self.dock.figure
        figure.clear()
        ax = figure.add_subplot(1, 1, 1)
        self._dots = {}
        low = min([e.value for s in self.series for e in s.entries if e.value is not None] + [0.0]) - 0.05
        for index, series in enumerate(self.series):
            colour = COLOURS[index % len(COLOURS)]
            where = (f"{series.point[0]:.4f}, {series.point[1]:.4f}" if series.point else tr("the view"))
            sensors = series.sensors if len(series.sensors) > 1 else [None]  # two sensors: a line each
            for number, name in enumerate(sensors):
                entries = [e for e in series.entries if name in (None, e.sensor)]
                marker = SENSOR_MARKERS[number % len(SENSOR_MARKERS)]
                clear = [e for e in entries if e.value is not None]
                label = where if name is None else f"{where} · {plain(name)}"  # a catalog's name, not mathtext
                line, = ax.plot([date.fromisoformat(e.date) for e in clear], [e.value for e in clear], "-" + marker,
                                color=colour, label=label, picker=5)
                self._dots[line] = clear
                cloudy = [e for e in entries if e.value is None]
                if cloudy:
                    hollow, = ax.plot([date.fromisoformat(e.date) for e in cloudy], [low] * len(cloudy), marker,
                                      markerfacecolor="none", markeredgecolor=colour, picker=5)
                    self._dots[hollow] = cloudy
        first = self.series[0]
        span = f"{first.entries[0].date} – {first.entries[-1].date}" if first.entries else ""
        where = (tr("at {point}").format(point=f"{first.point[0]:.5f}, {first.point[1]:.5f}") if first.point
                 else tr("over the view"))
        masked = "" if first.masked else " " + tr("(not cloud-masked: no scene classification)")
        ax.set_title(f"{first.label} {where}, {span}{masked}", fontsize=9)
        ax.set_ylabel(first.label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        self._tip = ax.annotate("", xy=(0, 0), xytext=(10, 10), textcoords="offset points", fontsize=8,
                                bbox={"boxstyle": "round", "fc": "white", "alpha": 0.9})
        self._tip.set_visible(False)
        figure.autofmt_xdate()
        figure.tight_layout()
        self.dock.canvas.draw_idle()
        dates = sum(len(s.entries) for s in self.series)
        self.dock.status.setText(tr("{count} date(s); hover a dot for its value, click it to quicklook that date.")
                                 .format(count=dates))

    def entry_at(self, line: Any, index: int) -> Any:
        return self._dots.get(line, [None] * (index + 1))[index]

    def _hover(self, event: Any) -> None:
        if self.dock is None or self._tip is None:
            return
        for line, entries in self._dots.items():
            hit, info = line.contains(event)
            if hit and info.get("ind") is not None and len(info["ind"]):
                entry = entries[int(info["ind"][0])]
                value = tr("cloudy") if entry.value is None else f"{entry.value:.3f}"
                self._tip.xy = (line.get_xdata()[int(info["ind"][0])], line.get_ydata()[int(info["ind"][0])])
                when = f"{entry.date} {entry.sensor}" if self._mixed() else entry.date
                self._tip.set_text(plain(f"{when}: {value}\n{', '.join(entry.items)}"))
                self._tip.set_visible(True)
                self.dock.canvas.draw_idle()
                return
        if self._tip.get_visible():
            self._tip.set_visible(False)
            self.dock.canvas.draw_idle()

    def _picked(self, event: Any) -> None:
        entries = self._dots.get(event.artist)
        if not entries or not len(event.ind):
            return
        entry = entries[int(event.ind[0])]
        if self._mixed() and entry.collections:  # a series of two sensors: the dot's sensor's collections alone
            self.quicklook_date(entry.date, collection=",".join(entry.collections))
        else:
            self.quicklook_date(entry.date)

    def _mixed(self) -> bool:
        return any(len(series.sensors) > 1 for series in self.series)

    # ----- export -----
    def export(self, kind: str, path: Optional[str] = None) -> Optional[str]:
        if not self.series or self.dock is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.dock, tr("Export the time series"), "",
                                                  "CSV (*.csv)" if kind == "csv" else "PNG (*.png)")
        if not path:
            return None
        try:
            if kind == "csv":
                from stac_quicklook_plugin.core.engine.render import series_csv

                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(series_csv(self.series[0]) if len(self.series) == 1 else _multi_csv(self.series))
            else:
                self.dock.figure.savefig(path, format="png")
        except (OSError, ValueError) as exc:
            self.dock.status.setText(tr("Could not write {path}: {error}").format(path=path, error=exc))
            self.report(tr("Could not export the time series"), str(exc), Qgis.MessageLevel.Warning)
            return None
        self.dock.status.setText(tr("Saved {path}").format(path=path))
        return path

    def unload(self, iface: Any) -> None:
        self._refresh_timer.stop()
        self._queue = []
        canvas = iface.mapCanvas()
        if canvas.mapTool() is self.tool:
            canvas.unsetMapTool(self.tool)
        if self.task is not None:
            try:
                self.task.cancel()
            except RuntimeError:
                pass
            self.task = None
        if self.dock is not None:
            iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        self.action.deleteLater()


def _multi_csv(series: list[Any]) -> str:
    """Several points: the CSV with a ``point`` column first."""
    from stac_quicklook_plugin.core.engine.render import series_csv

    lines = ["point," + series_csv(series[0]).splitlines()[0]]
    for s in series:
        where = f"{s.point[0]:.6f} {s.point[1]:.6f}" if s.point else "view"
        lines += [f"{where},{row}" for row in series_csv(s).splitlines()[1:]]
    return "\n".join(lines) + "\n"


__all__ = ["ChartController", "ChartDock", "PointTool"]
