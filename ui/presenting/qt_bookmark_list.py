"""The Bookmarks dock, bound to ``model.bookmarks``: saved views of the city (camera, layers, stage lens,
time, caption) and, below them, the tours that visit them (:mod:`twin_ui.presenting.qt_tour_list`).

*Add* saves what the model shows now; double-click (or *Go*) flies there and turns the layers, the stage
lens and the timeline to the bookmark's; the name is edited in place (tours follow a rename). The model
writes bookmarks into the project, the same ones ``twin bookmark`` lists and ``twin render --bookmark`` draws.
"""

from __future__ import annotations

import html

from zoneinfo import ZoneInfo

from PySide6 import QtCore, QtGui, QtWidgets

from twin.errors import TwinError
from twin.model.twin import TwinModel
from twin.present.bookmarks import Bookmark
from twin_ui import icons
from twin_ui.presenting.qt_presentation import fly_to

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


class QtBookmarkList(QtWidgets.QWidget):
    """The bookmarks of ``model`` (see the module docstring)."""

    error = QtCore.Signal(str)

    def __init__(self, model: TwinModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.flight = None
        self._filling = False
        self.list = QtWidgets.QListWidget(self)
        self.list.setMinimumHeight(36)  # the dock shares the right side: it may be short
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
        model.bookmarks.events.changed.connect(self.refresh)
        model.time.events.timeline.connect(lambda _t: self.with_time.setVisible(model.time.timeline is not None))
        self.refresh()

    # ----- the model ---------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Show the model's bookmarks again (keeping the selection, or selecting ``select``)."""
        keep = select or self.current_name()
        self._filling = True
        self.list.clear()
        for mark in self.model.bookmarks:
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
        self.with_time.setVisible(self.model.time.timeline is not None)

    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def select(self, name: str) -> None:
        """Make a bookmark the current row."""
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)

    def bookmark(self, name: str) -> Bookmark:
        return self.model.bookmarks[name]

    # ----- actions -----------------------------------------------------------------------------
    def capture(self, name: str, *, caption: str = "") -> Bookmark:
        """A bookmark of what the model shows now (checked layers, the lens's stage, the time when asked)."""
        with_time = self.with_time.isChecked() and self.model.time.timeline is not None
        return self.model.capture_bookmark(name, caption=caption, with_time=with_time)

    def add_current(self, name: str | None = None) -> str | None:
        """Save the current view under ``name`` (default ``View N``); returns the name."""
        name = name or self.model.bookmarks.unused_name()
        try:
            self.model.bookmarks.save(self.capture(name))
        except TwinError as exc:
            self.error.emit(str(exc))
            return None
        self.select(name)
        return name

    def update_current(self) -> None:
        """Give the selected bookmark the current view (its caption stays)."""
        name = self.current_name()
        if name is None:
            return
        try:
            self.model.bookmarks.save(self.capture(name, caption=self.bookmark(name).caption), replace=True)
        except TwinError as exc:
            self.error.emit(str(exc))
            return
        self.select(name)

    def remove_current(self, *, confirm: bool = True) -> None:
        name = self.current_name()
        if name is None:
            return
        using = self.model.tours.using(name)
        if confirm and using:
            answer = QtWidgets.QMessageBox.question(
                self, "Remove bookmark", f"“{name}” is a stop of the tour(s) {', '.join(using)}. "
                "Remove it from them too?")
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return
        try:
            self.model.remove_bookmark(name)
        except TwinError as exc:
            self.error.emit(str(exc))

    def move(self, step: int) -> None:
        name = self.current_name()
        if name is not None:
            self.model.bookmarks.move(name, step)
            self.select(name)

    def go(self, name: str | None, *, seconds: float = 1.2) -> None:
        """Fly to a bookmark, then set the layers, stage lens and time to its own."""
        if name is None:
            return
        mark = self.bookmark(name)
        if self.flight is not None:
            self.flight.close()
        self.flight = fly_to(self.model, mark, seconds=seconds, parent=self, done=self._arrived)
        self.apply_layers(mark)

    def _arrived(self) -> None:
        self.flight = None

    def apply_layers(self, mark: Bookmark) -> None:
        """The bookmark's layers (their check boxes) and stage lens, in the model."""
        self.model.lens.stage = mark.stage
        if mark.layers is None:
            return
        for layer in self.model.layers:
            layer.visible = layer.name in mark.layers

    # ----- editing -------------------------------------------------------------------------------
    def _on_item_changed(self, item: QtWidgets.QListWidgetItem) -> None:
        if self._filling:
            return
        old, new = item.data(NAME_ROLE), item.text().strip()
        if new == old:
            return
        try:
            self.model.rename_bookmark(old, new)
        except TwinError as exc:
            self.error.emit(str(exc))
            new = old
        self.refresh(select=new)

    def _save_caption(self) -> None:
        name = self.current_name()
        if name is None:
            return
        mark = self.bookmark(name)
        text = self.caption.text().strip()
        if text != mark.caption:
            self.model.bookmarks.save(mark.replace(caption=text), replace=True)

    def _show_details(self, *_args) -> None:
        name = self.current_name()
        if name is not None and name not in self.model.bookmarks:
            name = None  # the list is being emptied (a project closed): its rows go before it is refilled
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
            local = mark.time.astimezone(ZoneInfo(self.model.timezone))
            parts.append(local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or ""))
        if mark.layers is not None:
            parts.append(f"{len(mark.layers)} layer(s): {', '.join(mark.layers[:4])}{'…' if len(mark.layers) > 4 else ''}")
        if mark.stage is not None:
            parts.append(f"up to stage {mark.stage}")
        text = " · ".join(parts)
        if rich and mark.caption:
            return f"<b>{html.escape(mark.name)}</b><br>{html.escape(text)}<br><i>{html.escape(mark.caption)}</i>"
        return html.escape(text) if rich else text


def install_bookmarks(window) -> QtWidgets.QDockWidget:
    """Add the Bookmarks dock (bookmarks above, tours below) to the main window; Ctrl+5 shows it."""
    from twin_ui.presenting.qt_tour_list import QtTourList

    dock = QtWidgets.QDockWidget("Bookmarks", window)
    dock.setObjectName("dock_bookmarks")
    splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, dock)
    window.bookmarks = QtBookmarkList(window.model, parent=splitter)
    window.tours = QtTourList(window.model, window.bookmarks, parent=splitter)
    splitter.addWidget(window.bookmarks)
    splitter.addWidget(window.tours)
    dock.setWidget(splitter)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    inspector = getattr(window, "inspector_dock", None)
    if inspector is not None:
        window.tabifyDockWidget(inspector, dock)
        inspector.raise_()
    window.bookmarks.error.connect(lambda text: window.statusBar().showMessage(text, 8000))
    window.tours.error.connect(lambda text: window.statusBar().showMessage(text, 8000))
    toggle = dock.toggleViewAction()
    toggle.setShortcut(QtGui.QKeySequence("Ctrl+5"))
    panels = getattr(getattr(window, "commands", None), "panels_menu", None)
    if panels is not None:
        panels.addAction(toggle)
    window.addAction(toggle)
    window.bookmarks_dock = dock
    return dock
