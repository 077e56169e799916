"""The 3D view of the model: a ``pyvistaqt.QtInteractor`` showing the core's :class:`twin.render.view.SceneView`
of the :class:`twin.model.twin.TwinModel`, the same scene ``twin render`` draws off-screen.

What the window adds to the scene: clicks select features in the model, the user's camera moves are
written to the model's camera, layers added later (imports) are built on a worker thread, repaints are
merged into one per event-loop turn, the cursor position on the ground, frame timing and the "first
complete frame" signal. The widget holds no state of its own about what is shown: that is the model.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.model.twin import TwinModel
from twin_ui.view3d.view_input import ViewInput, ground_point


class QtTwinView(QtWidgets.QWidget):
    """The model's layers in 3D (see the module docstring)."""

    cursor_moved = QtCore.Signal(float, float)  # project CRS, on the ground
    cursor_left = QtCore.Signal()
    frame_rendered = QtCore.Signal(float)  # seconds
    legend_changed = QtCore.Signal(str, object)  # layer, LegendBlock or None
    ready = QtCore.Signal()  # the first complete frame of the project was rendered
    _refit_requested = QtCore.Signal()
    _visual_ready = QtCore.Signal(object)  # (scene, name, visual or None, error or None) from a worker thread
    _posted = QtCore.Signal(object)  # a function from a worker thread to run on the GUI thread (loaded tiles)

    def __init__(self, model: TwinModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        import pyvista as pv
        from pyvistaqt import QtInteractor

        from twin.render.tiled import set_main_thread
        from twin.render.view import SceneView

        pv.global_theme.multi_samples = 0  # software GL: MSAA triples the frame time (docs/stack.md)
        self.model = model
        self.plotter = QtInteractor(self, auto_update=False, multi_samples=0)
        self.input = ViewInput(self)
        self.plotter.interactor.installEventFilter(self.input)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plotter.interactor)
        self._ready = False
        self.auto_fit = True  # re-fit the view on resizes until the user moves the camera
        self._frame_start = 0.0
        self.last_frame_seconds = 0.0
        self.frames = 0
        self.preparing: set[str] = set()
        window = self.plotter.render_window
        window.AddObserver("StartEvent", self._on_render_start)
        window.AddObserver("EndEvent", self._on_render_end)
        self._refit_requested.connect(self._refit, QtCore.Qt.ConnectionType.QueuedConnection)
        self._visual_ready.connect(self._adopt, QtCore.Qt.ConnectionType.QueuedConnection)
        self._posted.connect(self._run_posted, QtCore.Qt.ConnectionType.QueuedConnection)
        set_main_thread(self.plotter, self._posted.emit)  # tiles of large layers load in the background
        self._fit_window_size()
        self.scene = SceneView(model, self.plotter, changed=self.request_render, deferred=self._build_later,
                               schedule=lambda fn: QtCore.QTimer.singleShot(0, fn), drawn=self._emit_legend)
        for name in list(self.scene.visuals):
            self._emit_legend(name)
        model.events.project.connect(self._on_project)
        model.camera.events.look.connect(self._on_look)
        model.camera.events.pose.connect(self._on_pose)

    # ----- the project ---------------------------------------------------------------------------
    @property
    def visuals(self) -> dict[str, object]:
        """The drawn layers' visuals by layer name."""
        return self.scene.visuals

    @property
    def origin(self):
        return self.scene.origin

    def _fit_window_size(self) -> None:
        window = self.plotter.render_window
        if min(window.GetSize()) < 2:  # not shown yet: fit the first view to the size the widget will have
            hint = self.size() if min(self.width(), self.height()) > 100 else self.sizeHint()
            window.SetSize(hint.width(), hint.height())

    def _on_project(self, _project) -> None:
        """The model shows another project: the scene has redrawn it; wait for its first frame again."""
        self.auto_fit = True
        self._ready = False
        self.preparing.clear()
        self.request_render()

    def _emit_legend(self, name: str) -> None:
        scene = getattr(self, "scene", None)
        if scene is None:  # SceneView is drawing a model that already has layers: emitted once it is set
            return
        visual = scene.visuals.get(name)
        try:
            block = visual.legend() if visual is not None else None
        except Exception:  # noqa: BLE001 - a legend failure must not hide the layer
            block = None
        self.legend_changed.emit(name, block)

    # ----- layers added later: built on a worker thread -----------------------------------------------
    def _build_later(self, name: str) -> None:
        from twin_ui.workers import executor

        if name in self.preparing:
            return
        self.preparing.add(name)
        scene = self.scene

        def job() -> None:
            try:
                outcome = (scene, name, scene.prepare(name), None)
            except Exception as exc:  # noqa: BLE001 - reported on the GUI thread
                outcome = (scene, name, None, exc)
            self._visual_ready.emit(outcome)

        executor().submit(job)

    def _adopt(self, outcome: tuple) -> None:
        scene, name, visual, error = outcome
        self.preparing.discard(name)
        if scene is not self.scene or name not in self.model.layers:  # closed, or removed meanwhile
            return
        if not scene.adopt(name, visual, error) and name in scene.problems:
            self.model.events.message.emit(f"Layer {name!r} is not drawn: {scene.problems[name]}")

    def _run_posted(self, fn) -> None:
        """A tile loaded on a worker thread: apply it here, on the GUI thread, and repaint."""
        fn()
        self.request_render()

    # ----- camera ------------------------------------------------------------------------------------
    def _on_look(self, _target: str, _fid) -> None:
        self.auto_fit = False  # a framing the user asked for stays when the window resizes

    def _on_pose(self, pose) -> None:
        if pose is not None and not self.scene.placing_camera:
            self.auto_fit = False  # a pose set on the model (a bookmark, a tour) stays when the window resizes

    def user_moved_camera(self) -> None:
        """After a drag or a wheel turn: the model's camera takes the plotter's pose."""
        self.auto_fit = False
        self.scene.camera_moved()

    def _refit(self) -> None:
        if self.auto_fit:
            width, height = self.plotter.render_window.GetSize()
            if width > 1 and height > 1:
                self.scene.view("iso")
                self.request_render()

    def set_smooth_edges(self, flag: bool) -> None:
        """FXAA edge smoothing: free on a GPU, but it doubles the frame time of software OpenGL (70 ms
        instead of 38 ms for the demo at 800x580 on llvmpipe), so it is off unless the user turns it on."""
        self.plotter.renderer.SetUseFXAA(bool(flag))
        self.request_render()

    # ----- picking ---------------------------------------------------------------------------------
    def pick_at(self, x: float, y: float):
        """The feature under widget pixel (``x``, ``y``) from the top-left, or ``None`` (a ``Pick``)."""
        if not self.scene.visuals:
            return None
        ratio = self.plotter.interactor.devicePixelRatioF()
        return self.scene.pick(x * ratio, y * ratio)

    def click(self, x: float, y: float) -> bool:
        """What a click at (``x``, ``y``) does: select the feature there in the model (or clear the selection)."""
        hit = self.pick_at(x, y)
        if hit is None:
            self.model.selection.clear()
            return False
        self.model.selection.select_feature(hit.layer, hit.fid, picked=hit.position)
        return True

    def ground_point(self, x: float, y: float) -> tuple[float, float] | None:
        """Where the view ray through widget pixel (x, y) meets the ground, in the project CRS."""
        return ground_point(self, x, y)

    # ----- rendering -------------------------------------------------------------------------------
    def _on_render_start(self, *_args) -> None:
        self._frame_start = time.perf_counter()

    def _on_render_end(self, *_args) -> None:
        self.last_frame_seconds = time.perf_counter() - self._frame_start
        self.frames += 1
        self.frame_rendered.emit(self.last_frame_seconds)
        if not self._ready and self._complete():
            self._ready = True
            self.ready.emit()

    def _complete(self) -> bool:
        """The view is on screen with a real size, a camera fitted to it and no layer still being built."""
        width, height = self.plotter.render_window.GetSize()
        position = np.asarray(self.plotter.camera.GetPosition(), dtype=float)
        return (self.plotter.interactor.isVisible() and width > 1 and height > 1 and not self.preparing
                and bool(np.isfinite(position).all()))

    @property
    def is_ready(self) -> bool:
        """True once the project was drawn and a frame of it was rendered in the visible window."""
        return self._ready

    def wait_until_ready(self, timeout: float = 30.0) -> bool:
        """Process events until the first complete frame is on screen (for --screenshot and tests)."""
        deadline = time.monotonic() + timeout
        app = QtWidgets.QApplication.instance()
        while not self._ready and time.monotonic() < deadline:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if not self._ready and self.plotter.interactor.isVisible():
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

    def grab_frame(self) -> np.ndarray:
        """The pixels of the render window now (rows from the top, RGB), as a movie frame is read."""
        from twin.render.movies import grab

        return grab(self.scene)

    def shutdown(self) -> None:
        """Release the render window (the app is closing)."""
        self.model.events.project.disconnect(self._on_project)
        self.model.camera.events.look.disconnect(self._on_look)
        self.model.camera.events.pose.disconnect(self._on_pose)
        self.scene.close()
        self.plotter.close()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802
        return QtCore.QSize(900, 650)
