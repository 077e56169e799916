"""Movies and pictures of a model, off-screen: a tour, a timeline replay, a bookmark as PNG.

Each draws a :class:`twin.model.twin.TwinModel` (the project's, or a copy of the window's) with a
:class:`~twin.render.view.SceneView` on an off-screen plotter (EGL, no X server:
:mod:`twin.render.offscreen`), applies frames to the model with :class:`~twin.model.presenter.Presenter`
and streams the pictures into :class:`MovieWriter`. ``progress(fraction, message)`` is called after each
frame; ``cancelled()`` returning True stops the export and removes the partial file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import time
from collections.abc import Callable, Iterable

import numpy as np

from twin.model.presenter import Presenter, bookmark_frame
from twin.present.movie import DEFAULT_CRF, DEFAULT_PRESET, MovieCancelled, MovieWriter, check_movie_size
from twin.present.tours import Frame, TourPlayer, replay_frame_count, replay_frames
from twin.scene.camera import CameraPose
from twin.time.timeline import WindowMode

Progress = Callable[[float, str], None]


@dataclasses.dataclass
class MovieResult:
    """What an export wrote."""

    path: pathlib.Path
    size: tuple[int, int]
    fps: float
    frames: int
    seconds: float  # wall time of the export
    problems: dict[str, str]

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def grab(scene) -> np.ndarray:
    """Render the scene and read its pixels (rows from the top, RGB, an array of its own) straight from the
    render window, without pyvista's ``vtkWindowToImageFilter``."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

    plotter = scene.plotter
    plotter.renderer.ResetCameraClippingRange()
    window = plotter.render_window
    window.Render()  # pyvista's render() does nothing before its first screenshot
    width, height = window.GetSize()
    pixels = vtkUnsignedCharArray()
    # RGBA: rows of 4-byte pixels never need padding (an RGB read of an 854-pixel row is 2562 bytes, which a
    # pack alignment of 4 pads: it overran the buffer when the app's Qt view shared the process); the
    # front (display) buffer, as pyvista reads
    window.GetRGBACharPixelData(0, 0, width - 1, height - 1, 1, pixels)
    # vtk_to_numpy shares the VTK array's memory without keeping it alive: copy (flipped, RGB) while it is
    return np.ascontiguousarray(vtk_to_numpy(pixels).reshape(height, width, 4)[::-1, :, :3])


def offscreen_scene(model, size: tuple[int, int]):
    """A :class:`~twin.render.view.SceneView` of ``model`` on an off-screen plotter of ``size``; close both."""
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView

    return SceneView(model, offscreen_plotter(size))


def _close(scene) -> None:
    scene.close()
    scene.plotter.close()


def render_frames(model, out: str | pathlib.Path, make_frames: Callable[[object], Iterable[Frame]], count: int, *,
                  size: tuple[int, int] = (1280, 720), fps: float = 30.0, clock: bool = False, crf: int = DEFAULT_CRF,
                  preset: str = DEFAULT_PRESET, progress: Progress | None = None,
                  cancelled: Callable[[], bool] | None = None) -> MovieResult:
    """Render the frames ``make_frames(scene)`` yields, applied to ``model``, into an MP4 at ``out`` (``count``
    frames expected). The model is changed transiently and put back afterwards."""
    size = check_movie_size(size)
    started = time.perf_counter()
    scene = offscreen_scene(model, size)
    presenter = Presenter(model, clock=clock)
    try:
        with MovieWriter(out, size, fps, crf=crf, preset=preset) as writer:
            for frame in make_frames(scene):
                presenter.apply(frame)
                writer.write(grab(scene))
                if progress is not None:
                    progress(min(writer.frames / max(count, 1), 1.0), f"frame {writer.frames}/{count}")
                if cancelled is not None and cancelled():
                    raise MovieCancelled(f"{out}: movie export cancelled after {writer.frames} frame(s)")
        frames = writer.frames
        problems = dict(scene.problems)
    finally:
        presenter.close()
        _close(scene)
    return MovieResult(pathlib.Path(out), size, fps, frames, time.perf_counter() - started, problems)


