"""The plugin class: the toolbar button and Web menu entry, the dock, one quicklook task at a time, unload.

Data flows one way: click -> canvas bbox -> request -> QuicklookTask -> outcome -> layer. The engine is
imported only when a task runs, so the plugin loads (and explains what to install) without rasterio.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Optional

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProject
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.gui import engine, settings
from stac_quicklook_plugin.gui.deps import install_hint, missing_modules
from stac_quicklook_plugin.gui.dock import QuicklookDock
from stac_quicklook_plugin.gui.extent import ExtentError, bbox_wgs84
from stac_quicklook_plugin.gui.i18n import install_translator, remove_translator, tr
from stac_quicklook_plugin.gui.memory import limit_heap_arenas
from stac_quicklook_plugin.gui.messages import LOG_TAG, Messages
from stac_quicklook_plugin.gui.request import SettingsError, build_request
from stac_quicklook_plugin.gui.task import QuicklookOutcome, QuicklookTask

MENU_NAME = "STAC Quicklook"


def icon_path() -> Path:
    """The packaged icon (``<package>/resources``), else the repository's (``<repo>/resources``)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "resources" / "icon.svg", package.parent / "resources" / "icon.svg"):
        if candidate.is_file():
            return candidate
    return package / "resources" / "icon.svg"


