"""Off-screen rendering without any X server: VTK's EGL window on Mesa (llvmpipe when there is no GPU).

``render_project`` draws a project into a PNG: the same :class:`~twin.render.view.SceneView` as the
desktop window, on a ``pyvista.Plotter(off_screen=True)``. Anti-aliasing (MSAA) is off: with software
rendering it costs about three times the frame time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pathlib

EGL_WINDOW = "vtkEGLRenderWindow"


def use_egl() -> None:
    """Make VTK create EGL render windows (no X server needed); keeps a choice the user already made."""
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", EGL_WINDOW)


def offscreen_plotter(size: tuple[int, int] = (1280, 800)):
    """A ``pyvista.Plotter`` that renders off-screen through EGL, MSAA off."""
    use_egl()
    import pyvista as pv

    pv.global_theme.multi_samples = 0
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    plotter.disable_anti_aliasing()
    return plotter


@dataclasses.dataclass
class RenderResult:
    """What ``render_project`` drew."""

    path: pathlib.Path
    size: tuple[int, int]
    layers: list[str]
    problems: dict[str, str]
    time_changed: bool


def render_project(
    project,
    out: str | pathlib.Path,
    *,
    size: tuple[int, int] = (1280, 800),
    camera: str = "iso",
    fid: int | None = None,
    time: dt.datetime | None = None,
    layers: list[str] | None = None,
    selection: list[tuple[str, int]] | None = None,
) -> RenderResult:
    """Render a project (or some of its layers) to a PNG file off-screen.

    ``camera`` is a preset (``iso``, ``top``, ``north``...) or a layer name to fit (with ``fid``: one of its
    features); ``time`` (timezone-aware)
    is passed to every visual's ``set_time`` as the instant [time, time].
    """
    from twin.render.view import SceneView

    plotter = offscreen_plotter(size)
    try:
        view = SceneView(project, plotter).load(layers=layers, camera="iso")
        if camera != "iso" or fid is not None:
            view.view(camera, fid=fid)
        changed = view.set_time(time, time) if time is not None else False
        if selection:
            view.select(selection)
        path = pathlib.Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        view.screenshot(str(path))
        return RenderResult(path, tuple(size), list(view.visuals), dict(view.problems), changed)
    finally:
        plotter.close()
