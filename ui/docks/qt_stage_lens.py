"""The stage lens, bound to ``model.lens``: show the city as it was at Stage 1, 2, 3 or 4 (layers of later
stages hidden everywhere: the 3D view, the layer list greys them, bookmarks save the stage)."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from twin.model.lens import StageLens
from twin_ui import icons
from twin_ui.labels import stage_colour, stage_label


class QtStageLens(QtWidgets.QWidget):
    """A labelled combo box showing and setting ``lens.stage``; Alt+0..4 choose directly."""

    def __init__(self, lens: StageLens, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.lens = lens
        self.combo = QtWidgets.QComboBox(self)
        self.combo.addItem(icons.standard("SP_DirHomeIcon"), "All stages (today)", None)
        for stage in (1, 2, 3, 4):
            self.combo.addItem(icons.group_icon("stage", stage_colour(stage)), f"Up to {stage_label(stage, long=True)}", stage)
        self.combo.setToolTip("Show the city as it was at a stage: layers of later stages are hidden (Alt+0…4)")
        self.combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(30)
        self.combo.view().setMinimumWidth(self.combo.view().sizeHintForColumn(0) + 24)
        self.combo.currentIndexChanged.connect(self._on_index)
        label = QtWidgets.QLabel("Stage:", self)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        self.actions_by_stage: dict[object, QtGui.QAction] = {}
        for index in range(self.combo.count()):
            stage = self.combo.itemData(index)
            act = QtGui.QAction(self.combo.itemText(index), self)
            act.setShortcut(QtGui.QKeySequence(f"Alt+{stage or 0}"))
            act.setCheckable(True)
            act.triggered.connect(lambda _=False, s=stage: self.set_stage(s))
            self.actions_by_stage[stage] = act
        lens.events.changed.connect(self._show)
        self._show(lens)

    def stage(self) -> int | None:
        return self.lens.stage

    def set_stage(self, stage: int | None) -> None:
        """Look at the city through ``stage`` (``None``: today, every stage)."""
        self.lens.stage = stage

    def _on_index(self, index: int) -> None:
        self.lens.stage = self.combo.itemData(index)

    def _show(self, lens: StageLens) -> None:
        index = max(self.combo.findData(lens.stage), 0)
        if self.combo.currentIndex() != index:
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(index)
            self.combo.blockSignals(False)
        for key, act in self.actions_by_stage.items():
            act.setChecked(key == lens.stage)
