"""Layers that live outside the project file, as a partitioned GeoParquet dataset (docs/datasets.md).

The project holds such a layer's catalogue row (``properties["dataset"] = {"path": ..., "format_version": 1,
...}``) and a small table of its partitions, ``lyr_<id>_partitions(path, rows, xmin, ymin, xmax, ymax, zmin, zmax,
t_start, t_end)``; a ``moving`` layer also keeps one row per object in ``lyr_<id>`` (ids, first position, time
span: what the moving visual colours and picks). Every building row or track sample stays in the dataset.

On opening (:meth:`twin.store.project.Project.open`), :func:`discover` reads the catalogue, checks each
dataset folder (present, with its manifest) and its partition paths (relative, inside the folder), and the
project is connected with exactly those folders reachable. :meth:`ExternalLayers.register` then exposes, on
each connection and cursor, read-only views built from relations (the file list is a value, never SQL text):
``lyr_<id>`` (attributes and ``geom``) and ``lyr_<id>_mesh`` for buildings, ``lyr_<id>_track`` for tracks.
A folder that is missing makes its layer broken, with the reason, never the project.

:class:`PartitionIndex` chooses the partitions that meet a bounding box or a time window; :func:`read` reads
only the needed columns of the chosen files with ``read_parquet(?)``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from twin.errors import ProjectError
from twin.store.dataset_manifest import KINDS, MANIFEST, VERSION, check_partition_path
from twin.store.identifiers import is_layer_table, quote, table_ref

if TYPE_CHECKING:
    from twin.store.project import LayerInfo, Project

log = logging.getLogger(__name__)

PARTITIONS = "partitions"
#: the columns of a buildings partition that make its mesh rows (the layout of a project's lyr_<id>_mesh)
MESH_COLUMNS = ("fid", "vertices", "triangles", "surfaces")
_NO_T = (np.iinfo(np.int64).min, np.iinfo(np.int64).max)


def dataset_ref(properties: object) -> dict[str, Any] | None:
    """``properties["dataset"]`` when it is a dict (the mark of an external layer), else None."""
    ref = properties.get("dataset") if isinstance(properties, dict) else None
    return ref if isinstance(ref, dict) else None


@dataclasses.dataclass(frozen=True)
class PartitionIndex:
    """The partitions of one external layer, as arrays (read from ``lyr_<id>_partitions``)."""

    paths: list[str]  # relative to the folder
    files: list[str]  # absolute, resolved, inside the folder
    rows: np.ndarray  # (n,) int64
    bbox: np.ndarray  # (n, 4) float64, NaN when unknown
    zrange: np.ndarray  # (n, 2) float64, NaN when unknown
    t_start_us: np.ndarray  # (n,) int64, int64 min when unknown
    t_end_us: np.ndarray  # (n,) int64, int64 max when unknown

    def __len__(self) -> int:
        return len(self.paths)

    def in_bbox(self, xmin: float, ymin: float, xmax: float, ymax: float) -> np.ndarray:
        """Indices of the partitions whose box meets ``[xmin, xmax] x [ymin, ymax]`` (unknown boxes: all)."""
        b = self.bbox
        unknown = np.isnan(b).any(axis=1)
        meets = (b[:, 0] <= xmax) & (b[:, 2] >= xmin) & (b[:, 1] <= ymax) & (b[:, 3] >= ymin)
        return np.flatnonzero((meets | unknown) & (self.rows > 0))

    def in_window(self, start_us: int, end_us: int) -> np.ndarray:
        """Indices of the partitions whose time span meets ``[start_us, end_us]``, in time order."""
        return np.flatnonzero((self.t_start_us <= end_us) & (self.t_end_us >= start_us) & (self.rows > 0))


@dataclasses.dataclass(frozen=True)
class ExternalLayer:
    """One layer whose rows live in a dataset folder."""

    layer_id: int
    table: str  # lyr_<id>
    kind: str
    folder: pathlib.Path  # resolved
    partitioning: str
    index: PartitionIndex

    def files(self, indices: Iterable[int] | None = None) -> list[str]:
        if indices is None:
            return list(self.index.files)
        return [self.index.files[int(i)] for i in indices]


class ExternalLayers:
    """The external layers of an open project: what is reachable, what is broken and why."""

    def __init__(self, layers: dict[int, ExternalLayer] | None = None, problems: dict[int, str] | None = None) -> None:
        self.layers = layers or {}
        self.problems = problems or {}
        self.tables: set[str] = set()

    @property
    def folders(self) -> list[pathlib.Path]:
        """The folders the connection must reach (sorted, each once)."""
        return sorted({layer.folder for layer in self.layers.values()})

    def get(self, layer: "LayerInfo") -> ExternalLayer:
        """The dataset of an external layer; ProjectError saying why when it cannot be read."""
        if layer.broken:
            raise ProjectError(layer.broken)
        if layer.id in self.problems:
            raise ProjectError(self.problems[layer.id])
        if layer.id not in self.layers:
            raise ProjectError(f"layer {layer.name!r} is not an external dataset layer")
        return self.layers[layer.id]

    def mark(self, layer: "LayerInfo") -> "LayerInfo":
        """``layer`` broken with its reason when its dataset cannot be reached."""
        problem = self.problems.get(layer.id)
        if problem and dataset_ref(layer.properties) is not None:  # its reason, not "no such table"
            return dataclasses.replace(layer, broken=problem)
        return layer

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Expose the read-only views of every reachable layer on ``con`` (a connection or cursor: DuckDB's
        registered views belong to the connection that registered them)."""
        for layer in self.layers.values():
            self.tables.update(_view_names(layer))
            try:
                for name, relation in _views(con, layer).items():
                    con.register(name, relation)
            except duckdb.Error as exc:  # a damaged first file: its partitions are still read one by one
                log.warning("external dataset %s: no SQL view of layer %s (%s)", layer.folder, layer.table,
                            str(exc).splitlines()[0][:200])


