"""Layer kinds from geometry types, and fast WKB for point columns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely

#: shapely type id -> layer kind (GeometryCollections count by their first member's dimension)
_DIMENSION_KIND = {0: "points", 1: "lines", 2: "polygons"}


def geometry_dimensions(geometries: np.ndarray) -> np.ndarray:
    """Topological dimension of each geometry (0 points, 1 lines, 2 polygons, -1 missing or empty)."""
    geometries = np.asarray(geometries, dtype=object)
    dims = np.full(len(geometries), -1, dtype=np.int8)
    present = ~shapely.is_missing(geometries)
    present[present] &= ~shapely.is_empty(geometries[present])
    dims[present] = shapely.get_dimensions(geometries[present])
    return dims


def geometry_kind(geometries: np.ndarray) -> str:
    """``points``, ``lines`` or ``polygons``: the dimension most geometries have (``points`` when none)."""
    dims = geometry_dimensions(geometries)
    dims = dims[dims >= 0]
    if not len(dims):
        return "points"
    return _DIMENSION_KIND[int(np.bincount(dims, minlength=3).argmax())]


def kind_groups(geometries: np.ndarray) -> dict[str, np.ndarray]:
    """Row indices per kind for files that mix dimensions (points and polygons in one GeoJSON)."""
    dims = geometry_dimensions(geometries)
    return {_DIMENSION_KIND[d]: np.flatnonzero(dims == d) for d in (0, 1, 2) if (dims == d).any()}


_POINT_WKB = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
_POINT_Z_WKB = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8"), ("z", "<f8")])


def points_wkb(x: np.ndarray, y: np.ndarray, z: np.ndarray | None = None) -> pa.Array:
    """ISO WKB points for coordinate arrays, built in numpy (no shapely object per point)."""
    n = len(x)
    records = np.empty(n, dtype=_POINT_WKB if z is None else _POINT_Z_WKB)
    records["order"] = 1
    records["type"] = 1 if z is None else 1001
    records["x"] = x
    records["y"] = y
    if z is not None:
        records["z"] = z
    size = records.dtype.itemsize
    large = n * size >= 2**31 - 1
    offsets = np.arange(n + 1, dtype=np.int64 if large else np.int32) * size
    kind = pa.large_binary() if large else pa.binary()
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(records.tobytes())])
