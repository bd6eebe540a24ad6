"""The dock: search settings (saved as they change), Quicklook/Cancel, a status line, the dates over the view
(gui/acquisitions.py), this session's quicklooks.

The dock owns no engine logic. It writes every control straight into ``gui.settings`` so the toolbar
click and the dock button read the same values, and it fills the collection and asset lists from the
STAC API in background tasks.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable, Optional

from qgis.gui import QgsAuthConfigSelect, QgsDateEdit
from qgis.PyQt.QtCore import QDate, Qt, QTimer, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.acquisitions import AcquisitionsPanel
from stac_quicklook_plugin.gui.catalog import CatalogLists
from stac_quicklook_plugin.gui.history import HISTORY_ROWS, SessionHistory
from stac_quicklook_plugin.gui.i18n import best_available_label, tr
from stac_quicklook_plugin.gui.show import ShowPicker

__all__ = ["HISTORY_ROWS", "QuicklookDock"]

DOCK_OBJECT_NAME = "StacQuicklookDock"
RELOAD_DELAY_MS = 600  # after the last keystroke in the URL / collection field


class QuicklookDock(QDockWidget):
    """Settings and session history for STAC Quicklook."""

    quicklookRequested = pyqtSignal()
    cancelRequested = pyqtSignal()
    layerActivated = pyqtSignal(str)  # layer id of a history row the user double-clicked

    _showing_dates = False  # True while the dock itself sets the date edits (not a user choice)

    def __init__(self, parent: Optional[QWidget] = None,
                 catalog_functions: Optional[Callable[[], Any]] = None):
        super().__init__(tr("STAC Quicklook"), parent)
        self.setObjectName(DOCK_OBJECT_NAME)
        self.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        # Returns the engine's (list_collections, collection_item_assets), or raises ImportError.
        self.catalog = CatalogLists(self._fill_collections, self._fill_assets, self._catalog_failed,
                                    catalog_functions, self)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.refresh_catalog)
        self._build()
        self._load_settings()
        self._connect()

    # ----- layout -----

    def _build(self) -> None:
        body = QWidget(self)
        outer = QVBoxLayout(body)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.api_combo = QComboBox(body)
        self.api_combo.setEditable(True)
        self.api_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.api_combo.setToolTip(tr("STAC API root URL (the landing page that links to /search)"))
        form.addRow(tr("STAC API"), self.api_combo)

        # Only the config's id is stored; the secret stays in QGIS's encrypted auth database.
        self.auth_select = QgsAuthConfigSelect(body)
        self.auth_select.setToolTip(tr("Optional QGIS authentication config (Basic, API key header...) "
                                       "sent to the STAC API only"))
        form.addRow(tr("Authentication"), self.auth_select)

        self.collection_combo = QComboBox(body)
        self.collection_combo.setEditable(True)
        self.collection_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.collection_combo.addItem(best_available_label(), "")
        self.collection_combo.setToolTip(tr("Collection id, or several separated by commas (searched together, "
                                            "each acquisition once); the list is read from the API's /collections"))
        form.addRow(tr("Collection"), self.collection_combo)

        self.date_from = QgsDateEdit(body)
        self.date_to = QgsDateEdit(body)
        for edit in (self.date_from, self.date_to):
            edit.setAllowNull(False)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.last_30_days_button = QToolButton(body)
        self.last_30_days_button.setText(tr("Last 30 days"))
        self.last_30_days_button.setToolTip(tr("Search the 30 days up to today, whenever you click"))
        dates = QHBoxLayout()
        dates.addWidget(self.date_from, 1)
        dates.addWidget(QLabel("–", body))
        dates.addWidget(self.date_to, 1)
        dates.addWidget(self.last_30_days_button)
        form.addRow(tr("Dates"), dates)

        self.cloud_spin = QDoubleSpinBox(body)
        self.cloud_spin.setRange(0.0, 100.0)
        self.cloud_spin.setDecimals(0)
        self.cloud_spin.setSingleStep(5.0)
        self.cloud_spin.setSuffix(" %")
        form.addRow(tr("Max cloud cover"), self.cloud_spin)

        self.rank_combo = QComboBox(body)
        self.rank_combo.addItem(tr("Least cloud over the view"), "view")
        self.rank_combo.addItem(tr("Least cloud over the scene"), "scene")
        self.mask_clouds_check = QCheckBox(tr("Mask clouds"), body)
        self.mask_clouds_check.setToolTip(tr("Fill cloudy pixels (scene classification) from the next scenes"))
        best = QHBoxLayout()
        best.addWidget(self.rank_combo, 1)
        best.addWidget(self.mask_clouds_check)
        form.addRow(tr("Best scene"), best)

        self.asset_combo = QComboBox(body)
        self.asset_combo.setEditable(True)
        self.asset_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.asset_combo.setToolTip(tr("Auto: the true-colour image if the item has one, else the red, "
                                       "green and blue bands"))
        form.addRow(tr("Asset"), self.asset_combo)
        self.show_picker = ShowPicker(body)  # true colour, a composite, an index, band math
        self.show_picker.changed.connect(self._show_changed)
        form.addRow(tr("Show"), self.show_picker)

        stretch = QHBoxLayout()
        self.reflectance_low_spin, self.reflectance_high_spin = QDoubleSpinBox(body), QDoubleSpinBox(body)
        for spin in (self.reflectance_low_spin, self.reflectance_high_spin):
            spin.setRange(-1.0, 2.0)
            spin.setDecimals(3)
            spin.setSingleStep(0.05)
            spin.setToolTip(tr("Composites of reflectance bands (red, green, blue assets) draw this reflectance "
                               "range as dark to bright, the same on every date; the true-colour image and a "
                               "single asset are shown as published"))
            stretch.addWidget(spin)
        form.addRow(tr("Reflectance range"), stretch)

        self.width_spin = QSpinBox(body)
        self.width_spin.setRange(0, settings.MAX_WIDTH)
        self.width_spin.setSingleStep(256)
        self.width_spin.setSuffix(" px")
        self.width_spin.setSpecialValueText(tr("Auto (canvas width)"))
        form.addRow(tr("Output width"), self.width_spin)
        outer.addLayout(form)

        buttons = QHBoxLayout()
        self.quicklook_button = QPushButton(tr("Quicklook"), body)
        self.quicklook_button.setToolTip(tr("Quicklook the current map extent"))
        self.cancel_button = QPushButton(tr("Cancel"), body)
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.quicklook_button)
        buttons.addWidget(self.cancel_button)
        outer.addLayout(buttons)

        self.progress_bar = QProgressBar(body)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(8)
        self.progress_bar.hide()
        outer.addWidget(self.progress_bar)
        self.status_label = QLabel(tr("Pan the map, then click Quicklook."), body)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.status_label)

        self.dates_panel = AcquisitionsPanel(body)  # dates over the view, Previous / Next, Time series
        outer.addWidget(self.dates_panel, 1)

        self.history = SessionHistory(body)  # the quicklooks of this session
        self.history.layerActivated.connect(self.layerActivated)
        outer.addWidget(self.history, 1)
        self.setWidget(body)

    def _load_settings(self) -> None:
        self.api_combo.addItems(list(settings.API_PRESETS) + settings.recent_api_urls())
        self.api_combo.setEditText(settings.api_url())
        self._show_collection(settings.collection())
        self._show_dates(settings.date_from(), settings.date_to())
        self.cloud_spin.setValue(settings.cloud_cover_max())
        self.asset_combo.addItem(tr("Auto"), None)
        key = settings.asset_key()
        if key:
            self.asset_combo.addItem(key, key)
            self.asset_combo.setCurrentIndex(1)
        self.width_spin.setValue(settings.output_width() or 0)
        self.rank_combo.setCurrentIndex(max(self.rank_combo.findData(settings.rank()), 0))
        self.mask_clouds_check.setChecked(settings.mask_clouds())
        low, high = settings.reflectance_range()
        self.reflectance_low_spin.setValue(low)
        self.reflectance_high_spin.setValue(high)
        self.auth_select.setConfigId(settings.auth_cfg() or "")
        self._show_changed()

    def _connect(self) -> None:
        self.api_combo.currentTextChanged.connect(self._api_changed)
        self.collection_combo.currentTextChanged.connect(self._collection_changed)
        self.date_from.dateValueChanged.connect(self._dates_changed)
        self.date_to.dateValueChanged.connect(self._dates_changed)
        self.last_30_days_button.clicked.connect(self.reset_dates)
        self.cloud_spin.valueChanged.connect(settings.set_cloud_cover_max)
        self.rank_combo.currentIndexChanged.connect(lambda index: settings.set_rank(self.rank_combo.itemData(index)))
        self.mask_clouds_check.toggled.connect(settings.set_mask_clouds)
        self.reflectance_low_spin.valueChanged.connect(self._reflectance_range_changed)
        self.reflectance_high_spin.valueChanged.connect(self._reflectance_range_changed)
        self.asset_combo.currentTextChanged.connect(self._asset_changed)
        self.width_spin.valueChanged.connect(lambda value: settings.set_output_width(value or None))
        self.quicklook_button.clicked.connect(self.quicklookRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.auth_select.selectedConfigIdChanged.connect(self._auth_changed)

    # ----- settings written as they change -----

    def _auth_changed(self, config_id: str) -> None:
        settings.set_auth_cfg(config_id or None)
        self.catalog.forget("collections")  # other credentials may see other collections
        self._reload_timer.start()

    def _api_changed(self, text: str) -> None:
        settings.set_api_url(text)
        self._reload_timer.start()

    def _reflectance_range_changed(self, *_: Any) -> None:
        low, high = self.reflectance_low_spin.value(), self.reflectance_high_spin.value()
        if low < high:  # a range being typed may pass through low >= high: the last good one stays saved
            settings.set_reflectance_range(low, high)

    def _collection_changed(self, text: str) -> None:
        settings.set_collection("" if text.strip() == best_available_label() else text)
        self._reload_timer.start()

    def _show_collection(self, collection: str) -> None:
        """The saved collection in the combo: "" shows as the best-available entry."""
        self.collection_combo.setEditText(collection or best_available_label())

    def _dates_changed(self, *_: Any) -> None:
        if self._showing_dates:
            return
        settings.set_dates(self.date_from.date().toPyDate(), self.date_to.date().toPyDate())

    def _show_dates(self, start: date, end: date) -> None:
        self._showing_dates = True
        try:
            self.date_from.setDate(QDate(start.year, start.month, start.day))
            self.date_to.setDate(QDate(end.year, end.month, end.day))
        finally:
            self._showing_dates = False

    def reset_dates(self) -> None:
        """Back to the rolling window: the 30 days up to the day of each click."""
        settings.set_dates(None, None)
        self._show_dates(date.today() - timedelta(days=settings.DEFAULT_DAYS_BACK), date.today())

    def _show_changed(self) -> None:
        """A composite or an index reads the bands it needs: the asset list has no say then."""
        self.asset_combo.setEnabled(self.show_picker.shows_true_colour())

    def _asset_changed(self, text: str) -> None:
        index = self.asset_combo.currentIndex()
        if index >= 0 and self.asset_combo.itemText(index) == text:
            settings.set_asset_key(self.asset_combo.itemData(index))
        else:  # typed by hand
            settings.set_asset_key(None if text.strip() in ("", tr("Auto")) else text)

    # ----- status -----

    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.progress_bar.setVisible(running)
        if running:
            self.progress_bar.setValue(0)

    def set_progress(self, percent: float, message: str) -> None:
        self.progress_bar.setValue(int(percent))
        self.set_status(message)

    def set_status(self, text: str) -> None:
        # Stage messages name the API URL, which may carry a user:password or a token.
        self.status_label.setText(redact(text))

    def add_history(self, layer_id: str, name: str, items: list[Any]) -> None:
        self.history.add(layer_id, name, items)

    # ----- collections and assets from the API, in the background -----

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        # The network is touched only once the dock is seen, never at QGIS start-up with a hidden dock.
        QTimer.singleShot(0, self.refresh_catalog)

    def refresh_catalog(self) -> None:
        """Reload the collection list if the API changed, and the asset list if the collection changed
        (once the dock is seen: never at QGIS start-up with a hidden dock)."""
        if self.isVisible():
            self.catalog.refresh(settings.api_url(), settings.collection(), settings.auth_cfg())

    def unload(self, iface: Any) -> None:
        """The dock leaves QGIS's window: its background list tasks are cancelled and it is deleted."""
        self.cancel_catalog_task()
        remove_dock = getattr(iface, "removeDockWidget", None)
        if remove_dock is not None:
            remove_dock(self)
        self.hide()
        self.setParent(None)
        self.deleteLater()

    def cancel_catalog_task(self, kind: Optional[str] = None) -> None:
        self.catalog.cancel(kind)

    def _catalog_failed(self, kind: str, error: Optional[BaseException]) -> None:
        self.set_status(tr("Could not read the {what} list: {error}").format(
            what=tr("collection") if kind == "collections" else tr("asset"), error=_short(error)))

    def _fill_collections(self, collections: list[tuple[str, str]]) -> None:
        current = self.collection_combo.currentText()
        self.collection_combo.blockSignals(True)
        try:
            self.collection_combo.clear()
            self.collection_combo.addItem(best_available_label(), "")
            self.collection_combo.setItemData(0, tr("On Earth Search v1: sentinel-2-c1-l2a and sentinel-2-l2a "
                                                    "searched together, each acquisition once (Collection 1 "
                                                    "preferred); elsewhere sentinel-2-l2a"),
                                              Qt.ItemDataRole.ToolTipRole)
            for collection_id, title in sorted(collections, key=lambda pair: pair[0]):
                self.collection_combo.addItem(collection_id, collection_id)
                self.collection_combo.setItemData(self.collection_combo.count() - 1, title or collection_id,
                                                  Qt.ItemDataRole.ToolTipRole)
            self.collection_combo.setEditText(current)
        finally:
            self.collection_combo.blockSignals(False)

    def _fill_assets(self, keys: list[str]) -> None:
        current = settings.asset_key()
        self.asset_combo.blockSignals(True)
        try:
            self.asset_combo.clear()
            self.asset_combo.addItem(tr("Auto"), None)
            for key in keys:
                self.asset_combo.addItem(key, key)
            if current and current not in keys:
                self.asset_combo.addItem(current, current)
            self.asset_combo.setCurrentIndex(self.asset_combo.findData(current) if current else 0)
        finally:
            self.asset_combo.blockSignals(False)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._reload_timer.stop()
        super().closeEvent(event)


def _short(error: Optional[BaseException], limit: int = 160) -> str:
    text = redact(str(error) if error is not None else tr("no answer")).strip().splitlines()
    first = text[0] if text else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"
