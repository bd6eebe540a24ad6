"""The dock's acquisitions panel: every date over the view with its cloud over the view, scene cloud and
coverage; Previous / Next date, Refresh, Time series, Footprints. A widget only: gui/dates.py and
gui/series.py do the work."""
from __future__ import annotations

from typing import Any, Iterable, Optional

from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QFont
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.i18n import tr

DATE_ROLE = Qt.ItemDataRole.UserRole  # column 0: the row's date; column 1: its sensor in a mixed list, else ""
COLUMNS = ("date", "view_cloud", "scene_cloud", "coverage")


def percent_text(value: Optional[float]) -> str:
    if value is None:
        return tr("unknown")
    return f"{value:.0f} %" if value >= 10 or value == int(value) else f"{value:.1f} %"


class AcquisitionsPanel(QWidget):
    """The dates of the view, newest first; the date on screen in bold. Double-click quicklooks a date."""

    dateActivated = pyqtSignal(str, str)  # "YYYY-MM-DD" the user double-clicked, its sensor in a mixed list
    refreshRequested = pyqtSignal()
    seriesRequested = pyqtSignal()
    animationRequested = pyqtSignal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        steps = QHBoxLayout()
        # Their default actions (with the shortcuts) are set by gui/dates.py.
        self.previous_button = QToolButton(self)
        self.next_button = QToolButton(self)
        for button in (self.previous_button, self.next_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.refresh_button = QPushButton(tr("Refresh dates"), self)
        self.refresh_button.setToolTip(tr("List the acquisition dates over the current map extent"))
        steps.addWidget(self.previous_button)
        steps.addWidget(self.next_button)
        steps.addStretch(1)
        steps.addWidget(self.refresh_button)
        outer.addLayout(steps)

        series = QHBoxLayout()
        self.series_button = QPushButton(tr("Time series"), self)
        self.series_button.setToolTip(tr("Quicklook every acquisition date of the date range over the map extent, "
                                         "one layer per date, for the Temporal Controller"))
        self.max_dates_spin = QSpinBox(self)
        self.max_dates_spin.setRange(1, settings.MAX_SERIES_MAX_DATES)
        self.max_dates_spin.setPrefix(tr("at most "))
        self.max_dates_spin.setSuffix(tr(" dates"))
        self.max_dates_spin.setToolTip(tr("A time series with more acquisition dates than this is refused"))
        self.max_dates_spin.setValue(settings.series_max_dates())
        self.footprints_check = QCheckBox(tr("Footprints"), self)
        self.footprints_check.setToolTip(tr("Show the outlines of the scenes found as a layer in the quicklook group"))
        self.footprints_check.setChecked(settings.show_footprints())
        self.animation_button = QPushButton(tr("Export animation…"), self)
        self.animation_button.setToolTip(tr("The last time series as an animated GIF: one frame per date, the date "
                                            "burned in, the same stretch on every frame"))
        series.addWidget(self.series_button)
        series.addWidget(self.max_dates_spin)
        series.addWidget(self.animation_button)
        series.addStretch(1)
        series.addWidget(self.footprints_check)
        outer.addLayout(series)

        self.note_label = QLabel(tr("Dates over the view appear here after a quicklook."), self)
        self.note_label.setWordWrap(True)
        outer.addWidget(self.note_label)

        self.list = QTreeWidget(self)
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels([tr("Date"), tr("Cloud over view"), tr("Scene cloud"), tr("Coverage")])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setToolTip(tr("Acquisition dates over the view; double-click one to quicklook it"))
        header = self.list.header()
        header.setStretchLastSection(False)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        outer.addWidget(self.list, 1)

        self.list.itemDoubleClicked.connect(self._double_clicked)
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.series_button.clicked.connect(self.seriesRequested)
        self.animation_button.clicked.connect(self.animationRequested)
        self.max_dates_spin.valueChanged.connect(settings.set_series_max_dates)
        self.footprints_check.toggled.connect(settings.set_show_footprints)

    def show_acquisitions(self, acquisitions: Iterable[Any], current_date: Optional[str],
                          current_sensor: Optional[str] = None) -> None:
        """Fill the list (``core.acquisitions.Acquisition``s, newest first) and mark the one on screen. A list of
        two sensors names each row's ("2024-06-24 · Landsat")."""
        from stac_quicklook_plugin.core.engine.acquisitions import is_mixed

        acquisitions = list(acquisitions)
        mixed = is_mixed(acquisitions)
        self.list.clear()
        for acquisition in acquisitions:
            label = f"{acquisition.date} · {acquisition.sensor}" if mixed else acquisition.date
            row = QTreeWidgetItem([label, percent_text(acquisition.view_cloud),
                                   percent_text(acquisition.scene_cloud), percent_text(acquisition.view_coverage)])
            row.setData(0, DATE_ROLE, acquisition.date)
            row.setData(1, DATE_ROLE, acquisition.sensor if mixed else "")
            row.setToolTip(0, "\n".join(acquisition.items))
            for column in range(1, len(COLUMNS)):
                row.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.list.addTopLevelItem(row)
        self.mark_current(current_date, current_sensor)

    def mark_current(self, current_date: Optional[str], current_sensor: Optional[str] = None) -> None:
        """The acquisition on screen in bold (and scrolled to): its date's row, and in a mixed list its sensor's
        when known."""
        for index in range(self.list.topLevelItemCount()):
            row = self.list.topLevelItem(index)
            sensor = row.data(1, DATE_ROLE)
            on_screen = row.data(0, DATE_ROLE) == current_date and (not sensor or not current_sensor
                                                                     or sensor == current_sensor)
            font = QFont(self.list.font())  # the view's own font (an item's unset font is QFont(), not it)
            font.setBold(on_screen)
            for column in range(len(COLUMNS)):
                row.setFont(column, font)
            if on_screen:
                self.list.scrollToItem(row)

    def dates(self) -> list[str]:
        """The dates shown, top to bottom (what the user reads)."""
        return [self.list.topLevelItem(i).text(0) for i in range(self.list.topLevelItemCount())]

    def current_marked(self) -> Optional[str]:
        for index in range(self.list.topLevelItemCount()):
            row = self.list.topLevelItem(index)
            if row.font(0).bold():
                return row.text(0)
        return None

    def set_note(self, text: str) -> None:
        self.note_label.setText(redact(text))

    def _double_clicked(self, row: QTreeWidgetItem, _column: int) -> None:
        day = row.data(0, DATE_ROLE)
        if day:
            self.dateActivated.emit(str(day), str(row.data(1, DATE_ROLE) or ""))
