"""Triangulate planar 3D surfaces (outer ring + holes) of many objects at once.

Each surface gets its Newell normal (vectorised); all surfaces are projected onto their own plane
(a right-handed basis around the normal, so the outer ring is counter-clockwise) and handed to the
core's :func:`twin.api.triangulate_rings`: convex rings are fanned in numpy, the rest go through
earcut. Triangles therefore face like the outer ring (outwards for valid CityJSON solids).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin.api import PolygonRings, triangulate_rings
from twin_plugins.formats.cityjson.flatten import Flat

CHUNK = 1 << 20  # vertex indices per chunk of the vectorised normal pass
SURFACES_PER_CHUNK = 200_000  # surfaces triangulated together (bounds the temporary arrays)


@dataclasses.dataclass
class Triangles:
    """Triangles of all surfaces: global vertex indices, the surface of each, unit normals of surfaces."""

    triangles: np.ndarray  # (m, 3) int64
    surface: np.ndarray  # (m,) int64
    normal: np.ndarray  # (s, 3) float64, zero for surfaces without area
    flat: Flat  # the surfaces with closing duplicates and rings of fewer than 3 vertices removed
    degenerate: int  # surfaces without area (no triangles)


def offsets(counts: np.ndarray) -> np.ndarray:
    """[0, c0, c0+c1, ...] as int64."""
    out = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each start and length, without a Python loop."""
    return np.repeat(starts - offsets(lens)[:-1], lens) + np.arange(int(lens.sum()), dtype=np.int64)


