"""Visuals of the track kinds, redrawn by ``set_time(start, end)``.

- ``moving``: one point per object present at ``end``, interpolated; the points mesh is updated in
  place (``points[:] = ...; Modified()``) while the same objects stay, rebuilt when some appear or
  leave. When ``start < end`` (trail, interval and cumulative windows) each object draws its trail
  over the window (at most ``TRAIL_MAX_S``).
- ``events``: the events overlapping the window; those going on at ``end`` are drawn larger with a
  highlight glow, earlier ones in the window (cumulative, trail modes) faded.
- ``sensors`` / ``segments``: the facilities (points) or road links (lines) joined by id, coloured by
  the reading valid at the window (a colour bar in the legend; grey where a key has no reading).

Without a time (``twin render`` without ``--time``) moving objects stand at the start of their
time span, events are all drawn, readings show their latest values.
"""

from __future__ import annotations

import abc
import datetime as dt
import math
from typing import Any

import numpy as np
import pyvista as pv

from twin.render.overlay import LegendBlock
from twin.render.registry import register_visual
from twin.render.visual import HIGHLIGHT_COLOR, Visual
from twin.scene.colors import Coloring, style_coloring
from twin.scene.glyphs import anchored_glyphs, automatic_size, point_glyphs
from twin.scene.lines import line_parts
from twin.scene.meshes import FID, cells_subset, polyline_cells
from twin.scene.origin import project_extent
from twin.scene.picking import PickTarget
from twin.scene.polygons import polygon_meshes
from twin.time.range import TimeRange
from twin.time.slicing import EventTrack, MovingTrack, Readings

RGB = "_twin_rgb"
VALUE = "value"
#: moving objects float this high above the ground (m), above road ribbons
LIFT = 1.5
POINT_SIZE = 11.0
#: the longest trail drawn, in seconds of data (a cumulative window over hours would draw every sample)
TRAIL_MAX_S = 900.0
#: reading colours for speeds: slow red, fast green
SPEED_WORDS = ("speed", "velocity", "속도")
NO_READING = "#b0b0b0"


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


def _window(start: dt.datetime | None, end: dt.datetime | None) -> TimeRange | None:
    if start is None and end is None:
        return None
    return TimeRange(start or end, end or start)


class _TimedVisual(Visual, abc.ABC):
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
        window = _window(start, end)
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


def _placeholder() -> pv.PolyData:
    """A one-point mesh: pyvista refuses to add empty meshes; the actor stays hidden until data comes."""
    mesh = pv.PolyData(np.zeros((1, 3), dtype=np.float32))
    mesh.cell_data[FID] = np.array([-1], dtype=np.int64)
    mesh.cell_data[RGB] = np.zeros((1, 3), dtype=np.uint8)
    return mesh


#: a moving object's arrow (unit length, pointing east): a chevron, two triangles
ARROW = np.array([[0.5, 0.0], [-0.5, 0.34], [-0.22, 0.0], [-0.5, -0.34]])
ARROW_TRIANGLES = np.array([[0, 1, 2], [0, 2, 3]])
#: arrows are this many pixels long at the view's scale, never shorter than a car nor longer than a block
ARROW_PX, ARROW_MIN_M, ARROW_MAX_M = 16.0, 5.0, 80.0


def arrow_points(centres: np.ndarray, heading_deg: np.ndarray, length: float) -> np.ndarray:
    """(4n, 3) corners of one arrow per object at ``centres`` (n, 3), pointing along its compass heading."""
    theta = np.radians(90.0 - np.asarray(heading_deg, dtype=np.float64))  # compass -> counter-clockwise from east
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x, y = ARROW[None, :, 0] * length, ARROW[None, :, 1] * length
    out = np.empty((len(centres), len(ARROW), 3), dtype=np.float32)
    out[:, :, 0] = centres[:, None, 0] + x * c - y * s
    out[:, :, 1] = centres[:, None, 1] + x * s + y * c
    out[:, :, 2] = centres[:, None, 2]
    return out.reshape(-1, 3)


