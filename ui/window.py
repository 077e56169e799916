"""The main window: the 3D view in the centre, the layer tree (left), the attribute inspector (right),
the SQL console (bottom), a stage filter, and a status bar with the cursor position."""

from __future__ import annotations

import pathlib

from PySide6 import QtCore, QtGui, QtWidgets

from twin.errors import TwinError
from twin.plugins.context import PanelContext
from twin.plugins.registry import PluginRegistry
from twin.store.project import Project
from twin_ui import icons
from twin_ui.inspector import QtAttributeInspector
from twin_ui.layer_model import LayerTreeModel
from twin_ui.layer_tree import QtLayerTree
from twin_ui.plugin_panels import QtPluginPanels
from twin_ui.project_events import QtProjectEvents
from twin_ui.result_selection import ResultSelection
from twin_ui.settings import AppSettings
from twin_ui.sql_console import QtSqlConsole
from twin_ui.stage_filter import QtStageFilter
from twin_ui.status import QtCoordinateStatus
from twin_ui.timeline_dock import QtTimeline, timeline_for
from twin_ui.viewer import QtViewer


class QtMainWindow(QtWidgets.QMainWindow):
    """The planner's window onto one open project (New/Open replace the project in place)."""

    project_changed = QtCore.Signal(object)

    def __init__(self, project: Project, *, settings: AppSettings | None = None,
                 plugins: PluginRegistry | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or AppSettings()
        self.panel_context = PanelContext(None, registry=plugins)
        self.project: Project | None = None
        self.events: QtProjectEvents | None = None
        self.layer_model: LayerTreeModel | None = None
        self.setAcceptDrops(True)
        self.setDockOptions(QtWidgets.QMainWindow.DockOption.AnimatedDocks
                            | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks)
        self.setWindowIcon(icons.kind_icon("buildings"))
        self.viewer = QtViewer(None, self)
        self.setCentralWidget(self.viewer)
        self.layers_dock = self._dock("Layers", "layers", QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Attributes", "inspector", QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.timeline_dock = self._dock("Timeline", "timeline", QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.sql_dock = self._dock("SQL Console", "sql", QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.timeline_dock, self.sql_dock, QtCore.Qt.Orientation.Vertical)
        self.timeline = QtTimeline(None, parent=self.timeline_dock)
        self.timeline_dock.setWidget(self.timeline)
        self.timeline.range_changed.connect(self._on_time_range)
        self.coordinates = QtCoordinateStatus(None, self)
        self.statusBar().addPermanentWidget(self.coordinates)
        self.statusBar().setSizeGripEnabled(True)
        self.stage_filter: QtStageFilter | None = None
        self.viewer.feature_picked.connect(self._on_feature_picked)
        self.viewer.picked_nothing.connect(self._on_picked_nothing)
        self.viewer.cursor_moved.connect(self.coordinates.set_position)
        self.viewer.cursor_left.connect(self.coordinates.clear_position)
        self.viewer.frame_rendered.connect(self.coordinates.set_frame_time)
        self.viewer.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.viewer.legend_changed.connect(lambda name, block: self.layer_model.set_legend(name, block))
        self.set_project(project)
        self.plugin_panels = QtPluginPanels(self.panel_context, self)

        from twin_ui.actions import install_actions  # the menus and toolbars need the project's layer model

        self.commands = install_actions(self)
        from twin_ui.bookmarks_dock import install_bookmarks
        from twin_ui.presentation import install_presentation

        install_bookmarks(self)  # Bookmarks dock (bookmarks and tours), Ctrl+5, in View > Panels
        install_presentation(self)  # Present menu: Start Presentation (F5, Esc leaves), Export Movie (Ctrl+Shift+M)
        self.resizeDocks([self.layers_dock, self.inspector_dock], [300, 320], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.timeline_dock, self.sql_dock], [70, 220], QtCore.Qt.Orientation.Vertical)
        self.restore_window_state()

    # ----- docks ---------------------------------------------------------------------------
    def _dock(self, title: str, name: str, area: QtCore.Qt.DockWidgetArea) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    # ----- the project ---------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Show ``project`` (the previous one is closed once its workers are done)."""
        old = self.project
        if old is not None:
            self._release(old)
        self.project = project
        self.events = QtProjectEvents(project, self)
        self.layer_model = LayerTreeModel(project, self.events, self)
        self.layer_tree = QtLayerTree(self.layer_model, self.layers_dock)
        self.inspector = QtAttributeInspector(project, self.inspector_dock)
        self.sql_console = QtSqlConsole(project, self.settings, self.sql_dock)
        self.layers_dock.setWidget(self.layer_tree)
        self.inspector_dock.setWidget(self.inspector)
        self.sql_dock.setWidget(self.sql_console)
        if self.stage_filter is not None:
            self.stage_filter.set_model(self.layer_model)

        self.layer_model.visibility_changed.connect(self.viewer.set_layer_visible)
        self.layer_model.error.connect(lambda text: QtWidgets.QMessageBox.warning(self, "Layers", text))
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.events.layer_added.connect(self._on_layer_added, queued)
        self.events.layer_removed.connect(self._on_layer_removed, queued)
        self.events.layer_renamed.connect(self.viewer.rename_layer, queued)
        self.events.layer_styled.connect(self.viewer.restyle_layer, queued)
        self.events.layer_changed.connect(self._on_layer_changed, queued)
        self.layer_tree.zoom_requested.connect(self.viewer.zoom_to_layer)
        self.layer_tree.style_requested.connect(self.edit_style)
        self.sql_console.selection_changed.connect(self._on_result_selection)
        self.coordinates.set_crs(project.crs)
        self.viewer.set_project(project, visible=self.layer_model.effective_visible)
        self.viewer.set_time_range(None)
        self.timeline.set_timeline(timeline_for(project.layers()), timezone=project.timezone)
        self._show_timeline_dock()
        self.panel_context.set_project(project)
        if project.path is not None:
            self.settings.add_recent_project(project.path)
        self._update_title()
        self.project_changed.emit(project)

    def _release(self, project: Project) -> None:
        from twin_ui.import_dialog import QtImportDialog

        self.timeline.pause()
        for dialog in self.findChildren(QtImportDialog):
            dialog.reader.cancel()
            dialog.writer.wait()  # a write is one transaction: let it commit before the project closes
            dialog.close()
        for runner in (self.sql_console.runner,):
            runner.cancel()
            runner.wait()
        if self.events is not None:
            self.events.detach()
        self.viewer.clear()
        project.close()

    def _update_title(self) -> None:
        assert self.project is not None
        name = self.project.path.name if self.project.path else "untitled"
        self.setWindowTitle(f"{name} — Smart City Twin")
        self.setWindowFilePath(str(self.project.path or ""))

    def _on_layer_added(self, name: str) -> None:
        self.coordinates.set_crs(self.project.crs)
        self.viewer.add_layer(name, visible=self.layer_model.effective_visible(name))
        self._update_timeline()

    def _update_timeline(self) -> None:
        """Cover the time spans of the layers now in the project (a new timeline when there was none)."""
        current = self.timeline.timeline
        timeline = timeline_for(self.project.layers(), previous=current)
        if timeline is not current:
            self.timeline.set_timeline(timeline, timezone=self.project.timezone)
            self._show_timeline_dock()

    def _show_timeline_dock(self) -> None:
        """The timeline dock is shown when the project has time-based layers, hidden otherwise."""
        self.timeline_dock.setVisible(self.timeline.timeline is not None)

    def _on_layer_removed(self, name: str) -> None:
        self.viewer.remove_layer(name)
        self._update_timeline()
        if self.inspector.record is not None and self.inspector.record.layer.name == name:
            self.inspector.clear()

    def _on_layer_changed(self, name: str) -> None:
        self.viewer.set_layer_visible(name, self.layer_model.effective_visible(name))

    # ----- picking and selections ------------------------------------------------------------
    def _on_feature_picked(self, layer: str, fid: int, point: object) -> None:
        self.inspector.show_feature(layer, fid, picked=tuple(point) if point is not None else None)
        self.inspector_dock.raise_()
        self.layer_tree.select_layer(layer)
        self.statusBar().showMessage(f"{layer}: feature {fid}", 5000)
        self.panel_context.set_selection(layer, [fid])

    def _on_picked_nothing(self) -> None:
        self.inspector.clear()
        self.panel_context.set_selection(None)

    def _on_time_range(self, value) -> None:
        self.viewer.set_time_range(value)
        self.panel_context.set_time(value.end if value is not None else None)

    def _on_result_selection(self, selection: ResultSelection) -> None:
        self.viewer.highlight_selection(selection)
        if selection.features:
            layer, fids = next(iter(selection.features.items()))
            self.panel_context.set_selection(layer, list(fids))
        if not selection.empty:
            self.statusBar().showMessage(f"Highlighted {selection.describe()}", 5000)

    def clear_selection(self) -> None:
        self.viewer.clear_highlight()
        self.inspector.clear()
        self.panel_context.set_selection(None)

    # ----- styles ----------------------------------------------------------------------------
    def edit_style(self, name: str) -> None:
        """Open the style dialog of a layer."""
        from twin_ui.style_dialog import QtStyleDialog

        dialog = QtStyleDialog(self.layer_model, name, self)
        dialog.open()

    # ----- import ------------------------------------------------------------------------------
    def import_files(self, paths: list[str | pathlib.Path]) -> list[QtWidgets.QDialog]:
        """Open the import dialog for each file, one after the other."""
        from twin.io.service import ImportService
        from twin_ui.import_dialog import QtImportDialog

        dialogs = []
        previous: QtWidgets.QDialog | None = None
        for path in paths:
            dialog = QtImportDialog(ImportService(self.project), path, self)
            dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.imported.connect(self._on_imported)
            if previous is None:
                dialog.open()
            else:
                previous.finished.connect(lambda _=0, d=dialog: d.open())
            previous = dialog
            dialogs.append(dialog)
        return dialogs

    def _on_imported(self, names: list[str]) -> None:
        self.statusBar().showMessage(f"Imported {', '.join(names)}", 8000)

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
        self._show_timeline_dock()
        if self.stage_filter is not None:
            self.stage_filter.set_stage(self.settings.preference("stage_filter", 0) or None)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        if self.stage_filter is not None:
            self.settings.set_preference("stage_filter", self.stage_filter.stage() or 0)
        self.settings.sync()
        if self.project is not None:
            self._release(self.project)
            self.project = None
        self.viewer.shutdown()
        super().closeEvent(event)

    def report_error(self, title: str, exc: BaseException) -> None:
        """Show an error as a message box (our errors as they are; others with their type)."""
        text = str(exc) if isinstance(exc, TwinError) else f"{type(exc).__name__}: {exc}"
        QtWidgets.QMessageBox.warning(self, title, text)
