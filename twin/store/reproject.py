"""Coordinates of a layer's chunk before it is written: geometries as shapely or plain point arrays, the
project CRS chosen from them, and their reprojection (through a checked grid for many points, gridproj)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import shapely

from twin.crs import centre_lonlat, choose_project_crs, same_crs
from twin.errors import InputError
from twin.layerdata import LayerData, MeshData
from twin.store.gridproj import transform_xy_grid


class PointXY(NamedTuple):
    """Coordinates of a layer of plain 2D points, kept as arrays (no shapely object per point)."""

    x: np.ndarray
    y: np.ndarray


def point_xy_from_wkb(column: pa.Array) -> PointXY | None:
    """x/y of a WKB column when every value is a little-endian 2D point (21 bytes), else ``None``.

    Point layers are the biggest (a million CSV rows); reading their WKB as one numpy buffer
    avoids building and transforming a shapely object per row.
    """
    if column.null_count or len(column) == 0 or not pa.types.is_binary(column.type):
        return None
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset : column.offset + len(column) + 1]
    if not np.all(np.diff(offsets) == 21):
        return None
    raw = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 21)
    if not (np.all(raw[:, 0] == 1) and np.all(raw[:, 1:5].view("<u4").ravel() == 1)):
        return None
    return PointXY(raw[:, 5:13].copy().view("<f8").ravel(), raw[:, 13:21].copy().view("<f8").ravel())


def _geometries(features: pa.Table) -> np.ndarray | PointXY:
    if "geometry" not in features.column_names:
        return np.full(features.num_rows, None, dtype=object)
    column = features.column("geometry").combine_chunks()
    points = point_xy_from_wkb(column)
    if points is not None:
        return points
    return shapely.from_wkb(column.to_numpy(zero_copy_only=False))


def _choose_crs(data: LayerData, geometries: np.ndarray, source: str) -> str:
    xs, ys = _sample_xy(geometries, data)
    if xs.size == 0:
        raise InputError(source, "no coordinates to place the project; give --project-crs EPSG:NNNN")
    lon, lat = centre_lonlat(xs, ys, data.crs)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError(source, f"coordinates do not fit the CRS {data.crs}; check --crs")
    return choose_project_crs(lon, lat)


def _sample_xy(geometries: np.ndarray | PointXY, data: LayerData) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(geometries, PointXY):
        return geometries.x, geometries.y
    valid = geometries[~shapely.is_missing(geometries)]
    if valid.size:
        bounds = shapely.bounds(valid)
        return np.concatenate([bounds[:, 0], bounds[:, 2]]), np.concatenate([bounds[:, 1], bounds[:, 3]])
    if data.mesh is not None and len(data.mesh.vertices):
        return data.mesh.vertices[:, 0], data.mesh.vertices[:, 1]
    for suffix, (xcol, ycol) in data.table_xy.items():
        table = data.tables[suffix]
        return (table.column(xcol).to_numpy(zero_copy_only=False).astype(float),
                table.column(ycol).to_numpy(zero_copy_only=False).astype(float))
    return np.empty(0), np.empty(0)


def _xy_transformer(src: str, dst: str):
    def apply(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        out[:, 0], out[:, 1] = transform_xy_grid(coords[:, 0], coords[:, 1], src, dst)
        return out

    return apply


def _reproject_geometries(geometries: np.ndarray | PointXY, src: str, dst: str) -> np.ndarray | PointXY:
    if isinstance(geometries, PointXY):
        return PointXY(*transform_xy_grid(geometries.x, geometries.y, src, dst))
    if same_crs(src, dst) or geometries.size == 0:
        return geometries
    out = geometries.copy()
    fn = _xy_transformer(src, dst)
    has_z = shapely.has_z(geometries)
    for mask, include_z in ((has_z, True), (~has_z & ~shapely.is_missing(geometries), False)):
        if mask.any():
            out[mask] = shapely.transform(geometries[mask], fn, include_z=include_z)
    return out


def _reproject_mesh(mesh: MeshData, src: str, dst: str) -> MeshData:
    if same_crs(src, dst):
        return mesh
    vertices = mesh.vertices.copy()
    vertices[:, 0], vertices[:, 1] = transform_xy_grid(vertices[:, 0], vertices[:, 1], src, dst)
    return MeshData(
        vertices=vertices,
        triangles=mesh.triangles,
        triangle_surface=mesh.triangle_surface,
        part_vertex_offsets=mesh.part_vertex_offsets,
        part_triangle_offsets=mesh.part_triangle_offsets,
        part_feature=mesh.part_feature,
        part_lod=mesh.part_lod,
    )


def _reproject_table_xy(table: pa.Table, xy: tuple[str, str], src: str, dst: str) -> pa.Table:
    if same_crs(src, dst):
        return table
    xcol, ycol = xy
    x = table.column(xcol).to_numpy(zero_copy_only=False).astype(np.float64)
    y = table.column(ycol).to_numpy(zero_copy_only=False).astype(np.float64)
    tx, ty = transform_xy_grid(x, y, src, dst)
    table = table.set_column(table.column_names.index(xcol), xcol, pa.array(tx))
    return table.set_column(table.column_names.index(ycol), ycol, pa.array(ty))


#: the store's reprojection, for other writers of the same rows (``twin batch``): the same numbers as an import
reproject_geometries = _reproject_geometries
reproject_mesh = _reproject_mesh
