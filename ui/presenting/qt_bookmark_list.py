"""The Bookmarks dock: saved views of the city (camera, layers, stage filter, time, caption) and, below
them, the tours that visit them (:mod:`twin_ui.tours_panel`).

*Add* saves what the 3D view shows now; double-click (or *Go*) flies there and turns the layers, the
stage filter and the timeline to the bookmark's; the name is edited in place (tours follow a rename).
Bookmarks are data in the project (:class:`twin.present.store.PresentStore`), the same ones
``twin bookmark`` lists and ``twin render --bookmark`` draws.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6 import QtCore, QtGui, QtWidgets

from twin.errors import TwinError
from twin.present.bookmarks import Bookmark
from twin.present.scene import capture_bookmark
from twin.present.store import PresentStore
from twin_ui import icons
from twin_ui.presentation import _current, fly_to

NAME_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
RIBBON = "#c0392b"


def bookmark_icon(colour: str = RIBBON, *, clock: bool = False) -> QtGui.QIcon:
    """A bookmark ribbon (with a small clock when the bookmark holds a time)."""
    pixmap = QtGui.QPixmap(32, 32)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtGui.QPen(QtGui.QColor(colour).darker(140), 1.5))
    painter.setBrush(QtGui.QColor(colour))
    painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(x, y) for x, y in
                                         ((8, 3), (24, 3), (24, 29), (16, 22), (8, 29))]))
    if clock:
        painter.setPen(QtGui.QPen(QtGui.QColor("#263238"), 1.5))
        painter.setBrush(QtGui.QColor("#ffffff"))
        painter.drawEllipse(QtCore.QPointF(23, 23), 7, 7)
        painter.drawLine(QtCore.QPointF(23, 23), QtCore.QPointF(23, 18.5))
        painter.drawLine(QtCore.QPointF(23, 23), QtCore.QPointF(26.5, 23))
    painter.end()
    return QtGui.QIcon(pixmap)


class QtBookmarks(QtWidgets.QWidget):
    """The bookmarks of ``project`` shown in ``viewer`` (a ``QtViewer``).

    ``timeline``: the :class:`twin.time.timeline.Timeline` (or a getter); ``layer_model``: the window's
    ``LayerTreeModel`` (or a getter) whose check boxes a bookmark sets; ``stage_filter``: the window's
    ``QtStageFilter`` (or a getter). Without them a bookmark changes the view only.
    """

    changed = QtCore.Signal()  # bookmarks were added, renamed, removed or edited
    error = QtCore.Signal(str)

    def __init__(self, project, viewer, *, timeline=None, layer_model=None, stage_filter=None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.viewer = project, viewer
        self.timeline, self.layer_model, self.stage_filter = timeline, layer_model, stage_filter
        self.flight = None
        self._filling = False
        self.list = QtWidgets.QListWidget(self)
        self.list.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QtWidgets.QAbstractItemView.EditTrigger.SelectedClicked)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.itemDoubleClicked.connect(lambda item: self.go(item.data(NAME_ROLE)))
        self.list.currentItemChanged.connect(self._show_details)
        bar = QtWidgets.QToolBar(self)
        bar.setIconSize(QtCore.QSize(18, 18))
        self.add_action = bar.addAction(icons.standard("SP_FileDialogNewFolder"), "Add", self.add_current)
        self.add_action.setToolTip("Save the current view as a bookmark (camera, layers, stage, time)")
        self.update_action = bar.addAction(icons.standard("SP_BrowserReload"), "Update", self.update_current)
        self.update_action.setToolTip("Replace the selected bookmark's view with the current one")
        self.go_action = bar.addAction(icons.standard("SP_MediaPlay"), "Go", lambda: self.go(self.current_name()))
        self.go_action.setToolTip("Fly to the selected bookmark (double-click does the same)")
        self.remove_action = bar.addAction(icons.standard("SP_TrashIcon"), "Remove", self.remove_current)
        self.up_action = bar.addAction(icons.standard("SP_ArrowUp"), "Up", lambda: self.move(-1))
        self.down_action = bar.addAction(icons.standard("SP_ArrowDown"), "Down", lambda: self.move(1))
        self.caption = QtWidgets.QLineEdit(self)
        self.caption.setPlaceholderText("Caption shown when presenting")
        self.caption.editingFinished.connect(self._save_caption)
        self.details = QtWidgets.QLabel(self)
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: #555")
        self.with_time = QtWidgets.QCheckBox("Save the timeline's time with new bookmarks", self)
        self.with_time.setChecked(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(bar)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.details)
        layout.addWidget(self.with_time)
        self.refresh()

    # ----- the model ---------------------------------------------------------------------------
    @property
    def store(self) -> PresentStore:
        return PresentStore(self.project)

    def set_project(self, project) -> None:
        """Show another project's bookmarks."""
        self.project = project
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """Re-read the bookmarks (keeping the selection, or selecting ``select``)."""
        keep = select or self.current_name()
        self._filling = True
        self.list.clear()
        try:
            marks = self.store.bookmarks()
        except TwinError as exc:
            marks = []
            self.error.emit(str(exc))
        for mark in marks:
            item = QtWidgets.QListWidgetItem(bookmark_icon(clock=mark.time is not None), mark.name)
            item.setData(NAME_ROLE, mark.name)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(self._describe(mark))
            self.list.addItem(item)
            if mark.name == keep:
                self.list.setCurrentItem(item)
        self._filling = False
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._show_details()
        self.with_time.setVisible(_current(self.timeline) is not None)

    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def bookmark(self, name: str) -> Bookmark:
        return self.store.bookmark(name)

    # ----- actions -----------------------------------------------------------------------------
    def capture(self, name: str, *, caption: str = "") -> Bookmark:
        """A bookmark of what the view shows now (its layers, the stage filter and the timeline's time)."""
        timeline = _current(self.timeline)
        stage_filter = _current(self.stage_filter)
        when = timeline.current if timeline is not None and self.with_time.isChecked() else None
        stage = stage_filter.stage() if stage_filter is not None else None
        model = _current(self.layer_model)
        if model is None:  # the view's own visibility
            return capture_bookmark(self.viewer.scene, name, time=when, stage=stage, caption=caption)
        checked = tuple(n for n in self.viewer.scene.visuals  # the check boxes: the stage filter is saved apart
                        if model.layer(n) is not None and model.layer(n).style.get("visible", True))
        return capture_bookmark(self.viewer.scene, name, time=when, stage=stage, caption=caption, layers=checked)

    def add_current(self, name: str | None = None) -> str | None:
        """Save the current view under ``name`` (default ``View N``); returns the name."""
        names = set(self.store.names())
        if name is None:
            n = len(names) + 1
            while f"View {n}" in names:
                n += 1
            name = f"View {n}"
        if self.viewer.scene is None:
            return None
        try:
            self.store.save_bookmark(self.capture(name))
        except (TwinError, ValueError) as exc:
            self.error.emit(str(exc))
            return None
        self.refresh(select=name)
        self.changed.emit()
        return name

    def update_current(self) -> None:
        """Give the selected bookmark the current view (its caption stays)."""
        name = self.current_name()
        if name is None:
            return
        old = self.bookmark(name)
        try:
            self.store.save_bookmark(self.capture(name, caption=old.caption), replace=True)
        except (TwinError, ValueError) as exc:
            self.error.emit(str(exc))
            return
        self.refresh(select=name)
        self.changed.emit()

    def remove_current(self, *, confirm: bool = True) -> None:
        name = self.current_name()
        if name is None:
            return
        using = self.store.tours_using(name)
        if confirm and using:
            answer = QtWidgets.QMessageBox.question(
                self, "Remove bookmark", f"“{name}” is a stop of the tour(s) {', '.join(using)}. "
                "Remove it from them too?")
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return
        try:
            self.store.remove_bookmark(name, force=True)
        except TwinError as exc:
            self.error.emit(str(exc))
        self.refresh()
        self.changed.emit()

    def move(self, step: int) -> None:
        names = self.store.names()
        name = self.current_name()
        if name not in names:
            return
        i = names.index(name)
        j = min(max(i + step, 0), len(names) - 1)
        names.insert(j, names.pop(i))
        self.store.reorder_bookmarks(names)
        self.refresh(select=name)
        self.changed.emit()

    def go(self, name: str | None, *, seconds: float = 1.2) -> None:
        """Fly to a bookmark, then set the layers, stage filter and time to its own."""
        if name is None or self.viewer.scene is None:
            return
        mark = self.bookmark(name)
        if self.flight is not None:
            self.flight.close()
        self.flight = fly_to(self.viewer, mark, seconds=seconds, timeline=self.timeline,
                             timezone=self.project.timezone, done=self._arrived)
        self.apply_layers(mark)

    def _arrived(self) -> None:
        self.flight = None

    def apply_layers(self, mark: Bookmark) -> None:
        """The bookmark's layers and stage filter: the window's check boxes and stage box when given."""
        model, stage_filter = _current(self.layer_model), _current(self.stage_filter)
        if stage_filter is not None:
            stage_filter.set_stage(mark.stage)
        if mark.layers is None:
            return
        for name in list(self.viewer.scene.visuals):
            wanted = name in mark.layers
            if model is not None:
                model.set_visible(name, wanted)
            else:
                self.viewer.set_layer_visible(name, wanted)

    # ----- editing -------------------------------------------------------------------------------
    def _on_item_changed(self, item: QtWidgets.QListWidgetItem) -> None:
        if self._filling:
            return
        old, new = item.data(NAME_ROLE), item.text().strip()
        if new == old:
            return
        try:
            self.store.rename_bookmark(old, new)
        except TwinError as exc:
            self.error.emit(str(exc))
            new = old
        self.refresh(select=new)
        self.changed.emit()

    def _save_caption(self) -> None:
        name = self.current_name()
        if name is None:
            return
        mark = self.bookmark(name)
        text = self.caption.text().strip()
        if text != mark.caption:
            self.store.save_bookmark(mark.replace(caption=text), replace=True)
            self.list.currentItem().setToolTip(self._describe(mark.replace(caption=text)))
            self.changed.emit()

    def _show_details(self, *_args) -> None:
        name = self.current_name()
        for action in (self.update_action, self.go_action, self.remove_action, self.up_action, self.down_action):
            action.setEnabled(name is not None)
        self.caption.setEnabled(name is not None)
        if name is None:
            self.caption.clear()
            self.details.setText("No bookmarks yet: turn the view to something worth showing and press Add."
                                 if not self.list.count() else "")
            return
        mark = self.bookmark(name)
        self.caption.setText(mark.caption)
        self.details.setText(self._describe(mark, rich=False))

    def _describe(self, mark: Bookmark, *, rich: bool = True) -> str:
        parts = ["top view" if mark.camera.parallel_scale is not None else f"{mark.camera.distance:,.0f} m away"]
        if mark.time is not None:
            local = mark.time.astimezone(ZoneInfo(self.project.timezone))
            parts.append(local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or ""))
        if mark.layers is not None:
            parts.append(f"{len(mark.layers)} layer(s): {', '.join(mark.layers[:4])}{'…' if len(mark.layers) > 4 else ''}")
        if mark.stage is not None:
            parts.append(f"up to stage {mark.stage}")
        text = " · ".join(parts)
        if rich and mark.caption:
            return f"<b>{mark.name}</b><br>{text}<br><i>{mark.caption}</i>"
        return text


