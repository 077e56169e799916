"""Worker functions of ``twin batch buildings``: an importer's buildings layer -> dataset rows -> tiles.

The steps mirror what ``twin import`` does between reading and writing (``twin.store.writer``): skip rows
whose coordinates are not a place, reproject footprints and the LoD1 mesh vertex by vertex, skip what does
not reproject, repair invalid polygons (:mod:`twin.store.cleaning`), so a row equals the project's feature.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.batch import dataset
from twin.batch.sources import renumber_skips
from twin.crs import same_crs, transform_xy
from twin.errors import TwinError
from twin.layerdata import LayerData, MeshData
from twin.store import cleaning
from twin.store.reproject import reproject_geometries, reproject_mesh
from twin.tabular import find_named_column

#: source columns that name a building (first match wins); otherwise the id is the fid as text
ID_NAMES = ("object_id", "id", "gml_id", "osm_id", "identificatie", "bd_mgt_sn", "uid", "building_id")
NO_BLOCK = "no usable polygon: no 3D block"


def prepare(datas: list[LayerData], path: str) -> tuple[list[tuple[LayerData, np.ndarray]], dict]:
    """The buildings layers of a chunk, cleaned before reprojection; meta: source CRS, lon/lat box, skips."""
    kept, skipped, notes = [], [], []
    for data in datas:
        if data.kind != "buildings" or data.mesh is None:
            rows = data.features.num_rows
            if data.kind == "polygons":
                raise TwinError(f"{path}: polygons without a height or storeys column: give --height-column "
                                "or --storeys-column")
            skipped += [("%s layer" % data.kind, f"not a building footprint ({data.kind})")] * rows
            continue
        if data.crs is None:
            raise TwinError(f"{path}: the file declares no CRS: give the source CRS with --source-crs EPSG:NNNN")
        geometries = shapely.from_wkb(data.features.column("geometry").combine_chunks().to_numpy(zero_copy_only=False))
        try:
            data, geometries = cleaning.before_reprojection(data, geometries)
        except TwinError as exc:  # every feature of the chunk is bad: counted, not fatal
            skipped += [("chunk", str(exc))] * data.features.num_rows
            continue
        kept.append((data, geometries))
    boxes = [_lonlat_box(g, d.crs) for d, g in kept]
    return kept, {"crs": [d.crs for d, _ in kept], "lonlat": dataset.union_box(boxes), "skipped": skipped,
                  "notes": notes}


def _lonlat_box(geometries: np.ndarray, crs: str) -> list[float] | None:
    valid = geometries[~shapely.is_missing(geometries)]
    if not valid.size:
        return None
    b = shapely.bounds(valid)
    x = np.array([np.nanmin(b[:, 0]), np.nanmax(b[:, 2])])
    y = np.array([np.nanmin(b[:, 1]), np.nanmax(b[:, 3])])
    lon, lat = transform_xy(x, y, crs, "EPSG:4326")
    return [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]


def to_rows(prepared: list[tuple[LayerData, np.ndarray]], crs: str, *, tile_size: float,
            skip_offset: int = 0) -> tuple[pa.Table, dict]:
    """Rows of the dataset (without ``fid``) in ``crs``, with hidden tile keys ``__ix``/``__iy``; meta:
    rows, schema, tiles and their counts, skipped rows (numbered in the source file) and notes."""
    tables, skipped, notes = [], [], []
    for data, geometries in prepared:
        table, data = _layer_rows(data, geometries, crs, tile_size)
        if skip_offset:
            renumber_skips(data, skip_offset)
        skipped += [(s.where, s.reason) for s in data.report.skipped]
        notes += list(data.report.notes)
        if table is not None:
            tables.append(table)
    if not tables:
        empty = pa.schema(dataset.BUILDING_HEAD[1:] + dataset.BUILDING_TAIL + [("__ix", pa.int64()), ("__iy", pa.int64())])
        return empty.empty_table(), {"rows": 0, "schema": empty, "tiles": {}, "skipped": skipped, "notes": notes}
    table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    keys = np.stack([table.column("__ix").to_numpy(), table.column("__iy").to_numpy()], axis=1)
    tiles, counts = np.unique(keys, axis=0, return_counts=True)
    return table, {"rows": table.num_rows, "schema": table.schema, "skipped": skipped, "notes": notes,
                   "tiles": {(int(ix), int(iy)): int(c) for (ix, iy), c in zip(tiles, counts)}}


def _layer_rows(data: LayerData, geometries: np.ndarray, crs: str, tile_size: float):
    if not same_crs(data.crs, crs):
        geometries = reproject_geometries(geometries, data.crs, crs)
    mesh = reproject_mesh(data.mesh, data.crs, crs)
    try:
        data, geometries, mesh = cleaning.after_reprojection(data, geometries, mesh, crs)
    except TwinError as exc:
        data.report.skip("chunk", str(exc))
        return None, data
    n = data.features.num_rows
    has_block = np.zeros(n, dtype=bool)
    has_block[mesh.part_feature] = True
    if not has_block.all():
        cleaning.report_rows(data, ~has_block, NO_BLOCK)
        geometries = geometries[has_block]
        data = cleaning.drop_rows(data, ~has_block)
        mesh = data.mesh
    if not np.array_equal(mesh.part_feature, np.arange(len(geometries))):  # one block per row, in row order
        raise TwinError(f"{data.report.source}: several mesh parts per building: not a footprint file")
    return _rows(data, geometries, mesh, tile_size), data


def _rows(data: LayerData, geometries: np.ndarray, mesh: MeshData, tile_size: float) -> pa.Table:
    features = data.features
    n = features.num_rows
    vo, to = mesh.part_vertex_offsets.astype(np.int64), mesh.part_triangle_offsets.astype(np.int64)
    vertices, triangles, surfaces = mesh.vertices, mesh.triangles, mesh.triangle_surface
    v_off, t_off = vo - vo[0], to - to[0]
    zmin = np.minimum.reduceat(vertices[:, 2], v_off[:-1]) if len(vertices) else np.zeros(n)
    centroid = shapely.get_coordinates(shapely.centroid(geometries))
    columns: dict[str, Any] = {
        "id": _ids(features, n),
        "height": pc.cast(features.column("height"), pa.float64()),
        "zmin": pa.array(zmin.astype(np.float64)),
        "storeys": _storeys(features, data.properties.get("storeys_column")),
    }
    taken = set(columns) | set(features.column_names)
    for name in features.column_names:
        if name not in ("geometry", "height"):
            columns[dataset.attribute_name(name, taken)] = features.column(name)
    columns["vertices"] = pa.ListArray.from_arrays(pa.array((v_off * 3).astype(np.int32)),
                                                   pa.array(vertices.astype(np.float64).ravel()))
    columns["triangles"] = pa.ListArray.from_arrays(pa.array((t_off * 3).astype(np.int32)),
                                                    pa.array(triangles.astype(np.int32).ravel()))
    columns["surfaces"] = pa.ListArray.from_arrays(pa.array(t_off.astype(np.int32)),
                                                   pa.array(surfaces.astype(np.uint8)))
    columns["geometry"] = pa.array(shapely.to_wkb(shapely.force_2d(geometries)), type=pa.binary())
    columns["__ix"] = pa.array(np.floor(centroid[:, 0] / tile_size).astype(np.int64))
    columns["__iy"] = pa.array(np.floor(centroid[:, 1] / tile_size).astype(np.int64))
    return pa.table(columns)


def _ids(features: pa.Table, n: int) -> pa.Array:
    """The source's id column as text (null -> filled later with the fid), else all null."""
    name = find_named_column(features.column_names, ID_NAMES)
    if name is None:
        return pa.nulls(n, pa.string())
    return pc.cast(features.column(name), pa.string()).combine_chunks()


