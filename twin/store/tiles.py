"""Spatial tiles of a layer's 3D objects, built at import (docs/scale.md, "Tiles and levels of detail").

Every feature of a mesh table gets the tile of its centre on a regular grid over the layer's extent,
sized so that a tile holds about :data:`PER_TILE` features (between ~500 and ~4000 for a city). The mesh
table ``lyr_<id>_mesh`` gains the columns ``tile`` (``iy * nx + ix``) and the box of each row
(``xmin, ymin, zmin, xmax, ymax, zmax``), and (from :data:`SORT_MIN_ROWS` rows) its rows are rewritten ordered by
``tile``: reading one tile is then a range scan that DuckDB's zonemaps prune, and the tiles themselves (key, box, count) are one
``GROUP BY`` over small columns, without reading a vertex (:func:`tile_table`).

A mesh table without these columns (a project from before) still works: :func:`row_boxes` and
:func:`assign` compute the same in memory (``twin.scene.store_tiles``).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from twin.store.identifiers import table_ref

#: features a tile holds on average (a tile is one draw call and one read of the store)
PER_TILE = 2000
#: tiles are never smaller than this many metres on a side (a dense old town stays a few tiles)
MIN_TILE_M = 100.0
#: rows are sorted by tile from this many on: DuckDB's zonemaps skip whole row groups (122,880 rows), so
#: a smaller table is read whole anyway, and sorting it would only slow the import (~1 s per 100k rows)
SORT_MIN_ROWS = 2 * 122_880
BOX_COLUMNS = ("xmin", "ymin", "zmin", "xmax", "ymax", "zmax")
#: the SQL of each row's box from its flat ``vertices`` list (x, y, z, x, y, z...)
BOX_SQL = ", ".join(
    f"list_{fn}(list_slice(vertices, {axis + 1}, len(vertices), 3))::DOUBLE AS {name}"
    for name, fn, axis in zip(BOX_COLUMNS, ("min", "min", "min", "max", "max", "max"), (0, 1, 2, 0, 1, 2))
)


def has_tiles(columns: set[str]) -> bool:
    """True when a mesh table with these column names carries tiles (built at import)."""
    return "tile" in columns and all(c in columns for c in BOX_COLUMNS)


def row_boxes(con, mesh_table: str) -> dict[str, np.ndarray]:
    """fid and the box of every row of a mesh table (numpy columns, in table order)."""
    sql = f"SELECT fid, {BOX_SQL} FROM {table_ref(mesh_table)}"
    return {k: np.asarray(v) for k, v in con.execute(sql).fetchnumpy().items()}


def grid(centres: np.ndarray, *, per_tile: int | None = None) -> tuple[float, float, float, int, int]:
    """(x0, y0, size, nx, ny) of a regular grid over the centres (n, 2) whose tiles hold ~``per_tile`` each.

    The size starts from the extent's area over the number of tiles wanted and doubles while the occupied
    tiles hold on average fewer than half of ``per_tile`` (scattered data: villages around a town)."""
    per_tile = int(per_tile or PER_TILE)
    n = len(centres)
    if n == 0:
        return 0.0, 0.0, MIN_TILE_M, 1, 1
    lo, hi = centres.min(axis=0), centres.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    size = max(math.sqrt(float(span[0] * span[1]) * per_tile / n), MIN_TILE_M)
    for _ in range(12):
        ix = np.floor((centres[:, 0] - lo[0]) / size).astype(np.int64)
        iy = np.floor((centres[:, 1] - lo[1]) / size).astype(np.int64)
        occupied = np.unique(iy * (int(ix.max()) + 1) + ix).size
        if n / occupied >= per_tile / 2 or occupied == 1:
            break
        size *= 1.5
    nx = int(math.floor(span[0] / size)) + 1
    ny = int(math.floor(span[1] / size)) + 1
    return float(lo[0]), float(lo[1]), float(size), nx, ny


def assign(fids: np.ndarray, boxes: np.ndarray, *, per_tile: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The tile of every row (rows of one fid share the tile of the fid's centre): (tile per row, unique fids,
    nx). ``boxes`` is (rows, 6): xmin, ymin, zmin, xmax, ymax, zmax."""
    fids = np.asarray(fids, dtype=np.int64)
    unique, lo, hi, inverse = per_fid_box(fids, boxes)
    lo, hi = lo[:, :2], hi[:, :2]
    centres = np.where(np.isfinite(lo), (lo + hi) / 2.0, np.nan)
    known = np.isfinite(centres).all(axis=1)
    x0, y0, size, nx, ny = grid(centres[known], per_tile=per_tile)
    ix = np.clip(np.floor((np.nan_to_num(centres[:, 0], nan=x0) - x0) / size), 0, nx - 1).astype(np.int64)
    iy = np.clip(np.floor((np.nan_to_num(centres[:, 1], nan=y0) - y0) / size), 0, ny - 1).astype(np.int64)
    return (iy * nx + ix)[inverse], unique, nx