class MovingVisual(_TimedVisual):
    """Moving objects as arrows along their heading, interpolated at the window's end, with trails over wider
    windows. Arrows keep about :data:`ARROW_PX` pixels at any zoom (:meth:`set_scale`), at least a car's length."""

    def __init__(self, project, layer, origin, *, style=None) -> None:
        super().__init__(project, layer, origin, style=style)
        self.track = MovingTrack(project, layer)
        self.points = _placeholder()  # the arrows
        self.trails = _placeholder()
        self.selected = _placeholder()
        self.fid = np.empty(0, dtype=np.int64)
        self.centres = np.zeros((0, 3), dtype=np.float32)  # local positions of the objects drawn
        self._heading = np.zeros(max(layer.feature_count, 1))  # the last known heading of each object
        self._length: float | None = None
        self._highlighted = np.empty(0, dtype=np.int64)

    @property
    def arrow_length(self) -> float:
        """Metres from the tail to the tip of an arrow."""
        if self.style.size:
            return float(self.style.size)
        if self._length is None:
            x0, y0, x1, y1 = self.layer.bbox or (0.0, 0.0, 1000.0, 1000.0)
            self._length = float(np.clip(math.hypot(x1 - x0, y1 - y0) / 150.0, ARROW_MIN_M, ARROW_MAX_M))
        return self._length

    def set_scale(self, metres_per_pixel: float) -> bool:
        """The view's scale changed: keep the arrows about :data:`ARROW_PX` pixels long; True when redrawn."""
        wanted = float(np.clip(ARROW_PX * metres_per_pixel, ARROW_MIN_M, ARROW_MAX_M))
        if self.style.size or not math.isfinite(wanted) or abs(wanted / self.arrow_length - 1.0) < 0.1:
            return False
        self._length = wanted
        if len(self.fid):
            self.points.points[:] = arrow_points(self.centres, self._heading[self.fid], wanted)
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

    def _has(self, key: str) -> bool:
        if key == "points":
            return len(self.fid) > 0
        if key == "trails":
            return self.trails.n_cells > 0 and int(self.trails.cell_data[FID][0]) >= 0
        return len(np.intersect1d(self.fid, self._highlighted)) > 0

    def _update(self) -> bool:
        window = self.window
        if window is None:
            span = self.layer.time_span
            if span is None:
                return False
            window = TimeRange.instant(span[0])
        key = (window.start_us, window.end_us, self.style.key())
        if key == self._drawn:
            return False
        self._drawn = key
        pos = self.track.positions(window.end_us)
        local = self.origin.to_local(pos.xyz) if len(pos) else np.zeros((0, 3), dtype=np.float32)
        local[:, 2] += LIFT
        rgb = feature_rgb(self._colors(), self.layer.feature_count)
        known = np.isfinite(pos.heading)
        self._heading[pos.fid[known]] = pos.heading[known]  # a stopped object keeps pointing where it went
        corners = arrow_points(local, self._heading[pos.fid], self.arrow_length) if len(pos) else None
        if len(pos) and np.array_equal(pos.fid, self.fid):
            self.points.points[:] = corners  # the same objects: move them in place
            self.points.Modified()
        elif len(pos):
            faces = (ARROW_TRIANGLES[None, :, :] + (np.arange(len(pos)) * len(ARROW))[:, None, None]).reshape(-1, 3)
            self.points.copy_from(pv.PolyData.from_regular_faces(corners, faces))
            self.points.cell_data[FID] = np.repeat(pos.fid, len(ARROW_TRIANGLES))
            self.points.cell_data[RGB] = np.repeat(rgb[pos.fid], len(ARROW_TRIANGLES), axis=0)
        self.fid = pos.fid
        self.centres = local
        self._update_trails(window, rgb)
        self._update_selected(local)
        self._show()
        return True

    def _update_trails(self, window: TimeRange, rgb: np.ndarray) -> None:
        if window.is_instant:
            self.trails.copy_from(_placeholder())
            return
        trails = self.track.trails(window, max_seconds=TRAIL_MAX_S)
        if not len(trails.fid):
            self.trails.copy_from(_placeholder())
            return
        local = self.origin.to_local(trails.xyz)
        local[:, 2] += LIFT
        mesh = pv.PolyData(local, lines=polyline_cells(np.diff(trails.offsets), trails.offsets[:-1]))
        mesh.cell_data[FID] = trails.fid
        mesh.cell_data[RGB] = rgb[trails.fid]
        self.trails.copy_from(mesh)

    def _update_selected(self, local: np.ndarray) -> None:
        chosen = np.isin(self.fid, self._highlighted)
        if chosen.any():
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
            x, y, z = np.asarray(self.points.points)[where[0]]
            return (x - 25, x + 25, y - 25, y + 25, z - 5, z + 5)
        return self._local_bbox(LIFT * 2)

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """``(fid, project xyz)`` of the objects drawn now (for tests and the status bar)."""
        drawn = np.asarray(self.centres, dtype=np.float64)[: len(self.fid)].copy()
        drawn[:, 2] -= LIFT
        return self.fid.copy(), self.origin.to_project(drawn)