class StacQuicklookPlugin:
    """Entry point QGIS instantiates through ``classFactory``."""

    def __init__(self, iface: Any):
        self.iface = iface
        self.action: Optional[QAction] = None
        self.dock: Optional[QuicklookDock] = None
        self.janitor = None
        self._task: Optional[QuicklookTask] = None  # the one whose result becomes a layer
        self._tasks: dict[int, QuicklookTask] = {}  # every task not yet finished, by serial
        self._serial = 0
        self._current_serial = 0
        # Tasks already cancelled and reported (or replaced by a newer click): their outcome is dropped
        # silently whenever the worker thread gets to return it.
        self._detached: set[int] = set()
        self._started_at = 0.0
        self._dock_shown_by_click = False
        self._remove_icon: Optional[Callable[[QAction], None]] = None
        self.engine = None  # None: core.quicklook.quicklook; tests may put a stand-in with its signature here
        self.provider = None  # the Processing provider, from initProcessing
        self.translator = install_translator()  # QGIS's locale; before any tr()
        limit_heap_arenas()  # before the first task makes threads: a long session's memory levels off
        self.saver = None  # writes quicklooks beside the project on save (gui/project.py)
        self.save_copy = None  # the layer action "Save quicklook as..."
        # The message bar, the log and the dock's status line (gui/messages.py).
        self.messages = Messages(iface, lambda: self.dock)
        self.dates = None  # the dates over the view, Previous / Next date (gui/dates.py)
        self.series = None  # the Time series button (gui/series.py)
        self.chart = None  # the index time series: a point tool and a chart (gui/chart.py)
        self.warmup = None  # engine imports and the API's landing page before the click (gui/warmup.py)

    # ----- load / unload -----

    def initProcessing(self) -> None:  # noqa: N802 (QGIS API; qgis_process calls only this)
        from stac_quicklook_plugin.processing.provider import register

        if self.provider is None:
            self.provider = register(str(icon_path()))

    def initGui(self) -> None:  # noqa: N802 (QGIS API)
        self.initProcessing()
        self.action = QAction(QIcon(str(icon_path())), tr("Quicklook current extent"), self.iface.mainWindow())
        self.action.setObjectName("StacQuicklookAction")
        self.action.setToolTip(tr("STAC Quicklook: a low-resolution Sentinel-2 picture of the map extent"))
        self.action.triggered.connect(self.quicklook_current_extent)
        # The Web toolbar and menu where the real QGIS has them; the generic ones in stubs that lack them.
        if hasattr(self.iface, "addWebToolBarIcon"):
            self.iface.addWebToolBarIcon(self.action)
            self._remove_icon = self.iface.removeWebToolBarIcon
        else:
            self.iface.addToolBarIcon(self.action)
            self._remove_icon = self.iface.removeToolBarIcon
        self._add_to_menu(self.action)

        moved = settings.migrate_old_default_collection()
        self.dock = QuicklookDock(self.iface.mainWindow())
        self.dock.quicklookRequested.connect(self.quicklook_current_extent)
        self.dock.cancelRequested.connect(self.cancel)
        self.dock.layerActivated.connect(self._zoom_to_layer)
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        visible = settings.dock_visible()
        self.dock.setVisible(visible)
        # Before QGIS shows its main window no Show event reaches the dock: keep the menu check right.
        self.dock.toggleViewAction().setChecked(visible)
        # toggleViewAction follows explicit show/hide only (not tabbing, not QGIS closing its window).
        self.dock.toggleViewAction().toggled.connect(settings.set_dock_visible)
        self.dock.toggleViewAction().setIcon(QIcon(str(icon_path())))
        self.dock.toggleViewAction().setText(tr("STAC Quicklook panel"))
        self._add_to_menu(self.dock.toggleViewAction())
        self._init_dates()

        from stac_quicklook_plugin.gui.layer import VsimemJanitor  # needs only osgeo, which QGIS has

        self.janitor = VsimemJanitor(QgsProject.instance())
        from stac_quicklook_plugin.gui.project import ProjectSaver, SaveCopyAction

        self.saver = ProjectSaver(QgsProject.instance())
        self.saver.saveProblems.connect(self._on_save_problems)
        self.save_copy = SaveCopyAction(self.iface, QgsProject.instance())

        if moved:
            self._report(tr("STAC Quicklook"), tr(
                "The collection moved from sentinel-2-l2a to “Sentinel-2 L2A (best available)”: on Earth Search "
                "the old collection misses many recent scenes, so sentinel-2-c1-l2a is searched with it, each "
                "acquisition once. To search sentinel-2-l2a alone, choose it in the panel's Collection list."),
                Qgis.MessageLevel.Info)
        missing = missing_modules(load=False)
        if missing:
            self._report(tr("Missing Python packages"), install_hint(missing), Qgis.MessageLevel.Critical)
        else:
            self._init_warmup()

    def _init_warmup(self) -> None:
        """The engine imported and the API's landing page read in the background, before any click; the
        landing page is kept on disk, searches are forgotten when the API or the dates change, and the image
        bytes kept when the API changes."""
        from stac_quicklook_plugin.core.stac import cache
        from stac_quicklook_plugin.gui.warmup import WarmUp, configure_store

        configure_store()
        self.warmup = WarmUp(self.dock)
        self.dock.api_combo.currentTextChanged.connect(
            lambda _text: (cache.clear_searches(), engine.forget_image_bytes(), self.warmup.api_changed()))
        for edit in (self.dock.date_from, self.dock.date_to):
            edit.dateValueChanged.connect(lambda _date: cache.clear_searches())
        self.warmup.start_after_start_up(self.iface)

    def _init_dates(self) -> None:
        from stac_quicklook_plugin.gui.dates import DatesController
        from stac_quicklook_plugin.gui.series import SeriesController

        self.dates = DatesController(self.dock.dates_panel, self.canvas_request, self.quicklook_date, self.dock)
        self.dates.register_actions(self.iface)
        for action in (self.dates.previous_action, self.dates.next_action):
            self._add_to_menu(action)
        self.series = SeriesController(self.dock, self.canvas_request, self._report, self._report_exception,
                                       self.iface.mapCanvas(), self.dock)
        from stac_quicklook_plugin.gui.chart import ChartController

        self.chart = ChartController(self.iface, self.canvas_request, self.quicklook_date, self._report)
        self.dock.show_picker.changed.connect(self.chart.settings_changed)  # the chart follows the panel
        for edit in (self.dock.date_from, self.dock.date_to):
            edit.dateValueChanged.connect(self.chart.settings_changed)
        add_icon = getattr(self.iface, "addWebToolBarIcon", None) or self.iface.addToolBarIcon
        add_icon(self.chart.action)
        self._add_to_menu(self.chart.action)

    def _add_to_menu(self, action: QAction) -> None:
        add = getattr(self.iface, "addPluginToWebMenu", None) or self.iface.addPluginToMenu
        add(tr(MENU_NAME), action)

    def _remove_from_menu(self, action: QAction) -> None:
        remove = getattr(self.iface, "removePluginWebMenu", None) or getattr(self.iface, "removePluginMenu", None)
        if remove is not None:
            remove(tr(MENU_NAME), action)

    def unload(self) -> None:
        """Remove everything initGui added; running tasks are cancelled and their results dropped."""
        for task in list(self._tasks.values()):
            _disconnect(task.outcomeReady)
            _disconnect(task.stageChanged)
            try:
                task.cancel()
            except RuntimeError:  # C++ task already deleted
                pass
        self._tasks.clear()
        self._task = None
        engine.shutdown_threads()  # the engine's idle threads and kept-alive connections go with the plugin
        if self.provider is not None:
            from stac_quicklook_plugin.processing.provider import unregister

            unregister(self.provider)
            self.provider = None
        remove_translator(self.translator)
        self.translator = None
        if self.dock is not None:
            _disconnect(self.dock.toggleViewAction().toggled, settings.set_dock_visible)
            self._remove_from_menu(self.dock.toggleViewAction())
        if self.dates is not None:
            for action in (self.dates.previous_action, self.dates.next_action):
                self._remove_from_menu(action)
        if self.chart is not None:
            remove_icon = getattr(self.iface, "removeWebToolBarIcon", None) or self.iface.removeToolBarIcon
            remove_icon(self.chart.action)
            self._remove_from_menu(self.chart.action)
            self.chart.unload(self.iface)
            self.chart = None
        # Each part unloads itself, in the reverse order of initGui's.
        for part in ("saver", "save_copy", "janitor", "series", "warmup"):
            component = getattr(self, part)
            if component is not None:
                component.unload()
                setattr(self, part, None)
        for part in ("dates", "dock"):  # these two give back what they registered with QGIS's window
            component = getattr(self, part)
            if component is not None:
                component.unload(self.iface)
                setattr(self, part, None)
        if self.action is not None:
            if self._remove_icon is not None:
                self._remove_icon(self.action)
                self._remove_icon = None
            self._remove_from_menu(self.action)
            _disconnect(self.action.triggered, self.quicklook_current_extent)
            self.action.deleteLater()
            self.action = None

    # ----- the click -----

    def quicklook_current_extent(self, *_: Any, acquisition_date: Optional[str] = None,
                                 collection: Optional[str] = None) -> None:
        """Start a quicklook of the canvas extent (of one acquisition date, "YYYY-MM-DD", when given; of those
        collections of the settings' list, when given); a running one is cancelled and its result dropped."""
        if self.dock is not None and not self._dock_shown_by_click:
            self._dock_shown_by_click = True
            self.dock.show()
            self.dock.raise_()
        # Only looked for: importing them here would hold QGIS while the warm-up's import of the engine runs
        # (the worker imports them; a broken install is reported from there, see _on_outcome).
        missing = missing_modules(load=False)
        if missing:
            self._report(tr("Missing Python packages"), install_hint(missing), Qgis.MessageLevel.Critical)
            return
        request = self.canvas_request(acquisition_date)
        if request is None:
            return
        if collection:
            request = replace(request, collection=collection)
        self.cancel(superseded=True)
        self._start(request)

    def quicklook_date(self, day: str, collection: Optional[str] = None) -> None:
        """Quicklook the canvas extent on the acquisition date ``day`` (a row of the dates list, Previous/Next;
        in a list of two sensors, the row's ``collection`` alone)."""
        self.quicklook_current_extent(acquisition_date=day, collection=collection)

    def canvas_request(self, acquisition_date: Optional[str] = None) -> Any:
        """The request for the canvas extent from the saved settings, or None after saying why not."""
        canvas = self.iface.mapCanvas()
        try:
            crs = canvas.mapSettings().destinationCrs()
            bbox = bbox_wgs84(canvas.extent(), crs, QgsProject.instance())
            # Auto width: the canvas in logical pixels
            return build_request(bbox, canvas.width(), acquisition_date)
        except ExtentError as exc:
            self._report(exc.title, str(exc), Qgis.MessageLevel.Warning)
        except SettingsError as exc:
            self._report(tr("Check the STAC Quicklook settings"), str(exc), Qgis.MessageLevel.Warning)
        return None

    def _start(self, request: Any) -> None:
        self._serial += 1
        serial = self._serial
        task = QuicklookTask(request, engine=self.engine)
        task.outcomeReady.connect(lambda outcome, s=serial: self._on_outcome(s, outcome))
        task.stageChanged.connect(lambda percent, message, s=serial: self._on_stage(s, percent, message))
        self._tasks[serial] = task
        self._task = task
        self._current_serial = serial
        self._started_at = time.monotonic()
        settings.remember_api_url(request.stac_api)
        if self.dock is not None:
            self.dock.set_running(True)
            self.dock.set_status(tr("Searching {api} …").format(api=request.stac_api))
        QgsApplication.taskManager().addTask(task)

    def cancel(self, superseded: bool = False) -> None:
        """Cancel the running quicklook, if any. It adds no layer; unless ``superseded`` by a new click
        the user is told at once, even if the worker thread needs a moment to stop."""
        if self._task is None:
            return
        self._detached.add(self._current_serial)
        try:
            self._task.cancel()
        except RuntimeError:  # already finished and deleted
            pass
        self._task = None
        self._current_serial = 0
        if self.dock is not None:
            self.dock.set_running(False)
        if not superseded:
            self._report(tr("Quicklook cancelled"), tr("No layer was added."), Qgis.MessageLevel.Info)

    def _on_stage(self, serial: int, percent: float, message: str) -> None:
        if serial == self._current_serial and self.dock is not None:
            self.dock.set_progress(percent, message)

    # ----- the outcome -----

    def _on_outcome(self, serial: int, outcome: QuicklookOutcome) -> None:
        try:
            self._handle_outcome(serial, outcome)
        finally:
            if outcome.path:  # a layer took it (then this frees nothing), or nobody will
                from stac_quicklook_plugin.gui.layer import PATH_PROPERTY, discard

                taken = {layer.customProperty(PATH_PROPERTY) for layer in QgsProject.instance().mapLayers().values()}
                if outcome.path not in taken:
                    discard(outcome.path)

    def _handle_outcome(self, serial: int, outcome: QuicklookOutcome) -> None:
        self._tasks.pop(serial, None)
        if serial in self._detached:
            self._detached.discard(serial)
            return
        was_current = serial == self._current_serial
        if was_current:
            self._task = None
            self._current_serial = 0
            if self.dock is not None:
                self.dock.set_running(False)
        if outcome.cancelled:  # from the task manager's cancel button
            self._report(tr("Quicklook cancelled"), tr("No layer was added."), Qgis.MessageLevel.Info)
            return
        if not was_current:
            return
        if isinstance(outcome.exception, ImportError) and missing_modules():  # found, but broken when imported
            self._report(tr("Missing Python packages"), install_hint(missing_modules()), Qgis.MessageLevel.Critical)
            return
        if outcome.exception is not None:
            self._report_exception(outcome.exception, outcome.traceback)
            return
        try:
            self._add_layer(outcome)
        except Exception as exc:  # a layer that cannot be built is a bug: say so, keep QGIS running
            self._report_exception(exc, traceback.format_exc())

    def _add_layer(self, outcome: QuicklookOutcome) -> None:
        from stac_quicklook_plugin.gui.layer import add_to_project, create_layer

        result, request = outcome.result, outcome.request
        layer = create_layer(result, request, outcome.path)
        add_to_project(layer, QgsProject.instance())
        self.messages.dismiss_own()
        seconds = time.monotonic() - self._started_at
        if self.dock is not None:
            self.dock.add_history(layer.id(), layer.name(), list(result.items))
            self.dock.set_status(tr("Added “{name}” ({width} x {height} px, {seconds:.1f} s).").format(
                name=layer.name(), width=result.width, height=result.height, seconds=seconds))
        if self.dates is not None and self.engine is None:  # a stand-in engine has no catalog to list
            self.dates.on_quicklook(result, request)
        QgsMessageLog.logMessage(
            tr("Added {name}: {count} item(s), asset {asset}, strategy {strategy}, {seconds:.1f} s").format(
                name=layer.name(), count=len(result.items), asset=result.asset_key, strategy=result.strategy,
                seconds=seconds), LOG_TAG, Qgis.MessageLevel.Info)
        for note in (result.meta or {}).get("metadata_notes") or []:  # a catalog's unusable band metadata
            QgsMessageLog.logMessage(redact(note), LOG_TAG, Qgis.MessageLevel.Warning)

    def _zoom_to_layer(self, layer_id: str) -> None:
        layer = QgsProject.instance().mapLayer(layer_id)
        if layer is None:
            return
        from qgis.core import QgsCoordinateTransform

        canvas = self.iface.mapCanvas()
        transform = QgsCoordinateTransform(layer.crs(), canvas.mapSettings().destinationCrs(), QgsProject.instance())
        try:
            canvas.setExtent(transform.transformBoundingBox(layer.extent()))
        except Exception:  # a failed zoom is not worth a message
            return
        canvas.refresh()

    # ----- messages (gui/messages.py) -----

    def _report(self, title: str, text: str, level: Qgis.MessageLevel, detail: Optional[str] = None) -> None:
        self.messages.report(title, text, level, detail)

    def _report_exception(self, exc: BaseException, trace: str = "") -> None:
        self.messages.report_exception(exc, trace)

    def _on_save_problems(self, problems: list) -> None:
        self._report(tr("Quicklooks not saved with the project"), " ".join(problems), Qgis.MessageLevel.Warning)


def _disconnect(signal: Any, slot: Any = None) -> None:
    try:
        signal.disconnect(slot) if slot is not None else signal.disconnect()
    except (TypeError, RuntimeError):  # not connected, or the C++ object is gone
        pass
