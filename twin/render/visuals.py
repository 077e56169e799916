"""The built-in visuals: buildings (3D meshes), points (glyphs), lines (ribbons, tubes), polygons."""

from __future__ import annotations

import numpy as np

from twin.render.visual import MeshVisual, Part
from twin.scene.colors import city_object_color
from twin.scene.features import attribute_types, find_column
from twin.scene.glyphs import FACILITY_COLORS, anchored_glyphs, automatic_size, glyph_screen, layer_facility
from twin.scene.lines import RIBBON_WIDTH, line_parts, utility_color
from twin.scene.meshes import building_mesh, chosen_lod, empty_mesh, has_mesh
from twin.scene.origin import project_extent
from twin.scene.polygons import polygon_meshes
from twin.scene.roofs import HEIGHT_COLUMNS  # what footprints without a mesh are extruded by (and points stand on)
from twin.scene.screen import LINE_PX, LINE_PX_SPREAD, POINT_PX, ScreenSize, resolve_units, split


def ribbon_screen(parts, *, pixels: float | None = None, base_px: float = LINE_PX) -> ScreenSize | None:
    """Ribbons sized on screen: ``pixels`` wide (fixed), or automatic: their real width, never under ``base_px``
    pixels (wider roads up to 1.6 times that, by their width against a 6 m road)."""
    if not len(parts.anchors) or parts.ribbons.n_points != len(parts.anchors):
        return None
    if pixels is not None:
        wanted, floor = np.full(len(parts.widths), float(pixels)), np.zeros(len(parts.widths))
    else:
        wanted, floor = base_px * np.clip(parts.widths / RIBBON_WIDTH, *LINE_PX_SPREAD), parts.widths
    return ScreenSize(*split(parts.ribbons.points, parts.anchors, parts.widths), wanted, floor)


class BuildingVisual(MeshVisual):
    """3D objects from the layer's mesh table (the chosen LoD), coloured by surface or by attribute.

    A buildings layer without a mesh table (footprints only) is drawn as its polygons extruded by
    a height attribute when it has one.
    """

    def __new__(cls, project=None, layer=None, origin=None, **kwargs):
        if cls is BuildingVisual and layer is not None:
            from twin.render.tiled import TiledBuildingVisual, wants_tiles

            if wants_tiles(project, layer):  # a large layer (or an external dataset): drawn tile by tile
                return super().__new__(TiledBuildingVisual)
        return super().__new__(cls)

    def build(self) -> dict[str, Part]:
        material = (0.55, 0.6, 0.02)
        if has_mesh(self.project, self.layer):
            mesh = building_mesh(self.project, self.layer, self.origin, lod=self.style.lod)
            return {"mesh": Part(mesh, material=material)}
        height = find_column(attribute_types(self.project, self.layer), HEIGHT_COLUMNS)
        fill, outline = polygon_meshes(self.project, self.layer, self.origin, extrude=self.style.extrude or height)
        return {"mesh": Part(fill, material=material)}

    def suggested_color(self) -> str | None:
        return city_object_color(self.layer.properties)  # bridges, tunnels...; buildings keep the kind's colour

    def flat_roofs(self) -> bool:
        if not has_mesh(self.project, self.layer):
            return True
        lod = chosen_lod(self.project, self.layer, self.style.lod)
        try:
            return lod is None or float(lod) < 2.0
        except ValueError:
            return False


class PointVisual(MeshVisual):
    """Points as glyphs by facility type (CCTV cones turned to their view direction).

    Sizes (``style.size_units``): ``m`` fixed in the scene; ``px`` fixed on screen; automatic: 1/180 of the
    project's extent (3-50 m) but never under :data:`~twin.scene.screen.POINT_PX` pixels, so that a
    nationwide layer still shows at the default view."""

    def build(self) -> dict[str, Part]:
        units = resolve_units(self.style.size_units, self.style.size)
        extent = project_extent(self.project.layers())
        if units == "m":
            mesh, _ = anchored_glyphs(self.project, self.layer, self.origin, size=self.style.size, extent=extent)
            return {"glyphs": Part(mesh, material=(0.35, 0.7, 0.15))}
        mesh, anchors = anchored_glyphs(self.project, self.layer, self.origin, size=1.0)
        pixels = float(self.style.size) if units == "px" and self.style.size else POINT_PX
        floor = 0.0 if units == "px" else automatic_size(extent)
        screen = glyph_screen(mesh.points, anchors, pixels=pixels, city_m=floor)  # close in: no bigger than the street
        return {"glyphs": Part(mesh, material=(0.35, 0.7, 0.15), screen=screen)}

    def suggested_color(self) -> str | None:
        return FACILITY_COLORS.get(layer_facility(self.layer))


class LineVisual(MeshVisual):
    """Lines as ribbons on the ground, underground utilities as tubes at their depth."""

    def build(self) -> dict[str, Part]:
        units = resolve_units(self.style.size_units, self.style.size)
        parts = line_parts(self.project, self.layer, self.origin, size=None if units == "px" else self.style.size)
        screen = None if units == "m" else ribbon_screen(parts, pixels=self.style.size if units == "px" else None)
        # ribbons sized on screen read at any zoom: the 1.5-pixel centrelines are then kept for pipes only
        # (over the ribbons they would cover the readings drawn on the links)
        lines = empty_mesh() if screen is not None and not parts.tubes.n_cells else parts.centrelines
        return {"ribbons": Part(parts.ribbons, material=(0.45, 0.6, 0.0), screen=screen),
                "tubes": Part(parts.tubes, material=(0.3, 0.7, 0.25)),
                "lines": Part(lines, pickable=False, line_width=1.5, material=(1.0, 0.0, 0.0))}

    def suggested_color(self) -> str | None:
        return utility_color(f"{self.layer.name} {self.layer.source_file or ''}")

    @property
    def underground(self) -> bool:
        """True when some features lie below the ground (the scene then makes the ground translucent)."""
        parts = self.ensure_built()
        return bool(parts["tubes"].mesh.n_cells)


class PolygonVisual(MeshVisual):
    """Polygons flat on the ground (with outlines), or extruded by a height or an attribute."""

    def build(self) -> dict[str, Part]:
        fill, outline = polygon_meshes(self.project, self.layer, self.origin, extrude=self.style.extrude)
        parts = {"fill": Part(fill, material=(0.5, 0.55, 0.0) if self.style.extrude is None else (0.3, 0.72, 0.04))}
        parts["outline"] = Part(outline, pickable=False, styled=False, line_width=1.5, opacity=1.0)
        return parts

    def suggested_color(self) -> str | None:
        return city_object_color(self.layer.properties)  # CityJSON water blue, vegetation green, roads grey

    def style_from(self, stored):
        style = super().style_from(stored)
        if "opacity" not in (stored or {}) and city_object_color(self.layer.properties):
            # CityJSON land cover tiles the ground: opaque, or the ground's grid would show as seams through it
            style = style.replace(opacity=1.0)
        return style