class EventVisual(_TimedVisual):
    """Events of the window as glyphs; those going on at its end larger, with a highlight glow."""

    def __init__(self, project, layer, origin, *, style=None) -> None:
        super().__init__(project, layer, origin, style=style)
        self.events = EventTrack(project, layer)
        self.meshes = {key: _placeholder() for key in ("past", "now", "glow")}
        self.counts = {key: 0 for key in self.meshes}
        self.full: dict[str, pv.PolyData] = {}

    @property
    def feature_ids(self) -> np.ndarray:
        return np.arange(self.layer.feature_count, dtype=np.int64)

    def _size(self) -> float:
        if self.style.size:
            return float(self.style.size)
        x0, y0, x1, y1 = self.layer.bbox or (0, 0, 1000, 1000)
        return float(np.clip(math.hypot(x1 - x0, y1 - y0) / 150.0, 2.0, 40.0))

    def _create(self, plotter) -> None:
        size = self._size()
        rgb = feature_rgb(self._colors(), self.layer.feature_count)
        for key, scale in (("past", 1.0), ("now", 1.5), ("glow", 2.3)):
            mesh = point_glyphs(self.project, self.layer, self.origin, size=size * scale)
            mesh.cell_data[RGB] = rgb[np.asarray(mesh.cell_data[FID])] if mesh.n_cells else np.zeros((0, 3), np.uint8)
            self.full[key] = mesh
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
            self.counts[part] = len(cells)
            if len(cells):
                self.meshes[part].copy_from(cells_subset(full, cells))
        self.active_fids = np.sort(fid[now])
        self._show()
        return True

    def pick_targets(self) -> list[PickTarget]:
        return [PickTarget(self.name, self.actors[k]) for k in ("now", "past") if k in self.actors and self._has(k)]

    def bounds(self, fid: int | None = None) -> tuple[float, ...] | None:
        return self._local_bbox(self._size() * 2)


#: readings at points are drawn over the facility's own glyph, this much larger
READING_GLYPH_SCALE = 1.25
#: readings on links: ribbons at least this many pixels wide, this far above the network's own ribbons (m)
READING_PX, READING_LIFT = 4.0, 0.3


