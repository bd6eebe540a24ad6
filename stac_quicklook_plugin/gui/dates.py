"""Every acquisition one click apart: the dock's list of dates over the view (filled by a background task
after each quicklook and on Refresh), the Previous / Next date actions, the footprints layer.

Main thread only; the engine runs in ``EngineTask``s. The date "on screen" is the date of the last
quicklook; Previous / Next step from it over the current extent (listed first when the list is of
another view).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Optional

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QObject
from qgis.PyQt.QtWidgets import QAction

from stac_quicklook_plugin.gui.acquisitions import AcquisitionsPanel
from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.gui.task import EngineOutcome, EngineTask

# Free in QGIS 3.22 to 3.44 (Ctrl+Alt+[ and ] are taken; checked in a real window by demo/dates_demo.py).
PREVIOUS_SHORTCUT = "Ctrl+Alt+,"
NEXT_SHORTCUT = "Ctrl+Alt+."
OLDER, NEWER = -1, 1


def listing_key(request: Any) -> tuple:
    """What makes two requests list the same dates (the one date asked for does not)."""
    return (tuple(round(float(v), 7) for v in request.bbox_wgs84), request.stac_api, request.collection,
            request.datetime_range, float(request.cloud_cover_max), request.asset_key)


class DatesController(QObject):
    """Owns the acquisitions list of the dock, the Previous / Next actions and the footprints layer."""

    def __init__(self, panel: AcquisitionsPanel, canvas_request: Callable[[], Optional[Any]],
                 quicklook_date: Callable[..., None], parent: Optional[QObject] = None,
                 survey: Optional[Callable[..., Any]] = None):
        super().__init__(parent)
        self.panel = panel
        self._canvas_request = canvas_request  # the current extent's request (None: it reported why not)
        self._quicklook_date = quicklook_date  # (day) or, for one sensor of a mixed list, (day, collection=...)
        self._survey = survey  # None: gui.survey.survey_view
        self.acquisitions: list[Any] = []
        self.footprints: list[Any] = []
        self.listed_key: Optional[tuple] = None
        self.current_date: Optional[str] = None
        self.current_sensor: Optional[str] = None  # in a mixed list (Landsat and Sentinel-2), when known
        self._current_ids: set[str] = set()  # the item ids of the quicklook on screen
        self._task: Optional[EngineTask] = None
        self._task_key: Optional[tuple] = None
        self._serial = 0
        self._pending_step = 0
        self._registered: list[QAction] = []

        self.previous_action = QAction(tr("Previous date"), self)
        self.previous_action.setObjectName("StacQuicklookPreviousDate")
        self.previous_action.setToolTip(tr("Quicklook the acquisition before the one on screen, over the map extent"))
        self.next_action = QAction(tr("Next date"), self)
        self.next_action.setObjectName("StacQuicklookNextDate")
        self.next_action.setToolTip(tr("Quicklook the acquisition after the one on screen, over the map extent"))
        self.previous_action.triggered.connect(lambda *_: self.step(OLDER))
        self.next_action.triggered.connect(lambda *_: self.step(NEWER))
        panel.previous_button.setDefaultAction(self.previous_action)
        panel.next_button.setDefaultAction(self.next_action)
        panel.refreshRequested.connect(self.refresh)
        panel.dateActivated.connect(self._date_activated)
        panel.footprints_check.toggled.connect(self._footprints_toggled)

    # ----- shortcuts -----

    def register_actions(self, iface: Any) -> None:
        """Shortcuts through QGIS's shortcut manager (listed and editable in Settings > Keyboard Shortcuts)."""
        register = getattr(iface, "registerMainWindowAction", None)
        for action, shortcut in ((self.previous_action, PREVIOUS_SHORTCUT), (self.next_action, NEXT_SHORTCUT)):
            if register is not None and register(action, shortcut):
                self._registered.append(action)
            else:
                action.setShortcut(shortcut)
            action.setToolTip(f"{action.toolTip()} ({action.shortcut().toString()})")

    def unload(self, iface: Any) -> None:
        unregister = getattr(iface, "unregisterMainWindowAction", None)
        for action in self._registered:
            if unregister is not None:
                unregister(action)
        self._registered = []
        self.cancel()
        self._serial += 1  # a listing still running reports to nobody: the dock is going away

    # ----- the list -----

    def refresh(self, *_: Any) -> None:
        """List the dates over the current extent (the Refresh button)."""
        request = self._canvas_request()
        if request is not None:
            self.list_for(request)

    def list_for(self, request: Any) -> None:
        """Start listing the dates of ``request``'s view in the background; a listing under way is replaced."""
        request = replace(request, acquisition_date=None)
        key = listing_key(request)
        if self._task is not None and self._task_key == key:
            return  # already on its way
        self.cancel()
        self._serial += 1
        serial = self._serial
        survey = self._survey
        if survey is None:
            from stac_quicklook_plugin.gui.survey import survey_view as survey
        task = EngineTask(tr("STAC Quicklook: acquisition dates"),
                          lambda progress, is_cancelled: survey(request, progress, is_cancelled))
        task.done.connect(lambda outcome, s=serial, k=key: self._listed(s, k, outcome))
        self._task, self._task_key = task, key
        self.panel.set_note(tr("Listing the acquisition dates over the view …"))
        self.panel.refresh_button.setEnabled(False)
        QgsApplication.taskManager().addTask(task)

    def cancel(self) -> None:
        task, self._task, self._task_key = self._task, None, None
        self._pending_step = 0
        self.panel.refresh_button.setEnabled(True)
        if task is not None:
            try:
                task.cancel()
            except RuntimeError:  # already finished and deleted
                pass

    def _listed(self, serial: int, key: tuple, outcome: EngineOutcome) -> None:
        if serial != self._serial:
            return  # replaced by a newer listing
        self._task, self._task_key = None, None
        self.panel.refresh_button.setEnabled(True)
        step, self._pending_step = self._pending_step, 0
        if outcome.cancelled:
            self.panel.set_note(tr("Listing cancelled."))
            return
        if outcome.exception is not None:
            from stac_quicklook_plugin.core.errors import NothingFound

            self.listed_key = key if isinstance(outcome.exception, NothingFound) else None
            self.acquisitions, self.footprints = [], []
            self.panel.show_acquisitions([], None)
            self.panel.set_note(_first_line(outcome.exception))
            return
        survey = outcome.value
        self.acquisitions, self.footprints, self.listed_key = survey.acquisitions, survey.footprints, key
        self.current_sensor = self._sensor_on_screen() or self.current_sensor
        self.panel.show_acquisitions(self.acquisitions, self.current_date, self.current_sensor)
        self.panel.set_note(tr("{count} date(s) over the view; double-click one to quicklook it.").format(
            count=len(self.acquisitions)))
        if self.panel.footprints_check.isChecked():
            self._show_footprints()
        if step:
            self._step_from_list(step)

    # ----- the date on screen -----

    def on_quicklook(self, result: Any, request: Any) -> None:
        """A quicklook layer was added: its date is on screen; list its view's dates unless listed already."""
        first = (result.items[0].datetime or "")[:10] if result.items else ""
        self.current_date = request.acquisition_date or first or None  # a mosaic: its best scene's date
        self._current_ids = {i.id for i in result.items}
        self.current_sensor = self._sensor_on_screen()  # None until a list of this view says
        self.panel.mark_current(self.current_date, self.current_sensor)
        if not self._listed_already(request):
            self.list_for(request)

    def _sensor_on_screen(self) -> Optional[str]:
        """The sensor of the listed acquisition the quicklook on screen drew from, if it is listed."""
        return next((a.sensor for a in self.acquisitions if a.date == self.current_date
                     and self._current_ids & set(a.items)), None)

    def _listed_already(self, request: Any) -> bool:
        """Whether the list shown is ``request``'s view: the same listing, or one listed acquisition of it (a
        date and that acquisition's collections, as a row of a mixed list asks)."""
        key, listed = listing_key(replace(request, acquisition_date=None)), self.listed_key
        if listed is None or key == listed:
            return key == listed
        if not request.acquisition_date or key[:2] + key[3:] != listed[:2] + listed[3:]:
            return False
        return any(a.date == request.acquisition_date and a.collections and ",".join(a.collections) ==
                   request.collection for a in self.acquisitions)

    def _date_activated(self, day: str, sensor: str = "") -> None:
        self.current_date, self.current_sensor = day, sensor or None
        self.panel.mark_current(day, self.current_sensor)
        acquisition = next((a for a in self.acquisitions if a.date == day and a.sensor == sensor), None)
        if sensor and acquisition is not None and acquisition.collections:
            self._quicklook_date(day, collection=",".join(acquisition.collections))  # that sensor's alone
        else:
            self._quicklook_date(day)

    def step(self, direction: int) -> None:
        """Quicklook the acquisition before (OLDER) or after (NEWER) the one on screen, over the current extent."""
        request = self._canvas_request()
        if request is None:
            return
        key = listing_key(replace(request, acquisition_date=None))
        if key == self.listed_key and self._task is None:
            self._step_from_list(direction)
            return
        self.list_for(request)
        self._pending_step = direction  # after list_for, which clears it when it replaces a listing

    def _step_from_list(self, direction: int) -> None:
        """The next acquisition in time; in a mixed list a date of two sensors is two steps (by sensor name)."""
        from stac_quicklook_plugin.core.engine.acquisitions import is_mixed

        mixed = is_mixed(self.acquisitions)
        steps = sorted({(a.date, a.sensor if mixed else "") for a in self.acquisitions if a.view_coverage > 0})
        current = self.current_date
        here = (current, self.current_sensor) if mixed and current and self.current_sensor else None
        if direction == OLDER:
            earlier = [s for s in steps if current is None or (s < here if here else s[0] < current)]
            target = earlier[-1] if earlier else None
        else:
            later = [s for s in steps if current is not None and (s > here if here else s[0] > current)]
            target = later[0] if later else None
        if target is None:
            self.panel.set_note(_no_more(direction, [s[0] for s in steps]))
            return
        self._date_activated(*target)

    # ----- footprints -----

    def _footprints_toggled(self, checked: bool) -> None:
        from stac_quicklook_plugin.gui.footprints import remove_footprints

        if not checked:
            remove_footprints(QgsProject.instance())
        elif self.listed_key is not None:
            self._show_footprints()
        else:
            self.refresh()

    def _show_footprints(self) -> None:
        from stac_quicklook_plugin.gui.footprints import show_footprints

        show_footprints(self.footprints, QgsProject.instance())


def _no_more(direction: int, dates: list[str]) -> str:
    if not dates:
        return tr("No acquisition date over this view in the date range.")
    span = tr("from {first} to {last}").format(first=dates[0], last=dates[-1])
    if direction == OLDER:
        return tr("No earlier acquisition over this view in the date range ({span}).").format(span=span)
    return tr("No later acquisition over this view in the date range ({span}).").format(span=span)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
