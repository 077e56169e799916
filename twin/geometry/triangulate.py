"""Polygons as flat ring arrays, and their triangulation (numpy fans for convex rings, earcut for the rest).

Building footprints are mostly convex (rectangles and simple quads): those are fanned in numpy
for all polygons at once. Concave polygons and polygons with holes go through
``mapbox_earcut`` one polygon at a time: the one loop that cannot be avoided, kept tight.
"""

from __future__ import annotations

import dataclasses

import mapbox_earcut
import numpy as np
import shapely

_POLYGON = 3


@dataclasses.dataclass
class PolygonRings:
    """Polygons of many features as flat arrays, rings without their closing coordinate.

    Coordinates ``xy[ring_offsets[r]:ring_offsets[r+1]]`` form ring ``r``; the rings of polygon
    ``p`` are ``polygon_ring_offsets[p]:polygon_ring_offsets[p+1]`` (exterior first, counter-clockwise
    seen from above; holes clockwise). Polygons are in feature order; ``polygon_feature[p]`` is the
    row of the input geometry they came from.
    """

    xy: np.ndarray  # (n, 2) float64
    z: np.ndarray | None  # (n,) float64 when the input had z
    ring_offsets: np.ndarray  # (r + 1,) int64
    polygon_ring_offsets: np.ndarray  # (p + 1,) int64
    polygon_feature: np.ndarray  # (p,) int64
    feature_count: int

    @property
    def ring_count(self) -> int:
        return len(self.ring_offsets) - 1

    @property
    def polygon_count(self) -> int:
        return len(self.polygon_feature)

    def coordinate_feature(self) -> np.ndarray:
        """Feature row of every coordinate."""
        ring_polygon = np.repeat(np.arange(self.polygon_count), np.diff(self.polygon_ring_offsets))
        return np.repeat(self.polygon_feature[ring_polygon], np.diff(self.ring_offsets))

    def next_in_ring(self) -> np.ndarray:
        """Index of the following coordinate of every coordinate, wrapping around its ring."""
        n = len(self.xy)
        nxt = np.arange(1, n + 1, dtype=np.int64)
        if n:
            nxt[self.ring_offsets[1:] - 1] = self.ring_offsets[:-1]
        return nxt


def polygon_rings(geometries: np.ndarray) -> PolygonRings:
    """Flatten (Multi)Polygons into rings, oriented, without their closing points (repeated points
    stay: they only make walls of zero width).

    Other geometry types, empty polygons and polygons of zero area are left out (their features
    simply have no polygon).
    """
    geometries = np.asarray(geometries, dtype=object)
    parts, feature = shapely.get_parts(geometries, return_index=True)
    keep = shapely.get_type_id(parts) == _POLYGON
    parts, feature = parts[keep], feature[keep]
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    keep = ~shapely.is_empty(parts) & (shapely.area(parts) > 0)
    parts, feature = parts[keep], feature[keep]
    has_z = bool(shapely.has_z(parts).any()) if len(parts) else False
    rings, ring_polygon = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, include_z=has_z, return_index=True)
    counts = np.bincount(coord_ring, minlength=len(rings))
    ends = np.cumsum(counts)
    drop = np.zeros(len(coords), dtype=bool)
    drop[ends[counts > 0] - 1] = True  # the closing coordinate repeats the first one
    coords = coords[~drop]
    counts = np.maximum(counts - 1, 0)
    ring_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    ring_counts_per_polygon = np.bincount(ring_polygon, minlength=len(parts))
    polygon_ring_offsets = np.concatenate([[0], np.cumsum(ring_counts_per_polygon)]).astype(np.int64)
    return PolygonRings(
        xy=np.ascontiguousarray(coords[:, :2], dtype=np.float64),
        z=np.ascontiguousarray(coords[:, 2], dtype=np.float64) if has_z else None,
        ring_offsets=ring_offsets,
        polygon_ring_offsets=polygon_ring_offsets,
        polygon_feature=feature.astype(np.int64),
        feature_count=len(geometries),
    )