def _view_names(layer: ExternalLayer) -> list[str]:
    if not (layer.index.rows > 0).any():
        return []
    return [f"{layer.table}_track"] if layer.kind == "moving" else [layer.table, f"{layer.table}_mesh"]


def _views(con: duckdb.DuckDBPyConnection, layer: ExternalLayer) -> dict[str, duckdb.DuckDBPyRelation]:
    files = layer.files([i for i in range(len(layer.index)) if layer.index.rows[i] > 0])
    if not files:
        return {}
    rel = con.read_parquet(files, hive_partitioning=False)
    if layer.kind == "moving":
        return {f"{layer.table}_track": rel}
    types = dict(zip(rel.columns, (str(t) for t in rel.types)))
    geom = "geometry AS geom" if types.get("geometry", "").startswith("GEOMETRY") else "ST_GeomFromWKB(geometry) AS geom"
    heavy = [c for c in ("vertices", "triangles", "surfaces", "geometry") if c in types]
    attributes = rel.project(f"* EXCLUDE ({', '.join(heavy)}), {geom}")  # column names are the format's
    mesh = rel.project("fid, '1' AS lod, vertices, triangles, surfaces")
    return {layer.table: attributes, f"{layer.table}_mesh": mesh}


def discover(con: duckdb.DuckDBPyConnection, path: pathlib.Path | str | None) -> ExternalLayers:
    """The external layers of the project on ``con``: each folder checked, each partition path validated."""
    where = str(path) if path is not None else "the project"
    try:
        rows = con.execute("SELECT id, name, kind, table_name, properties FROM layers").fetchall()
    except duckdb.Error:
        return ExternalLayers()
    found: dict[int, ExternalLayer] = {}
    problems: dict[int, str] = {}
    for lid, name, kind, table, props in rows:
        try:
            properties = json.loads(props) if isinstance(props, str) else None
        except (ValueError, RecursionError):
            continue  # the catalogue reports it (twin.store.catalogue)
        ref = dataset_ref(properties)
        if ref is None or not isinstance(lid, int):
            continue
        prefix = f"{where}: layer {name!r}: "
        try:
            found[lid] = _external(con, lid, kind, table, ref, prefix)
        except ProjectError as exc:
            problems[lid] = str(exc)
    return ExternalLayers(found, problems)


