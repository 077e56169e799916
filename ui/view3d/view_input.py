"""Mouse input of the 3D view: a click (press and release within a few pixels) picks, a drag or a wheel
turn moves the camera (VTK's trackball) and then writes its pose to the model, moving reports the cursor
position on the ground, and the first user interaction stops the automatic re-fit of the camera on resizes."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

CLICK_SLOP = 4  # pixels a click may move and still be a click, not a drag


class ViewInput(QtCore.QObject):
    """Event filter on the QtInteractor widget of a ``QtTwinView``."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self.view = view
        self._press: QtCore.QPoint | None = None

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt API)
        viewer = self.view
        event_type = event.type()
        if event_type == QtCore.QEvent.Type.Resize and viewer.auto_fit:
            viewer._refit_requested.emit()  # queued: after the widget has resized its render window
        if event_type == QtCore.QEvent.Type.Wheel:
            QtCore.QTimer.singleShot(0, viewer.user_moved_camera)  # after VTK has zoomed
        if event_type == QtCore.QEvent.Type.MouseButtonPress:
            self._press = event.position().toPoint()
        elif event_type == QtCore.QEvent.Type.MouseButtonRelease:
            pos = event.position().toPoint()
            clicked = self._press is not None and (pos - self._press).manhattanLength() <= CLICK_SLOP
            if clicked and event.button() == QtCore.Qt.MouseButton.LeftButton:
                viewer.click(pos.x(), pos.y())
            elif self._press is not None:
                QtCore.QTimer.singleShot(0, viewer.user_moved_camera)  # a drag: after VTK has moved the camera
            self._press = None
        elif event_type == QtCore.QEvent.Type.MouseMove:
            point = ground_point(viewer, event.position().x(), event.position().y())
            if point is not None:
                viewer.cursor_moved.emit(point[0], point[1])
        elif event_type == QtCore.QEvent.Type.Leave:
            viewer.cursor_left.emit()
        return False


def ground_point(viewer, x: float, y: float) -> tuple[float, float] | None:
    """Where the view ray through widget pixel (x, y) meets the ground (local z = 0), in the project CRS."""
    origin = viewer.origin
    if origin is None:
        return None
    ren = viewer.plotter.renderer
    ratio = viewer.plotter.interactor.devicePixelRatioF()
    height = viewer.plotter.render_window.GetSize()[1]
    dx, dy = x * ratio, height - 1 - y * ratio
    ends = []
    for depth in (0.0, 1.0):
        ren.SetDisplayPoint(dx, dy, depth)
        ren.DisplayToWorld()
        wx, wy, wz, w = ren.GetWorldPoint()
        if w == 0:
            return None
        ends.append(np.array([wx, wy, wz]) / w)
    near, far = ends
    dz = far[2] - near[2]
    if abs(dz) < 1e-12:
        return None
    t = -near[2] / dz
    if not 0.0 <= t <= 1.0:
        return None
    hit = near + t * (far - near)
    return float(hit[0] + origin.x), float(hit[1] + origin.y)
