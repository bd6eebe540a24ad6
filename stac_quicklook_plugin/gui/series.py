"""Time series: a quicklook of every acquisition date of the range over the view, one layer per date in a
sub-group of "STAC Quicklooks", each active only on its acquisition day so QGIS's Temporal Controller
animates the view through time. Layers are added as each date finishes; a cancel keeps them."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable, Optional

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsDateTimeRange,
    QgsProject,
    QgsRasterLayer,
    QgsTemporalNavigationObject,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QObject, Qt, QTime, pyqtSignal

from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.compat import animated_navigation, one_day
from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.gui.task import EngineOutcome, EngineTask

SERIES_PROPERTY = "stac_quicklook/series_date"


def day_range(day: str) -> QgsDateTimeRange:
    """The acquisition day as a temporal range: [day 00:00 UTC, next day 00:00 UTC), so days never overlap."""
    start = date.fromisoformat(day)
    return QgsDateTimeRange(_utc(start), _utc(start + timedelta(days=1)), True, False)


def _utc(day: date) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0, 0), Qt.TimeSpec.UTC)


def set_acquisition_day(layer: QgsRasterLayer, day: str) -> None:
    """Make ``layer`` visible in the Temporal Controller on ``day`` only (QGIS >= 3.14 has this API)."""
    properties = layer.temporalProperties()
    properties.setMode(Qgis.RasterTemporalMode.FixedTemporalRange)
    properties.setFixedTemporalRange(day_range(day))
    properties.setIsActive(True)
    layer.setCustomProperty(SERIES_PROPERTY, day)


class SeriesTask(EngineTask):
    """``core.series.quicklook_series`` in a worker thread; each finished date is signalled at once."""

    frameReady = pyqtSignal(object)  # core.series.Frame, queued to the main thread

    def __init__(self, request: Any, max_dates: int, engine: Optional[Callable[..., Any]] = None):
        def work(progress: Callable[[float, str], None], is_cancelled: Callable[[], bool]) -> Any:
            series = engine
            if series is None:
                from stac_quicklook_plugin.core.engine.series import quicklook_series as series
            return series(request, progress, is_cancelled, on_frame=self.frameReady.emit, max_dates=max_dates)

        super().__init__(tr("STAC Quicklook: time series"), work)


class SeriesController(QObject):
    """The dock's Time series button: one series at a time; its layers land as each date finishes."""

    def __init__(self, dock: Any, canvas_request: Callable[[], Optional[Any]],
                 report: Callable[[str, str, Any], None], report_exception: Callable[[BaseException, str], None],
                 canvas: Any = None, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.dock = dock
        self.canvas = canvas
        self._canvas_request = canvas_request
        self._report = report
        self._report_exception = report_exception
        self.engine: Optional[Callable[..., Any]] = None  # None: core.series.quicklook_series
        self._task: Optional[SeriesTask] = None
        self._serial = 0
        self._group = None
        self._request: Any = None
        self.layers: list[QgsRasterLayer] = []  # of the running (or last) series
        self._days: list[str] = []  # their dates (a layer the user removed is deleted with its properties)
        self.failed: list[str] = []  # "date: error" of the dates that could not be made
        self.frames: dict[str, Any] = {}  # date -> (RGB frame, label) for "Export animation…"
        dock.dates_panel.seriesRequested.connect(self.start)
        dock.dates_panel.animationRequested.connect(self.export_animation)
        dock.cancelRequested.connect(self.cancel)

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, *_: Any) -> None:
        request = self._canvas_request()
        if request is None:
            return
        self.cancel(quiet=True)
        self._serial += 1
        serial = self._serial
        self._request, self._group, self.layers, self._days, self.failed = request, None, [], [], []
        self.frames = {}
        task = SeriesTask(request, settings.series_max_dates(), self.engine)
        task.frameReady.connect(lambda frame, s=serial: self._frame(s, frame))
        task.progressed.connect(lambda percent, message, s=serial: self._progress(s, percent, message))
        task.done.connect(lambda outcome, s=serial: self._done(s, outcome))
        self._task = task
        self.dock.set_running(True)
        self.dock.set_status(tr("Time series: listing the dates over the view …"))
        QgsApplication.taskManager().addTask(task)

    def unload(self) -> None:
        """A series still running is cancelled, quietly: the plugin is going."""
        self.cancel(quiet=True)

    def cancel(self, *_: Any, quiet: bool = False) -> None:
        """Stop the series; the layers of the dates already finished stay."""
        task, self._task = self._task, None
        if task is None:
            return
        self._serial += 1  # frames still queued from the old task are dropped
        try:
            task.cancel()
        except RuntimeError:
            pass
        self.dock.set_running(False)
        if self._days:
            self.animate(self.days())
        if not quiet:
            self._report(tr("Time series cancelled"),
                         tr("Kept the {count} date(s) already made.").format(count=len(self.layers)),
                         Qgis.MessageLevel.Info)

    def days(self) -> list[str]:
        """The dates of the series' layers, oldest first (a date once, if two sensors have a layer of it)."""
        return sorted(set(self._days))

    def _progress(self, serial: int, percent: float, message: str) -> None:
        if serial == self._serial:
            self.dock.set_progress(percent, tr("Time series: {stage}").format(stage=message))

    def _frame(self, serial: int, frame: Any) -> None:
        if serial != self._serial:
            return
        if frame.quicklook is None:
            self.failed.append(f"{frame.label}: {frame.error}")
            return
        from stac_quicklook_plugin.core.engine.acquisitions import one_sensor
        from stac_quicklook_plugin.gui.layer import create_layer

        # The layer's request is its date's alone (and its sensor's, in a mixed list): a saved project reloads it
        layer = create_layer(frame.quicklook, one_sensor(self._request, frame.acquisition, frame.mixed))
        set_acquisition_day(layer, frame.date)
        project = QgsProject.instance()
        project.addMapLayer(layer, False)
        self._series_group(project).insertLayer(self._position(frame.date), layer)
        self.layers.append(layer)
        self._days.append(frame.date)
        from stac_quicklook_plugin.core.engine.animation import frame_label, frame_rgb

        # Drawn now, kept small (RGB bytes): "Export animation…" needs no layer read back. A mixed list has a
        # frame per date and sensor ("2024-06-24 Landsat"), in order of date.
        self.frames[frame.label] = (frame_rgb(frame.quicklook), frame_label(frame.quicklook))

    def _position(self, day: str) -> int:
        """Newest on top: the index among the layers already in the group."""
        days = [str(child.layer().customProperty(SERIES_PROPERTY)) for child in self._group.findLayers()
                if child.layer() is not None]
        return sum(1 for d in days if d > day)

    def _series_group(self, project: QgsProject) -> Any:
        if self._group is None:
            from stac_quicklook_plugin.gui.groups import new_subgroup

            start, _, end = (self._request.datetime_range or "").partition("/")
            self._group = new_subgroup(tr("Series {start} – {end}").format(start=start[:10], end=end[:10]), project)
        return self._group

    def _done(self, serial: int, outcome: EngineOutcome) -> None:
        if serial != self._serial:
            return
        self._task = None
        self.dock.set_running(False)
        if outcome.cancelled:
            self._report(tr("Time series cancelled"),
                         tr("Kept the {count} date(s) already made.").format(count=len(self.layers)),
                         Qgis.MessageLevel.Info)
        elif outcome.exception is not None:
            self._report_exception(outcome.exception, outcome.traceback)
        if not self._days:
            return
        days = self.days()
        self.animate(days)
        if outcome.exception is None and not outcome.cancelled:
            text = tr("{count} date(s), {first} to {last}: play them in the Temporal Controller.").format(
                count=len(days), first=days[0], last=days[-1])
            if self.failed:
                text += " " + tr("Not made: {dates}.").format(dates="; ".join(self.failed))
            self._report(tr("Time series ready"), text, Qgis.MessageLevel.Success)

    def animate(self, days: list[str]) -> None:
        """Point the Temporal Controller at the series: its days, one day per frame, on the first date."""
        extent = QgsDateTimeRange(day_range(days[0]).begin(), day_range(days[-1]).end(), True, False)
        QgsProject.instance().timeSettings().setTemporalRange(extent)
        controller = self.canvas.temporalController() if self.canvas is not None else None
        if not isinstance(controller, QgsTemporalNavigationObject):
            return  # no Temporal Controller (a canvas outside the QGIS window)
        controller.setTemporalExtents(extent)
        controller.setFrameDuration(one_day())
        controller.setNavigationMode(animated_navigation())
        controller.setCurrentFrameNumber(0)


    def export_animation(self, *_: Any, path: Optional[str] = None) -> Optional[str]:
        """The last series as an animated GIF (or MP4 where ffmpeg is installed): one frame per date, oldest
        first, the date burned in, the same stretch on every frame."""
        if not self.frames:
            self._report(tr("Export animation"), tr("Make a time series first: its dates are the frames."),
                         Qgis.MessageLevel.Info)
            return None
        if path is None:
            from qgis.PyQt.QtWidgets import QFileDialog

            path, _ = QFileDialog.getSaveFileName(self.dock, tr("Export animation"), "", "GIF (*.gif);;MP4 (*.mp4)")
        if not path:
            return None
        from stac_quicklook_plugin.core.engine.animation import write_frames
        from stac_quicklook_plugin.core.errors import BadInput

        try:
            write_frames([(day, *self.frames[day]) for day in sorted(self.frames)], path)
        except (OSError, ValueError, BadInput) as exc:
            self._report(tr("Could not export the animation"), str(exc), Qgis.MessageLevel.Warning)
            return None
        self._report(tr("Animation saved"), tr("{count} frame(s) in {path}").format(count=len(self.frames), path=path),
                     Qgis.MessageLevel.Success)
        return path
