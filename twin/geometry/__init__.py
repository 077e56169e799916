"""Qt-free geometry shared by importers and the scene: footprints extruded to LoD1 meshes.

Everything here works on whole arrays of shapely geometries (no Python object per building on
the hot path, except the one earcut call per non-convex polygon).
"""

from twin.geometry.extrude import (
    HEIGHT_SOURCES,
    Extrusion,
    extrude_footprints,
    footprint_base_z,
    resolve_heights,
)
from twin.geometry.kinds import geometry_dimensions, geometry_kind, kind_groups, points_wkb
from twin.geometry.triangulate import PolygonRings, polygon_rings, triangulate_rings

__all__ = [
    "HEIGHT_SOURCES",
    "Extrusion",
    "PolygonRings",
    "extrude_footprints",
    "footprint_base_z",
    "geometry_dimensions",
    "geometry_kind",
    "kind_groups",
    "points_wkb",
    "polygon_rings",
    "resolve_heights",
    "triangulate_rings",
]
