"""Write an importer's :class:`LayerData` into a project: reproject, create tables, catalogue it.

Everything happens in one transaction: on any error the project is exactly as before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.crs import centre_lonlat, choose_project_crs, same_crs, transform_xy
from twin.errors import InputError, ProjectError
from twin.layerdata import LayerData, MeshData
from twin.store.identifiers import quote, table_ref
from twin.store import cleaning
from twin.store.project import LayerInfo, Project

RESERVED_COLUMNS = ("fid", "geom")


def write_layer(
    project: Project,
    data: LayerData,
    *,
    name: str,
    stage: int | None = None,
    service: str | None = None,
    source_file: str | None = None,
    source_sha256: str | None = None,
) -> LayerInfo:
    """Reproject ``data`` into the project CRS and store it as a new layer, in one transaction."""
    return write_layers(
        project, [(data, name)], stage=stage, service=service, source_file=source_file, source_sha256=source_sha256
    )[0]


def write_layers(
    project: Project,
    items: list[tuple[LayerData, str]],
    *,
    stage: int | None = None,
    service: str | None = None,
    source_file: str | None = None,
    source_sha256: str | None = None,
    places: Sequence[tuple[int | None, str | None]] | None = None,
) -> list[LayerInfo]:
    """Write several ``(data, name)`` layers in one transaction: all of them or none. ``places`` gives each
    layer its own ``(stage, service)`` (suggested per layer) instead of ``stage``/``service`` for all."""
    places = list(places) if places is not None else [(stage, service)] * len(items)
    for stage, _ in places:
        if stage is not None and not 1 <= int(stage) <= 4:
            raise ProjectError(f"stage must be 1, 2, 3 or 4, not {stage}")
    names = [name for _, name in items]
    for name in names:
        if project.has_layer(name) or names.count(name) > 1:
            raise ProjectError(f"a layer named {name!r} already exists; choose another --layer name")
    with project.transaction() as con:
        for (data, name), (stage, service) in zip(items, places):
            _write_one(project, con, data, name=name, stage=stage, service=service or None,
                       source_file=source_file, source_sha256=source_sha256)
    return [project.layer(name) for name in names]


def _write_one(project: Project, con, data: LayerData, *, name, stage, service, source_file, source_sha256) -> None:
    source = source_file or data.report.source
    if data.crs is None:
        raise InputError(source, "the file declares no CRS: give the source CRS with --crs EPSG:NNNN")
    data, geometries = cleaning.before_reprojection(data, _geometries(data.features))  # skipped: in the report
    project_crs = con.execute("SELECT value FROM meta WHERE key = 'crs'").fetchone()
    project_crs = project_crs[0] if project_crs else _choose_crs(data, geometries, source)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('crs', ?)", [project_crs])
    geometries = _reproject_geometries(geometries, data.crs, project_crs)
    mesh = _reproject_mesh(data.mesh, data.crs, project_crs) if data.mesh is not None else None
    data, geometries, mesh = cleaning.after_reprojection(data, geometries, mesh, project_crs)
    layer_id = con.execute("SELECT nextval('layer_ids')").fetchone()[0]
    table = f"lyr_{layer_id}"
    _create_feature_table(con, table, data.features, geometries)
    if mesh is not None:
        _create_mesh_table(con, f"{table}_mesh", mesh)
    written = {}
    for suffix, extra in data.tables.items():
        xy = data.table_xy.get(suffix)
        if xy:
            extra = cleaning.clean_table_xy(data, suffix, _reproject_table_xy(extra, xy, data.crs, project_crs),
                                            xy, project_crs)
        written[suffix] = extra
        con.register("_twin_incoming", extra)
        con.execute(f"CREATE TABLE {table_ref(f'{table}_{suffix}')} AS SELECT * FROM _twin_incoming")
        con.unregister("_twin_incoming")
    bbox, zrange = _extent(geometries, mesh, data, written)
    count = data.feature_count if data.feature_count is not None else _top_level_count(data.features)
    position = con.execute("SELECT coalesce(max(position), 0) + 1 FROM layers").fetchone()[0]
    now = dt.datetime.now(dt.timezone.utc)
    t0, t1 = data.time_span if data.time_span else (None, None)
    con.execute(
        "INSERT INTO layers (id, name, kind, stage, service, source_file, source_sha256, source_crs, imported_at, "
        "feature_count, xmin, ymin, xmax, ymax, zmin, zmax, t_start, t_end, table_name, properties, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            layer_id, name, data.kind, stage, service, source, source_sha256, data.crs, now, count,
            *(bbox or (None,) * 4), *(zrange or (None, None)), t0, t1, table,
            json.dumps(data.properties, ensure_ascii=False, default=str), position,
        ],
    )
    con.execute(
        "INSERT INTO imports VALUES (nextval('import_ids'), ?, ?, ?, ?, ?, ?)",
        [now, name, source, source_sha256, data.crs, data.report.to_json()],
    )


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
        out[:, 0], out[:, 1] = transform_xy(coords[:, 0], coords[:, 1], src, dst)
        return out

    return apply


def _reproject_geometries(geometries: np.ndarray | PointXY, src: str, dst: str) -> np.ndarray | PointXY:
    if isinstance(geometries, PointXY):
        return PointXY(*transform_xy(geometries.x, geometries.y, src, dst))
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
    vertices[:, 0], vertices[:, 1] = transform_xy(vertices[:, 0], vertices[:, 1], src, dst)
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
    tx, ty = transform_xy(x, y, src, dst)
    table = table.set_column(table.column_names.index(xcol), xcol, pa.array(tx))
    return table.set_column(table.column_names.index(ycol), ycol, pa.array(ty))


def _attribute_table(features: pa.Table) -> pa.Table:
    names = [n for n in features.column_names if n != "geometry"]
    table = features.select(names)
    renamed = []
    for n in names:
        new = n
        while new.lower() in RESERVED_COLUMNS or (new != n and new in names):
            new = f"{new}_src"
        renamed.append(new)
    return table.rename_columns(renamed)


def _create_feature_table(con, table: str, features: pa.Table, geometries: np.ndarray | PointXY) -> None:
    attributes = _attribute_table(features)
    attributes = attributes.add_column(0, "fid", pa.array(np.arange(features.num_rows, dtype=np.int64)))
    if isinstance(geometries, PointXY):
        attributes = attributes.append_column("__x", pa.array(geometries.x)).append_column("__y", pa.array(geometries.y))
        geom_sql, helpers, has_geometry = "ST_Point(__x, __y)", "__x, __y", len(geometries.x) > 0
    else:
        wkb = shapely.to_wkb(geometries, include_srid=False)
        attributes = attributes.append_column("__wkb", pa.array(wkb, type=pa.binary()))
        geom_sql, helpers, has_geometry = "ST_GeomFromWKB(__wkb)", "__wkb", bool((~shapely.is_missing(geometries)).any())
    con.register("_twin_incoming", attributes)
    con.execute(
        f"CREATE TABLE {table_ref(table)} AS SELECT * EXCLUDE ({helpers}), {geom_sql} AS geom FROM _twin_incoming"
    )
    con.unregister("_twin_incoming")
    if has_geometry:
        con.execute(f"CREATE INDEX {quote(table + '_geom_rtree')} ON {table_ref(table)} USING RTREE (geom)")


def mesh_arrow_table(mesh: MeshData) -> pa.Table:
    """Per-part mesh rows (fid, lod, flat vertices, flat local triangles, surface codes) as Arrow."""
    vo = mesh.part_vertex_offsets.astype(np.int64)
    to = mesh.part_triangle_offsets.astype(np.int64)
    vertices = pa.LargeListArray.from_arrays(pa.array(vo * 3), pa.array(mesh.vertices.astype(np.float64).ravel()))
    triangles = pa.LargeListArray.from_arrays(pa.array(to * 3), pa.array(mesh.triangles.astype(np.int32).ravel()))
    surfaces = pa.LargeListArray.from_arrays(pa.array(to), pa.array(mesh.triangle_surface.astype(np.uint8)))
    return pa.table(
        {
            "fid": pa.array(mesh.part_feature.astype(np.int64)),
            "lod": pa.array([str(v) for v in mesh.part_lod], type=pa.string()),
            "vertices": vertices,
            "triangles": triangles,
            "surfaces": surfaces,
        }
    )


def _create_mesh_table(con, table: str, mesh: MeshData) -> None:
    con.register("_twin_incoming", mesh_arrow_table(mesh))
    con.execute(f"CREATE TABLE {table_ref(table)} AS SELECT * FROM _twin_incoming ORDER BY fid, lod")
    con.unregister("_twin_incoming")


def _extent(geometries, mesh, data: LayerData, tables: dict[str, pa.Table]):
    """Bounding box and z range in the project CRS (``tables``: the extra tables as written, reprojected)."""
    boxes = []
    zs = []
    if isinstance(geometries, PointXY):
        if len(geometries.x):
            boxes.append((geometries.x.min(), geometries.y.min(), geometries.x.max(), geometries.y.max()))
        valid = np.empty(0, dtype=object)
    else:
        valid = geometries[~shapely.is_missing(geometries)] if geometries.size else geometries
    if valid.size:
        b = shapely.bounds(valid)
        boxes.append((np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3])))
        coords = shapely.get_coordinates(valid, include_z=True)
        z = coords[:, 2][np.isfinite(coords[:, 2])]
        if z.size:
            zs += [z.min(), z.max()]
    if mesh is not None and len(mesh.vertices):
        v = mesh.vertices
        boxes.append((v[:, 0].min(), v[:, 1].min(), v[:, 0].max(), v[:, 1].max()))
        zs += [v[:, 2].min(), v[:, 2].max()]
    for suffix, (xcol, ycol) in data.table_xy.items():
        table = tables[suffix]
        if table.num_rows:
            x = pc.min_max(table.column(xcol))
            y = pc.min_max(table.column(ycol))
            boxes.append((x["min"].as_py(), y["min"].as_py(), x["max"].as_py(), y["max"].as_py()))
    if not boxes:
        return None, None
    arr = np.array(boxes, dtype=float)
    bbox = (float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max()))
    zrange = (float(min(zs)), float(max(zs))) if zs else None
    return bbox, zrange


def _top_level_count(features: pa.Table) -> int:
    if "parent_fid" in features.column_names:
        return int(pc.sum(pc.is_null(features.column("parent_fid"))).as_py() or 0)
    return features.num_rows


def describe(data: LayerData) -> dict[str, Any]:
    """What an importer detected, for the import dialog (before anything is written)."""
    return {"kind": data.kind, "crs": data.crs, "rows": data.features.num_rows, **data.report.detected}