def convex_simple_polygons(rings: PolygonRings) -> np.ndarray:
    """Boolean per polygon: one ring (no hole) that is convex (collinear points allowed)."""
    p_count = rings.polygon_count
    single = np.diff(rings.polygon_ring_offsets) == 1
    if not len(rings.xy):
        return single
    nxt = rings.next_in_ring()
    edge = rings.xy[nxt] - rings.xy
    edge_next = edge[nxt]
    cross = edge[:, 0] * edge_next[:, 1] - edge[:, 1] * edge_next[:, 0]
    scale = np.hypot(edge[:, 0], edge[:, 1]) * np.hypot(edge_next[:, 0], edge_next[:, 1])
    concave_vertex = cross < -1e-9 * np.maximum(scale, 1e-300)
    ring_concave = np.add.reduceat(concave_vertex.astype(np.int64), rings.ring_offsets[:-1]) > 0
    ring_concave &= np.diff(rings.ring_offsets) > 0
    first_ring = rings.polygon_ring_offsets[:-1]
    out = single.copy()
    out[single] &= ~ring_concave[first_ring[single]]
    return out[:p_count]


def triangulate_rings(rings: PolygonRings) -> tuple[np.ndarray, np.ndarray]:
    """Triangles of every polygon as indices into ``rings.xy``, counter-clockwise seen from above.

    Returns ``(triangles (m, 3) int64, polygon (m,) int64)``.
    """
    convex = convex_simple_polygons(rings)
    parts = [_fan(rings, np.flatnonzero(convex)), _earcut(rings, np.flatnonzero(~convex))]
    triangles = np.concatenate([p[0] for p in parts]).reshape(-1, 3)
    polygon = np.concatenate([p[1] for p in parts])
    return _counter_clockwise(rings.xy, triangles), polygon


def _fan(rings: PolygonRings, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first_ring = rings.polygon_ring_offsets[polygons]
    start = rings.ring_offsets[first_ring]
    count = np.maximum(rings.ring_offsets[first_ring + 1] - start - 2, 0)
    total = int(count.sum())
    owner = np.repeat(np.arange(len(polygons)), count)
    step = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count) + 1
    base = start[owner]
    triangles = np.stack([base, base + step, base + step + 1], axis=1)
    return triangles.astype(np.int64), polygons[owner].astype(np.int64)


def _earcut(rings: PolygonRings, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not len(polygons):
        return np.empty((0, 3), np.int64), np.empty(0, np.int64)
    xy, ring_offsets, pro = rings.xy, rings.ring_offsets, rings.polygon_ring_offsets
    ring_polygon_start = np.repeat(ring_offsets[pro[:-1]], np.diff(pro))
    local_ends = (ring_offsets[1:] - ring_polygon_start).astype(np.uint32)  # ring ends relative to their polygon
    chunks, counts = [], []
    earcut = mapbox_earcut.triangulate_float64
    for p, r0, r1 in zip(polygons.tolist(), pro[polygons].tolist(), pro[polygons + 1].tolist()):
        a = ring_offsets[r0]
        tri = earcut(xy[a:ring_offsets[r1]], local_ends[r0:r1])
        chunks.append(tri)
        counts.append(len(tri))
    starts = np.repeat(ring_offsets[pro[polygons]], counts)
    triangles = (np.concatenate(chunks).astype(np.int64) + starts).reshape(-1, 3)
    return triangles, np.repeat(polygons, np.asarray(counts) // 3).astype(np.int64)


def _counter_clockwise(xy: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    if not len(triangles):
        return triangles
    a, b, c = xy[triangles[:, 0]], xy[triangles[:, 1]], xy[triangles[:, 2]]
    signed = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    flip = signed < 0
    triangles = triangles.copy()
    triangles[flip, 1], triangles[flip, 2] = triangles[flip, 2], triangles[flip, 1].copy()
    return triangles
