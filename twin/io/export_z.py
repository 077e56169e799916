"""Heights for 2D exports of 3D layers: a layer's 2D footprints lifted to the bottom of their meshes.

A CityJSON building keeps its z in its mesh and a 2D footprint in ``geom``; written to GeoPackage,
GeoParquet or GeoJSON as it is, the file would lose every elevation. Footprints without z of features
with a mesh are written at the lowest z of that mesh (their ground), so the file stays 3D.
"""

from __future__ import annotations

import numpy as np
import shapely

from twin.store.project import LayerInfo, Project


def mesh_base_z(project: Project, layer: LayerInfo, rows: int) -> np.ndarray:
    """Lowest mesh z of each feature row (NaN without a mesh), one query over the mesh table."""
    out = np.full(rows, np.nan)
    if layer.mesh_table not in project.layer_tables(layer):
        return out
    found = project.numpy(f"SELECT fid, min(list_min(list_slice(vertices, 3, -1, 3))) AS z "
                          f"FROM {layer.ref('mesh')} GROUP BY fid")
    fid = np.asarray(found["fid"], np.int64)
    z = np.ma.filled(np.ma.asarray(found["z"], dtype=np.float64), np.nan)  # NULL for a mesh row without vertices
    inside = (fid >= 0) & (fid < rows)
    out[fid[inside]] = z[inside]
    return out


def lift_footprints(project: Project, layer: LayerInfo, geometry: np.ndarray) -> np.ndarray:
    """``geometry`` with each 2D geometry of a feature with a mesh given the mesh's lowest z."""
    base = mesh_base_z(project, layer, len(geometry))
    lift = np.isfinite(base) & ~shapely.is_missing(geometry) & ~shapely.has_z(geometry)
    if not lift.any():
        return geometry
    out = geometry.copy()
    out[lift] = shapely.force_3d(geometry[lift], base[lift])
    return out
