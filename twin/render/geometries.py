"""Free geometries (e.g. from a SQL result without a feature id) as one outline mesh to highlight.

Kept apart from the scene code on purpose: it draws only the selection outline (points as vertices,
lines and polygon rings as polylines on the ground or at their z), never a layer. If
:mod:`twin.scene` grows a function for arbitrary geometries, this module should defer to it.
"""

from __future__ import annotations

import numpy as np
import shapely

from twin.scene.meshes import offsets, polyline_cells

LIFT = 0.5  # metres above the ground so outlines are not hidden in it


def geometry_overlay(geometries: np.ndarray, origin) -> "pv.PolyData | None":  # noqa: F821
    """One PolyData of the outlines of ``geometries`` (project CRS) in the scene's local coordinates."""
    import pyvista as pv

    geoms = np.asarray(geometries, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if not len(geoms):
        return None
    parts = shapely.get_parts(geoms)
    rings = shapely.get_rings(parts[shapely.get_type_id(parts) == 3])  # polygons -> their rings
    lines = np.concatenate([parts[np.isin(shapely.get_type_id(parts), (1, 2))], rings])
    points = parts[shapely.get_type_id(parts) == 0]
    vertices = [np.empty((0, 3), dtype=np.float32)]
    line_cells = np.empty(0, dtype=np.int64)
    offset = 0
    if len(lines):
        coords, index = shapely.get_coordinates(lines, include_z=True, return_index=True)
        vertices.append(_local(coords, origin))
        counts = np.bincount(index, minlength=len(lines))
        keep = counts >= 2
        line_cells = polyline_cells(counts[keep], offsets(counts)[keep])
        offset = len(coords)
    verts = np.empty(0, dtype=np.int64)
    if len(points):
        coords = shapely.get_coordinates(points, include_z=True)
        vertices.append(_local(coords, origin))
        verts = np.column_stack([np.ones(len(coords), dtype=np.int64), offset + np.arange(len(coords))]).ravel()
    mesh = pv.PolyData(np.concatenate(vertices).astype(np.float32))
    if len(line_cells):
        mesh.lines = line_cells
    if len(verts):
        mesh.verts = verts
    return mesh


def _local(coords: np.ndarray, origin) -> np.ndarray:
    z = coords[:, 2] if coords.shape[1] == 3 else np.full(len(coords), np.nan)
    xyz = np.column_stack([coords[:, 0], coords[:, 1], np.where(np.isfinite(z), z, origin.z) + LIFT])
    return origin.to_local(xyz)
