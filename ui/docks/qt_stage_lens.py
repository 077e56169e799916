"""The stage lens, bound to ``model.lens``: show the city as it was at Stage 1, 2, 3 or 4 (layers of later
stages and buildings completed later hidden everywhere: the 3D view, the layer list greys them, bookmarks save
the stage), and "What changed" at that stage (what it added in colour, what stood before as grey context)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from twin_ui import icons
from twin_ui.labels import stage_colour, stage_label

from twin.model.lens import StageLens


class QtStageLens(QtWidgets.QWidget):
    """A labelled combo box showing and setting ``lens.stage`` (Alt+0..4 choose directly) and a "What changed"
    toggle for ``lens.changes`` (Alt+W)."""

    def __init__(self, lens: StageLens, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.lens = lens
        self.combo = QtWidgets.QComboBox(self)
        self.combo.addItem(icons.standard("SP_DirHomeIcon"), "All stages (today)", None)
        for stage in (1, 2, 3, 4):
            self.combo.addItem(icons.group_icon("stage", stage_colour(stage)), f"Up to {stage_label(stage, long=True)}", stage)
        self.combo.setToolTip("Show the city as it was at a stage: layers of later stages and buildings completed "
                              "later are hidden (Alt+0…4)")
        self.combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(30)
        self.combo.view().setMinimumWidth(self.combo.view().sizeHintForColumn(0) + 24)
        self.combo.currentIndexChanged.connect(self._on_index)
        label = QtWidgets.QLabel("Stage:", self)
        self.changes = QtGui.QAction("What Changed", self)
        self.changes.setCheckable(True)
        self.changes.setShortcut(QtGui.QKeySequence("Alt+W"))
        self.changes.setToolTip("What changed at the chosen stage: what it added in colour, what stood before as "
                                "grey context (Alt+W)")
        self.changes.toggled.connect(lambda on: setattr(self.lens, "changes", on))
        self.changes_button = QtWidgets.QToolButton(self)
        self.changes_button.setDefaultAction(self.changes)
        self.changes_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addWidget(self.changes_button)
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
        self.changes.setEnabled(lens.stage is not None)
        if self.changes.isChecked() != lens.changes:
            self.changes.blockSignals(True)
            self.changes.setChecked(lens.changes)
            self.changes.blockSignals(False)
