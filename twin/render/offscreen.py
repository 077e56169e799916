"""Off-screen rendering without any X server: VTK's EGL window on Mesa (llvmpipe when there is no GPU).

``render_model`` draws a :class:`twin.model.twin.TwinModel` into a PNG with the same
:class:`~twin.render.view.SceneView` as the desktop window, on a ``pyvista.Plotter(off_screen=True)``;
``render_project`` sets a model of a project up as ``twin render`` is asked and draws it. Anti-aliasing (MSAA) is off: with software
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
    """What a render drew."""

    path: pathlib.Path
    size: tuple[int, int]
    layers: list[str]  # the layers shown (drawn and visible)
    problems: dict[str, str]


def render_model(model, out: str | pathlib.Path, *, size: tuple[int, int] = (1280, 800),
                 look: tuple[str, int | None] | None = None) -> RenderResult:
    """Render what ``model`` (a :class:`twin.model.twin.TwinModel`) shows to a PNG file off-screen, with the same
    :class:`~twin.render.view.SceneView` as the window: its layers, lens, selection, camera (framed ``iso``
    when it has no pose yet; ``look`` = (target, fid) frames something first), time and caption."""
    from twin.render.view import SceneView

    plotter = offscreen_plotter(size)
    scene = SceneView(model, plotter)
    try:
        if look is not None:
            model.camera.look(look[0], fid=look[1])
        path = pathlib.Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        scene.screenshot(str(path))
        shown = [name for name, visual in scene.visuals.items() if visual.visible]
        return RenderResult(path, tuple(size), shown, dict(scene.problems))
    finally:
        scene.close()
        plotter.close()


def model_for(project, *, layers: list[str] | None = None, camera: str = "iso", fid: int | None = None,
              time: dt.datetime | None = None, selection: list[tuple[str, int]] | None = None, clock: bool = False,
              stage: int | None = None, changes: bool = False):
    """A model of ``project`` (a ``ProjectReader``) set up as ``twin render`` is asked: only ``layers`` checked
    (all when None), a camera to frame once drawn (a preset, or a layer with ``fid``), the instant ``time``
    (with the clock when ``clock``), a selection, the stage lens at ``stage`` ("what changed" with ``changes``).
    Returns (model, camera request)."""
    from twin.model.twin import TwinModel
    from twin.time.range import TimeRange

    model = TwinModel(project)
    if layers is not None:
        for name in layers:
            model.layers[name]  # one-line error naming the known layers
        with model.transient():
            for layer in model.layers:
                layer.visible = layer.name in layers
    model.lens.look(stage, changes=changes)
    if time is not None:
        model.time.range = TimeRange.instant(time)
        model.caption.set_clock(clock)
    if selection:
        features: dict[str, list[int]] = {}
        for name, item in selection:
            features.setdefault(name, []).append(int(item))
        model.selection.select(features)
    return model, (camera, fid)


def render_project(project, out: str | pathlib.Path, *, size: tuple[int, int] = (1280, 800), camera: str = "iso",
                   fid: int | None = None, time: dt.datetime | None = None, layers: list[str] | None = None,
                   selection: list[tuple[str, int]] | None = None, clock: bool = True, stage: int | None = None,
                   changes: bool = False) -> RenderResult:
    """Render a project (a ``ProjectReader``) to a PNG off-screen: ``layers`` only (default all), ``camera`` a
    preset (``iso``, ``top``, ``north``...) or a layer to frame (with ``fid``: one of its features), ``time``
    the instant shown (timezone-aware; the clock says which when ``clock``), ``selection`` highlighted, the city
    as it stood at ``stage`` (what changed at it with ``changes``)."""
    model, (target, feature) = model_for(project, layers=layers, camera=camera, fid=fid, time=time,
                                         selection=selection, clock=clock, stage=stage, changes=changes)
    look = (target, feature) if target != "iso" or feature is not None else None
    return render_model(model, out, size=size, look=look)
