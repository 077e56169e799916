"""Moving objects (layer kind ``moving``): one arrow per object present at the window's ``end``, interpolated;
the arrows mesh is updated in place (``points[:] = ...; Modified()``) while the same objects stay, rebuilt when
some appear or leave. When ``start < end`` (trail, interval and cumulative windows) each object draws its trail
over the window (at most ``TRAIL_MAX_S``). Frames read positions through a :class:`~twin.time.replay.ReplayCache`.
Without a time (``twin render`` without ``--time``) objects stand at the start of their time span.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyvista as pv

from twin.render.registry import register_visual
from twin.render.timed import RGB, TimedVisual, feature_rgb, placeholder
from twin.render.visual import HIGHLIGHT_COLOR
from twin.scene.meshes import FID, polyline_cells
from twin.scene.picking import PickTarget
from twin.time.range import TimeRange
from twin.time.slicing import MovingTrack

#: moving objects float this high above the ground (m), above road ribbons
LIFT = 1.5
POINT_SIZE = 11.0
#: the longest trail drawn, in seconds of data (a cumulative window over hours would draw every sample)
TRAIL_MAX_S = 900.0

#: a moving object's arrow (unit length, pointing east): a chevron, two triangles
ARROW = np.array([[0.5, 0.0], [-0.5, 0.34], [-0.22, 0.0], [-0.5, -0.34]])
ARROW_TRIANGLES = np.array([[0, 1, 2], [0, 2, 3]])
#: arrows are this many pixels long at the view's scale (screen sizing), never shorter than a car (the metre floor)
ARROW_PX, ARROW_MIN_M = 16.0, 5.0
#: the first guess before the view tells its scale: the layer's diagonal over this, at most this many metres
ARROW_GUESS_DIVISOR, ARROW_GUESS_MAX_M = 150.0, 80.0
#: arrows are resized only when the wanted length changed by more than this fraction
ARROW_RESIZE_STEP = 0.1


def arrow_points(centres: np.ndarray, heading_deg: np.ndarray, length: float, *,
                 out: np.ndarray | None = None) -> np.ndarray:
    """(4n, 3) float32 corners of one arrow per object at ``centres`` (n, 3), pointing along its compass heading;
    written into ``out`` ((4n, 3) float32, e.g. the mesh's own points) when given."""
    n = len(centres)
    theta = np.radians(90.0 - np.asarray(heading_deg, dtype=np.float64)).astype(np.float32)  # compass -> from east
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x, y = (ARROW[None, :, 0] * length).astype(np.float32), (ARROW[None, :, 1] * length).astype(np.float32)
    corners = (np.empty((n, len(ARROW), 3), dtype=np.float32) if out is None
               else np.asarray(out).reshape(n, len(ARROW), 3))
    centres = np.asarray(centres, dtype=np.float32)
    term = np.empty((n, len(ARROW)), dtype=np.float32)
    # float32 in place (no temporaries of the 4n corners): x' = cx + x cos - y sin, y' = cy + x sin + y cos
    for axis, (along, across, sign) in enumerate(((c, s, -1.0), (s, c, 1.0))):
        plane = corners[:, :, axis]
        np.multiply(along, x, out=plane)
        np.multiply(across, y, out=term)
        (np.subtract if sign < 0 else np.add)(plane, term, out=plane)
        np.add(plane, centres[:, axis:axis + 1], out=plane)
    corners[:, :, 2] = centres[:, 2:3]
    return corners.reshape(-1, 3)


class MovingVisual(TimedVisual):
    """Moving objects as arrows along their heading, interpolated at the window's end, with trails over wider
    windows. Arrows keep about :data:`ARROW_PX` pixels at any zoom (:meth:`set_scale`), at least a car's length.
    Frames read their positions through a :class:`~twin.time.replay.ReplayCache` (no SQL while playing)."""

    def __init__(self, project, layer, origin, *, style=None, background: bool = True) -> None:
        from twin.time.replay import ReplayCache

        super().__init__(project, layer, origin, style=style)
        self.track = MovingTrack(project, layer)
        self.cache = ReplayCache(self.track, background=background)
        self.points = placeholder()  # the arrows
        self.trails = placeholder()
        self.selected = placeholder()
        self.fid = np.empty(0, dtype=np.int64)
        self.centres = np.zeros((0, 3), dtype=np.float32)  # local positions of the objects drawn
        self._heading = np.zeros(max(layer.feature_count, 1))  # the last known heading of each object
        self._length: float | None = None
        self._highlighted = np.empty(0, dtype=np.int64)
        self._rgb: tuple[str, np.ndarray] | None = None  # (style key, colour per feature)
        self._key: tuple[Any, str] | None = None  # (style, its key)
        self._trails_empty = True
        self._selected_any = False

    def _units(self) -> str | None:
        from twin.scene.screen import resolve_units

        return resolve_units(self.style.size_units, self.style.size)

    def _pixels_and_floor(self) -> tuple[float, float]:
        """The arrow's wanted length on screen and its floor in metres (``style.size`` in ``"px"``: no floor)."""
        if self._units() == "px":
            return float(self.style.size or ARROW_PX), 0.0
        return ARROW_PX, ARROW_MIN_M

    @property
    def arrow_length(self) -> float:
        """Metres from the tail to the tip of an arrow."""
        if self._units() == "m":
            return float(self.style.size)
        if self._length is None:
            x0, y0, x1, y1 = self.layer.bbox or (0.0, 0.0, 1000.0, 1000.0)
            guess = math.hypot(x1 - x0, y1 - y0) / ARROW_GUESS_DIVISOR
            self._length = float(np.clip(guess, self._pixels_and_floor()[1] or 1e-3, ARROW_GUESS_MAX_M))
        return self._length

    def wanted_length(self, metres_per_pixel: float) -> float:
        """The arrow length (m) at a view scale: its pixels at that scale, never under the metre floor."""
        pixels, floor = self._pixels_and_floor()
        return float(max(pixels * metres_per_pixel, floor))

    def set_scale(self, metres_per_pixel: float) -> bool:
        """The view's scale changed: keep the arrows about :data:`ARROW_PX` pixels long; True when redrawn."""
        if self._units() == "m" or not math.isfinite(metres_per_pixel) or metres_per_pixel <= 0:
            return False
        wanted = self.wanted_length(metres_per_pixel)
        if abs(wanted / self.arrow_length - 1.0) < ARROW_RESIZE_STEP:
            return False
        self._length = wanted
        if len(self.fid):
            arrow_points(self.centres, self._heading[self.fid], wanted, out=self.points.points)
            self.points.Modified()
        return True

    @property
    def feature_ids(self) -> np.ndarray:
        return np.arange(self.layer.feature_count, dtype=np.int64)

    def _create(self, plotter) -> None:
        name = f"{self.layer.id}"
        common = dict(rgb=True, scalars=RGB, preference="cell", reset_camera=False, render=False, show_scalar_bar=False)
        self.actors["points"] = plotter.add_mesh(self.points, point_size=POINT_SIZE, lighting=False,
                                                 name=f"{name}:points", **common)
        self.actors["trails"] = plotter.add_mesh(self.trails, line_width=2.0, opacity=0.7, pickable=False,
                                                 name=f"{name}:trails", **common)
        self.actors["selected"] = plotter.add_mesh(self.selected, color=HIGHLIGHT_COLOR, point_size=POINT_SIZE * 1.8,
                                                   render_points_as_spheres=True, pickable=False, reset_camera=False,
                                                   render=False, name=f"{name}:selected")
        # arrows lie flat a metre or two above the ground: drawn over the stops and roads they pass at any distance
        mapper = self.actors["points"].GetMapper()
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-2.0, -6.0)

    def _has(self, key: str) -> bool:
        if key == "points":
            return len(self.fid) > 0
        if key == "trails":
            return not self._trails_empty
        return self._selected_any

    def _style_key(self) -> str:
        """``style.key()``, computed once per style object (styles are frozen; the key costs a deep copy)."""
        if self._key is None or self._key[0] is not self.style:
            self._key = (self.style, self.style.key())
        return self._key[1]

    def _feature_rgb(self) -> np.ndarray:
        """Colour per feature for the current style, computed once per style (not per frame)."""
        key = self._style_key()
        if self._rgb is None or self._rgb[0] != key:
            self._rgb = (key, feature_rgb(self._colors(), self.layer.feature_count))
        return self._rgb[1]

    def _update(self) -> bool:
        window = self.window
        if window is None:
            span = self.layer.time_span
            if span is None:
                return False
            window = TimeRange.instant(span[0])
        key = (window.start_us, window.end_us, self._style_key())
        if key == self._drawn:
            return False
        self._drawn = key
        pos = self.cache.positions(window.end_us)
        local = self.origin.to_local(pos.xyz) if len(pos) else np.zeros((0, 3), dtype=np.float32)
        local[:, 2] += LIFT
        known = np.isfinite(pos.heading)
        self._heading[pos.fid[known]] = pos.heading[known]  # a stopped object keeps pointing where it went
        if len(pos) and np.array_equal(pos.fid, self.fid):  # the same objects: move them in place, keep colours
            arrow_points(local, self._heading[pos.fid], self.arrow_length, out=self.points.points)
            self.points.Modified()
        elif len(pos):
            rgb = self._feature_rgb()
            corners = arrow_points(local, self._heading[pos.fid], self.arrow_length)
            faces = (ARROW_TRIANGLES[None, :, :] + (np.arange(len(pos)) * len(ARROW))[:, None, None]).reshape(-1, 3)
            self.points.copy_from(pv.PolyData.from_regular_faces(corners, faces))
            self.points.cell_data[FID] = np.repeat(pos.fid, len(ARROW_TRIANGLES))
            self.points.cell_data[RGB] = np.repeat(rgb[pos.fid], len(ARROW_TRIANGLES), axis=0)
        self.fid = pos.fid
        self.centres = local
        self._update_trails(window)
        self._update_selected(local)
        self._show()
        return True

    def _update_trails(self, window: TimeRange) -> None:
        trails = None if window.is_instant else self.cache.trails(window, max_seconds=TRAIL_MAX_S)
        if trails is None or not len(trails.fid):
            if not self._trails_empty:  # an instant after a trail window: clear once, not every frame
                self.trails.copy_from(placeholder())
                self._trails_empty = True
            return
        local = self.origin.to_local(trails.xyz)
        local[:, 2] += LIFT
        mesh = pv.PolyData(local, lines=polyline_cells(np.diff(trails.offsets), trails.offsets[:-1]))
        mesh.cell_data[FID] = trails.fid
        mesh.cell_data[RGB] = self._feature_rgb()[trails.fid]
        self.trails.copy_from(mesh)
        self._trails_empty = False

    def _update_selected(self, local: np.ndarray) -> None:
        if not len(self._highlighted):
            self._selected_any = False
            return
        chosen = np.isin(self.fid, self._highlighted)
        self._selected_any = bool(chosen.any())
        if self._selected_any:
            mesh = pv.PolyData(local[chosen])
            mesh.verts = np.column_stack([np.ones(chosen.sum(), dtype=np.int64), np.arange(chosen.sum())]).ravel()
            self.selected.copy_from(mesh)

    def highlight(self, fids) -> None:
        self._highlighted = np.fromiter((int(f) for f in fids), dtype=np.int64)
        if self.plotter is not None:
            self._drawn = None
            self._update()

    def pick_targets(self) -> list[PickTarget]:
        return [PickTarget(self.name, self.actors["points"])] if "points" in self.actors else []

    def bounds(self, fid: int | None = None) -> tuple[float, ...] | None:
        if fid is not None:
            where = np.flatnonzero(self.fid == fid)
            if not where.size:
                return None
            x, y, z = np.asarray(self.centres, dtype=np.float64)[where[0]]
            return (x - 25, x + 25, y - 25, y + 25, z - 5, z + 5)
        return self._local_bbox(LIFT * 2)

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """``(fid, project xyz)`` of the objects drawn now (for tests and the status bar)."""
        drawn = np.asarray(self.centres, dtype=np.float64)[: len(self.fid)].copy()
        drawn[:, 2] -= LIFT
        return self.fid.copy(), self.origin.to_project(drawn)


register_visual("moving", MovingVisual)
