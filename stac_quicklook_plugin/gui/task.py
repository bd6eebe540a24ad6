"""The plugin's QgsTasks, one template (``EngineTask``) that runs the engine off the UI thread.

``run()`` does no GUI work, touches no layer and no iface: it calls the engine, keeps the result or the
exception, and returns. ``finished()`` runs on the main thread and emits one signal carrying a plain
Python outcome, because the task manager deletes the C++ task right after.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any, Callable, Optional

from qgis.core import QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from stac_quicklook_plugin.gui.i18n import best_available_label, tr

# Running tasks, so their Python wrappers live until ``finished()`` even if every caller dropped them.
_LIVE_TASKS: set[QgsTask] = set()


@dataclass
class EngineOutcome:
    """What a finished EngineTask leaves behind: the value, or the exception, or a cancel."""

    value: Any = None
    exception: Optional[BaseException] = None
    traceback: str = ""
    cancelled: bool = False


class EngineTask(QgsTask):
    """The template of every task of the plugin: ``run()`` calls ``work(progress, is_cancelled)`` in a worker
    thread and keeps its value or its exception (no GUI work there); ``finished()``, on the main thread, hands
    one plain Python outcome to ``deliver``, because the task manager deletes the C++ task right after.
    Progress updates double as the cancel checkpoint. The acquisitions of a view and a series use it as it
    is (``progressed``, ``done``); the quicklook and the dock's lists are the two variants below."""

    progressed = pyqtSignal(float, str)  # percent, message (queued to the main thread)
    done = pyqtSignal(object)  # EngineOutcome, once, on the main thread

    def __init__(self, description: str, work: Callable[..., Any]):
        super().__init__(description, QgsTask.Flag.CanCancel)
        self._work = work
        self.value: Any = None
        self.exception: Optional[BaseException] = None
        self.traceback = ""
        _LIVE_TASKS.add(self)

    def run(self) -> bool:
        try:
            self.value = self._work(self._progress, still_wanted(self))
            if not self.isCanceled():
                self.after_work()
            return True
        except Exception as exc:  # kept for finished(): no GUI work in the worker thread
            self.exception = exc
            if not _is_expected(exc):
                self.traceback = traceback.format_exc()
            return False

    def after_work(self) -> None:
        """More work in the worker thread once ``work`` succeeded (nothing by default)."""

    def _progress(self, percent: float, message: str) -> None:
        self.setProgress(max(0.0, min(100.0, float(percent))))
        self.report(float(percent), message)

    def report(self, percent: float, message: str) -> None:
        self.progressed.emit(percent, message)

    def finished(self, ok: bool) -> None:
        _LIVE_TASKS.discard(self)
        cancelled = self.isCanceled() or _is_cancelled_error(self.exception)
        outcome = EngineOutcome(self.value if ok and not cancelled else None, self.exception, self.traceback,
                                cancelled)
        self.value = None  # the outcome holds it; the task does not keep it twice
        self.deliver(outcome)

    def deliver(self, outcome: EngineOutcome) -> None:
        self.done.emit(outcome)


@dataclass
class QuicklookOutcome:
    """What a finished quicklook task leaves behind, safe to keep after the task is deleted."""

    request: Any  # QuicklookRequest
    result: Any = None  # Quicklook, when it worked
    path: Optional[str] = None  # its GeoTIFF, written in the worker: a layer takes it, or gui.layer.discard
    exception: Optional[BaseException] = None
    traceback: str = ""  # for unexpected exceptions only
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.result is not None and self.exception is None and not self.cancelled


class QuicklookTask(EngineTask):
    """One quicklook: ``quicklook(request)`` in a worker thread (its GeoTIFF written there too), the stage
    shown in the task manager, one ``outcomeReady`` with a QuicklookOutcome."""

    stageChanged = pyqtSignal(float, str)  # percent, stage description (queued to the main thread)
    outcomeReady = pyqtSignal(object)  # QuicklookOutcome, emitted once from finished() on the main thread

    def __init__(self, request: Any, engine: Optional[Callable[..., Any]] = None):
        super().__init__(tr("STAC Quicklook: {collection}").format(
            collection=getattr(request, "collection", "") or best_available_label()),
                         self._quicklook)
        self.request = request
        self.path: Optional[str] = None
        self.stage = tr("Waiting to start")
        self._engine = engine
        self.stageChanged.connect(self._show_stage)  # the task object lives on the main thread

    @property
    def result(self) -> Any:
        return self.value

    def _quicklook(self, progress: Callable[[float, str], None], is_cancelled: Callable[[], bool]) -> Any:
        engine = self._engine
        if engine is None:
            from stac_quicklook_plugin.core.engine.quicklook import quicklook as engine
        return engine(self.request, progress=progress, is_cancelled=is_cancelled)

    def after_work(self) -> None:
        from stac_quicklook_plugin.gui.layer import write_pending

        self.path = write_pending(self.value)  # not on QGIS's main thread

    def report(self, percent: float, message: str) -> None:
        self.stage = message
        self.stageChanged.emit(percent, message)

    def _show_stage(self, percent: float, message: str) -> None:
        from stac_quicklook_plugin.core.net.redact import redact

        # Shown in QGIS's task manager; stage messages may name an API URL with credentials in it.
        self.setDescription(tr("STAC Quicklook: {stage}").format(stage=redact(message)))

    def deliver(self, outcome: EngineOutcome) -> None:
        self.outcomeReady.emit(QuicklookOutcome(
            request=self.request, result=outcome.value, exception=outcome.exception, traceback=outcome.traceback,
            cancelled=outcome.cancelled, path=self.path))


class CatalogTask(EngineTask):
    """Fetch something small from a STAC API (collections, item_assets) without blocking the UI; one
    ``loaded(value, exception)`` unless cancelled."""

    loaded = pyqtSignal(object, object)  # value or None, exception or None

    def __init__(self, description: str, fetch: Callable[[], Any]):
        super().__init__(description, lambda progress, is_cancelled: fetch())

    def deliver(self, outcome: EngineOutcome) -> None:
        if not self.isCanceled():
            self.loaded.emit(outcome.value, outcome.exception)


def live_tasks() -> list[QgsTask]:
    return list(_LIVE_TASKS)


def _is_expected(exc: BaseException) -> bool:
    try:
        from stac_quicklook_plugin.core.errors import QuicklookError
    except ImportError:
        return False
    return isinstance(exc, QuicklookError)


def _is_cancelled_error(exc: Optional[BaseException]) -> bool:
    if exc is None:
        return False
    try:
        from stac_quicklook_plugin.core.errors import Cancelled
    except ImportError:
        return False
    return isinstance(exc, Cancelled)


def still_wanted(task: QgsTask) -> Callable[[], bool]:
    """``task.isCanceled`` for the engine's threads. A read the engine abandoned (after a cancel, or a
    speculative one) may ask long after QGIS deleted the finished task: then the answer is "cancelled"."""
    def cancelled() -> bool:
        try:
            return task.isCanceled()
        except RuntimeError:  # the C++ task is gone
            return True

    return cancelled
