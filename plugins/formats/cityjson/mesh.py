"""Mesh parts (one per object and LoD), heights and 2D footprints, all from flat arrays.

A part keeps only the vertices its triangles use (``np.unique`` over (part, vertex) keys), with
triangle indices local to the part, as :class:`twin.api.MeshData` wants them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from twin.api import MeshData
from twin_plugins.formats.cityjson.triangulate import Triangles, offsets, ranges

GROUND = 1  # SURFACE_CODES["GroundSurface"]


@dataclasses.dataclass
class Parts:
    """Mesh parts of all objects, sorted by object rank (layer, then row) and LoD."""

    vertices: np.ndarray  # (n, 3) float64
    triangles: np.ndarray  # (m, 3) int32, local to the part
    surface: np.ndarray  # (m,) uint8 semantic codes
    vertex_offsets: np.ndarray  # (k + 1,)
    triangle_offsets: np.ndarray  # (k + 1,)
    obj: np.ndarray  # (k,) object row
    lod: np.ndarray  # (k,) LoD code (index into the sorted LoD names)

    def mesh(self, first: int, last: int, feature: np.ndarray, lod_names: np.ndarray) -> MeshData:
        """MeshData of parts ``first .. last`` with ``feature[i]`` the layer row of part i's object."""
        v0, v1 = self.vertex_offsets[first], self.vertex_offsets[last]
        t0, t1 = self.triangle_offsets[first], self.triangle_offsets[last]
        return MeshData(
            vertices=self.vertices[v0:v1],
            triangles=self.triangles[t0:t1],
            triangle_surface=self.surface[t0:t1],
            part_vertex_offsets=self.vertex_offsets[first:last + 1] - v0,
            part_triangle_offsets=self.triangle_offsets[first:last + 1] - t0,
            part_feature=feature,
            part_lod=lod_names[self.lod[first:last]],
        )


