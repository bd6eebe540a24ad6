"""The panel's session history: one row per quicklook made this session (newest on top, at most HISTORY_ROWS),
one child per item used; a double-click names the layer to zoom to."""
from __future__ import annotations

from typing import Any, Optional

from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from stac_quicklook_plugin.gui.i18n import tr

HISTORY_ROWS = 100  # quicklooks listed in the panel, newest first: a long session's list stays bounded


class SessionHistory(QTreeWidget):
    layerActivated = pyqtSignal(str)  # layer id of the row (or item) the user double-clicked

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels([tr("Quicklook / item"), tr("Date"), tr("Cloud")])
        self.setRootIsDecorated(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip(tr("Quicklooks made this session; double-click to zoom to one"))
        self.itemDoubleClicked.connect(self._double_clicked)

    def add(self, layer_id: str, name: str, items: list[Any]) -> None:
        """One row per quicklook (newest on top), one child per item used."""
        row = QTreeWidgetItem([name, "", ""])
        row.setData(0, Qt.ItemDataRole.UserRole, layer_id)
        row.setToolTip(0, name)
        for item in items:
            child = QTreeWidgetItem([item.id, (item.datetime or "")[:10], _cloud(item)])
            child.setData(0, Qt.ItemDataRole.UserRole, layer_id)
            child.setToolTip(0, item.id)
            row.addChild(child)
        if len(items) == 1:
            row.setText(1, (items[0].datetime or "")[:10])
            row.setText(2, _cloud(items[0]))
        self.insertTopLevelItem(0, row)
        row.setExpanded(True)
        while self.topLevelItemCount() > HISTORY_ROWS:
            self.takeTopLevelItem(self.topLevelItemCount() - 1)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        layer_id = item.data(0, Qt.ItemDataRole.UserRole)
        if layer_id:
            self.layerActivated.emit(str(layer_id))


def _cloud(item: Any) -> str:
    return "" if item.cloud_cover is None else f"{item.cloud_cover:.1f} %"
