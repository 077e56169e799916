"""The layer list dock, bound to ``model.layers``: check boxes for visibility, a context menu (zoom to,
style, colour by, opacity, rename, remove) and keyboard shortcuts (F2 rename, Del remove, Ctrl+Shift+L zoom
to layer, F7 style). Every action changes the model; the rows follow its events."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from twin.errors import TwinError
from twin.plugins.kinds import style_controls
from twin_ui import icons
from twin_ui.docks.layer_list_model import LEVEL_ROLE, NAME_ROLE, LayerListModel


class QtLayerList(QtWidgets.QWidget):
    """A tree of the model's layers with their legends."""

    style_requested = QtCore.Signal(str)
    current_layer_changed = QtCore.Signal(str)  # "" when no layer is current

    def __init__(self, model: LayerListModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.twin = model.model
        self.view = QtWidgets.QTreeView(self)
        self.view.setModel(model)
        self.view.setHeaderHidden(True)
        self.view.setUniformRowHeights(True)
        self.view.setIconSize(QtCore.QSize(18, 18))
        self.view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QtWidgets.QAbstractItemView.EditTrigger.SelectedClicked)
        self.view.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self._collapsed: set[tuple[str, str]] = set()
        self.view.collapsed.connect(lambda index: self._collapsed.add(self._key(index)))
        self.view.expanded.connect(lambda index: self._collapsed.discard(self._key(index)))
        model.modelReset.connect(self._restore_expansion)
        model.rowsInserted.connect(lambda *_: self._restore_expansion())

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view)
        self._make_actions()
        self._restore_expansion()
        self.twin.selection.events.changed.connect(self._follow_selection)
        self.destroyed.connect(lambda *_: self.twin.selection.events.changed.disconnect(self._follow_selection))

    def _follow_selection(self, selection) -> None:
        """A picked feature's layer becomes the current row."""
        if selection.layer is not None:
            self.select_layer(selection.layer)

    # ----- actions -------------------------------------------------------------------------
    def _make_actions(self) -> None:
        def action(text: str, shortcut: str | None, slot, icon: QtGui.QIcon | None = None) -> QtGui.QAction:
            act = QtGui.QAction(text, self)
            if icon is not None:
                act.setIcon(icon)
            if shortcut:
                act.setShortcut(QtGui.QKeySequence(shortcut))
                act.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.zoom_action = action("&Zoom to Layer", "Ctrl+Shift+L", self._zoom_current, icons.tool_icon("zoom_full"))
        self.style_action = action("&Style…", "F7", self._style_current, icons.standard("SP_FileDialogDetailedView"))
        self.rename_action = action("&Rename", "F2", self._rename_current)
        self.remove_action = action("Re&move Layer…", "Del", self._remove_current, icons.standard("SP_TrashIcon"))

    def current_layer(self) -> str | None:
        """Name of the layer under the tree's cursor, or ``None``."""
        index = self.view.currentIndex()
        if index.isValid() and index.data(LEVEL_ROLE) == "layer":
            return index.data(NAME_ROLE)
        return None

    def select_layer(self, name: str) -> None:
        """Make a layer current (and visible in the tree)."""
        item = self.model.item_for(name)
        if item is not None:
            index = item.index()
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)

    def _zoom_current(self) -> None:
        if (name := self.current_layer()) is not None:
            self.twin.camera.look(name)

    def _style_current(self) -> None:
        if (name := self.current_layer()) is not None:
            self.style_requested.emit(name)

    def _rename_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid() and index.data(LEVEL_ROLE) == "layer":
            self.view.edit(index)

    def _remove_current(self, *, confirm: bool = True) -> None:
        name = self.current_layer()
        if name is None:
            return
        self.remove_layer(name, confirm=confirm)

    def remove_layer(self, name: str, *, confirm: bool = True) -> bool:
        """Remove a layer from the project (asking first unless ``confirm`` is false)."""
        if confirm:
            answer = QtWidgets.QMessageBox.question(
                self, "Remove layer",
                f"Remove the layer “{name}” and its data from the project?\n"
                "The record of its import is kept.",
                QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
                QtWidgets.QMessageBox.StandardButton.No,
            )
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return False
        try:
            self.twin.remove_layer(name)
        except TwinError as exc:
            QtWidgets.QMessageBox.warning(self, "Remove layer", str(exc))
            return False
        return True

    # ----- context menu --------------------------------------------------------------------
    def _context_menu(self, pos: QtCore.QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        menu = self.build_menu(index)
        if menu is not None:
            menu.exec(self.view.viewport().mapToGlobal(pos))

    def build_menu(self, index: QtCore.QModelIndex) -> QtWidgets.QMenu | None:
        """The context menu of a tree row (a layer's, or a group's)."""
        menu = QtWidgets.QMenu(self)
        level = index.data(LEVEL_ROLE)
        if level == "layer":
            name = index.data(NAME_ROLE)
            menu.addAction(self.zoom_action)
            menu.addSeparator()
            menu.addAction(self.style_action)
            menu.addMenu(self._colour_by_menu(name, menu))
            menu.addMenu(self._opacity_menu(name, menu))
            menu.addSeparator()
            menu.addAction(self.rename_action)
            menu.addAction(self.remove_action)
        elif level in ("stage", "service"):
            menu.addAction("Expand All", self.view.expandAll)
            menu.addAction("Collapse All", self.view.collapseAll)
        else:
            return None
        return menu

    def _colour_by_menu(self, name: str, parent: QtWidgets.QMenu) -> QtWidgets.QMenu:
        """*Colour By*: one colour, semantic surfaces (buildings) or any attribute, in one click."""
        from twin.scene.features import attribute_types
        from twin.scene.style import BY_SURFACE

        layer = self.model.layer(name)
        current = layer.style.color_by if layer else None
        sub = QtWidgets.QMenu("&Colour By", parent)
        group = QtGui.QActionGroup(sub)
        choices: list[tuple[str, object]] = [("Single colour", None)]
        if layer is not None and "surfaces" in style_controls(layer.kind, registry=self.twin.registry):
            choices.append(("Semantic surface", BY_SURFACE))
        try:
            columns = attribute_types(self.twin.project, layer.info) if layer and self.twin.project else {}
            choices += [(column, column) for column in columns]
        except TwinError:
            pass
        for label, value in choices:
            act = sub.addAction(label)
            act.setCheckable(True)
            act.setChecked(value == current)
            group.addAction(act)
            act.triggered.connect(lambda _=False, v=value: self._update_style(name, color_by=v))
        return sub

    def _update_style(self, name: str, **changes: object) -> None:
        layer = self.model.layer(name)
        if layer is None:
            return
        try:
            layer.update_style(**changes)
        except TwinError as exc:
            QtWidgets.QMessageBox.warning(self, "Style", str(exc))

    def _opacity_menu(self, name: str, parent: QtWidgets.QMenu) -> QtWidgets.QMenu:
        layer = self.model.layer(name)
        current = layer.opacity if layer else 1.0
        sub = QtWidgets.QMenu("&Opacity", parent)
        box = QtWidgets.QWidget(sub)
        row = QtWidgets.QHBoxLayout(box)
        row.setContentsMargins(12, 4, 12, 4)
        slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, box)
        slider.setRange(0, 100)
        slider.setValue(round(current * 100))
        slider.setMinimumWidth(140)
        label = QtWidgets.QLabel(f"{round(current * 100)} %", box)
        label.setMinimumWidth(40)
        slider.valueChanged.connect(lambda v: label.setText(f"{v} %"))
        slider.sliderReleased.connect(lambda: self._update_style(name, opacity=slider.value() / 100))
        row.addWidget(slider)
        row.addWidget(label)
        widget_action = QtWidgets.QWidgetAction(sub)
        widget_action.setDefaultWidget(box)
        sub.addAction(widget_action)
        for percent in (100, 75, 50, 25):
            sub.addAction(f"{percent} %", lambda p=percent: self._update_style(name, opacity=p / 100))
        return sub

    def _double_clicked(self, index: QtCore.QModelIndex) -> None:
        if index.data(LEVEL_ROLE) == "layer":
            self.style_requested.emit(index.data(NAME_ROLE))

    def _current_changed(self, current: QtCore.QModelIndex, _previous: QtCore.QModelIndex) -> None:
        is_layer = current.isValid() and current.data(LEVEL_ROLE) == "layer"
        for act in (self.zoom_action, self.style_action, self.rename_action, self.remove_action):
            act.setEnabled(is_layer)
        self.current_layer_changed.emit(current.data(NAME_ROLE) if is_layer else "")

    # ----- expansion kept across rebuilds ----------------------------------------------------
    def _key(self, index: QtCore.QModelIndex) -> tuple[str, str]:
        parent = index.parent()
        return (str(parent.data(NAME_ROLE)) if parent.isValid() else "", str(index.data(NAME_ROLE)))

    def _restore_expansion(self) -> None:
        def visit(parent: QtCore.QModelIndex) -> None:
            for row in range(self.model.rowCount(parent)):
                index = self.model.index(row, 0, parent)
                if index.data(LEVEL_ROLE) in ("stage", "service", "layer") and self.model.rowCount(index):
                    self.view.setExpanded(index, self._key(index) not in self._collapsed)
                    visit(index)

        visit(QtCore.QModelIndex())