def tour_movie(model, out: str | pathlib.Path, tour: str, *, size: tuple[int, int] = (1280, 720),
               fps: float = 30.0, trail: float = 0.0, clock: bool | None = None, crf: int = DEFAULT_CRF,
               progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> MovieResult:
    """A movie of one of the model's tours: flights between its bookmarks, captions, the time of each stop.
    ``clock`` (default: when any stop has a time) shows the time at the top left."""
    player = TourPlayer(model.tours[tour], {b.name: b for b in model.bookmarks}, trail=trail)
    if clock is None:
        clock = any(leg.time_in is not None for leg in player.legs)
    return render_frames(model, out, lambda scene: player.frames(fps), player.frame_count(fps), size=size, fps=fps,
                         clock=clock, crf=crf, progress=progress, cancelled=cancelled)


def replay_movie(model, out: str | pathlib.Path, *, start: dt.datetime, end: dt.datetime, speed: float,
                 size: tuple[int, int] = (1280, 720), fps: float = 30.0, camera: str | CameraPose = "iso",
                 bookmark: str | None = None,
                 window: WindowMode | str = WindowMode.POINT, width: dt.timedelta = dt.timedelta(minutes=10),
                 crf: int = DEFAULT_CRF, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None) -> MovieResult:
    """A timeline replay from ``start`` to ``end`` at ``speed`` (simulated seconds per second) with a fixed
    camera: a preset or layer name, or a pose in the project CRS (``camera``), or a bookmark's view, layers and
    caption (``bookmark``); the clock shows."""
    mark = model.bookmarks[bookmark] if bookmark else None

    def make(scene) -> Iterable[Frame]:
        selection = None
        if isinstance(camera, CameraPose):
            pose, layers, stage, changes = camera, None, model.lens.stage, model.lens.changes
        elif mark is None:
            model.camera.look(camera)
            pose, layers, stage, changes = None, None, model.lens.stage, model.lens.changes
        else:
            pose, layers, stage, changes, selection = mark.camera, mark.layers, mark.stage, mark.changes, mark.selection
        frames = replay_frames(start, end, speed=speed, fps=fps, camera=pose, window=window, width=width,
                               layers=layers, stage=stage)
        caption = mark.caption if mark is not None else ""
        return (dataclasses.replace(f, changes=changes, selection=selection,
                                    **({"caption": caption, "caption_opacity": 1.0} if caption else {}))
                for f in frames)

    count = replay_frame_count(start, end, speed=speed, fps=fps)
    return render_frames(model, out, make, count, size=size, fps=fps, clock=True, crf=crf, progress=progress,
                         cancelled=cancelled)


def bookmark_picture(model, out: str | pathlib.Path, bookmark: str, *, size: tuple[int, int] = (1280, 800),
                     time: dt.datetime | None = None, layers: list[str] | None = None, caption: bool = True):
    """A PNG of one of the model's bookmarks (its camera, layers, stage, time and caption); ``time``/``layers``
    override the bookmark's. Returns :class:`twin.render.offscreen.RenderResult`."""
    from twin.render.offscreen import render_model
    from twin.time.range import TimeRange

    frame = bookmark_frame(model.bookmarks[bookmark], caption=caption)
    if time is not None:
        frame = dataclasses.replace(frame, time_range=TimeRange.instant(time))
    if layers:
        for name in layers:
            model.layers[name]
        frame = dataclasses.replace(frame, layers=tuple(layers))
    presenter = Presenter(model, clock=frame.time_range is not None)
    presenter.apply(frame)  # the model shows the bookmark; the scene drawn below shows the model
    try:
        return render_model(model, out, size=size)
    finally:
        presenter.close()
