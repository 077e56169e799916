"""Underground utilities drawn as tubes at their depth, as thick as their pipe, in the utility's colour.

- **Depth**: the recorded depth is from the ground to the top of the pipe (Korean 매설깊이 / cover depth), so
  each tube's crown lies at ``-depth`` and its axis at ``-(depth + drawn radius)``: a tube never comes out
  of the ground however much it is exaggerated. Geometry z is ignored (the ground of the scene is z = 0).
- **Radius**: the pipe's diameter (mm) x ``EXAGGERATION`` (10, so a 100 mm gas main is a 1 m tube and a
  1,000 mm sewer a 10 m one), which reads at district scale (1-2 km in view); the style dialog's
  "Tube exaggeration" control (``style.params["exaggeration"]``) changes it. Centrelines at the axis keep
  thin pipes visible when the whole city is in view.
- **Colour**: by utility type, in the conventional colours of underground facility maps (``UTILITY_CLASSES``),
  one merged mesh per type present and a legend of the types; choosing a colour attribute in the style
  (``color_by``, e.g. the install year) colours all tubes by it instead.
- Columns come from ``properties["utility"]`` (written by the ``utilities`` importer), with its defaults for
  missing depths and diameters. The scene makes the ground see-through (``underground``).

Meshes are built for the whole layer at once (VTK's tube filter over all polylines of a type, radius per
vertex from a point array): no Python loop per pipe.
"""

from __future__ import annotations

import numpy as np

from twin.api import (LegendBlock, MeshVisual, Part, centrelines, empty_mesh, numeric_column, read_polylines,
                      text_column)

#: utility classes: (id, legend label, colour, words in a type value or layer name). The colours follow the
#: common convention of utility maps (gas yellow, water blue, sewer brown, power red, telecom green, district
#: heating orange); the Korean underground-facility map standard's own table was not found to check them.
UTILITY_CLASSES = (
    ("sewer", "sewer", "#8d6e63", ("하수", "오수", "우수", "합류", "sewer", "sewage", "waste", "drain", "storm")),
    ("water", "water supply", "#1e88e5", ("상수", "급수", "배수", "송수", "도수", "취수", "water")),
    ("gas", "gas", "#fbc02d", ("가스", "gas")),
    ("power", "power", "#e53935", ("전력", "전기", "한전", "power", "electric")),
    ("telecom", "telecom", "#43a047", ("통신", "광케이블", "광통신", "telecom", "fiber", "fibre", "communication")),
    ("heating", "district heating", "#fb8c00", ("난방", "열수송", "열배관", "heat")),
)
OTHER = ("other", "other", "#9e9e9e")
EXAGGERATION = 10.0
DEFAULT_DEPTH_M = 1.2
DEFAULT_DIAMETER_MM = 100.0
TUBE_SIDES = 12


def utility_class(text: str | None) -> str:
    """The class id of a type value or a layer name (``"gas"``, ``"water"``...), else ``"other"``."""
    low = str(text or "").lower()
    for cid, _, _, words in UTILITY_CLASSES:
        if any(word in low for word in words):
            return cid
    return OTHER[0]


def class_colors() -> dict[str, tuple[str, str]]:
    """Class id -> (legend label, colour)."""
    return {cid: (label, color) for cid, label, color, _ in (*UTILITY_CLASSES, (*OTHER, ()))}


