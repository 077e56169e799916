"""Bookmarks and frames applied to a :class:`twin.render.view.SceneView` (off-screen or the app's view).

:class:`ScenePresenter` sets the camera, the layers (view only: nothing is saved in the project), the
time and the caption of each frame, and puts the layers back as they were when it is closed.
:func:`capture_bookmark` makes a bookmark of what a scene shows now.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from twin.present.bookmarks import Bookmark, layer_visible
from twin.present.camera import capture_camera, restore_camera
from twin.present.caption import CaptionOverlay
from twin.present.tours import Frame
from twin.time.range import TimeRange


def capture_bookmark(scene, name: str, *, time: dt.datetime | None = None, stage: int | None = None,
                     caption: str = "", layers: tuple[str, ...] | None = ...) -> Bookmark:  # type: ignore[assignment]
    """A bookmark of ``scene``'s camera and visible layers (or ``layers`` when given; ``None``: leave layers
    alone), with an optional time, stage filter and caption."""
    if layers is ...:
        layers = tuple(n for n, v in scene.visuals.items() if v.visible and v.style.visible)
    return Bookmark(name, capture_camera(scene.plotter, scene.origin), time=time, layers=layers, stage=stage,
                    caption=caption)


def bookmark_frame(bookmark: Bookmark, *, caption: bool = True) -> Frame:
    """The single frame that shows a bookmark."""
    when = TimeRange.instant(bookmark.time) if bookmark.time is not None else None
    return Frame(0, 0.0, bookmark.camera, when, bookmark.layers, bookmark.stage,
                 bookmark.caption if caption else "", 1.0 if caption and bookmark.caption else 0.0)


class ScenePresenter:
    """Shows frames on a scene. ``clock`` draws the time of each frame in ``timezone`` at the top left."""

    def __init__(self, scene, *, timezone: str = "UTC", clock: bool = False, captions: bool = True) -> None:
        self.scene = scene
        self.timezone = timezone
        self.clock = clock
        self.overlay = CaptionOverlay(scene.plotter.renderer) if (captions or clock) else None
        self.captions = captions
        #: visibility of each layer before the presenter changed anything
        self.baseline = {name: v.visible for name, v in scene.visuals.items()}
        self._restyled: dict[str, object] = {}
        self._touched: set[str] = set()  # layers whose visibility the presenter changed
        self.time_range: TimeRange | None = None

    def apply(self, frame: Frame, *, camera: bool = True, time: bool = True, layers: bool = True) -> bool:
        """Show ``frame`` (``camera``/``time``/``layers`` False leave those alone); True when the time changed
        what is drawn."""
        scene = self.scene
        if camera and frame.camera is not None:
            restore_camera(scene.plotter, frame.camera, scene.origin)
        if layers:
            self.set_layers(frame.layers, frame.stage)
        changed = False
        if time and frame.time_range is not None and frame.time_range != self.time_range:
            self.time_range = frame.time_range
            changed = scene.set_time(frame.time_range.start, frame.time_range.end)
        if self.overlay is not None:
            if self.captions:
                self.overlay.show(frame.caption, frame.caption_opacity)
            if self.clock:
                self.overlay.show_clock(self.clock_text(frame.time_range))
        return changed

    def clock_text(self, value: TimeRange | None) -> str:
        """``2024-05-01 08:30:00 KST`` of the range's end (where moving objects stand)."""
        if value is None:
            return ""
        local = value.end.astimezone(ZoneInfo(self.timezone))
        return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or self.timezone)

    def set_layers(self, layers: tuple[str, ...] | None, stage: int | None) -> None:
        """Show the listed layers (``None``: those shown before) filtered by ``stage``; hide the others."""
        scene = self.scene
        for name, visual in scene.visuals.items():
            want = layer_visible(name, visual.layer.stage, layers=layers, stage=stage,
                                 current=self.baseline.get(name, True))
            if want and not visual.style.visible:  # hidden in its stored style: shown for this view only
                self._restyled.setdefault(name, visual.style)
                scene.set_style(name, visual.style.replace(visible=True), save=False)
            elif not want and name in self._restyled:
                scene.set_style(name, self._restyled.pop(name), save=False)
            if visual.visible != want:
                self._touched.add(name)
                scene.set_visible(name, want)

    def close(self) -> None:
        """Put the layers back as they were and remove the caption and clock."""
        scene = self.scene
        for name, style in self._restyled.items():
            if name in scene.visuals:
                scene.set_style(name, style, save=False)
        self._restyled.clear()
        for name in self._touched:  # only what the presenter changed: the app may have changed others meanwhile
            visual, flag = scene.visuals.get(name), self.baseline.get(name, True)
            if visual is not None and visual.visible != flag:
                scene.set_visible(name, flag)
        self._touched.clear()
        if self.overlay is not None:
            self.overlay.remove()
            self.overlay = None


def show_bookmark(scene, bookmark: Bookmark, *, caption: bool = True, timezone: str = "UTC") -> ScenePresenter:
    """Point ``scene`` at a bookmark (camera, layers, time, caption); returns the presenter (close it to undo
    the layers and the caption)."""
    presenter = ScenePresenter(scene, timezone=timezone, captions=caption)
    presenter.apply(bookmark_frame(bookmark, caption=caption))
    return presenter
