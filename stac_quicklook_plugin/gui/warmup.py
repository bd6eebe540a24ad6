"""Before the click, in the background: the engine imported and the API's landing page known (kept on disk
beside QGIS's settings, so QGIS starts warm the next day). Neither holds the main thread."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt.QtCore import QObject, QTimer

from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.i18n import tr

DEBOUNCE_MS = 800  # the API field changes with every keystroke: ask once typing has paused
CACHE_DIR_ENV = "STAC_QUICKLOOK_CACHE_DIR"  # as core.cache: a folder given here wins (tests use it)


def store_dir() -> Path:
    """Where the engine keeps what it knows of each API."""
    given = os.environ.get(CACHE_DIR_ENV)
    return Path(given) if given else Path(QgsApplication.qgisSettingsDirPath()) / "stac_quicklook"


def configure_store() -> None:
    from stac_quicklook_plugin.core.stac import cache

    cache.set_store_dir(store_dir())


class WarmUp(QObject):
    """Imports the engine once, and reads the landing page of the saved API whenever it changes."""

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fetch_landing)
        self._tasks: list[QgsTask] = []  # kept alive until the task manager is done with them
        self.fetched: list[str] = []  # API URLs whose landing page a warm-up read (for the tests)
        self._iface: Any = None  # while waiting for QGIS to finish starting

    def start(self, delay_ms: int = 0) -> None:
        """The engine's imports and the saved API's landing page, in a worker, after ``delay_ms``."""
        task = QgsTask.fromFunction(tr("STAC Quicklook: loading the engine"), _import_engine,
                                    flags=QgsTask.Flag.CanCancel)
        self._add(task)
        self.api_changed(delay_ms)

    def start_after_start_up(self, iface: Any) -> None:
        """``start`` now, or, while QGIS is still starting (its window not shown yet, ``initializationCompleted``
        to come), once it has finished: other plugins import modules on the main thread meanwhile, and the
        engine's imports in a worker can deadlock with them on Python's per-module import locks (a real QGIS
        3.22 once hung so at start-up)."""
        window = iface.mainWindow()
        if hasattr(iface, "initializationCompleted") and window is not None and not window.isVisible():
            self._iface = iface
            iface.initializationCompleted.connect(self._started_up)
        else:
            self.start()

    def _started_up(self) -> None:
        self._stop_waiting()
        self.start()

    def _stop_waiting(self) -> None:
        if self._iface is not None:
            try:
                self._iface.initializationCompleted.disconnect(self._started_up)
            except (TypeError, RuntimeError):  # not connected, or the iface is gone
                pass
            self._iface = None

    def api_changed(self, delay_ms: int = DEBOUNCE_MS) -> None:
        self._timer.start(delay_ms)

    def _fetch_landing(self) -> None:
        from stac_quicklook_plugin.core.stac import client as stac

        url = settings.api_url()
        if not url.lower().startswith(("http://", "https://")) or stac.cached_api_info(url) is not None:
            return
        from stac_quicklook_plugin.gui.network import AuthError, qgis_connection

        try:  # QGIS's auth database and proxy settings are read on the main thread
            connection = qgis_connection(url, settings.auth_cfg(), timeout=LANDING_TIMEOUT_S)
        except AuthError:
            return  # the click reports it
        task = QgsTask.fromFunction(tr("STAC Quicklook: reading the API's landing page"), _landing, url, connection,
                                    flags=QgsTask.Flag.CanCancel)
        self._add(task)
        self.fetched.append(url)

    def _add(self, task: QgsTask) -> None:
        self._tasks = [t for t in self._tasks if _alive(t)] + [task]
        QgsApplication.taskManager().addTask(task)

    def unload(self) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop_waiting()
        self._timer.stop()
        for task in self._tasks:
            if _alive(task):
                task.cancel()
        self._tasks = []


def _alive(task: QgsTask) -> bool:
    try:
        return task.status() not in (QgsTask.TaskStatus.Complete, QgsTask.TaskStatus.Terminated)
    except RuntimeError:  # the task manager deleted it
        return False


def _import_engine(task: QgsTask) -> None:
    """Imported in a worker: numpy and the read library load while QGIS stays responsive."""
    try:
        import stac_quicklook_plugin.core.engine.quicklook  # noqa: F401
        from stac_quicklook_plugin.core.raster.backend import backend

        backend()
    except Exception:  # reported properly on the first click
        pass
    try:  # the time-series chart's figure (gui/chart.py): 0.2 s that would stall the main thread at the tool's click
        import matplotlib.figure  # noqa: F401
    except Exception:  # the chart says what is missing when it is opened
        pass


LANDING_TIMEOUT_S = 10.0


def _landing(task: QgsTask, url: str, connection: Any) -> None:
    from stac_quicklook_plugin.core.errors import QuicklookError
    from stac_quicklook_plugin.core.net.http import HttpClient
    from stac_quicklook_plugin.core.stac import client as stac
    from stac_quicklook_plugin.gui.task import still_wanted

    client = HttpClient(connection, api_url=url, is_cancelled=still_wanted(task))
    try:
        stac.get_api_info(client, url)
    except QuicklookError:
        pass  # the click asks again, and reports
    finally:
        client.close()