def _storeys(features: pa.Table, column: str | None) -> pa.Array:
    """Storeys as integers from the storeys column (numbers, or text such as "3층"; OSM's "3;4": the largest,
    as the importer reads it)."""
    n = features.num_rows
    if not column or column not in features.column_names:
        return pa.nulls(n, pa.int32())
    values = features.column(column).combine_chunks()
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        number = pc.fill_null(pc.cast(values, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    else:
        parts = pc.split_pattern(pc.cast(values, pa.string()), ";")
        owner = pc.list_parent_indices(parts).to_numpy()
        found = pc.extract_regex(pc.list_flatten(parts), r"(?P<n>\d+(?:[.,]\d+)?)")
        each = pc.cast(pc.replace_substring(pc.struct_field(found, "n"), ",", "."), pa.float64())
        number = np.full(n, np.nan)
        np.fmax.at(number, owner, pc.fill_null(each, np.nan).to_numpy(zero_copy_only=False))
    ok = np.isfinite(number) & (number > 0) & (number < 1e6)
    return pa.array(np.where(ok, np.round(np.nan_to_num(number)), 0).astype(np.int32), mask=~ok)


def split_tiles(table: pa.Table, fid_offset: int, schema: pa.Schema) -> dict[tuple[int, int], pa.Table]:
    """Number the rows ``fid_offset..``, give them ``schema`` and split them by tile (rows in fid order)."""
    n = table.num_rows
    fid = np.arange(fid_offset, fid_offset + n, dtype=np.int64)
    ids = pc.coalesce(table.column("id"), pa.array(fid.astype(str)))
    ix, iy = table.column("__ix").to_numpy(), table.column("__iy").to_numpy()
    body = table.drop_columns(["__ix", "__iy"]).set_column(table.column_names.index("id"), "id", ids)
    body = dataset.conform(body.add_column(0, "fid", pa.array(fid)), schema)
    order = np.lexsort((fid, iy, ix))
    keys = np.stack([ix[order], iy[order]], axis=1)
    starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)]) if n else np.empty(0, int)
    bounds = np.r_[starts, n]
    out = {}
    for a, b in zip(bounds[:-1], bounds[1:]):
        out[(int(keys[a, 0]), int(keys[a, 1]))] = body.take(pa.array(order[a:b]))
    return out
