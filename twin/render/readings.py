"""Readings (layer kinds ``sensors`` and ``segments``): the facilities (points) or road links (lines) a
readings layer joins by id, coloured by the reading valid in the window (a colour bar in the legend; grey where
a key has no reading). Without a time (``twin render`` without ``--time``) the latest values are shown.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.render.overlay import LegendBlock
from twin.render.registry import register_visual
from twin.render.timed import VALUE, TimedVisual, placeholder
from twin.scene.glyphs import anchored_glyphs, automatic_size, glyph_screen, point_glyphs
from twin.scene.lines import line_parts
from twin.scene.meshes import FID, cells_subset
from twin.scene.origin import project_extent
from twin.scene.polygons import polygon_meshes
from twin.time.range import TimeRange
from twin.time.slicing import Readings

#: reading colours for speeds: slow red, fast green
SPEED_WORDS = ("speed", "velocity", "속도")
NO_READING = "#b0b0b0"
#: readings at points are drawn over the facility's own glyph, this much larger
READING_GLYPH_SCALE = 1.25
#: readings on links: ribbons at least this many pixels wide, this far above the network's own ribbons (m)
READING_PX, READING_LIFT = 4.0, 0.3


class ReadingsVisual(TimedVisual):
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
        self.mesh = cells_subset(mesh, keep) if len(keep) else placeholder()
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
        from twin.scene.screen import POINT_PX, resolve_units

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
        return mesh, glyph_screen(mesh.points, anchors, pixels=pixels, city_m=0.0 if units == "px" else size,
                                  scale=READING_GLYPH_SCALE)

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


for _kind in ("sensors", "segments"):
    register_visual(_kind, ReadingsVisual)