class UtilityVisual(MeshVisual):
    """Tubes of a ``utilities`` layer (see the module docstring)."""

    @property
    def exaggeration(self) -> float:
        value = self.style.params.get("exaggeration", EXAGGERATION)
        return float(value) if isinstance(value, (int, float)) and value > 0 else EXAGGERATION

    def geometry_key(self, style) -> tuple:
        return (style.params.get("exaggeration", EXAGGERATION), style.color_by)

    def columns(self) -> dict:
        return dict(self.layer.properties.get("utility") or {})

    def _per_feature(self, column: str | None, default: float, count: int) -> np.ndarray:
        if not column:
            return np.full(count, float(default))
        values = numeric_column(self.project, self.layer, column)
        return np.where(np.isfinite(values) & (values > 0), values, float(default))

    def feature_classes(self, count: int) -> np.ndarray:
        """The utility class of every feature (fid order): its type value, else the layer's name."""
        default = utility_class(f"{self.layer.name} {self.layer.source_file or ''}")
        column = self.columns().get("type")
        if not column:
            return np.full(count, default, dtype=object)
        codes, texts = text_column(self.project, self.layer, column)
        per_text = np.array([utility_class(t) for t in texts] + [default], dtype=object)  # one call per distinct value
        found = per_text[np.where(codes < 0, len(texts), codes)]
        return np.where(found == OTHER[0], default, found)

    def tube_geometry(self) -> tuple:
        """(polylines, per-vertex axis z, per-vertex drawn radius, per-part class) of the layer."""
        lines, _ = read_polylines(self.project, self.layer, self.origin)
        count = max(self.layer.feature_count, int(lines.part_fid.max()) + 1 if len(lines.part_fid) else 0)
        cols = self.columns()
        depth = self._per_feature(cols.get("depth"), cols.get("default_depth_m", DEFAULT_DEPTH_M), count)
        diameter = self._per_feature(cols.get("diameter"), cols.get("default_diameter_mm", DEFAULT_DIAMETER_MM), count)
        radius = diameter / 2000.0 * self.exaggeration
        axis = -(depth + radius)
        fid = lines.vertex_fid
        return lines, axis[fid], radius[fid], self.feature_classes(count)[lines.part_fid]

    def build(self) -> dict[str, Part]:
        lines, z, radius, classes = self.tube_geometry()
        parts: dict[str, Part] = {}
        colors = class_colors()
        if self.style.color_by is not None:  # coloured by an attribute: one styled mesh
            parts["tubes"] = Part(_tubes(lines, z, radius, np.ones(len(lines.part_fid), bool)), material=(0.3, 0.7, 0.25))
            parts["centrelines"] = Part(centrelines(lines, z) if len(lines.points) else empty_mesh(), pickable=False,
                                        line_width=1.5, material=(1.0, 0.0, 0.0))
            return parts
        for cid in [c for c in colors if (classes == c).any()]:
            label, color = colors[cid]
            mask = classes == cid
            parts[f"tubes:{cid}"] = Part(_tubes(lines, z, radius, mask), styled=False, color=color,
                                         material=(0.3, 0.7, 0.25))
            parts[f"centrelines:{cid}"] = Part(_centrelines(lines, z, mask), pickable=False, styled=False, color=color,
                                               line_width=1.5, material=(1.0, 0.0, 0.0))
        return parts or {"tubes": Part(empty_mesh())}

    @property
    def underground(self) -> bool:
        """True when tubes are drawn: the scene then makes the ground translucent."""
        return any(key.startswith("tubes") and part.mesh.n_cells for key, part in self.ensure_built().items())

    def classes_drawn(self) -> list[str]:
        return [key.split(":", 1)[1] for key, part in self.ensure_built().items()
                if key.startswith("tubes:") and part.mesh.n_cells]

    def legend(self) -> LegendBlock | None:
        if self.style.color_by is not None:
            return super().legend()
        colors = class_colors()
        subtitle = self.columns().get("type") or ""
        return LegendBlock(self.name, [colors[c] for c in self.classes_drawn()], subtitle=subtitle)


def _subset(lines, part_mask: np.ndarray):
    """Vertex mask and renumbered polylines of the parts in ``part_mask``."""
    from twin.api import Polylines

    vertex_mask = part_mask[lines.part]
    parts = np.flatnonzero(part_mask)
    remap = np.full(len(lines.part_fid), -1, dtype=np.int64)
    remap[parts] = np.arange(len(parts))
    return vertex_mask, Polylines(lines.points[vertex_mask], remap[lines.part[vertex_mask]], lines.part_fid[parts])


def _centrelines(lines, z: np.ndarray, part_mask: np.ndarray):
    mask, sub = _subset(lines, part_mask)
    return centrelines(sub, z[mask]) if len(sub.points) >= 2 else empty_mesh()


def _tubes(lines, z: np.ndarray, radius: np.ndarray, part_mask: np.ndarray):
    """Tubes along the chosen parts at ``z`` with a radius per vertex (VTK tube filter, triangles, ``fid`` cells)."""
    mask, sub = _subset(lines, part_mask)
    if len(sub.points) < 2:
        return empty_mesh()
    axis = centrelines(sub, z[mask])
    if not axis.n_cells:
        return empty_mesh()
    axis.point_data["radius"] = radius[mask]  # centrelines keep every vertex, in order
    tube = axis.tube(scalars="radius", absolute=True, n_sides=TUBE_SIDES, capping=True).triangulate()
    tube.point_data.clear()
    return tube