def clean(flat: Flat) -> Flat:
    """Drop a repeated closing vertex and rings of fewer than 3 vertices (a surface without its outer ring goes)."""
    idx, n = flat.indices, flat.ring_len
    starts = offsets(n)[:-1]
    closing = np.zeros(len(n), bool)
    if len(idx):
        last = np.clip(starts + n - 1, 0, len(idx) - 1)
        closing = (n >= 4) & (idx[np.minimum(starts, len(idx) - 1)] == idx[last])
    if closing.any():
        keep = np.ones(len(idx), bool)
        keep[last[closing]] = False
        idx, n = idx[keep], n - closing
    ring_surface = np.repeat(np.arange(len(flat.rings)), flat.rings)
    first = np.zeros(len(n), bool)
    first[offsets(flat.rings)[:-1][flat.rings > 0]] = True
    short = n < 3
    drop_surface = np.zeros(len(flat.rings), bool)
    drop_surface[ring_surface[short & first]] = True
    drop_ring = short | drop_surface[ring_surface]
    rings = flat.rings
    if drop_ring.any():
        idx = idx[~np.repeat(drop_ring, n)]
        rings = np.bincount(ring_surface[~drop_ring], minlength=len(flat.rings)).astype(np.int64)
        n = n[~drop_ring]
    return Flat(flat.owner, flat.value, rings, n, idx)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross product of (n, 3) arrays."""
    ax, ay, az = a.T
    bx, by, bz = b.T
    return np.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=1)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1] + a[:, 2] * b[:, 2]


def ring_normals(vertices: np.ndarray, idx: np.ndarray, ring_len: np.ndarray):
    """Per ring: Newell normal (length = twice the area) and the squared distance of the farthest
    vertex from the first (the ring's size).

    Works on x, y, z as separate contiguous arrays, a chunk of rings at a time.
    """
    normals = np.zeros((len(ring_len), 3))
    size2 = np.zeros(len(ring_len))
    columns = [np.ascontiguousarray(vertices[:, k]) for k in range(3)]
    bounds = offsets(ring_len)
    r0 = 0
    while r0 < len(ring_len):
        r1 = max(int(np.searchsorted(bounds, bounds[r0] + CHUNK, side="right")) - 1, r0 + 1)
        a, b = bounds[r0], bounds[r1]
        lens = ring_len[r0:r1]
        local = bounds[r0:r1] - a
        last = local + lens - 1
        nxt = np.arange(1, b - a + 1)
        nxt[last] = local
        ids = idx[a:b]
        px, py, pz = (c[ids] - np.repeat(c[ids[local]], lens) for c in columns)  # relative to the first vertex
        qx, qy, qz = px[nxt], py[nxt], pz[nxt]
        nx = np.add.reduceat(py * qz - pz * qy, local)  # sum of p_i x p_i+1 (Newell)
        ny = np.add.reduceat(pz * qx - px * qz, local)
        nz = np.add.reduceat(px * qy - py * qx, local)
        normals[r0:r1, 0], normals[r0:r1, 1], normals[r0:r1, 2] = nx, ny, nz
        size2[r0:r1] = np.maximum.reduceat(px * px + py * py + pz * pz, local)
        r0 = r1
    return normals, size2


#: per dominant normal axis and its sign: the two coordinates that keep the ring counter-clockwise
_PLANE_AXES = np.array([[[2, 1], [1, 2]], [[0, 2], [2, 0]], [[1, 0], [0, 1]]])


def plane_coordinates(vertices: np.ndarray, idx: np.ndarray, unit: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """2D coordinates of consecutive groups of ``lens`` vertices, each projected along the dominant
    axis of its unit normal (the pair of axes is chosen so the outer ring stays counter-clockwise),
    relative to the group's first vertex."""
    dominant = np.argmax(np.abs(unit), axis=1)
    positive = unit[np.arange(len(unit)), dominant] > 0
    pair = np.repeat(_PLANE_AXES[dominant, positive.astype(np.int64)], lens, axis=0)
    columns = vertices.T
    first = np.repeat(idx[offsets(lens)[:-1]], lens)
    return np.stack([columns[pair[:, k], idx] - columns[pair[:, k], first] for k in (0, 1)], axis=1)


def triangulate(vertices: np.ndarray, flat: Flat) -> Triangles:
    """Triangles of every surface of ``flat`` (indices into ``vertices``)."""
    flat = clean(flat)
    idx, ring_len, rings = flat.indices, flat.ring_len, flat.rings
    n_surf = len(rings)
    ring_start = offsets(ring_len)[:-1]
    surf_ring = offsets(rings)
    has = rings > 0
    outer = surf_ring[:-1][has]
    raw, size2 = ring_normals(vertices, idx, ring_len)
    normal = np.zeros((n_surf, 3))
    normal[has] = raw[outer]
    length = np.linalg.norm(normal, axis=1)
    good = has.copy()
    good[has] = length[has] > 1e-10 * size2[outer]  # else a sliver of (nearly) collinear points
    normal[good] /= length[good, None]
    normal[~good] = 0.0
    surfaces = np.flatnonzero(good)
    pieces = [_triangulate_some(vertices, flat, normal, surfaces[a:a + SURFACES_PER_CHUNK], ring_start, surf_ring)
              for a in range(0, len(surfaces), SURFACES_PER_CHUNK)]
    return Triangles(
        triangles=np.concatenate([p[0] for p in pieces]) if pieces else np.empty((0, 3), np.int64),
        surface=np.concatenate([p[1] for p in pieces]) if pieces else np.empty(0, np.int64),
        normal=normal,
        flat=flat,
        degenerate=int(n_surf - len(surfaces)),
    )


def _triangulate_some(vertices, flat: Flat, normal, surfaces, ring_start, surf_ring) -> tuple[np.ndarray, np.ndarray]:
    """Triangles (global vertex indices) and their surface, for some surfaces with area."""
    idx, ring_len = flat.indices, flat.ring_len
    r0, r1 = surf_ring[surfaces], surf_ring[surfaces + 1]
    ring_sel = ranges(r0, r1 - r0)
    take = ranges(ring_start[ring_sel], ring_len[ring_sel])
    lens = offsets(r1 - r0)
    ring_offsets = offsets(ring_len[ring_sel])
    rings2d = PolygonRings(
        xy=plane_coordinates(vertices, idx[take], normal[surfaces], np.diff(ring_offsets[lens])),
        z=None,
        ring_offsets=ring_offsets,
        polygon_ring_offsets=lens,
        polygon_feature=surfaces,
        feature_count=len(flat.rings),
    )
    local, polygon = triangulate_rings(rings2d)
    return idx[take[local]], surfaces[polygon]
