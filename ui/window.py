"""The main window: one :class:`twin.model.twin.TwinModel` and the widgets bound to it.

The 3D view in the centre, the layer list (left), the selection's attributes and links (right), the timeline and
the SQL console (bottom), the stage lens in a toolbar, a status bar with the cursor position, plugin
panels and the Bookmarks dock. Every widget takes the model and follows its events; none talks to the
project file. The window holds the open :class:`twin.model.session.Session` (New/Open replace it in the
same model) and answers what needs it: importing files and saving.
"""

from __future__ import annotations

import html
import pathlib

from PySide6 import QtCore, QtGui, QtWidgets

from twin.errors import TwinError
from twin.model.context import PanelContext
from twin.model.session import Session
from twin.model.twin import TwinModel
from twin.plugins.registry import PluginRegistry
from twin_ui import icons
from twin_ui.docks.layer_list_model import LayerListModel
from twin_ui.docks.qt_layer_list import QtLayerList
from twin_ui.docks.qt_links import QtLinks
from twin_ui.docks.qt_plugin_panels import QtPluginPanels
from twin_ui.docks.qt_selection import QtSelection
from twin_ui.docks.qt_sql_console import QtSqlConsole
from twin_ui.docks.qt_status import QtStatus
from twin_ui.docks.qt_timeline import QtTimeline
from twin_ui.settings import AppSettings
from twin_ui.view3d.qt_twin_view import QtTwinView


