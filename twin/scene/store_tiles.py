"""The tiles of a layer stored in the project file (:mod:`twin.store.tiles`), as a :class:`TileSource`.

A mesh table tiled at import is read tile by tile with range scans (its rows are ordered by tile); a mesh
table from before tiles existed gets the same tiles computed in memory on first use (one pass over its
vertices) and is then read by feature ids.

Besides the two methods of the protocol, this source offers the optional extensions the tiled scene uses
when a source has them (:mod:`twin.scene.tiling`): ``boxes()`` (every feature's box and tile) and
``feature_rows(fids)`` (the mesh rows of some features, for highlighting and exact picking).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twin.scene.meshes import MeshRows, mesh_lods, read_mesh_rows_where
from twin.scene.tilesource import Tile
from twin.store import tiles as store_tiles
from twin.store.project import LayerInfo, Project


class StoreTileSource:
    """Tiles of a layer in the project file (see the module docstring)."""

    def __init__(self, project: Project, layer: LayerInfo) -> None:
        self.project = project
        self.layer = layer
        columns = project.query("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [layer.mesh_table])
        #: True when the tiles were built at import (else they are computed in memory)
        self.stored = store_tiles.has_tiles(set(columns.column("column_name").to_pylist()))
        self.lods = mesh_lods(project, layer)
        self._boxes: dict[str, np.ndarray] | None = None
        self._tiles: list[Tile] | None = None

    # ----- the protocol ------------------------------------------------------------------------
    def tiles(self) -> list[Tile]:
        if self._tiles is None:  # from the features' boxes (read once: the scene needs them anyway)
            t = _tile_table(self.boxes())
            self._tiles = [Tile(str(int(k)), tuple(float(t[c][i]) for c in store_tiles.BOX_COLUMNS), int(t["count"][i]))
                           for i, k in enumerate(t["tile"])]
        return self._tiles

    def mesh_rows(self, keys: Sequence[str], *, lod: str | None = None) -> MeshRows:
        numbers = [int(k) for k in keys]
        if self.stored:
            where, params = _in_list("tile", numbers)
        else:
            boxes = self.boxes()
            fids = boxes["fid"][np.isin(boxes["tile"], numbers)]
            where, params = "fid IN (SELECT unnest($fids))", {"fids": fids.tolist()}
        return read_mesh_rows_where(self.project, self.layer, where, params, lod=lod, lods=self.lods)

    # ----- extensions --------------------------------------------------------------------------
    def boxes(self) -> dict[str, np.ndarray]:
        """Per feature (one row per fid, ordered by tile): ``fid``, ``tile`` (int, the tile key as a number)
        and its box ``xmin``... ``zmax`` over all its rows (project CRS)."""
        if self._boxes is None:
            ref = self.layer.ref("mesh")
            if self.stored:
                if len(self.lods) <= 1:
                    sql = f"SELECT fid, tile, xmin, ymin, zmin, xmax, ymax, zmax FROM {ref}"
                else:
                    sql = (f"SELECT fid, any_value(tile) AS tile, min(xmin) AS xmin, min(ymin) AS ymin, "
                           f"min(zmin) AS zmin, max(xmax) AS xmax, max(ymax) AS ymax, max(zmax) AS zmax "
                           f"FROM {ref} GROUP BY fid ORDER BY tile, fid")
                raw = self.project.numpy(sql)
                out = {k: np.asarray(v) for k, v in raw.items()}
            else:
                raw = self.project.numpy(f"SELECT fid, {store_tiles.BOX_SQL} FROM {ref}")
                out = _per_fid({k: np.asarray(v) for k, v in raw.items()})
            out["fid"] = out["fid"].astype(np.int64)
            out["tile"] = out["tile"].astype(np.int64)
            order = np.argsort(out["tile"], kind="stable")
            if not np.array_equal(order, np.arange(len(order))):
                out = {k: v[order] for k, v in out.items()}
            self._boxes = out
        return self._boxes

    def feature_rows(self, fids: Sequence[int], *, lod: str | None = None) -> MeshRows:
        """The mesh rows (chosen LoD) of some features."""
        wanted = [int(f) for f in fids]
        where, params = _in_list("fid", wanted)
        if self.stored and self._boxes is not None:
            boxes = self._boxes
            tiles = np.unique(boxes["tile"][np.isin(boxes["fid"], wanted)]).tolist()
            if tiles:  # the tiles first: zonemaps skip the rest of the table
                more, extra = _in_list("tile", tiles, prefix="t")
                where, params = f"{more} AND {where}", {**extra, **params}
        return read_mesh_rows_where(self.project, self.layer, where, params, lod=lod, lods=self.lods)


def source(project: Project, layer: LayerInfo) -> StoreTileSource:
    """The tile source of a layer in the project file."""
    return StoreTileSource(project, layer)


def _in_list(column: str, values: list[int], *, prefix: str = "v") -> tuple[str, dict]:
    """``column IN ($v0, $v1...)`` with the values as parameters (constants that zonemaps can prune on)."""
    if not values:
        return "false", {}
    names = [f"{prefix}{i}" for i in range(len(values))]
    return f"{column} IN ({', '.join('$' + n for n in names)})", dict(zip(names, values))


def _per_fid(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows' boxes -> one box and tile per fid, tiles computed in memory (:func:`twin.store.tiles.assign`)."""
    stacked = np.column_stack([rows[c].astype(np.float64) for c in store_tiles.BOX_COLUMNS])
    tile, fids, _nx = store_tiles.assign(rows["fid"], stacked)
    unique, lo, hi, inverse = store_tiles.per_fid_box(rows["fid"], stacked)
    per_fid_tile = np.zeros(len(unique), dtype=np.int64)
    per_fid_tile[inverse] = tile
    out = {"fid": unique, "tile": per_fid_tile}
    for i, name in enumerate(store_tiles.BOX_COLUMNS):
        out[name] = (lo if i < 3 else hi)[:, i % 3]
    return out


def _tile_table(boxes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keys, starts, counts = np.unique(boxes["tile"], return_index=True, return_counts=True)
    out = {"tile": keys, "count": counts}
    for name in store_tiles.BOX_COLUMNS:
        reduce = np.minimum if name.endswith("min") else np.maximum
        out[name] = reduce.reduceat(boxes[name], starts) if len(keys) else np.empty(0)
    return out
