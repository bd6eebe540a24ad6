"""QgsTask subclasses that run the engine off the UI thread.

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

from stac_quicklook_plugin.gui.i18n import tr

# Running tasks, so their Python wrappers live until ``finished()`` even if every caller dropped them.
_LIVE_TASKS: set[QgsTask] = set()


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


class QuicklookTask(QgsTask):
    """One quicklook: ``quicklook(request)`` in a worker thread, progress and stage reported by signals."""

    stageChanged = pyqtSignal(float, str)  # percent, stage description (queued to the main thread)
    outcomeReady = pyqtSignal(object)  # QuicklookOutcome, emitted once from finished() on the main thread

    def __init__(self, request: Any, engine: Optional[Callable[..., Any]] = None):
        super().__init__(tr("STAC Quicklook: {collection}").format(collection=getattr(request, "collection", "")),
                         QgsTask.Flag.CanCancel)
        self.request = request
        self.result: Any = None
        self.path: Optional[str] = None
        self.exception: Optional[BaseException] = None
        self.traceback = ""
        self.stage = tr("Waiting to start")
        self._engine = engine
        self.stageChanged.connect(self._show_stage)  # the task object lives on the main thread
        _LIVE_TASKS.add(self)

    def run(self) -> bool:
        try:
            engine = self._engine
            if engine is None:
                from stac_quicklook_plugin.core.engine.quicklook import quicklook as engine
            self.result = engine(self.request, progress=self._progress, is_cancelled=still_wanted(self))
            if not self.isCanceled():
                from stac_quicklook_plugin.gui.layer import write_pending

                self.path = write_pending(self.result)  # not on QGIS's main thread
            return True
        except Exception as exc:  # kept for finished(): no GUI work in the worker thread
            self.exception = exc
            if not _is_expected(exc):
                self.traceback = traceback.format_exc()
            return False

    def _progress(self, percent: float, message: str) -> None:
        self.stage = message
        self.setProgress(max(0.0, min(100.0, float(percent))))
        self.stageChanged.emit(float(percent), message)

    def _show_stage(self, percent: float, message: str) -> None:
        from stac_quicklook_plugin.core.net.redact import redact

        # Shown in QGIS's task manager; stage messages may name an API URL with credentials in it.
        self.setDescription(tr("STAC Quicklook: {stage}").format(stage=redact(message)))

    def finished(self, ok: bool) -> None:
        _LIVE_TASKS.discard(self)
        cancelled = self.isCanceled() or _is_cancelled_error(self.exception)
        outcome = QuicklookOutcome(request=self.request, result=self.result if ok and not cancelled else None,
                                   exception=self.exception, traceback=self.traceback, cancelled=cancelled,
                                   path=self.path)
        self.result = None  # the layer is built from the outcome; do not keep the array twice
        self.outcomeReady.emit(outcome)


class CatalogTask(QgsTask):
    """Fetch something small from a STAC API (collections, item_assets) without blocking the UI."""

    loaded = pyqtSignal(object, object)  # value or None, exception or None

    def __init__(self, description: str, fetch: Callable[[], Any]):
        super().__init__(description, QgsTask.Flag.CanCancel)
        self._fetch = fetch
        self.value: Any = None
        self.exception: Optional[BaseException] = None
        _LIVE_TASKS.add(self)

    def run(self) -> bool:
        try:
            self.value = self._fetch()
            return True
        except Exception as exc:
            self.exception = exc
            return False

    def finished(self, ok: bool) -> None:
        _LIVE_TASKS.discard(self)
        if not self.isCanceled():
            self.loaded.emit(self.value if ok else None, self.exception)


@dataclass
class EngineOutcome:
    """What a finished EngineTask leaves behind: the value, or the exception, or a cancel."""

    value: Any = None
    exception: Optional[BaseException] = None
    traceback: str = ""
    cancelled: bool = False


class EngineTask(QgsTask):
    """Any engine call ``work(progress, is_cancelled)`` off the UI thread (the acquisitions of a view, a
    series); progress by signal, one ``done`` signal with an EngineOutcome from ``finished()``."""

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
            return True
        except Exception as exc:  # kept for finished(): no GUI work in the worker thread
            self.exception = exc
            if not _is_expected(exc):
                self.traceback = traceback.format_exc()
            return False

    def _progress(self, percent: float, message: str) -> None:
        self.setProgress(max(0.0, min(100.0, float(percent))))
        self.progressed.emit(float(percent), message)

    def finished(self, ok: bool) -> None:
        _LIVE_TASKS.discard(self)
        cancelled = self.isCanceled() or _is_cancelled_error(self.exception)
        outcome = EngineOutcome(self.value if ok and not cancelled else None, self.exception, self.traceback,
                                cancelled)
        self.value = None
        self.done.emit(outcome)


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
