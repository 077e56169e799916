"""The 3D view: a ``pyvistaqt.QtInteractor`` showing the project through the same
:class:`twin.render.view.SceneView` as ``twin render`` (visuals, ground, lights, legend, scale, picking,
camera presets), plus what a window adds: clicks that pick, the cursor position on the ground, highlights
of query results, frame timing and the "first complete frame" signal."""

from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.errors import TwinError
from twin.store.project import Project
from twin_ui.result_selection import ResultSelection
from twin_ui.viewer_input import ViewerInput, ground_point



class QtViewer(QtWidgets.QWidget):
    """The project's layers in 3D. Call :meth:`set_project`; everything else follows the project."""

    feature_picked = QtCore.Signal(str, int, object)  # layer, fid, picked point (project CRS) or None
    picked_nothing = QtCore.Signal()
    cursor_moved = QtCore.Signal(float, float)  # project CRS, on the ground
    cursor_left = QtCore.Signal()
    frame_rendered = QtCore.Signal(float)  # seconds
    legend_changed = QtCore.Signal(str, object)  # layer, LegendBlock or None
    message = QtCore.Signal(str)
    ready = QtCore.Signal()  # the first complete frame of the project was rendered
    _refit_requested = QtCore.Signal()
    _visual_ready = QtCore.Signal(object)  # (name, visual or None, error or None) from a worker thread
    _time_requested = QtCore.Signal()

    def __init__(self, project: Project | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        import pyvista as pv
        from pyvistaqt import QtInteractor

        pv.global_theme.multi_samples = 0  # software GL: MSAA triples the frame time (docs/stack.md)
        self.plotter = QtInteractor(self, auto_update=False, multi_samples=0)
        self.input = ViewerInput(self)
        self.plotter.interactor.installEventFilter(self.input)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plotter.interactor)
        self.project: Project | None = None
        self.scene = None  # twin.render.view.SceneView of the project
        self.selected: tuple[str, int] | None = None
        self._free_overlay = None
        self._ready = False
        self._loaded = False
        self._auto_fit = True  # re-fit the view on resizes until the user moves the camera
        self._frame_start = 0.0
        self.last_frame_seconds = 0.0
        self.frames = 0
        window = self.plotter.render_window
        window.AddObserver("StartEvent", self._on_render_start)
        window.AddObserver("EndEvent", self._on_render_end)
        self._visible_of = lambda name: True
        self._refit_requested.connect(self._refit, QtCore.Qt.ConnectionType.QueuedConnection)
        self._visual_ready.connect(self._adopt, QtCore.Qt.ConnectionType.QueuedConnection)
        self.preparing: set[str] = set()
        self._time_requested.connect(self._apply_time, QtCore.Qt.ConnectionType.QueuedConnection)
        self._pending_time = None
        self._time_posted = False
        self.time_range = None
        self.time_updates = 0
        if project is not None:
            self.set_project(project)

    # ----- the project -------------------------------------------------------------------
    @property
    def visuals(self) -> dict[str, object]:
        """The drawn layers' visuals by layer name."""
        return self.scene.visuals if self.scene is not None else {}

    @property
    def origin(self):
        return self.scene.origin if self.scene is not None else None

    def set_project(self, project: Project, *, visible=None) -> None:
        """Draw every layer of ``project``; ``visible(name)`` says which are shown (default all)."""
        from twin.render.view import SceneView

        self.clear()
        self.project = project
        if visible is not None:
            self._visible_of = visible
        window = self.plotter.render_window
        if min(window.GetSize()) < 2:  # not shown yet: fit the first view to the size the widget will have
            hint = self.size() if min(self.width(), self.height()) > 100 else self.sizeHint()
            window.SetSize(hint.width(), hint.height())
        self.scene = SceneView(project, self.plotter).load(camera="iso")
        self._auto_fit = True
        for name in list(self.scene.visuals):
            if not self._visible_of(name):
                self.scene.set_visible(name, False)
        self._report_problems()
        self._emit_legends(list(self.scene.visuals))
        self._loaded = True
        self.request_render()

    def clear(self) -> None:
        """Remove every layer (before another project is shown)."""
        if self.scene is not None:
            self.scene.close()
            self.scene = None
        self._clear_free_overlay()
        self.selected = None
        self._loaded = False
        self._ready = False

    def _report_problems(self) -> None:
        for name, reason in self.scene.problems.items():
            self.message.emit(f"Layer {name!r} is not drawn: {reason}")

    def _emit_legends(self, names: list[str]) -> None:
        for name in names:
            visual = self.scene.visuals.get(name)
            self.legend_changed.emit(name, self._legend_of(visual) if visual is not None else None)

    def _sync(self, changed: list[str]) -> None:
        """Bring the scene in line with the project after ``changed`` layers were added or restyled."""
        if self.scene is None:
            return
        before = set(self.scene.visuals)
        try:
            self.scene.sync()
        except TwinError as exc:
            self.message.emit(str(exc))
        for name in set(self.scene.visuals) - before:
            self.scene.set_visible(name, self._visible_of(name))
        self._report_problems()
        self._emit_legends([n for n in changed if n in self.scene.visuals])
        self.request_render()

    def add_layer(self, name: str, *, visible: bool = True) -> None:
        """Draw a layer that was just added to the project: its meshes are built on a worker thread,
        then it is drawn here (see :mod:`twin_ui.prepared_visuals`)."""
        from twin_ui.prepared_visuals import prepare_visual
        from twin_ui.workers import executor

        if self.scene is None or name in self.scene.visuals or name in self.preparing:
            return
        self.preparing.add(name)
        scene = self.scene

        def job() -> None:
            try:
                result = (*prepare_visual(None, scene.project, name, scene.origin, picker=scene.picker), None)
            except Exception as exc:  # noqa: BLE001 - reported on the GUI thread
                result = (name, None, exc)
            self._visual_ready.emit((scene, visible, *result))

        executor().submit(job)

    def _adopt(self, outcome: tuple) -> None:
        from twin_ui.prepared_visuals import adopt_visual

        scene, visible, name, visual, error = outcome
        self.preparing.discard(name)
        if scene is not self.scene:  # another project was opened meanwhile
            return
        if error is not None:
            self.message.emit(f"Layer {name!r} cannot be drawn: {error}")
            return
        first = not self.scene.visuals
        if visual is not None and adopt_visual(self.scene, name, visual, visible=visible):
            if self.time_range is not None:
                visual.set_time(self.time_range.start, self.time_range.end)
            self._emit_legends([name])
        if first:
            self.view_preset("iso", render=False)
        self.request_render()

    def remove_layer(self, name: str) -> None:
        if self.selected and self.selected[0] == name:
            self.selected = None
        self._sync([])

    def rename_layer(self, old: str, new: str) -> None:
        if self.selected and self.selected[0] == old:
            self.selected = (new, self.selected[1])
        self._sync([new])

    def restyle_layer(self, name: str) -> None:
        """Apply the layer's stored style (after the user changed it)."""
        self._sync([name])

    def set_layer_visible(self, name: str, visible: bool) -> None:
        """Show or hide a layer in this view (the check box and the stage filter)."""
        if self.scene is not None and name in self.scene.visuals:
            self.scene.set_visible(name, visible)
            self.request_render()

    def set_smooth_edges(self, flag: bool) -> None:
        """FXAA edge smoothing: free on a GPU, but it doubles the frame time of software OpenGL (70 ms
        instead of 38 ms for the demo at 800x580 on llvmpipe), so it is off unless the user turns it on."""
        self.plotter.renderer.SetUseFXAA(bool(flag))
        self.request_render()

    # ----- time ------------------------------------------------------------------------------
    def set_time_range(self, value) -> None:
        """Show the layers at a :class:`twin.time.range.TimeRange` (``None``: no time). Requests arriving
        faster than frames are drawn (a dragged slider) are merged: only the newest is applied."""
        self._pending_time = value
        if not self._time_posted:
            self._time_posted = True
            self._time_requested.emit()

    def _apply_time(self) -> None:
        self._time_posted = False
        value, self._pending_time = self._pending_time, None
        self.time_range = value
        if self.scene is None:
            return
        start, end = (value.start, value.end) if value is not None else (None, None)
        try:
            changed = self.scene.set_time(start, end)
        except Exception as exc:  # noqa: BLE001 - a broken temporal layer must not stop the replay
            self.message.emit(f"Time {value}: {exc}")
            return
        self.time_updates += 1
        if changed:
            self.request_render()

    # ----- camera --------------------------------------------------------------------------
    def view_preset(self, name: str = "iso", *, render: bool = True) -> None:
        """Look at everything from a preset direction: ``iso``, ``top``, ``north``, ``south``..."""
        if self.scene is not None:
            self.scene.view(name)
            if render:
                self.request_render()

    def look(self, target: str) -> None:
        """A camera preset (``iso``, ``top``, ``north``...) over everything, or iso over a layer by name."""
        from twin.scene.camera import PRESETS

        self._auto_fit = False
        if target in PRESETS:
            self.view_preset(target)
        else:
            self._look_at(target)

    def reset_camera(self) -> None:
        """Zoom to everything (isometric)."""
        self.view_preset("iso")

    def zoom_to_layer(self, name: str) -> None:
        self._look_at(name)

    def zoom_to_feature(self, name: str, fid: int) -> None:
        self._look_at(name, fid=fid)

    def _look_at(self, name: str, fid: int | None = None) -> None:
        if self.scene is None:
            return
        try:
            self.scene.view(name, fid=fid)
        except TwinError as exc:
            self.message.emit(str(exc))
            return
        self.request_render()

    # ----- picking and highlighting ----------------------------------------------------------
    def pick_at(self, x: float, y: float):
        """The feature under widget pixel (``x``, ``y``) from the top-left, or ``None`` (a ``Pick``)."""
        if self.scene is None or not self.scene.visuals:
            return None
        ratio = self.plotter.interactor.devicePixelRatioF()
        return self.scene.pick(x * ratio, y * ratio)

    def click(self, x: float, y: float) -> bool:
        """What a click at (``x``, ``y``) does: select the feature there (or clear the selection)."""
        hit = self.pick_at(x, y)
        if hit is None:
            self.highlight({})
            self.selected = None
            self.picked_nothing.emit()
            return False
        self.highlight({hit.layer: [hit.fid]})
        self.selected = (hit.layer, hit.fid)
        self.feature_picked.emit(hit.layer, hit.fid, hit.position)
        return True

    def select_feature(self, name: str, fid: int) -> None:
        """Select a feature by id (as if it had been clicked)."""
        self.highlight({name: [fid]})
        self.selected = (name, fid)
        self.feature_picked.emit(name, int(fid), None)

    def highlight(self, features: dict[str, object]) -> None:
        """Highlight exactly these features ``{layer: fids}`` (others are cleared)."""
        if self.scene is None:
            return
        self.scene.select((name, int(f)) for name, fids in features.items() for f in fids)
        self.request_render()

    def highlighted(self) -> frozenset[tuple[str, int]]:
        """The highlighted (layer, fid) pairs."""
        return self.scene.selection if self.scene is not None else frozenset()

    def highlight_selection(self, selection: ResultSelection) -> None:
        """Highlight what selected query rows point at: features, or free geometries."""
        from twin_ui.geometry_overlay import geometry_overlay

        self.highlight(selection.features)
        self._clear_free_overlay()
        if len(selection.geometries) and self.origin is not None:
            mesh = geometry_overlay(selection.geometries, self.origin)
            if mesh is not None:
                self._free_overlay = self.plotter.add_mesh(
                    mesh, color="#ffb300", line_width=4, point_size=12, render_points_as_spheres=True,
                    pickable=False, reset_camera=False, render=False, name="sql-geometries")
        self.request_render()

    def clear_highlight(self) -> None:
        self.selected = None
        self._clear_free_overlay()
        self.highlight({})

    def _clear_free_overlay(self) -> None:
        if self._free_overlay is not None:
            self.plotter.remove_actor(self._free_overlay, render=False)
            self._free_overlay = None

    def _legend_of(self, visual):
        try:
            return visual.legend()
        except Exception:  # noqa: BLE001 - a legend failure must not hide the layer
            return None

    # ----- rendering -----------------------------------------------------------------------
    def _on_render_start(self, *_args) -> None:
        self._frame_start = time.perf_counter()

    def _on_render_end(self, *_args) -> None:
        self.last_frame_seconds = time.perf_counter() - self._frame_start
        self.frames += 1
        self.frame_rendered.emit(self.last_frame_seconds)
        if self._loaded and not self._ready and self._complete():
            self._ready = True
            self.ready.emit()

    def _complete(self) -> bool:
        """The view is on screen with a real size and a camera fitted to it."""
        width, height = self.plotter.render_window.GetSize()
        position = np.asarray(self.plotter.camera.GetPosition(), dtype=float)
        return self.plotter.interactor.isVisible() and width > 1 and height > 1 and bool(np.isfinite(position).all())

    def _refit(self) -> None:
        if self._auto_fit and self.scene is not None:
            width, height = self.plotter.render_window.GetSize()
            if width > 1 and height > 1:
                self.scene.view("iso")
                self.request_render()

    @property
    def is_ready(self) -> bool:
        """True once the project was loaded and a frame of it was rendered in the visible window."""
        return self._ready

    def wait_until_ready(self, timeout: float = 30.0) -> bool:
        """Process events until the first complete frame is on screen (for --screenshot and tests)."""
        deadline = time.monotonic() + timeout
        app = QtWidgets.QApplication.instance()
        while not self._ready and time.monotonic() < deadline:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if self._loaded and not self._ready and self.plotter.interactor.isVisible():
                self.plotter.interactor.update()
        return self._ready

    def request_render(self) -> None:
        """Ask for a frame: the widget repaints (and VTK renders) once on the next event-loop turn,
        however many changes asked for it. ``plotter.render()`` would render now and then again in
        the repaint that pyvistaqt schedules after every render: twice the work."""
        self.plotter.interactor.update()

    def render_now(self) -> None:
        """Render and paint before returning (screenshots)."""
        self.request_render()
        QtWidgets.QApplication.instance().processEvents()

    def shutdown(self) -> None:
        """Release the render window (the app is closing)."""
        self.clear()
        self.plotter.close()

    def ground_point(self, x: float, y: float) -> tuple[float, float] | None:
        """Where the view ray through widget pixel (x, y) meets the ground, in the project CRS."""
        return ground_point(self, x, y)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802
        return QtCore.QSize(900, 650)
