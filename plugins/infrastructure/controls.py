"""The utilities kind's own control in the style dialog: how much the tubes are thickened."""

from __future__ import annotations

from PySide6 import QtWidgets

from twin_plugins.infrastructure.visual import EXAGGERATION


class UtilityControls(QtWidgets.QWidget):
    """Built with the model's layer; ``params()`` gives the style settings it edits (``exaggeration``)."""

    def __init__(self, layer, parent=None) -> None:
        super().__init__(parent)
        self.exaggeration = QtWidgets.QDoubleSpinBox(self)
        self.exaggeration.setRange(1.0, 50.0)
        self.exaggeration.setDecimals(1)
        self.exaggeration.setSuffix(" x")
        self.exaggeration.setToolTip("Tube diameter = pipe diameter x this factor (1 = true size)")
        self.exaggeration.setValue(float(layer.style.params.get("exaggeration", EXAGGERATION)))
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QtWidgets.QLabel("Tube exaggeration:", self))
        layout.addWidget(self.exaggeration)

    def params(self) -> dict:
        return {"exaggeration": self.exaggeration.value()}
