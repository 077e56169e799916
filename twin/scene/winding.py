"""Which features of a mesh are solids wound outwards, so that their back faces can be culled.

A closed surface whose triangles all face outwards shows only its front faces from outside: the rasteriser
may skip the back faces (``BackfaceCulling``), about half the triangles of a building and a fifth of a
street-level frame in software GL (docs/scale.md). Culling a feature that is not such a solid would punch
holes in it (an open facade, a face wound the wrong way, common in real CityJSON), so the check is strict and
per feature, vectorised over a whole tile at once:

- vertices are welded per feature by position (1 mm), since files need not share indices between surfaces;
- every directed edge must meet its reverse exactly once (closed, consistently wound, manifold), except edges
  lying on the feature's lowest level: a block drawn without its floor (``twin.scene.tiling.box_mesh``) is seen
  only from above the ground;
- the signed volume, taken from a point on that lowest level, must be positive (wound outwards).

A feature of several shells wound in opposite directions can pass the volume test with its larger shell; such
files are rare and the cost is a shell seen from inside only.
"""

from __future__ import annotations

import numpy as np

#: welding tolerance (metres) and height tolerance of the open floor
WELD = 0.001


def outward_solids(points: np.ndarray, faces: np.ndarray, fids: np.ndarray) -> np.ndarray:
    """For each triangle of ``faces`` (indices into ``points``; ``fids`` per triangle): True when its feature is a
    solid wound outwards (see the module docstring)."""
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    fids = np.asarray(fids, dtype=np.int64)
    n = len(faces)
    if n == 0:
        return np.zeros(0, dtype=bool)
    points = np.asarray(points, dtype=np.float64)
    feature, cell_feature = np.unique(fids, return_inverse=True)
    welded = _weld(points, faces, np.repeat(cell_feature, 3))
    count = int(welded.max()) + 1
    # each feature's lowest level
    z = points[faces.reshape(-1), 2].reshape(-1, 3)
    lowest = np.full(len(feature), np.inf)
    np.minimum.at(lowest, cell_feature, z.min(axis=1))
    on_floor = np.abs(z - lowest[cell_feature][:, None]) <= WELD * 10
    # directed edges (a -> b) of every triangle, and their reverses
    a, b = welded, np.roll(welded, -1, axis=1)
    edges = (a * count + b).reshape(-1)
    reverse = (b * count + a).reshape(-1)
    floor_edge = (on_floor & np.roll(on_floor, -1, axis=1)).reshape(-1)
    order = np.sort(edges)
    duplicate = np.zeros(len(edges), dtype=bool)
    repeated = order[1:][order[1:] == order[:-1]]
    if repeated.size:
        duplicate = np.isin(edges, repeated)
    at = np.minimum(np.searchsorted(order, reverse), len(order) - 1)
    matched = order[at] == reverse
    bad_edge = duplicate | (~matched & ~floor_edge)
    bad = np.zeros(len(feature), dtype=bool)
    bad[np.repeat(cell_feature, 3)[bad_edge]] = True
    # signed volume from a point on the feature's lowest level (the open floor adds nothing from there)
    corners = points[faces]  # (n, 3, 3)
    anchor = corners[:, 0, :].copy()
    reference = np.zeros((len(feature), 3))
    np.add.at(reference, cell_feature, anchor)
    reference /= np.bincount(cell_feature, minlength=len(feature))[:, None]
    reference[:, 2] = lowest
    rel = corners - reference[cell_feature][:, None, :]
    volume = np.bincount(cell_feature, weights=np.einsum("ij,ij->i", rel[:, 0], np.cross(rel[:, 1], rel[:, 2])),
                         minlength=len(feature))
    solid = ~bad & (volume > 0)
    return solid[cell_feature]


def _weld(points: np.ndarray, faces: np.ndarray, corner_feature: np.ndarray) -> np.ndarray:
    """(n, 3) ids of the triangles' corners, equal where a feature uses the same position (within :data:`WELD`).

    Welded once per used point when every point belongs to one feature (meshes built row by row), else per
    corner; sorted with ``lexsort`` on the quantised coordinates (``np.unique(axis=0)`` is several times slower)."""
    flat = faces.reshape(-1)
    owner = np.full(len(points), -1, dtype=np.int64)
    owner[flat] = corner_feature
    if np.array_equal(owner[flat], corner_feature):  # no point shared by two features: weld the points
        used = np.flatnonzero(owner >= 0)
        ids = np.full(len(points), -1, dtype=np.int64)
        ids[used] = _group(np.round(points[used] / WELD).astype(np.int64), owner[used])
        return ids[faces]
    return _group(np.round(points[flat] / WELD).astype(np.int64), corner_feature).reshape(-1, 3)


def _group(quantised: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Dense ids of equal (feature, x, y, z) rows."""
    order = np.lexsort((quantised[:, 2], quantised[:, 1], quantised[:, 0], feature))
    keys = np.column_stack([feature, quantised])[order]
    new = np.empty(len(order), dtype=bool)
    new[:1] = True
    new[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids
