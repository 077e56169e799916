"""The shared base of the timed visuals (twin/render/moving.py, events.py, readings.py), redrawn by
``set_time(start, end)``: actors by key, visibility, removal and the current window; and the colouring helpers
they share (a colour per feature, the legend of a colouring, a hidden one-point placeholder mesh).
"""

from __future__ import annotations

import abc
import datetime as dt
from typing import Any

import numpy as np
import pyvista as pv

from twin.render.overlay import LegendBlock
from twin.render.visual import Visual
from twin.scene.colors import Coloring, style_coloring
from twin.scene.meshes import FID
from twin.time.range import TimeRange

#: the cell array of per-feature colours (uint8 RGB) and the one of reading values
RGB = "_twin_rgb"
VALUE = "value"


def feature_rgb(coloring: Coloring, count: int) -> np.ndarray:
    """(count, 3) uint8 colours per feature from a colouring computed on ``arange(count)``."""
    if coloring.mode == "rgb":
        return np.asarray(coloring.rgb, dtype=np.uint8).reshape(count, 3)
    if coloring.mode == "scalars":
        import matplotlib

        lo, hi = coloring.clim
        scaled = (np.asarray(coloring.scalars, dtype=float) - lo) / max(hi - lo, 1e-12)
        rgba = matplotlib.colormaps[coloring.colormap](np.clip(scaled, 0, 1))
        rgb = (rgba[:, :3] * 255).round().astype(np.uint8)
        rgb[~np.isfinite(scaled)] = (176, 176, 176)
        return rgb
    from twin.scene.style import to_rgb

    return np.tile((np.array(to_rgb(coloring.color)) * 255).round().astype(np.uint8), (count, 1))


def coloring_legend(name: str, coloring: Coloring) -> LegendBlock:
    if coloring.mode == "scalars":
        return LegendBlock(name, colormap=coloring.colormap, clim=coloring.clim, subtitle=coloring.title)
    if coloring.mode == "rgb":
        return LegendBlock(name, list(coloring.legend), subtitle=coloring.title)
    return LegendBlock(name, [(name, coloring.color)])


def time_window(start: dt.datetime | None, end: dt.datetime | None) -> TimeRange | None:
    if start is None and end is None:
        return None
    return TimeRange(start or end, end or start)


class TimedVisual(Visual, abc.ABC):
    """Shared plumbing: actors by key, visibility, removal, and the current window."""

    def __init__(self, project, layer, origin, *, style=None) -> None:
        super().__init__(project, layer, origin, style=style)
        self.actors: dict[str, Any] = {}
        self.window: TimeRange | None = None
        self._drawn: tuple | None = ()  # () = never drawn
        self._coloring: Coloring | None = None

    def _colors(self) -> Coloring:
        if self._coloring is None:
            n = max(self.layer.feature_count, 0)
            self._coloring = style_coloring(self.style, np.arange(n), project=self.project, layer=self.layer)
        return self._coloring

    def remove_from(self, plotter) -> None:
        for actor in self.actors.values():
            plotter.remove_actor(actor, render=False)
        self.actors.clear()
        self.plotter = None
        self._drawn = ()

    def set_visible(self, flag: bool) -> None:
        self.visible = bool(flag)
        self._show()

    def _show(self) -> None:
        for key, actor in self.actors.items():
            actor.SetVisibility(self.visible and self.style.visible and self._has(key))

    def _has(self, key: str) -> bool:
        return True

    def apply_style(self, style) -> None:
        self.style = style
        self._coloring = None
        if self.plotter is not None:
            plotter = self.plotter
            self.remove_from(plotter)
            self.add_to(plotter)

    def set_time(self, start: dt.datetime | None, end: dt.datetime | None) -> bool:
        window = time_window(start, end)
        if window == self.window and self._drawn != ():
            return False
        self.window = window
        if self.plotter is None:
            return False
        return self._update()

    def add_to(self, plotter) -> None:
        self.plotter = plotter
        self._create(plotter)
        self._drawn = None
        self._update()
        self._show()

    def legend(self) -> LegendBlock | None:
        return coloring_legend(self.name, self._colors())

    def _local_bbox(self, zmax: float) -> tuple[float, ...] | None:
        if not self.layer.bbox:
            return None
        x0, y0, x1, y1 = self.layer.bbox
        o = self.origin
        return (x0 - o.x, x1 - o.x, y0 - o.y, y1 - o.y, 0.0, zmax)

    @abc.abstractmethod
    def _create(self, plotter) -> None:
        """Add this visual's actors to ``plotter``."""

    @abc.abstractmethod
    def _update(self) -> bool:
        """Bring the actors to the current time range; True when something changed."""


def placeholder() -> pv.PolyData:
    """A one-point mesh: pyvista refuses to add empty meshes; the actor stays hidden until data comes."""
    mesh = pv.PolyData(np.zeros((1, 3), dtype=np.float32))
    mesh.cell_data[FID] = np.array([-1], dtype=np.int64)
    mesh.cell_data[RGB] = np.zeros((1, 3), dtype=np.uint8)
    return mesh
