"""Polygon features: flat areas on the ground, or blocks extruded to a height, with their outlines.

Triangulation is GEOS's constrained Delaunay (``shapely.constrained_delaunay_triangles``), which
runs over the whole array of polygons in C and honours holes; walls come from the rings' edges
in one numpy step.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
import shapely

from twin.errors import ProjectError
from twin.scene.drawable import drawable_polygons
from twin.scene.features import attribute_types, numeric_column, read_geometries
from twin.scene.meshes import FID, empty_mesh, merge_triangles
from twin.scene.origin import LocalOrigin
from twin.store.project import LayerInfo, Project

#: flat polygons lie this far above the ground (below road ribbons)
FLAT_LIFT = 0.08


def read_polygons(project: Project, layer: LayerInfo) -> tuple[np.ndarray, np.ndarray]:
    """The polygon parts of a layer and the fid of each (multi-polygons split, other types left out)."""
    parts, fids = read_geometries(project, layer).parts()
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    return parts[keep], fids[keep]


def extrusion_heights(project: Project, layer: LayerInfo, extrude: float | str | None) -> np.ndarray | None:
    """Height of every feature (fid order) from a constant or a numeric attribute; None for flat."""
    if extrude is None:
        return None
    count = int(project.query(f"SELECT count(*) AS n FROM {layer.ref()}").column("n")[0].as_py())
    if isinstance(extrude, str):
        if extrude not in attribute_types(project, layer):
            raise ProjectError(f"layer {layer.name!r} has no attribute {extrude!r} to extrude by")
        heights = numeric_column(project, layer, extrude)
        return np.where(np.isfinite(heights) & (heights > 0), heights, 0.0)
    return np.full(count, float(extrude))


def polygon_meshes(
    project: Project, layer: LayerInfo, origin: LocalOrigin, *, extrude: float | str | None = None
) -> tuple[pv.PolyData, pv.PolyData]:
    """(filled areas or blocks, outlines) of a polygons layer, both with ``fid`` cell arrays."""
    parts, fids, triangles, tri_index = drawable_polygons(layer.name, *read_polygons(project, layer))
    heights = extrusion_heights(project, layer, extrude)
    part_height = heights[fids] if heights is not None else np.zeros(len(fids))
    base = FLAT_LIFT if heights is None else 0.0
    corners = shapely.get_coordinates(triangles).reshape(-1, 4, 2)[:, :3, :]
    corners = _facing_up(corners)
    top_z = np.repeat(base + part_height[tri_index], 3)
    roof_points = _local(origin, corners.reshape(-1, 2), top_z)
    pieces = [(roof_points, np.arange(len(roof_points)).reshape(-1, 3), fids[tri_index])]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    ring_top = base + part_height[ring_part][ring_of]
    if heights is not None:
        pieces.append(_walls(origin, coords, ring_of, ring_top, fids[ring_part]))
    fill = merge_triangles(pieces)
    return fill, _outline(origin, coords, ring_of, ring_top + 0.02, fids[ring_part])


def _facing_up(corners: np.ndarray) -> np.ndarray:
    """Triangles (k, 3, 2) turned counter-clockwise, so that every flat face has its normal up (same light)."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    clockwise = ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])) < 0
    out = corners.copy()
    out[clockwise, 1], out[clockwise, 2] = corners[clockwise, 2], corners[clockwise, 1]
    return out


def _outline(origin: LocalOrigin, coords: np.ndarray, ring_of: np.ndarray, z: np.ndarray, ring_fid: np.ndarray):
    """The outline of each feature as segments: ring edges shared by two parts of the same feature are left out.

    A CityJSON surface often comes as many coplanar triangles (one polygon each); their inner edges would
    draw the triangulation as seams across a lake. Edges are matched on their end points (to the millimetre).
    """
    edge = np.flatnonzero(ring_of[1:] == ring_of[:-1])  # closed rings: edge i -> i + 1
    if not len(edge):
        return empty_mesh()
    fid = ring_fid[ring_of[edge]]
    a, b = np.round(coords[edge] * 1000.0), np.round(coords[edge + 1] * 1000.0)
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo, hi = np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)
    keys = np.column_stack([fid.astype(np.float64), lo, hi])
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    keep = edge[(counts[inverse.ravel()] == 1) & (lo != hi).any(axis=1)]
    points = np.empty((2 * len(keep), 3))
    points[0::2] = _local(origin, coords[keep], z[keep])
    points[1::2] = _local(origin, coords[keep + 1], z[keep + 1])
    segments = np.column_stack([np.full(len(keep), 2), 2 * np.arange(len(keep)), 2 * np.arange(len(keep)) + 1])
    outline = pv.PolyData(points.astype(np.float32), lines=segments.ravel())
    outline.cell_data[FID] = ring_fid[ring_of[keep]]
    return outline


def _local(origin: LocalOrigin, xy: np.ndarray, z: np.ndarray) -> np.ndarray:
    """xy in the project CRS and z already relative to the ground -> local float64 points."""
    out = origin.to_local(xy).astype(np.float64)
    out[:, 2] = z
    return out


def _walls(origin: LocalOrigin, coords: np.ndarray, ring_of: np.ndarray, top: np.ndarray, ring_fid: np.ndarray):
    """Two triangles per ring edge, from the ground to the ring's top."""
    edge = np.flatnonzero(ring_of[1:] == ring_of[:-1])  # closed rings: edge i -> i + 1
    a, b = coords[edge], coords[edge + 1]
    h = top[edge]
    quad = np.stack([a, b, b, a], axis=1).reshape(-1, 2)
    z = np.stack([np.zeros_like(h), np.zeros_like(h), h, h], axis=1).reshape(-1)
    points = _local(origin, quad, z)
    q = np.arange(len(edge))[:, None] * 4
    faces = np.concatenate([q + [0, 1, 2], q + [0, 2, 3]])
    return points, faces, np.tile(ring_fid[ring_of[edge]], 2)

