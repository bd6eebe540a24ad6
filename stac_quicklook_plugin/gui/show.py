"""The dock's "Show" row: what a quicklook shows (true colour, a composite, an index, or band math the user
types), saved as it changes. An expression is checked as it is typed by the engine's parser (never evaluated):
a refused one says why in the field's tooltip, and the click says it again."""
from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from stac_quicklook_plugin.core.bands.expression import parse
from stac_quicklook_plugin.core.bands.presets import PRESETS, TRUE_COLOR
from stac_quicklook_plugin.core.errors import BadInput
from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.i18n import tr

EXPRESSION = "expression"


def preset_labels() -> dict[str, str]:
    """The presets' names as the dock shows them (translated)."""
    return {
        "true-color": tr("True colour"),
        "false-color": tr("False colour (NIR, red, green)"),
        "swir": tr("Short-wave infrared (SWIR, NIR, red)"),
        "agriculture": tr("Agriculture (SWIR, NIR, blue)"),
        "ndvi": tr("NDVI (vegetation)"),
        "ndwi": tr("NDWI (open water)"),
        "ndmi": tr("NDMI (moisture)"),
        "nbr": tr("NBR (burn ratio)"),
        "evi": tr("EVI (enhanced vegetation)"),
    }


class ShowPicker(QWidget):
    """A preset list, and the expression field when "Band math…" is chosen."""

    changed = pyqtSignal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.combo = QComboBox(self)
        labels = preset_labels()
        for name in PRESETS:
            self.combo.addItem(labels.get(name, name), name)
        self.combo.addItem(tr("Band math…"), EXPRESSION)
        self.combo.setToolTip(tr("Composites and indices are computed on reflectance (the catalog's scale and "
                                 "offset), from the bands' common names; cloud ranking and masking work for all"))
        self.expression_edit = QLineEdit(self)
        self.expression_edit.setPlaceholderText("(nir - red) / (nir + red)")
        self.expression_edit.setClearButtonEnabled(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.expression_edit, 2)
        self._load()
        self.combo.currentIndexChanged.connect(self._preset_chosen)
        self.expression_edit.textChanged.connect(self._expression_typed)

    def _load(self) -> None:
        expression = settings.expression()
        name = EXPRESSION if expression else settings.preset()
        index = self.combo.findData(name)
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.expression_edit.setText(expression)
        self.expression_edit.setVisible(self.combo.currentData() == EXPRESSION)
        self._check(expression)

    def _preset_chosen(self, index: int) -> None:
        name = self.combo.itemData(index)
        custom = name == EXPRESSION
        self.expression_edit.setVisible(custom)
        settings.set_preset("" if custom or name == TRUE_COLOR else str(name))
        settings.set_expression(self.expression_edit.text() if custom else "")
        self.changed.emit()

    def _expression_typed(self, text: str) -> None:
        if self.combo.currentData() == EXPRESSION:
            settings.set_expression(text)
        self._check(text)
        self.changed.emit()

    def _check(self, text: str) -> None:
        """Say in the field whether the text is band math (parsed, never run)."""
        problem = ""
        if text.strip():
            try:
                parse(text)
            except BadInput as exc:
                problem = str(exc)
        self.expression_edit.setToolTip(problem or tr("Band math over the bands' common names or asset keys: "
                                                      "+ - * /, parentheses, numbers"))
        self.expression_edit.setStyleSheet("color: #b00020;" if problem else "")

    def shows_true_colour(self) -> bool:
        return self.combo.currentData() == TRUE_COLOR