class ReadingsVisual(_TimedVisual):
    """The facilities or road links a readings layer joins, coloured by the reading valid in the window."""

    def __init__(self, project, layer, origin, *, style=None) -> None:
        super().__init__(project, layer, origin, style=style)
        self.readings = Readings(project, layer)
        self.mesh: pv.PolyData | None = None
        self.target = None
        self.cell_reading = np.empty(0, dtype=np.int64)
        self.clim = (0.0, 1.0)
        self.screen = None  # ScreenSize of the mesh when sized in pixels

    def _colormap(self) -> str:
        if self.style.colormap == "viridis" and any(w in self.readings.value.lower() for w in SPEED_WORDS):
            return "RdYlGn"
        return self.style.colormap

    def _create(self, plotter) -> None:
        join = self.readings.join()
        if join is None:
            kinds = " or ".join(self.layer.properties.get("join", {}).get("kinds", ["points"]))
            key = self.layer.properties.get("join", {}).get("key")
            raise ValueError(f"no {kinds} layer with a column {key!r} to colour: import the facilities or road "
                             "network first (or set properties.join.layer)")
        self.target, reading_fid, target_fid = join
        mesh, screen = self._target_mesh()
        lookup = np.full(max(self.target.feature_count, int(target_fid.max(initial=-1)) + 1), -1, dtype=np.int64)
        lookup[target_fid] = reading_fid
        cell_reading = lookup[np.asarray(mesh.cell_data[FID])] if mesh.n_cells else np.empty(0, np.int64)
        keep = np.flatnonzero(cell_reading >= 0)
        self.mesh = cells_subset(mesh, keep) if len(keep) else _placeholder()
        self.screen = screen.subset(np.unique(mesh.regular_faces[keep])) if screen is not None and len(keep) else None
        self.cell_reading = cell_reading[keep]
        self.mesh.cell_data[VALUE] = np.full(self.mesh.n_cells, np.nan)
        self.clim = self.style.clim or self._value_range()
        actor = self.actors["mesh"] = plotter.add_mesh(
            self.mesh, scalars=VALUE, preference="cell", cmap=self._colormap(), clim=self.clim, nan_color=NO_READING,
            show_scalar_bar=False, pickable=False, reset_camera=False, render=False, name=f"{self.layer.id}:readings",
            # flat links and areas unlit: their colours are the legend's; glyphs keep some shape from the light
            **(dict(lighting=False) if self.target.kind != "points" else dict(ambient=0.45, diffuse=0.6, specular=0.0)))
        mapper = actor.GetMapper()  # drawn over the static network it colours, at any distance
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-1.5, -3.0)

    def _target_mesh(self):
        """The joined layer's features as one mesh lying over that layer's own drawing, and its screen sizes:
        links as ribbons wider than the network's (at least :data:`READING_PX` pixels), facilities as their own
        glyph a quarter larger (at least that many pixels more than the glyph)."""
        from twin.render.visuals import ribbon_screen
        from twin.scene.screen import POINT_PX, ScreenSize, resolve_units, split

        units = resolve_units(self.style.size_units, self.style.size)
        metres = self.style.size if units != "px" else None
        if self.target.kind == "lines":
            parts = line_parts(self.project, self.target, self.origin, size=metres)
            parts.ribbons.points[:, 2] += READING_LIFT  # above the road layer's own ribbons
            parts.anchors[:, 2] += READING_LIFT
            screen = None if units == "m" else ribbon_screen(
                parts, pixels=self.style.size if units == "px" else None, base_px=READING_PX)
            return parts.ribbons, screen
        if self.target.kind in ("polygons", "buildings"):
            mesh = polygon_meshes(self.project, self.target, self.origin, extrude=None)[0]
            mesh.points[:, 2] += READING_LIFT
            return mesh, None
        # the facility's own glyph, a quarter larger, so that the reading's colour wraps it where it stands
        size = metres or automatic_size(project_extent(self.project.layers())) * READING_GLYPH_SCALE
        if units == "m":
            return point_glyphs(self.project, self.target, self.origin, size=size), None
        mesh, anchors = anchored_glyphs(self.project, self.target, self.origin, size=1.0)
        pixels = float(self.style.size) if units == "px" else POINT_PX * READING_GLYPH_SCALE
        return mesh, ScreenSize(*split(mesh.points, anchors, 1.0), np.full(len(anchors), pixels),
                                np.full(len(anchors), 0.0 if units == "px" else size))

    def set_scale(self, metres_per_pixel: float) -> bool:
        """The view's scale changed: readings sized on screen follow it; True when they moved."""
        screen = self.screen
        return bool(screen is not None and self.mesh is not None and self.mesh.n_points == len(screen.anchors)
                    and screen.resize(self.mesh, metres_per_pixel))

    def _value_range(self) -> tuple[float, float]:
        lo, hi = self.readings.value_range()
        if lo is None:
            return (0.0, 1.0)
        return (lo, hi if hi > lo else lo + 1.0)

    def _update(self) -> bool:
        key = (None if self.window is None else (self.window.start_us, self.window.end_us), self.style.key())
        if key == self._drawn or self.mesh is None:
            return False
        self._drawn = key
        window = self.window
        if window is None and self.layer.time_span:
            window = TimeRange(*self.layer.time_span)
        fid, values = self.readings.values(window)
        by_reading = np.full(max(self.layer.feature_count, 1), np.nan)
        by_reading[fid] = values
        self.mesh.cell_data[VALUE][:] = by_reading[self.cell_reading] if len(self.cell_reading) else np.nan
        self.mesh.Modified()
        self.cell_values = np.asarray(self.mesh.cell_data[VALUE]).copy()
        return True

    def legend(self) -> LegendBlock | None:
        return LegendBlock(self.name, colormap=self._colormap(), clim=self.clim, subtitle=self.readings.value)

    def bounds(self, fid: int | None = None) -> tuple[float, ...] | None:
        return self.mesh.bounds if self.mesh is not None and self.mesh.n_cells else None


for _kind, _cls in (("moving", MovingVisual), ("events", EventVisual), ("sensors", ReadingsVisual),
                    ("segments", ReadingsVisual)):
    register_visual(_kind, _cls)