def per_fid_box(fids: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(unique fids, lo (k, 3), hi (k, 3), row -> fid index) of rows' boxes (n, 6), by one sort and reduceat
    (no ``ufunc.at``); a missing coordinate (NaN) is left out, a feature without any gets inf/-inf."""
    fids = np.asarray(fids, dtype=np.int64)
    order = None if fids.size < 2 or bool((fids[1:] >= fids[:-1]).all()) else np.argsort(fids, kind="stable")
    ordered = fids if order is None else fids[order]
    rows = boxes if order is None else boxes[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(ordered)) + 1]) if len(fids) else np.empty(0, np.int64)
    if not len(fids):
        empty = np.empty((0, 3))
        return ordered, empty, empty, np.empty(0, np.int64)
    lo = np.minimum.reduceat(np.where(np.isnan(rows[:, :3]), np.inf, rows[:, :3]), starts, axis=0)
    hi = np.maximum.reduceat(np.where(np.isnan(rows[:, 3:]), -np.inf, rows[:, 3:]), starts, axis=0)
    run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(fids))))
    inverse = run if order is None else np.empty_like(run)
    if order is not None:
        inverse[order] = run
    return ordered[starts], lo, hi, inverse


def build(con, mesh_table: str, *, per_tile: int | None = None) -> int:
    """Give every row of ``mesh_table`` its tile and box and order the rows by tile (inside the caller's
    transaction); returns the number of tiles. Called by the writer right after the mesh table is created."""
    boxes = row_boxes(con, mesh_table)
    if not len(boxes["fid"]):
        con.execute(f"ALTER TABLE {table_ref(mesh_table)} ADD COLUMN tile INTEGER")
        for name in BOX_COLUMNS:
            con.execute(f"ALTER TABLE {table_ref(mesh_table)} ADD COLUMN {name} DOUBLE")
        return 0
    stacked = np.column_stack([boxes[c].astype(np.float64) for c in BOX_COLUMNS])
    tile, fids, _nx = assign(boxes["fid"], stacked, per_tile=per_tile)
    new = f"{mesh_table}_tiling"
    if len(fids) == len(tile):  # one row per feature (one LoD): the tile joins the rows by their order
        con.register("_twin_tiles", pa.table({"tile": pa.array(tile.astype(np.int32)),
                                              **{c: pa.array(stacked[:, i]) for i, c in enumerate(BOX_COLUMNS)}}))
        sql = f"SELECT m.*, t.* FROM {table_ref(mesh_table)} m POSITIONAL JOIN _twin_tiles t"
    else:
        first = np.unique(boxes["fid"], return_index=True)[1]
        con.register("_twin_tiles", pa.table({"fid": pa.array(fids), "tile": pa.array(tile[first].astype(np.int32))}))
        sql = f"SELECT m.*, t.tile, {BOX_SQL} FROM {table_ref(mesh_table)} m JOIN _twin_tiles t USING (fid)"
    if np.unique(tile).size > 1 and len(tile) >= SORT_MIN_ROWS:  # by tile only: twice as fast as (tile, fid, lod)
        sql += " ORDER BY tile"
    elif len(fids) != len(tile):  # a join keeps no order: the rows stay in (fid, lod) order as written
        sql += " ORDER BY fid, lod"
    try:
        con.execute(f"CREATE TABLE {table_ref(new)} AS {sql}")
    finally:
        con.unregister("_twin_tiles")
    con.execute(f"DROP TABLE {table_ref(mesh_table)}")
    con.execute(f"ALTER TABLE {table_ref(new)} RENAME TO {table_ref(mesh_table)}")
    return int(np.unique(tile).size)


def tile_table(con, mesh_table: str) -> dict[str, np.ndarray]:
    """Per tile of a tiled mesh table: ``tile``, its box (``xmin``... ``zmax``) and ``count`` (features)."""
    sql = (f"SELECT tile, min(xmin) AS xmin, min(ymin) AS ymin, min(zmin) AS zmin, max(xmax) AS xmax, "
           f"max(ymax) AS ymax, max(zmax) AS zmax, count(DISTINCT fid) AS count FROM {table_ref(mesh_table)} "
           f"GROUP BY tile ORDER BY tile")
    return {k: np.asarray(v) for k, v in con.execute(sql).fetchnumpy().items()}
