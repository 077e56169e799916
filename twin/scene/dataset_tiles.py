"""Tiles of a buildings layer that lives in a partitioned dataset: one tile per partition (docs/datasets.md).

The tiles come from the project's ``lyr_<id>_partitions`` table (no file is opened to list them); the mesh
rows of some tiles are read from those partitions only, and only their ``fid, vertices, triangles,
surfaces`` columns (:func:`twin.store.datasets.read`). The dataset is in the project CRS (the import refuses
another), so rows need no transformation.

Besides the protocol, the source offers the two optional extensions of :mod:`twin.scene.tilesource`:

- ``boxes()``: every building's fid, tile (``tile_index``, its tile's place in ``tiles()``: a dataset's keys are
  paths) and box, computed in DuckDB from the ``vertices`` lists (``list_min``/``list_max`` of strided slices),
  one query over the non-empty partitions reading the ``fid`` and ``vertices`` columns only;
- ``feature_rows(fids)``: the mesh rows of some buildings, read from the partitions that hold them only (known
  from ``boxes()`` once read, else from each file's ``fid`` statistics in its Parquet footer).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import duckdb
import numpy as np

from twin.errors import ProjectError
from twin.scene.meshes import MeshRows, _flatten
from twin.scene.tilesource import Tile
from twin.store import datasets
from twin.store.project import LayerInfo, Project

#: per-row box of a flat x,y,z vertex list: DuckDB list functions over strided slices (no Python per row)
_AXES = {"x": 1, "y": 2, "z": 3}
BOX_SQL = ", ".join(f"list_{f}(list_slice(vertices, {i}, -1, 3)) AS {a}{f}"
                    for f in ("min", "max") for a, i in _AXES.items())
BOX_COLUMNS = ("xmin", "ymin", "zmin", "xmax", "ymax", "zmax")


class DatasetTiles:
    """The :class:`~twin.scene.tilesource.TileSource` of an external buildings layer."""

    def __init__(self, project: Project, layer: LayerInfo) -> None:
        self.project = project
        self.layer = layer
        self.dataset = datasets.external(project, layer)  # ProjectError saying why when it cannot be read
        if self.dataset.kind != "buildings":
            raise ProjectError(f"layer {layer.name!r}: a {self.dataset.kind} dataset has no building tiles")
        self._index = {path: i for i, path in enumerate(self.dataset.index.paths)}
        #: the partitions that are tiles (non-empty), in the order of tiles()
        self._parts = np.flatnonzero(self.dataset.index.rows > 0)
        self._boxes: dict[str, np.ndarray] | None = None
        self._ranges: np.ndarray | None = None  # (tiles, 2) fid min, max per tile (Parquet statistics)
        self._lock = threading.Lock()  # the loader thread and the main thread may both ask

    # ----- the protocol ------------------------------------------------------------------------
    def tiles(self) -> list[Tile]:
        """One tile per non-empty partition, keyed by its relative path."""
        idx = self.dataset.index
        z0, z1 = self.layer.zrange or (0.0, 0.0)
        zr = np.where(np.isnan(idx.zrange), [z0, z1], idx.zrange)
        return [Tile(key=idx.paths[i], bbox=(*idx.bbox[i, :2], zr[i, 0], *idx.bbox[i, 2:], zr[i, 1]),
                     count=int(idx.rows[i]))
                for i in self._parts]

    def keys_in(self, xmin: float, ymin: float, xmax: float, ymax: float) -> list[str]:
        """The keys of the tiles that meet a box (project CRS): a district's view."""
        return [self.dataset.index.paths[i] for i in self.dataset.index.in_bbox(xmin, ymin, xmax, ymax)]

    def mesh_rows(self, keys: Sequence[str], *, lod: str | None = None) -> MeshRows:
        """The LoD1 mesh rows of every building in the tiles ``keys`` (a dataset holds one LoD: ``lod`` is
        accepted and the LoD1 blocks returned)."""
        try:
            indices = [self._index[key] for key in keys]
        except KeyError as exc:
            raise ProjectError(f"layer {self.layer.name!r}: no tile {exc.args[0]!r} in its dataset") from None
        table = datasets.read(self.project, self.layer, indices, datasets.MESH_COLUMNS)
        return _flatten(table, self.layer)

    # ----- extensions --------------------------------------------------------------------------
    def boxes(self) -> dict[str, np.ndarray]:
        """Per building (ordered by tile): ``fid``, ``tile_index`` (its tile's place in :meth:`tiles`) and its
        box ``xmin``... ``zmax`` from its vertices (project CRS). Buildings without vertices are left out."""
        with self._lock:
            if self._boxes is None:
                self._boxes = self._read_boxes()
            return self._boxes

    def _read_boxes(self) -> dict[str, np.ndarray]:
        files = self.dataset.files(self._parts)
        if not files:
            return {"fid": np.empty(0, np.int64), "tile_index": np.empty(0, np.int64),
                    **{c: np.empty(0) for c in BOX_COLUMNS}}
        sql = (f"SELECT file_index::BIGINT AS tile_index, fid::BIGINT AS fid, {BOX_SQL} "
               "FROM read_parquet(?, hive_partitioning = false) WHERE len(vertices) >= 3")
        raw = self._numpy(sql, [files])
        out = {k: np.asarray(v) for k, v in raw.items()}
        out["fid"] = out["fid"].astype(np.int64)
        out["tile_index"] = out["tile_index"].astype(np.int64)
        for c in BOX_COLUMNS:
            out[c] = out[c].astype(np.float64)
        if len(out["tile_index"]) and (np.diff(out["tile_index"]) < 0).any():
            order = np.argsort(out["tile_index"], kind="stable")
            out = {k: v[order] for k, v in out.items()}
        return out

    def feature_rows(self, fids: Sequence[int], *, lod: str | None = None) -> MeshRows:
        """The LoD1 mesh rows of some buildings, read from the partitions that hold them only."""
        wanted = np.unique(np.asarray(list(fids), dtype=np.int64))
        tiles = self._tiles_holding(wanted)
        table = datasets.read(self.project, self.layer, self._parts[tiles].tolist(), datasets.MESH_COLUMNS,
                              fids=wanted.tolist())
        return _flatten(table, self.layer)

    def _tiles_holding(self, wanted: np.ndarray) -> np.ndarray:
        """Places in :meth:`tiles` of the tiles that may hold the fids ``wanted`` (sorted, unique)."""
        if not wanted.size or not self._parts.size:
            return np.empty(0, dtype=np.int64)
        boxes = self._boxes
        if boxes is not None:  # exact: every building's tile is known
            return np.unique(boxes["tile_index"][np.isin(boxes["fid"], wanted)])
        ranges = self._fid_ranges()
        inside = np.searchsorted(wanted, ranges[:, 1], side="right") - np.searchsorted(wanted, ranges[:, 0])
        return np.flatnonzero(inside > 0)

    def _fid_ranges(self) -> np.ndarray:
        """Per tile, the fid range of its file from the Parquet footer's statistics (no row read); a file
        without statistics gets the widest range (it is then always read)."""
        with self._lock:
            if self._ranges is None:
                files = self.dataset.files(self._parts)
                sql = ("SELECT file_name, min(TRY_CAST(stats_min_value AS BIGINT)) AS lo, "
                       "max(TRY_CAST(stats_max_value AS BIGINT)) AS hi FROM parquet_metadata(?) "
                       "WHERE path_in_schema = 'fid' GROUP BY file_name")
                found = {r[0]: r[1:] for r in self._rows(sql, [files])}
                wide = (np.iinfo(np.int64).min, np.iinfo(np.int64).max)
                ranges = [found.get(f, wide) for f in files]
                self._ranges = np.array([[wide[0] if lo is None else lo, wide[1] if hi is None else hi]
                                         for lo, hi in ranges], dtype=np.int64).reshape(-1, 2)
            return self._ranges

    def _numpy(self, sql: str, params: list) -> dict:
        try:
            return self.project.numpy(sql, params)
        except duckdb.Error as exc:
            raise self._error(exc) from None

    def _rows(self, sql: str, params: list) -> list[tuple]:
        try:
            return self.project.rows(sql, params)
        except duckdb.Error as exc:
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> ProjectError:
        return ProjectError(f"layer {self.layer.name!r}: external dataset {self.dataset.folder}: "
                            f"{str(exc).splitlines()[0][:300]}")


def source(project: Project, layer: LayerInfo) -> DatasetTiles:
    """The tile source of an external buildings layer (see :func:`twin.scene.tilesource.tile_source`)."""
    return DatasetTiles(project, layer)