def install_bookmarks(window) -> QtWidgets.QDockWidget:
    """Add the Bookmarks dock (bookmarks above, tours below) to the main window; Ctrl+5 shows it."""
    from twin_ui.tours_panel import QtTours

    dock = QtWidgets.QDockWidget("Bookmarks", window)
    dock.setObjectName("dock_bookmarks")
    splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, dock)
    window.bookmarks = QtBookmarks(window.project, window.viewer, timeline=lambda: window.timeline.timeline,
                                   layer_model=lambda: window.layer_model, stage_filter=lambda: window.stage_filter,
                                   parent=splitter)
    window.tours = QtTours(window.project, window.bookmarks, parent=splitter)
    splitter.addWidget(window.bookmarks)
    splitter.addWidget(window.tours)
    dock.setWidget(splitter)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    inspector = getattr(window, "inspector_dock", None)
    if inspector is not None:
        window.tabifyDockWidget(inspector, dock)
        inspector.raise_()
    window.bookmarks.changed.connect(window.tours.refresh)
    window.bookmarks.error.connect(lambda text: window.statusBar().showMessage(text, 8000))
    window.tours.error.connect(lambda text: window.statusBar().showMessage(text, 8000))
    window.project_changed.connect(window.bookmarks.set_project)
    window.project_changed.connect(window.tours.set_project)
    toggle = dock.toggleViewAction()
    toggle.setShortcut(QtGui.QKeySequence("Ctrl+5"))
    panels = getattr(getattr(window, "commands", None), "panels_menu", None)
    if panels is not None:
        panels.addAction(toggle)
    window.addAction(toggle)
    window.bookmarks_dock = dock
    return dock
