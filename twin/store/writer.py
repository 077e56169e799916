"""Write an importer's :class:`LayerData` into a project: reproject, create tables, catalogue it.

Everything happens in one transaction: on any error the project is exactly as before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.errors import InputError, ProjectError
from twin.layerdata import LayerData, MeshData
from twin.layerstream import merge_report, offset_mesh, offset_parents
from twin.store.appending import insert_by_name, renumber_skipped
from twin.store.identifiers import quote, table_ref
from twin.store import cleaning
from twin.store import tiles
from twin.store.project import LayerInfo, Project
from twin.store.reproject import (  # noqa: F401  (point_xy_from_wkb: placement and tests import it from here)
    PointXY, _choose_crs, _geometries, _reproject_geometries, _reproject_mesh, _reproject_table_xy, point_xy_from_wkb,
)

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
    more: Iterable[Sequence[LayerData | None]] | None = None,
) -> list[LayerInfo]:
    """Write several ``(data, name)`` layers in one transaction: all of them or none. ``places`` gives each
    layer its own ``(stage, service)`` (suggested per layer) instead of ``stage``/``service`` for all.
    ``more`` yields later chunks of the layers (one entry per layer, ``None`` for none: a
    :class:`~twin.layerstream.LayerStream`), appended in the same transaction."""
    places = list(places) if places is not None else [(stage, service)] * len(items)
    for stage, _ in places:
        if stage is not None and not 1 <= int(stage) <= 4:
            raise ProjectError(f"stage must be 1, 2, 3 or 4, not {stage}")
    names = [name for _, name in items]
    for name in names:
        if project.has_layer(name) or names.count(name) > 1:
            raise ProjectError(f"a layer named {name!r} already exists; choose another --layer name")
    with project.transaction() as con:
        layers = [_start_layer(con, data, source=source_file or data.report.source)
                  for data, _ in items]
        for aligned in (more or ()):  # later chunks of streamed layers (twin.layerstream), in the same transaction
            for layer, part in zip(layers, aligned):
                if part is not None:
                    layer.append(con, part)
        for layer, (_, name), (stage, service) in zip(layers, items, places):
            _write_one(project, con, layer, name=name, stage=stage, service=service or None,
                       source_file=source_file, source_sha256=source_sha256)
    return [project.layer(name) for name in names]


def _write_one(project: Project, con, layer: "_Layer", *, name, stage, service, source_file, source_sha256) -> None:
    """Finish one layer whose chunks are all written: its R-tree, then its catalogue row and provenance."""
    table, data = layer.table, layer.data
    if layer.has_geometry:
        con.execute(f"CREATE INDEX {quote(table + '_geom_rtree')} ON {table_ref(table)} USING RTREE (geom)")
    if layer.has_mesh:
        tiles.build(con, f"{table}_mesh")  # spatial tiles of the tiled scene, once, after the last chunk
    source = source_file or data.report.source
    bbox, zrange = layer.extent()
    position = con.execute("SELECT coalesce(max(position), 0) + 1 FROM layers").fetchone()[0]
    now = dt.datetime.now(dt.timezone.utc)
    t0, t1 = layer.time_span if layer.time_span else (None, None)
    con.execute(
        "INSERT INTO layers (id, name, kind, stage, service, source_file, source_sha256, source_crs, imported_at, "
        "feature_count, xmin, ymin, xmax, ymax, zmin, zmax, t_start, t_end, table_name, properties, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            layer.layer_id, name, data.kind, stage, service, source, source_sha256, data.crs, now, layer.count,
            *(bbox or (None,) * 4), *(zrange or (None, None)), t0, t1, table,
            json.dumps(data.properties, ensure_ascii=False, default=str), position,
        ],
    )
    con.execute(
        "INSERT INTO imports VALUES (nextval('import_ids'), ?, ?, ?, ?, ?, ?)",
        [now, name, source, source_sha256, data.crs, data.report.to_json()],
    )


def _prepare(con, data: LayerData, source: str):
    """Clean and reproject one chunk: (data, geometries, mesh, extra tables) in the project CRS."""
    if data.crs is None:
        raise InputError(source, "the file declares no CRS: give the source CRS with --crs EPSG:NNNN")
    data, geometries = cleaning.before_reprojection(data, _geometries(data.features))  # skipped: in the report
    project_crs = con.execute("SELECT value FROM meta WHERE key = 'crs'").fetchone()
    if project_crs is None:
        project_crs = _choose_crs(data, geometries, source)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('crs', ?)", [project_crs])
    else:
        project_crs = project_crs[0]
    geometries = _reproject_geometries(geometries, data.crs, project_crs)
    mesh = _reproject_mesh(data.mesh, data.crs, project_crs) if data.mesh is not None else None
    data, geometries, mesh = cleaning.after_reprojection(data, geometries, mesh, project_crs)
    written = {}
    for suffix, extra in data.tables.items():
        xy = data.table_xy.get(suffix)
        if xy:
            extra = cleaning.clean_table_xy(data, suffix, _reproject_table_xy(extra, xy, data.crs, project_crs),
                                            xy, project_crs)
        written[suffix] = extra
    return data, geometries, mesh, written


def _start_layer(con, data: LayerData, *, source: str) -> "_Layer":
    """Create the tables of a new layer from its (first) chunk."""
    layer_id = con.execute("SELECT nextval('layer_ids')").fetchone()[0]
    layer = _Layer(layer_id=layer_id, table=f"lyr_{layer_id}", data=data, source=source)
    layer.append(con, data)
    return layer


class _Layer:
    """A layer being written chunk by chunk: its tables, rows so far, extent, count and time span."""

    def __init__(self, *, layer_id: int, table: str, data: LayerData, source: str) -> None:
        self.layer_id, self.table, self.data, self.source = layer_id, table, data, source
        self.rows = 0  # feature rows written (the next chunk's fid offset)
        self.read = 0  # rows the importer gave (before cleaning: the next chunk's "feature N" offset)
        self.count = 0
        self.boxes: list[tuple] = []
        self.zs: list[float] = []
        self.spans: list[tuple] = []
        self.has_geometry = self.has_mesh = False
        self.extra: set[str] = set()

    @property
    def time_span(self):
        return (min(s[0] for s in self.spans), max(s[1] for s in self.spans)) if self.spans else None

    def extent(self):
        if not self.boxes:
            return None, (float(min(self.zs)), float(max(self.zs))) if self.zs else None
        arr = np.array(self.boxes, dtype=float)
        bbox = (float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max()))
        return bbox, ((float(min(self.zs)), float(max(self.zs))) if self.zs else None)

    def append(self, con, chunk: LayerData) -> None:
        """Clean, reproject and write one chunk after the rows before it."""
        first = chunk is self.data
        given = chunk.features.num_rows
        mark = len(chunk.report.skipped)
        data, geometries, mesh, written = _prepare(con, chunk, self.source)
        if self.read:
            renumber_skipped(chunk.report, mark, self.read)
        if not first:
            merge_report(self.data, chunk)
        else:
            self.data = data  # the cleaned first chunk: kind, CRS, properties of the layer
        offset = self.rows
        features = offset_parents(data.features, offset)
        if offset and mesh is not None:
            mesh = offset_mesh(mesh, offset)
        self.has_geometry |= _write_features(con, self.table, features, geometries, offset=offset, create=first)
        if mesh is not None:
            _write_mesh(con, f"{self.table}_mesh", mesh, create=not self.has_mesh)
            self.has_mesh = True
        for suffix, extra in written.items():
            _write_rows(con, f"{self.table}_{suffix}", extra, create=suffix not in self.extra)
            self.extra.add(suffix)
        bbox, zrange = _extent(geometries, mesh, data, written)
        if bbox:
            self.boxes.append(bbox)
        if zrange:
            self.zs += list(zrange)
        self.count += data.feature_count if data.feature_count is not None else _top_level_count(data.features)
        if data.time_span:
            self.spans.append(tuple(data.time_span))
        self.rows += data.features.num_rows
        self.read += given


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


def _write_features(con, table: str, features: pa.Table, geometries: np.ndarray | PointXY, *, offset: int = 0,
                    create: bool = True) -> bool:
    """Create (or append to) the feature table; True when a row has a geometry (the R-tree comes last)."""
    attributes = _attribute_table(features)
    attributes = attributes.add_column(0, "fid", pa.array(np.arange(offset, offset + features.num_rows, dtype=np.int64)))
    if isinstance(geometries, PointXY):
        attributes = attributes.append_column("__x", pa.array(geometries.x)).append_column("__y", pa.array(geometries.y))
        geom_sql, helpers, has_geometry = "ST_Point(__x, __y)", "__x, __y", len(geometries.x) > 0
    else:
        wkb = shapely.to_wkb(geometries, include_srid=False)
        attributes = attributes.append_column("__wkb", pa.array(wkb, type=pa.binary()))
        geom_sql, helpers, has_geometry = "ST_GeomFromWKB(__wkb)", "__wkb", bool((~shapely.is_missing(geometries)).any())
    select = f"SELECT * EXCLUDE ({helpers}), {geom_sql} AS geom FROM _twin_incoming"
    con.register("_twin_incoming", attributes)
    try:
        if create:
            con.execute(f"CREATE TABLE {table_ref(table)} AS {select}")
        else:
            insert_by_name(con, table, select)
    finally:
        con.unregister("_twin_incoming")
    return has_geometry


def _write_rows(con, table: str, rows: pa.Table, *, create: bool) -> None:
    con.register("_twin_incoming", rows)
    try:
        if create:
            con.execute(f"CREATE TABLE {table_ref(table)} AS SELECT * FROM _twin_incoming")
        else:
            insert_by_name(con, table, "SELECT * FROM _twin_incoming")
    finally:
        con.unregister("_twin_incoming")


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
            "lod": pa.array(np.asarray(mesh.part_lod, dtype=str), type=pa.string()),
            "vertices": vertices,
            "triangles": triangles,
            "surfaces": surfaces,
        }
    )


def mesh_in_order(mesh: MeshData) -> bool:
    """True when the parts already run by (fid, lod), as importers write them: no sort needed."""
    fid = np.asarray(mesh.part_feature)
    if len(fid) < 2:
        return True
    step = np.diff(fid)
    if (step < 0).any():
        return False
    same = step == 0
    if not same.any():
        return True
    lod = np.asarray(mesh.part_lod, dtype=str)
    return bool(np.all(lod[:-1][same] <= lod[1:][same]))


def _write_mesh(con, table: str, mesh: MeshData, *, create: bool = True) -> None:
    """Create (or append to) the mesh table, rows by (fid, lod): sorted only when they are not already."""
    order = "" if mesh_in_order(mesh) else " ORDER BY fid, lod"
    con.register("_twin_incoming", mesh_arrow_table(mesh))
    try:
        if create:
            con.execute(f"CREATE TABLE {table_ref(table)} AS SELECT * FROM _twin_incoming{order}")
        else:
            insert_by_name(con, table, f"SELECT * FROM _twin_incoming{order}")
    finally:
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