def build_parts(vertices: np.ndarray, tris: Triangles, codes: np.ndarray, geom_obj: np.ndarray,
                geom_lod: np.ndarray, rank: np.ndarray, n_lods: int) -> Parts:
    """Group triangles into (object, LoD) parts ordered by ``rank[object]`` and LoD."""
    tri_geom = tris.flat.owner[tris.surface]
    key = rank[geom_obj[tri_geom]] * n_lods + geom_lod[tri_geom]
    order = np.argsort(key, kind="stable")
    key = key[order]
    triangles = tris.triangles[order]
    surface = codes[tris.surface[order]]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.empty(0, np.int64)
    part_key = key[first]
    counts = np.diff(np.r_[first, len(key)])
    del key
    k = len(part_key)
    tri_part = np.repeat(np.arange(k, dtype=np.int64), counts)
    used, local, vertex_counts = _local_vertices(triangles, tri_part, len(vertices), k)
    order_obj = np.argsort(rank, kind="stable")[np.count_nonzero(rank < 0):]  # rank -> object (-1: skipped)
    return Parts(
        vertices=vertices[used],
        triangles=local.astype(np.int32),
        surface=surface,
        vertex_offsets=offsets(vertex_counts),
        triangle_offsets=offsets(counts),
        obj=order_obj[part_key // n_lods],
        lod=part_key % n_lods,
    )


def _local_vertices(triangles: np.ndarray, tri_part: np.ndarray, n: int, k: int):
    """The vertices each part uses (grouped by part), triangles re-indexed locally, vertices per part.

    When no vertex is shared between parts (LoD1 blocks, most files) one sort of the used vertices by
    part does it; else ``np.unique`` over (part, vertex) keys.
    """
    corner_part = np.repeat(tri_part, 3)
    flat = triangles.ravel()
    owner = np.full(max(n, 1), -1, np.int64)
    owner[flat] = corner_part
    if (owner[flat] == corner_part).all():
        used = np.flatnonzero(owner >= 0)
        used = used[np.argsort(owner[used], kind="stable")]
        vertex_counts = np.bincount(owner[used], minlength=k)
        position = np.empty(max(n, 1), np.int64)
        position[used] = np.arange(len(used)) - np.repeat(offsets(vertex_counts)[:-1], vertex_counts)
        return used, position[triangles], vertex_counts
    width = max(n, 1)
    unique, inverse = np.unique(corner_part * width + flat, return_inverse=True)
    vertex_counts = np.bincount(unique // width, minlength=k)
    local = inverse.reshape(-1, 3) - offsets(vertex_counts)[tri_part][:, None]
    return unique % width, local, vertex_counts


def object_z(parts: Parts, n_obj: int) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest z of each object at its highest LoD (NaN without parts).

    Only the highest LoD counts: a LoD0 footprint often lies at z = 0 under a LoD2 solid on the terrain.
    """
    zmin = np.full(n_obj, np.inf)
    zmax = np.full(n_obj, -np.inf)
    if len(parts.obj):
        top = np.full(n_obj, -1)
        np.maximum.at(top, parts.obj, parts.lod)
        keep = parts.lod == top[parts.obj]
        z = parts.vertices[:, 2]
        starts = parts.vertex_offsets[:-1]
        np.minimum.at(zmin, parts.obj[keep], np.minimum.reduceat(z, starts)[keep])
        np.maximum.at(zmax, parts.obj[keep], np.maximum.reduceat(z, starts)[keep])
    zmin[~np.isfinite(zmin)] = np.nan
    zmax[~np.isfinite(zmax)] = np.nan
    return zmin, zmax


def footprints(vertices: np.ndarray, tris: Triangles, codes: np.ndarray, geom_obj: np.ndarray,
               geom_lod: np.ndarray, parts: Parts, n_obj: int) -> np.ndarray:
    """2D footprint of each object (shapely, None without geometry), from its lowest LoD:
    its GroundSurfaces, else its downward faces, else its non-vertical faces, else the convex hull."""
    flat = tris.flat
    surf_obj = geom_obj[flat.owner]
    surf_lod = geom_lod[flat.owner]
    low = np.full(n_obj, np.iinfo(np.int64).max)
    np.minimum.at(low, parts.obj, parts.lod)
    nz = tris.normal[:, 2]
    usable = (np.abs(tris.normal).sum(axis=1) > 0) & (surf_lod == low[surf_obj])
    rank = np.where(codes == GROUND, 3, np.where(nz < -0.5, 2, np.where(np.abs(nz) > 0.1, 1, 0)))
    rank[~usable] = 0
    best = np.zeros(n_obj, np.int64)
    np.maximum.at(best, surf_obj, rank)
    chosen = np.flatnonzero((rank > 0) & (rank == best[surf_obj]))
    chosen = chosen[np.argsort(surf_obj[chosen], kind="stable")]
    out = np.full(n_obj, None, dtype=object)
    if len(chosen):
        owners, per_owner = np.unique(surf_obj[chosen], return_counts=True)
        single = np.repeat(per_owner == 1, per_owner)  # one surface: a Polygon, else a MultiPolygon
        out[owners[per_owner == 1]] = _polygons(vertices, flat, chosen[single], None)
        out[owners[per_owner > 1]] = _polygons(vertices, flat, chosen[~single], per_owner[per_owner > 1])
    hull = np.flatnonzero(best == 0)
    hull = hull[np.isin(hull, parts.obj)]
    if len(hull):
        out[hull] = _hulls(parts, hull)
    return out


def _polygons(vertices: np.ndarray, flat, surfaces: np.ndarray, per_owner: np.ndarray | None) -> np.ndarray:
    """2D polygons (with holes) of the given surfaces; MultiPolygons of ``per_owner`` surfaces each when given."""
    if not len(surfaces):
        return np.empty(0, dtype=object)
    surf_ring = offsets(flat.rings)
    ring_sel = ranges(surf_ring[surfaces], flat.rings[surfaces])
    ring_start = offsets(flat.ring_len)[:-1]
    lens = flat.ring_len[ring_sel]
    take = ranges(ring_start[ring_sel], lens + 1)
    take[offsets(lens + 1)[1:] - 1] = ring_start[ring_sel]  # close each ring on its first vertex
    coords = vertices[flat.indices[take], :2]
    ring_offsets, polygon_offsets = offsets(lens + 1), offsets(flat.rings[surfaces])
    if per_owner is None:
        return shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords, (ring_offsets, polygon_offsets))
    return shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords,
                                     (ring_offsets, polygon_offsets, offsets(per_owner)))


def _hulls(parts: Parts, objects: np.ndarray) -> np.ndarray:
    """Convex hulls of the 2D vertices of the given objects' parts."""
    sel = np.flatnonzero(np.isin(parts.obj, objects))
    lens = np.diff(parts.vertex_offsets)[sel]
    coords = parts.vertices[ranges(parts.vertex_offsets[sel], lens), :2]
    position = np.searchsorted(objects, np.repeat(parts.obj[sel], lens))
    order = np.argsort(position, kind="stable")
    points = shapely.multipoints(coords[order], indices=position[order])
    return shapely.convex_hull(points)


def inherit_footprints(geoms: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Objects without a footprint of their own (a Building made of BuildingParts) get their children's."""
    missing = shapely.is_missing(geoms)
    child = np.flatnonzero((parent >= 0) & ~missing)
    child = child[missing[parent[child]]]
    if not len(child):
        return geoms
    polys, index = shapely.get_parts(geoms[child], return_index=True)
    polygonal = shapely.get_type_id(polys) == 3
    owner = parent[child][index[polygonal]]
    order = np.argsort(owner, kind="stable")
    owners = np.unique(owner)
    merged = shapely.multipolygons(polys[polygonal][order], indices=np.searchsorted(owners, owner[order]))
    out = geoms.copy()
    out[owners] = merged
    return out
