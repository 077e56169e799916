"""The stage filter: show the city as it was at Stage 1, 2, 3 or 4 (layers of later stages hidden)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from twin_ui import icons
from twin_ui.layer_model import LayerTreeModel, stage_colour, stage_label


class QtStageFilter(QtWidgets.QWidget):
    """A labelled combo box driving :meth:`LayerTreeModel.set_stage_filter`; Alt+0..4 choose directly."""

    changed = QtCore.Signal(object)  # int 1-4 or None

    def __init__(self, model: LayerTreeModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
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
            act.triggered.connect(lambda _=False, i=index: self.combo.setCurrentIndex(i))
            self.actions_by_stage[stage] = act
        self.actions_by_stage[None].setChecked(True)

    def set_model(self, model: LayerTreeModel) -> None:
        """Drive another project's layer model (keeping the chosen stage)."""
        self.model = model
        model.set_stage_filter(self.stage())

    def stage(self) -> int | None:
        return self.combo.currentData()

    def set_stage(self, stage: int | None) -> None:
        index = self.combo.findData(stage)
        self.combo.setCurrentIndex(max(index, 0))

    def _on_index(self, index: int) -> None:
        stage = self.combo.itemData(index)
        for key, act in self.actions_by_stage.items():
            act.setChecked(key == stage)
        self.model.set_stage_filter(stage)
        self.changed.emit(stage)
