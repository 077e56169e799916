"""Footprints to LoD1 blocks: one closed mesh per feature (floor, walls, flat roof), built vectorised.

Walls are quads for all rings of all features at once in numpy; roofs and floors come from
:func:`twin.geometry.triangulate.triangulate_rings`. Each feature's mesh is watertight: its
walls share their vertices with the floor and the roof.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from twin.geometry.triangulate import polygon_rings, triangulate_rings
from twin.layerdata import SURFACE_CODES, MeshData

#: Where a feature's height came from (codes returned by :func:`resolve_heights`).
HEIGHT_SOURCES = ("height", "storeys", "default")

GROUND = SURFACE_CODES["GroundSurface"]
WALL = SURFACE_CODES["WallSurface"]
ROOF = SURFACE_CODES["RoofSurface"]


@dataclasses.dataclass
class Extrusion:
    """The LoD1 mesh of a footprint layer and which features got one."""

    mesh: MeshData
    has_mesh: np.ndarray  # (n,) bool per input feature
    repaired: int = 0  # invalid footprints (self-intersecting...) made valid before extrusion

    @property
    def without_mesh(self) -> np.ndarray:
        """Rows of the features that had no usable polygon."""
        return np.flatnonzero(~self.has_mesh)


def resolve_heights(
    height: np.ndarray | None,
    storeys: np.ndarray | None,
    *,
    count: int,
    storey_height: float = 3.0,
    default_height: float = 10.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Height of every feature: its height, else storeys x ``storey_height``, else ``default_height``.

    Heights and storeys that are missing, not finite or not positive do not count. Returns
    ``(heights float64, source int8)`` where ``source`` indexes :data:`HEIGHT_SOURCES`.
    """
    heights = np.full(count, float(default_height))
    source = np.full(count, 2, dtype=np.int8)
    if storeys is not None:
        s = np.asarray(storeys, dtype=np.float64)
        use = np.isfinite(s) & (s > 0)
        heights[use] = s[use] * float(storey_height)
        source[use] = 1
    if height is not None:
        h = np.asarray(height, dtype=np.float64)
        use = np.isfinite(h) & (h > 0)
        heights[use] = h[use]
        source[use] = 0
    return heights, source


def footprint_base_z(geometries: np.ndarray) -> np.ndarray:
    """Lowest z of each footprint's coordinates (0 for 2D footprints or missing z)."""
    geometries = np.asarray(geometries, dtype=object)
    base = np.zeros(len(geometries))
    has_z = shapely.has_z(geometries)
    if has_z.any():
        coords, owner = shapely.get_coordinates(geometries[has_z], include_z=True, return_index=True)
        z = np.full(int(has_z.sum()), np.inf)
        np.fmin.at(z, owner, coords[:, 2])
        base[has_z] = np.where(np.isfinite(z), z, 0.0)
    return base


def extrude_footprints(
    geometries: np.ndarray,
    heights: np.ndarray,
    *,
    base: np.ndarray | None = None,
    lod: str = "1",
) -> Extrusion:
    """Extrude (Multi)Polygon footprints to LoD1 blocks from ``base`` (default: footprint z, else 0)
    up to ``base + heights``.

    Returns a :class:`MeshData` with one part per feature that has a polygon (the parts of a
    MultiPolygon share it), surface codes ground/wall/roof, vertices in the footprints' CRS.
    """
    geometries = np.asarray(geometries, dtype=object)
    n = len(geometries)
    heights = np.broadcast_to(np.asarray(heights, dtype=np.float64), (n,))
    bottom = footprint_base_z(geometries) if base is None else np.broadcast_to(np.asarray(base, np.float64), (n,))
    invalid = np.flatnonzero(~shapely.is_valid(geometries) & ~shapely.is_missing(geometries))
    if len(invalid):  # a bow-tie ring becomes two triangles instead of nothing
        geometries = geometries.copy()
        geometries[invalid] = shapely.make_valid(geometries[invalid])
    rings = polygon_rings(geometries)
    coord_feature = rings.coordinate_feature()
    per_feature = np.bincount(coord_feature, minlength=n).astype(np.int64)
    feature_start = np.concatenate([[0], np.cumsum(per_feature)])[:-1]
    local = np.arange(len(rings.xy), dtype=np.int64) - feature_start[coord_feature]
    top_shift = per_feature[coord_feature]  # top copy of a vertex = local + V_f

    vertices = np.empty((2 * len(rings.xy), 3))
    bottom_at = np.arange(len(rings.xy)) + feature_start[coord_feature]
    vertices[bottom_at, :2] = rings.xy
    vertices[bottom_at, 2] = bottom[coord_feature]
    vertices[bottom_at + top_shift, :2] = rings.xy
    vertices[bottom_at + top_shift, 2] = bottom[coord_feature] + heights[coord_feature]

    caps, cap_polygon = triangulate_rings(rings)
    cap_feature = rings.polygon_feature[cap_polygon]
    cap_local = local[caps]
    floors = cap_local[:, [0, 2, 1]]  # reversed: the floor faces down
    roofs = cap_local + per_feature[cap_feature][:, None]

    nxt = rings.next_in_ring()
    a, b = local, local[nxt]
    shift = top_shift
    walls = np.concatenate(
        [np.stack([a, b, b + shift], axis=1), np.stack([a, b + shift, a + shift], axis=1)]
    )
    wall_feature = np.concatenate([coord_feature, coord_feature])

    triangles = np.concatenate([floors, roofs, walls])
    owner = np.concatenate([cap_feature, cap_feature, wall_feature])
    codes = np.concatenate(
        [np.full(len(floors), GROUND), np.full(len(roofs), ROOF), np.full(len(walls), WALL)]
    ).astype(np.uint8)
    order = np.argsort(owner, kind="stable")
    triangles, owner, codes = triangles[order], owner[order], codes[order]

    has_mesh = per_feature > 0
    parts = np.flatnonzero(has_mesh)
    tri_counts = np.bincount(owner, minlength=n)[parts]
    mesh = MeshData(
        vertices=vertices,
        triangles=triangles.astype(np.int32),
        triangle_surface=codes,
        part_vertex_offsets=np.concatenate([[0], np.cumsum(2 * per_feature[parts])]).astype(np.int64),
        part_triangle_offsets=np.concatenate([[0], np.cumsum(tri_counts)]).astype(np.int64),
        part_feature=parts.astype(np.int64),
        part_lod=np.full(len(parts), lod, dtype=object),
    )
    return Extrusion(mesh=mesh, has_mesh=has_mesh, repaired=len(invalid))
