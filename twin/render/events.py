"""Events (layer kind ``events``): the events overlapping the window as glyphs; those going on at its ``end``
drawn larger with a highlight glow, earlier ones in the window (cumulative, trail modes) faded. Without a time
(``twin render`` without ``--time``) all events are drawn.
"""

from __future__ import annotations

import math

import numpy as np
import pyvista as pv

from twin.render.registry import register_visual
from twin.render.timed import RGB, TimedVisual, feature_rgb, placeholder
from twin.render.visual import HIGHLIGHT_COLOR
from twin.scene.glyphs import anchored_glyphs
from twin.scene.meshes import FID, cells_subset
from twin.scene.picking import PickTarget
from twin.scene.screen import ScreenSize, resolve_units, split
from twin.time.slicing import EventTrack

#: events on screen (automatic sizing): this many pixels across, those going on larger, with a glow around them
EVENT_PX = 10.0
EVENT_SCALES = {"past": 1.0, "now": 1.5, "glow": 2.3}
#: an automatic event glyph is never smaller than this in the scene (an incident's footprint at street level)
EVENT_MIN_M = 4.0


class EventVisual(TimedVisual):
    """Events of the window as glyphs; those going on at its end larger, with a highlight glow.

    Sizes (``style.size_units``) as for points: ``m`` fixed in the scene, ``px`` fixed on screen, automatic
    :data:`EVENT_PX` pixels but never under :data:`EVENT_MIN_M` metres, so that incidents neither vanish at
    a regional view nor swell into blobs over a street. The glyphs follow the zoom in :meth:`set_scale`."""

    def __init__(self, project, layer, origin, *, style=None) -> None:
        super().__init__(project, layer, origin, style=style)
        self.events = EventTrack(project, layer)
        self.meshes = {key: placeholder() for key in EVENT_SCALES}
        self.counts = {key: 0 for key in self.meshes}
        self.full: dict[str, pv.PolyData] = {}
        self.screens: dict[str, ScreenSize] = {}
        self._cells: dict[str, np.ndarray] = {}

    @property
    def feature_ids(self) -> np.ndarray:
        return np.arange(self.layer.feature_count, dtype=np.int64)

    def _size(self) -> float:
        if self.style.size:
            return float(self.style.size)
        x0, y0, x1, y1 = self.layer.bbox or (0, 0, 1000, 1000)
        return float(np.clip(math.hypot(x1 - x0, y1 - y0) / 150.0, 2.0, 40.0))

    def _pixels_and_floor(self) -> tuple[float, float]:
        """(pixels, metre floor) of a "past" glyph: (0, size) for a fixed size in metres."""
        units = resolve_units(self.style.size_units, self.style.size)
        if units == "m":
            return 0.0, float(self.style.size)
        if units == "px" and self.style.size:
            return float(self.style.size), 0.0
        return EVENT_PX, EVENT_MIN_M

    def _create(self, plotter) -> None:
        rgb = feature_rgb(self._colors(), self.layer.feature_count)
        unit, anchors = anchored_glyphs(self.project, self.layer, self.origin, size=1.0)  # read once, sized per part
        anchors, offsets = split(unit.points, anchors, 1.0)
        pixels, floor = self._pixels_and_floor()
        x0, y0, x1, y1 = self.layer.bbox or (0.0, 0.0, 1000.0, 1000.0)
        guess = max(math.hypot(x1 - x0, y1 - y0), 1.0) / 1000.0  # metres per pixel until the view tells
        n = len(anchors)
        for key, scale in EVENT_SCALES.items():
            mesh = unit.copy()
            mesh.cell_data[RGB] = rgb[np.asarray(mesh.cell_data[FID])] if mesh.n_cells else np.zeros((0, 3), np.uint8)
            self.screens[key] = ScreenSize(anchors, offsets, np.full(n, pixels * scale), np.full(n, floor * scale))
            self.screens[key].resize(mesh, guess)
            self.full[key] = mesh
        self._cells = {}
        common = dict(reset_camera=False, render=False, show_scalar_bar=False)
        self.actors["past"] = plotter.add_mesh(self.meshes["past"], rgb=True, scalars=RGB, preference="cell", opacity=0.35,
                                               name=f"{self.layer.id}:past", **common)
        self.actors["now"] = plotter.add_mesh(self.meshes["now"], rgb=True, scalars=RGB, preference="cell",
                                              name=f"{self.layer.id}:now", **common)
        self.actors["glow"] = plotter.add_mesh(self.meshes["glow"], color=HIGHLIGHT_COLOR, opacity=0.35, pickable=False,
                                               name=f"{self.layer.id}:glow", **common)

    def _has(self, key: str) -> bool:
        return self.counts.get(key, 0) > 0

    def _update(self) -> bool:
        key = (None if self.window is None else (self.window.start_us, self.window.end_us), self.style.key())
        if key == self._drawn:
            return False
        self._drawn = key
        if self.window is None:
            fid, now = self.feature_ids, np.zeros(self.layer.feature_count, dtype=bool)
        else:
            fid, now = self.events.active(self.window)
        chosen = {"past": fid[~now], "now": fid[now], "glow": fid[now]}
        for part, wanted in chosen.items():
            full = self.full[part]
            cells = np.flatnonzero(np.isin(np.asarray(full.cell_data[FID]), wanted)) if full.n_cells else np.empty(0, int)
            self._cells[part] = cells
            self._copy(part)
        self.active_fids = np.sort(fid[now])
        self._show()
        return True

    def _copy(self, part: str) -> None:
        """Show the chosen cells of one part (copied from its full mesh at the current size)."""
        cells = self._cells.get(part, np.empty(0, int))
        self.counts[part] = len(cells)
        if len(cells):
            self.meshes[part].copy_from(cells_subset(self.full[part], cells))

    def set_scale(self, metres_per_pixel: float) -> bool:
        """The view's scale changed: keep the glyphs their size in pixels (not under the metre floor); True when
        they were redrawn. Fixed sizes in metres do not follow the zoom."""
        if not self.screens or self._pixels_and_floor()[0] == 0.0:
            return False
        moved = [key for key, screen in self.screens.items() if screen.resize(self.full[key], metres_per_pixel)]
        for key in moved:
            self._copy(key)
        return bool(moved)

    def pick_targets(self) -> list[PickTarget]:
        return [PickTarget(self.name, self.actors[k]) for k in ("now", "past") if k in self.actors and self._has(k)]

    def bounds(self, fid: int | None = None) -> tuple[float, ...] | None:
        return self._local_bbox(self._size() * 2)


register_visual("events", EventVisual)
