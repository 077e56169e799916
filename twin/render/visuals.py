"""The built-in visuals: buildings (3D meshes), points (glyphs), lines (ribbons, tubes), polygons."""

from __future__ import annotations

from twin.render.visual import MeshVisual, Part
from twin.scene.features import attribute_types, find_column
from twin.scene.glyphs import FACILITY_COLORS, layer_facility, point_glyphs
from twin.scene.lines import line_meshes, utility_color
from twin.scene.meshes import building_mesh, chosen_lod, has_mesh
from twin.scene.origin import project_extent
from twin.scene.polygons import polygon_meshes

HEIGHT_COLUMNS = ("height", "measuredHeight", "높이", "HAUTEUR")


class BuildingVisual(MeshVisual):
    """3D objects from the layer's mesh table (the chosen LoD), coloured by surface or by attribute.

    A buildings layer without a mesh table (footprints only) is drawn as its polygons extruded by
    a height attribute when it has one.
    """

    def build(self) -> dict[str, Part]:
        material = (0.55, 0.6, 0.02)
        if has_mesh(self.project, self.layer):
            mesh = building_mesh(self.project, self.layer, self.origin, lod=self.style.lod)
            return {"mesh": Part(mesh, material=material)}
        height = find_column(attribute_types(self.project, self.layer), HEIGHT_COLUMNS)
        fill, outline = polygon_meshes(self.project, self.layer, self.origin, extrude=self.style.extrude or height)
        return {"mesh": Part(fill, material=material)}

    def flat_roofs(self) -> bool:
        if not has_mesh(self.project, self.layer):
            return True
        lod = chosen_lod(self.project, self.layer, self.style.lod)
        try:
            return lod is None or float(lod) < 2.0
        except ValueError:
            return False


class PointVisual(MeshVisual):
    """Points as glyphs by facility type (CCTV cones turned to their view direction)."""

    def build(self) -> dict[str, Part]:
        mesh = point_glyphs(self.project, self.layer, self.origin, size=self.style.size,
                             extent=project_extent(self.project.layers()))
        return {"glyphs": Part(mesh, material=(0.35, 0.7, 0.15))}

    def suggested_color(self) -> str | None:
        return FACILITY_COLORS.get(layer_facility(self.layer))


class LineVisual(MeshVisual):
    """Lines as ribbons on the ground, underground utilities as tubes at their depth."""

    def build(self) -> dict[str, Part]:
        ribbons, tubes, lines = line_meshes(self.project, self.layer, self.origin, size=self.style.size)
        return {"ribbons": Part(ribbons, material=(0.45, 0.6, 0.0)), "tubes": Part(tubes, material=(0.3, 0.7, 0.25)),
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