class QtMainWindow(QtWidgets.QMainWindow):
    """The planner's window onto one open project (New/Open replace the project in the same model)."""

    project_changed = QtCore.Signal(object)  # the new Session

    def __init__(self, session: Session, *, settings: AppSettings | None = None,
                 plugins: PluginRegistry | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or AppSettings()
        self.model = TwinModel(registry=plugins)
        self.panel_context = PanelContext(self.model, registry=plugins)
        self.session: Session | None = None
        self.setAcceptDrops(True)
        self.setDockOptions(QtWidgets.QMainWindow.DockOption.AnimatedDocks
                            | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks)
        self.setWindowIcon(icons.kind_icon("buildings"))
        self.view = QtTwinView(self.model, self)
        self.setCentralWidget(self.view)
        # the default layout leaves most of the window to the 3D view: one column on the left (layers above, the
        # selection's attributes, links and the bookmarks as tabs below), the timeline under the view; the SQL
        # console opens under it on demand (Ctrl+3). See docs/app.md.
        left = QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
        self.layers_dock = self._dock("Layers", "layers", left)
        self.inspector_dock = self._dock("Attributes", "inspector", left)
        self.links_dock = self._dock("Links", "links", left)
        self.timeline_dock = self._dock("Timeline", "timeline", QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.sql_dock = self._dock("SQL Console", "sql", QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.timeline_dock, self.sql_dock, QtCore.Qt.Orientation.Vertical)
        self.splitDockWidget(self.layers_dock, self.inspector_dock, QtCore.Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.inspector_dock, self.links_dock)
        self.inspector_dock.raise_()
        self.layer_list = QtLayerList(LayerListModel(self.model, self), self.layers_dock)
        self.inspector = QtSelection(self.model, self.inspector_dock)
        self.links = QtLinks(self.model.links, self.links_dock)
        self.timeline = QtTimeline(self.model, self.timeline_dock)
        self.sql_console = QtSqlConsole(self.model, self.settings, self.sql_dock)
        for dock, widget in ((self.layers_dock, self.layer_list), (self.inspector_dock, self.inspector),
                             (self.links_dock, self.links),
                             (self.timeline_dock, self.timeline), (self.sql_dock, self.sql_console)):
            dock.setWidget(widget)
        self.status = QtStatus(None, self)
        self.statusBar().addPermanentWidget(self.status)
        self.statusBar().setSizeGripEnabled(True)
        self.stage_lens = None  # QtStageLens, made with the toolbars (twin_ui.actions)
        self._connect()
        self.set_session(session)
        self.plugin_panels = QtPluginPanels(self.panel_context, self)

        from twin_ui.actions import install_actions
        from twin_ui.presenting.qt_bookmark_list import install_bookmarks
        from twin_ui.presenting.qt_presentation import install_presentation

        self.commands = install_actions(self)
        install_bookmarks(self)  # Bookmarks dock (bookmarks and tours), Ctrl+5, in View > Panels
        install_presentation(self)  # Present menu: Start Presentation (F5, Esc leaves), Export Movie (Ctrl+Shift+M)
        self.restore_window_state()

    def _dock(self, title: str, name: str, area: QtCore.Qt.DockWidgetArea) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        model = self.model
        model.events.error.connect(lambda text: QtWidgets.QMessageBox.warning(self, "Smart City Twin", text))
        model.events.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        model.events.project.connect(lambda _p: self.status.set_crs(model.crs))
        model.layers.events.inserted.connect(lambda *_: self.status.set_crs(model.crs))
        model.selection.events.changed.connect(self._on_selection)
        model.time.events.timeline.connect(lambda _t: self._show_timeline_dock())
        self.view.cursor_moved.connect(self.status.set_position)
        self.view.cursor_left.connect(self.status.clear_position)
        self.view.frame_rendered.connect(self.status.set_frame_time)
        self.view.legend_changed.connect(lambda name, block: self.layer_list.model.set_legend(name, block))
        self.layer_list.model.error.connect(lambda text: QtWidgets.QMessageBox.warning(self, "Layers", text))
        self.layer_list.style_requested.connect(self.edit_style)

    # ----- the project ---------------------------------------------------------------------------
    @property
    def project(self):
        """The open project as the window's widgets see it (a read-only ``ProjectReader``)."""
        return self.model.project

    def set_session(self, session: Session) -> None:
        """Show ``session``'s project in the window's model (the previous one is closed once its writes are done)."""
        old = self.session
        if old is not None:
            self._release(old)
        self.session = session
        session.bind(self.model)
        self.model.time.start()
        self._show_timeline_dock()
        if session.path is not None:
            self.settings.add_recent_project(session.path)
        self._update_title()
        self.project_changed.emit(session)

    def _release(self, session: Session) -> None:
        from twin_ui.dialogs.qt_import_dialog import QtImportDialog

        self.timeline.pause()
        for dialog in self.findChildren(QtImportDialog):
            dialog.reader.cancel()
            dialog.writer.wait()  # a write is one transaction: let it commit before the project closes
            dialog.close()
        self.sql_console.runner.cancel()
        self.sql_console.runner.wait()
        runner = getattr(getattr(self, "commands", None), "links_runner", None)
        if runner is not None:
            runner.wait()  # links are written in one transaction: let it commit
        session.unbind()
        self.model.close()
        session.close()

    def _update_title(self) -> None:
        path = self.session.path if self.session is not None else None
        self.setWindowTitle(f"{path.name if path else 'untitled'} — Smart City Twin")
        self.setWindowFilePath(str(path or ""))

    def _show_timeline_dock(self) -> None:
        """The timeline dock is shown when the project has time-based layers, hidden otherwise."""
        self.timeline_dock.setVisible(self.model.time.timeline is not None)

    def _on_selection(self, selection) -> None:
        if selection.primary is not None:
            layer, fid = selection.primary
            self.inspector_dock.raise_()
            more = len(selection.items) - 1
            self.statusBar().showMessage(f"{layer}: feature {fid}" + (f" and {more} more" if more else ""), 5000)

    def clear_selection(self) -> None:
        self.model.selection.clear()

    # ----- styles ----------------------------------------------------------------------------
    def edit_style(self, name: str) -> None:
        """Open the style dialog of a layer."""
        from twin_ui.dialogs.qt_style_dialog import QtStyleDialog

        dialog = QtStyleDialog(self.model, name, self)
        dialog.open()

    # ----- import ------------------------------------------------------------------------------
    def import_files(self, paths: list[str | pathlib.Path]) -> list[QtWidgets.QDialog]:
        """Open the import dialog for each file, one after the other."""
        from twin_ui.dialogs.qt_import_dialog import QtImportDialog

        dialogs = []
        previous: QtWidgets.QDialog | None = None
        for path in paths:
            dialog = QtImportDialog(self.session.imports, path, self)
            dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.imported.connect(lambda outcome, s=self.session: self._on_imported(s, outcome))
            if previous is None:
                dialog.open()
            else:
                previous.finished.connect(lambda _=0, d=dialog: d.open())
            previous = dialog
            dialogs.append(dialog)
        return dialogs

    def _on_imported(self, session: Session, outcome) -> None:
        """An import was written (on a worker): its layers join the model here, on the GUI thread."""
        if session is not self.session:  # written into a project that was closed since
            return
        session.adopt(outcome)
        names = ", ".join(layer.name for layer in outcome.layers)
        self.statusBar().showMessage(f"Imported {names}", 8000)

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    # ----- state -------------------------------------------------------------------------------
    def restore_window_state(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        if state is not None:
            self.restoreState(state)
        else:
            self.default_layout()
        self._show_timeline_dock()
        self.model.lens.stage = self.settings.preference("stage_filter", 0) or None

    def default_layout(self) -> None:
        """Docks as a first start shows them: the left column a fifth of the window (at least 300 px), the layer
        tree taller than the attributes; the SQL console closed, the timeline two rows high."""
        self.sql_dock.hide()
        width = max(300, min(self.width() // 5, 420))
        self.resizeDocks([self.layers_dock], [width], QtCore.Qt.Orientation.Horizontal)
        height = max(self.height() - 140, 300)
        self.resizeDocks([self.layers_dock, self.inspector_dock], [height * 3 // 5, height * 2 // 5],
                         QtCore.Qt.Orientation.Vertical)
        self.resizeDocks([self.timeline_dock], [self.timeline.sizeHint().height()], QtCore.Qt.Orientation.Vertical)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if not self._laid_out and self.isVisible():
            self._laid_out = True  # the first size the window really gets: lay the docks out for it once
            if self.settings.window_state()[1] is None:
                self.default_layout()

    _laid_out = False

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.settings.set_preference("stage_filter", self.model.lens.stage or 0)
        self.settings.sync()
        if self.session is not None:
            self._release(self.session)
            self.session = None
        self.view.shutdown()
        super().closeEvent(event)

    def report_error(self, title: str, exc: BaseException) -> None:
        """Show an error as a message box (our errors as they are; others with their type)."""
        text = str(exc) if isinstance(exc, TwinError) else f"{type(exc).__name__}: {exc}"
        QtWidgets.QMessageBox.warning(self, title, html.escape(text))