def _external(con, lid: int, kind: object, table: object, ref: dict, prefix: str) -> ExternalLayer:
    def fail(text: str) -> ProjectError:
        return ProjectError(prefix + text + "; the layer is not read")

    folder = ref.get("path")
    if ref.get("format_version") != VERSION:
        raise fail(f"properties.dataset.format_version {ref.get('format_version')!r} is not {VERSION}")
    if not isinstance(folder, str) or not folder.startswith("/") or "\x00" in folder:
        raise fail(f"properties.dataset.path {folder!r} is not an absolute folder path")
    if kind not in KINDS:
        raise fail(f"external dataset of kind {kind!r} (only {', '.join(KINDS)})")
    if not is_layer_table(table, suffix=False):
        raise fail(f"layers.table_name {table!r} is not a layer table")
    base = pathlib.Path(folder)
    if not base.is_dir():
        raise fail(f"external dataset folder {folder} not found (moved, or a share not mounted?)")
    if not (base / MANIFEST).is_file():
        raise fail(f"external dataset folder {folder} holds no {MANIFEST}")
    resolved = base.resolve()
    ref_table = table_ref(f"{table}_{PARTITIONS}")
    try:
        result = con.execute(
            f"SELECT path, rows, xmin, ymin, xmax, ymax, zmin, zmax, epoch_us(t_start), epoch_us(t_end) "
            f"FROM {ref_table} ORDER BY t_start NULLS FIRST, path").fetchall()
    except duckdb.Error as exc:
        raise fail(f"table {table}_{PARTITIONS} cannot be read ({str(exc).splitlines()[0][:120]})") from None
    partitioning = KINDS[kind]
    files = []
    for i, row in enumerate(result):
        files.append(str(check_partition_path(
            resolved, row[0], partitioning,
            fail=lambda text, i=i: fail(f"{table}_{PARTITIONS} row {i + 1}: path {text}"))))
        if not isinstance(row[1], int) or row[1] < 0:
            raise fail(f"{table}_{PARTITIONS} row {i + 1}: rows {row[1]!r} is not a count")
    index = _index([r[0] for r in result], files, result)
    return ExternalLayer(layer_id=lid, table=table, kind=kind, folder=resolved, partitioning=partitioning, index=index)


def _index(paths: list[str], files: list[str], rows: list[tuple]) -> PartitionIndex:
    def floats(cols: slice, n: int) -> np.ndarray:
        data = [[np.nan if v is None else float(v) for v in r[cols]] for r in rows]
        return np.array(data, dtype=np.float64).reshape(-1, n)

    def times(col: int, none: int) -> np.ndarray:
        return np.array([none if r[col] is None else int(r[col]) for r in rows], dtype=np.int64)

    return PartitionIndex(paths=paths, files=files, rows=np.array([r[1] for r in rows], dtype=np.int64),
                          bbox=floats(slice(2, 6), 4), zrange=floats(slice(6, 8), 2),
                          t_start_us=times(8, _NO_T[0]), t_end_us=times(9, _NO_T[1]))


def partition_table(manifest) -> pa.Table:
    """The ``lyr_<id>_partitions`` rows of a checked manifest."""
    parts = manifest.partitions

    def col(fn, typ):
        return pa.array([fn(p) for p in parts], type=typ)

    nan = None
    return pa.table({
        "path": col(lambda p: p.path, pa.string()),
        "rows": col(lambda p: p.rows, pa.int64()),
        **{name: col(lambda p, i=i: p.bbox[i] if p.bbox else nan, pa.float64())
           for i, name in enumerate(("xmin", "ymin", "xmax", "ymax"))},
        **{name: col(lambda p, i=i: p.zrange[i] if p.zrange else nan, pa.float64())
           for i, name in enumerate(("zmin", "zmax"))},
        "t_start": col(lambda p: p.t_start, pa.timestamp("us", tz="UTC")),
        "t_end": col(lambda p: p.t_end, pa.timestamp("us", tz="UTC")),
    })


def external(project: "Project", layer: "LayerInfo") -> ExternalLayer:
    """The reachable dataset of ``layer`` in ``project``; ProjectError saying why not."""
    return project.external.get(layer)


def read(project: "Project", layer: "LayerInfo", indices: Sequence[int] | None, columns: Sequence[str], *,
         fids: Sequence[int] | None = None) -> pa.Table:
    """The ``columns`` of the chosen partitions of an external layer (all partitions when ``indices`` is None),
    read lazily: DuckDB opens only those files and decodes only those columns; ``fids``: only those rows."""
    ext = external(project, layer)
    files = ext.files(indices)
    if not files or (fids is not None and not len(fids)):
        return _empty(project, ext, columns)
    cols = ", ".join(quote(c) for c in columns)
    sql, params = f"SELECT {cols} FROM read_parquet(?, hive_partitioning = false)", [files]
    if fids is not None:
        sql, params = sql + " WHERE list_contains(?, fid)", [files, [int(f) for f in fids]]
    try:
        return project.query(sql, params)
    except duckdb.Error as exc:
        raise ProjectError(f"layer {layer.name!r}: external dataset {ext.folder}: "
                           f"{str(exc).splitlines()[0][:300]}") from None


def _empty(project: "Project", ext: ExternalLayer, columns: Sequence[str]) -> pa.Table:
    """No partition chosen: an empty table with the columns' types (read from the first file's schema)."""
    cols = ", ".join(quote(c) for c in columns)
    if not len(ext.index):
        return pa.table({c: pa.array([], pa.null()) for c in columns})
    return project.query(f"SELECT {cols} FROM read_parquet(?, hive_partitioning = false) LIMIT 0", [ext.files([0])])
