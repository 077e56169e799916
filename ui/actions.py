"""Menus, toolbars and keyboard shortcuts of the main window, and the File operations they run
(New, Open, Open Recent, Save, Save As, Import, Quit). View commands act on the window's model."""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from twin.errors import TwinError
from twin_ui import icons
from twin_ui.docks.qt_stage_lens import QtStageLens
from twin_ui.project_files import PROJECT_FILTER, import_filter, open_session, with_project_suffix

if TYPE_CHECKING:
    from twin_ui.window import QtMainWindow


class WindowActions(QtCore.QObject):
    """Every action of the window, by name (tests trigger them like a user would)."""

    def __init__(self, window: "QtMainWindow") -> None:
        super().__init__(window)
        self.window = window
        w = window
        self.new = self._action("&New Project…", "Ctrl+N", self.new_project, icons.standard("SP_FileIcon"))
        self.open = self._action("&Open Project…", "Ctrl+O", self.open_project_dialog, icons.standard("SP_DialogOpenButton"))
        self.save = self._action("&Save Project", "Ctrl+S", self.save_project, icons.standard("SP_DialogSaveButton"))
        self.save.setToolTip("Every change is saved as it is made; Save folds the write-ahead log into the file (Ctrl+S)")
        self.save_as = self._action("Save Project &As…", "Ctrl+Shift+S", self.save_as_dialog, icons.standard("SP_DialogSaveButton"))
        self.import_ = self._action("&Import Data…", "Ctrl+I", self.import_dialog, icons.tool_icon("import"))
        self.compute_links = self._action("Compute &Links", "Ctrl+L", self.compute_links_now)
        self.compute_links.setToolTip("Link the features of the services: incidents to cameras, stations, routes and "
                                      "detectors; excavations to the pipes at risk (Ctrl+L)")
        self.links_runner = None
        self.quit = self._action("&Quit", "Ctrl+Q", w.close, icons.standard("SP_DialogCloseButton"))
        look = w.model.camera.look
        self.fit_all = self._action("Zoom &Full", "Ctrl+Shift+F", lambda: look("iso"), icons.tool_icon("zoom_full"))
        self.view_iso = self._action("&Isometric View", "Ctrl+Alt+1", lambda: look("iso"), icons.tool_icon("iso"))
        self.view_top = self._action("&Top View", "Ctrl+Alt+2", lambda: look("top"), icons.tool_icon("top"))
        self.clear_selection = self._action("&Clear Selection", "Ctrl+Alt+A", w.clear_selection, icons.tool_icon("clear"))
        self.about = self._action("&About Smart City Twin", None, self.show_about, icons.standard("SP_MessageBoxInformation"))
        self.smooth_edges = self._action("Smooth &Edges (FXAA)", None, self._toggle_smooth_edges)
        self.smooth_edges.setCheckable(True)
        self.smooth_edges.setToolTip("Anti-aliasing: nicer edges, but slower rendering without a GPU")
        self.smooth_edges.setChecked(bool(w.settings.preference("smooth_edges", False)))
        w.view.set_smooth_edges(self.smooth_edges.isChecked())
        self.recent_menu = QtWidgets.QMenu("Open &Recent", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)

    def _action(self, text: str, shortcut: str | None, slot, icon: QtGui.QIcon | None = None) -> QtGui.QAction:
        act = QtGui.QAction(text, self.window)
        if icon is not None:
            act.setIcon(icon)
        if shortcut:
            act.setShortcut(QtGui.QKeySequence(shortcut))
            act.setToolTip(f"{text.replace('&', '').rstrip('…')} ({shortcut})")
        act.triggered.connect(lambda _=False: slot())
        self.window.addAction(act)
        return act

    # ----- File ----------------------------------------------------------------------------
    def new_project(self, path: str | pathlib.Path | None = None) -> bool:
        """Create an empty project file and show it (its CRS is fixed by the first import)."""
        path = path or self._ask_save_path("New project")
        if not path:
            return False
        target = with_project_suffix(path)
        if target.exists():
            QtWidgets.QMessageBox.warning(self.window, "New project", f"{target} already exists; open it instead.")
            return False
        return self._switch(lambda: open_session(target, create=True), "New project")

    def _ask_save_path(self, title: str) -> str:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, title, self.window.settings.last_directory(), PROJECT_FILTER)
        return path

    def open_project_dialog(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, "Open project", self.window.settings.last_directory(), PROJECT_FILTER)
        return self.open_path(path) if path else False

    def open_path(self, path: str | pathlib.Path) -> bool:
        """Open a project file in this window."""
        path = pathlib.Path(path)
        current = self.window.session.path if self.window.session is not None else None
        if current is not None and path.resolve() == current.resolve():
            return True
        return self._switch(lambda: open_session(path), "Open project")

    def save_project(self) -> bool:
        """Fold everything into the project file (changes are committed as they are made)."""
        try:
            self.window.session.save()
        except (TwinError, OSError) as exc:
            self.window.report_error("Save project", exc)
            return False
        self.window.statusBar().showMessage(f"Saved {self.window.session.path}", 5000)
        return True

    def save_as_dialog(self, path: str | pathlib.Path | None = None) -> bool:
        """Copy the project to a new file and continue working in the copy."""
        path = path or self._ask_save_path("Save project as")
        if not path:
            return False
        try:
            target = self.window.session.save_as(path)
        except (TwinError, OSError) as exc:
            self.window.report_error("Save project as", exc)
            return False
        return self._switch(lambda: open_session(target), "Save project as")

    def _switch(self, opener, title: str) -> bool:
        if self._import_running():
            QtWidgets.QMessageBox.information(self.window, title, "Wait for the running import to finish first.")
            return False
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            session = opener()
        except (TwinError, OSError) as exc:
            QtWidgets.QApplication.restoreOverrideCursor()
            self.window.report_error(title, exc)
            return False
        try:
            self.window.set_session(session)
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        if session.path is not None:
            self.window.settings.set_last_directory(session.path)
        return True

    def _import_running(self) -> bool:
        from twin_ui.dialogs.qt_import_dialog import QtImportDialog

        return any(d.writer.busy for d in self.window.findChildren(QtImportDialog))

    def import_dialog(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(
            self.window, "Import data", self.window.settings.last_directory(), import_filter())
        if paths:
            self.window.settings.set_last_directory(paths[0])
            self.window.import_files(paths)

    def compute_links_now(self) -> None:
        """Run the plugins' linkers on a worker thread; the links dock and the 3D view follow when done."""
        from twin.links.compute import compute_links
        from twin_ui.workers import LatestRunner

        session = self.window.session
        if self.links_runner is None:
            self.links_runner = LatestRunner(self)
            self.links_runner.finished.connect(self._links_computed)
            self.links_runner.failed.connect(lambda exc, _tb: self.window.report_error("Compute links", exc))
        self.window.statusBar().showMessage("Computing links…")
        self.links_runner.submit(lambda task: (session, compute_links(session.project, progress=task.progress)))

    def _links_computed(self, outcome) -> None:
        session, runs = outcome
        if session is not self.window.session:
            return
        made = sum(run.links for run in runs)
        failed = [f"{run.linker}: {run.error}" for run in runs if run.error]
        self.window.model.links.refresh()
        text = f"Computed {made:,} link(s) with {len(runs)} linker(s)"
        self.window.statusBar().showMessage(text + (f"; failed: {'; '.join(failed)}" if failed else ""), 10000)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.window.settings.recent_projects()
        for path in recent:
            act = self.recent_menu.addAction(pathlib.Path(path).name)
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Recent Projects", self.window.settings.clear_recent_projects)

    def _toggle_smooth_edges(self) -> None:
        flag = self.smooth_edges.isChecked()
        self.window.settings.set_preference("smooth_edges", flag)
        self.window.view.set_smooth_edges(flag)

    # ----- Layer / Help ----------------------------------------------------------------------
    def fill_layer_menu(self, menu: QtWidgets.QMenu) -> None:
        """The Layer menu: import, then the layer tree's own actions (they act on its current layer)."""
        menu.clear()
        menu.addAction(self.import_)
        menu.addAction(self.compute_links)
        menu.addSeparator()
        tree = self.window.layer_list
        for act in (tree.zoom_action, tree.style_action, tree.rename_action, tree.remove_action):
            menu.addAction(act)

    def show_about(self) -> QtWidgets.QDialog:
        from twin_ui.dialogs.qt_about import QtAboutDialog

        dialog = QtAboutDialog(self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog


def install_actions(window: "QtMainWindow") -> WindowActions:
    """Create the actions, menus and toolbars of ``window``."""
    a = WindowActions(window)
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    for act in (a.new, a.open):
        file_menu.addAction(act)
    file_menu.addMenu(a.recent_menu)
    file_menu.addAction(a.save)
    file_menu.addAction(a.save_as)
    file_menu.addSeparator()
    file_menu.addAction(a.import_)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    view_menu = bar.addMenu("&View")
    for act in (a.fit_all, a.view_iso, a.view_top, a.clear_selection):
        view_menu.addAction(act)
    view_menu.addSeparator()
    view_menu.addAction(a.smooth_edges)
    panels = view_menu.addMenu("&Panels")
    for dock, key in ((window.layers_dock, "Ctrl+1"), (window.inspector_dock, "Ctrl+2"), (window.sql_dock, "Ctrl+3"),
                      (window.timeline_dock, "Ctrl+4"), (window.links_dock, "Ctrl+6")):
        toggle = dock.toggleViewAction()
        toggle.setShortcut(QtGui.QKeySequence(key))
        panels.addAction(toggle)
    plugin_toggles = window.plugin_panels.toggle_actions()
    if plugin_toggles:
        panels.addSection("Plugin panels")
        for toggle in plugin_toggles:
            panels.addAction(toggle)
    a.panels_menu = panels

    layer_menu = bar.addMenu("&Layer")
    layer_menu.aboutToShow.connect(lambda: a.fill_layer_menu(layer_menu))

    project_bar = window.addToolBar("Project")
    project_bar.setObjectName("toolbar_project")
    for act in (a.new, a.open, a.save):
        project_bar.addAction(act)
    project_bar.addSeparator()
    project_bar.addAction(a.import_)
    nav_bar = window.addToolBar("Navigation")
    nav_bar.setObjectName("toolbar_navigation")
    for act in (a.fit_all, a.view_iso, a.view_top, a.clear_selection):
        nav_bar.addAction(act)
    stage_bar = window.addToolBar("Stage")
    stage_bar.setObjectName("toolbar_stage")
    window.stage_lens = QtStageLens(window.model.lens, stage_bar)
    stage_bar.addWidget(window.stage_lens)
    stage_menu = view_menu.addMenu("&Stage Lens")
    for act in window.stage_lens.actions_by_stage.values():
        stage_menu.addAction(act)
        window.addAction(act)
    stage_menu.addSeparator()
    stage_menu.addAction(window.stage_lens.changes)
    a.toolbars = [project_bar, nav_bar, stage_bar]
    for toolbar in a.toolbars:
        toolbar.setIconSize(QtCore.QSize(22, 22))
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.about)
    a.view_menu = view_menu
    return a
