"""A project: one DuckDB file holding the catalogue of layers and their tables."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import pathlib
import shutil
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

from twin.errors import ProjectError
from twin.printable import visible
from twin.store import catalogue, recovery, schema
from twin.store.datasets import ExternalLayers, discover
from twin.store.identifiers import is_layer_table, table_ref
from twin.store.spatial import connect

PROJECT_SUFFIX = ".twin.duckdb"
#: seconds a shared project (the window) stays read-write after its last write (see Project.writing)
WRITE_GRACE_S = 2.0
#: seconds an open waits for another process holding the file for a moment (see Project.open)
OPEN_WAIT_S = 3.0
DEFAULT_TIMEZONE = "Asia/Seoul"


@dataclasses.dataclass(frozen=True)
class LayerInfo:
    """Catalogue entry of one layer."""

    id: int
    name: str
    kind: str
    stage: int | None
    service: str | None
    source_file: str | None
    source_sha256: str | None
    source_crs: str | None
    imported_at: dt.datetime | None
    feature_count: int
    bbox: tuple[float, float, float, float] | None
    zrange: tuple[float, float] | None
    time_span: tuple[dt.datetime, dt.datetime] | None
    table_name: str
    properties: dict[str, Any]
    style: dict[str, Any]
    position: int
    #: odd catalogue values that were repaired (one line each, naming the project, the layer and the field)
    problems: tuple[str, ...] = ()
    #: why the layer cannot be read at all (it is listed, never queried nor drawn), or None
    broken: str | None = None

    @property
    def mesh_table(self) -> str:
        return f"{self.table_name}_mesh"

    def ref(self, suffix: str | None = None) -> str:
        """The layer's table (or its ``lyr_<id>_<suffix>`` table) as quoted SQL, validated by
        :func:`twin.store.identifiers.table_ref`; ProjectError saying why when the layer is broken."""
        if self.broken:
            raise ProjectError(self.broken)
        return table_ref(self.table_name if suffix is None else self.table(suffix))

    def table(self, suffix: str) -> str:
        """Name of an extra table of this layer (e.g. ``track``)."""
        return f"{self.table_name}_{suffix}"

    def time_zone(self, default: str = DEFAULT_TIMEZONE) -> str:
        """The zone of this layer's times (``properties["timezone"]``: a GTFS agency's, or the zone its source
        times were read in), else ``default`` (the project's). docs/timeline.md"""
        name = self.properties.get("timezone") if isinstance(self.properties, dict) else None
        if isinstance(name, str) and name.strip():
            try:
                ZoneInfo(name)
                return name
            except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
                pass
        return default

    def summary(self, tz: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
        """The JSON form of ``twin info --json``: the time span with the offset of the layer's own zone."""
        span = None
        layer_tz = self.time_zone(tz)
        if self.time_span:
            zone = ZoneInfo(layer_tz)
            span = [t.astimezone(zone).isoformat() for t in self.time_span]
        return {
            "name": self.name,
            "kind": self.kind,
            "stage": self.stage,
            "service": self.service,
            "features": self.feature_count,
            "bbox": list(self.bbox) if self.bbox else None,
            "time_span": span,
            "timezone": layer_tz if self.time_span else None,
            **({"problems": [p for p in (self.broken, *self.problems) if p]} if self.broken or self.problems else {}),
        }


_LAYER_COLUMNS = catalogue.LAYER_COLUMNS


def _layer_from_row(row: tuple, tables: set[str] | None = None, path: pathlib.Path | None = None) -> LayerInfo:
    """A catalogue row as a LayerInfo, every value checked (:func:`twin.store.catalogue.layer_fields`)."""
    return LayerInfo(**catalogue.layer_fields(row, tables=tables, path=path))


def with_project_suffix(path: str | pathlib.Path) -> pathlib.Path:
    """``city`` -> ``city.twin.duckdb``; names that already end in ``.duckdb`` (or ``.db``) are kept."""
    path = pathlib.Path(path)
    if path.name.endswith(".duckdb") or path.suffix.lower() == ".db":
        return path
    return path.with_name(path.name + PROJECT_SUFFIX)


class Project:
    """An open project file. Use :meth:`open`; close it (or use ``with``) when done.

    All access goes through one DuckDB connection guarded by a lock; worker threads use
    :meth:`cursor` for their own cursor on the same database. The project is persistence only: what
    the planner sees, and its events, live in :mod:`twin.model`, which writes through here.
    """

    def __init__(self, path: pathlib.Path | None, con: duckdb.DuckDBPyConnection, *, created: bool) -> None:
        self.path = path
        self.con = con
        self.created = created
        self.lock = threading.RLock()
        self._shared = False  # held read-only between writes (see :meth:`writing`)
        self._writing_depth = 0
        self._options: dict[str, Any] = {}
        self._cursors: weakref.WeakSet = weakref.WeakSet()
        self._held_rw = False  # a shared project between a write and its release
        self._release_timer: threading.Timer | None = None
        self._closed = False
        #: layers whose rows live in dataset folders (twin.store.datasets), found at open
        self.external = ExternalLayers()

    # ----- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | pathlib.Path | None,
        *,
        create: bool = False,
        crs: str | None = None,
        timezone: str | None = None,
        read_only: bool = False,
        allowed_directories: Iterable[str | pathlib.Path] = (),
        shared: bool = False,
        wait: float = OPEN_WAIT_S,
    ) -> "Project":
        """Open a project file; with ``create`` make it when missing. ``None`` opens an in-memory project.

        ``crs`` fixes the project CRS of a new project (else it is chosen at the first import);
        ``timezone`` is the zone in which source times without an offset are read. The connection to a
        file reaches no other file (DuckDB's external access is off and locked, docs/security.md) except
        inside ``allowed_directories`` (external datasets that layers reference by path).

        A write-ahead log left by a crashed writer is folded into the file first (:mod:`twin.store.recovery`).
        ``shared`` (the window) keeps the file open read-only, so other commands can read it, and re-opens it
        read-write only for the moment of each write (:meth:`writing`). A file another process holds gives
        one line naming it (``the project is busy: ...``) after retrying for up to ``wait`` seconds.
        """
        target = pathlib.Path(path) if path is not None else None
        exists = target is not None and target.exists()
        if target is not None and not exists and not create:
            raise ProjectError(f"{target}: no such project")
        if exists and target.is_dir():
            raise ProjectError(f"{target}: is a directory, not a project file")
        if exists:
            _check_duckdb_file(target)
        if target is not None and not exists:
            target.parent.mkdir(parents=True, exist_ok=True)
        options = {"external_access": target is None, "allowed_directories": tuple(allowed_directories)}
        try:
            if exists:
                recovery.recover(target, lambda p, read_only: connect(p, read_only=read_only, **options), wait=wait)
            con = recovery.connect_waiting(target if target is not None else ":memory:", connect,
                                           read_only=read_only and exists, wait=wait, **options)
        except duckdb.Error as exc:
            raise ProjectError(f"{target}: not a Smart City Twin project ({exc})") from exc
        project = cls(target, con, created=not exists)
        project._options = options
        if exists:
            try:
                project._check_existing()
                project.reach_datasets(wait=wait)
            except BaseException:
                project.con.close()
                raise
        else:
            project._initialise(crs=crs, timezone=timezone)
        if crs and exists and project.crs and project.crs != _normalise_project_crs(crs):
            raise ProjectError(f"{target}: project CRS is {project.crs}; it cannot change to {crs}")
        if crs and exists and not project.crs:
            project.set_meta("crs", _normalise_project_crs(crs))
        if shared and target is not None and not read_only:
            project._shared = True
            project._reconnect(read_only=True, wait=10.0)
        return project

    def reach_datasets(self, *, wait: float = OPEN_WAIT_S) -> None:
        """Find the layers that live in dataset folders (docs/datasets.md) and re-connect so that exactly those
        folders (and the ``allowed_directories`` asked for) are reachable; a missing folder breaks its layer only."""
        with self.lock:
            found = discover(self.con, self.path)
            wanted = tuple(dict.fromkeys((*self._options.get("allowed_directories", ()), *found.folders)))
            self.external = found
            if self._options.get("external_access") or wanted == tuple(self._options["allowed_directories"]):
                found.register(self.con)
                return
            self._options = {**self._options, "allowed_directories": wanted}
            reached = set(self.con.execute("SELECT current_setting('allowed_directories')").fetchone()[0] or [])
            if {str(folder).rstrip("/") + "/" for folder in found.folders} <= reached:
                found.register(self.con)  # open elsewhere in this process, with these folders already
            else:
                self._reconnect(read_only=schema.is_read_only(self.con), wait=wait)

    def _initialise(self, *, crs: str | None, timezone: str | None) -> None:
        self.con.execute("BEGIN")
        schema.create(self.con)
        from twin import __version__

        now = dt.datetime.now(dt.timezone.utc).isoformat()
        rows = [("created_at", now), ("app_version", __version__), ("timezone", timezone or DEFAULT_TIMEZONE)]
        if crs:
            rows.append(("crs", _normalise_project_crs(crs)))
        self.con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows)
        self.con.execute("COMMIT")

    def _check_existing(self) -> None:
        tables = {r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "meta" not in tables or "layers" not in tables:
            raise ProjectError(f"{self.path}: a DuckDB file, but not a Smart City Twin project (no catalogue)")
        version = catalogue.schema_version(self.meta("schema_version"), self.path)
        schema.migrate(self.con, version)
        catalogue.check_meta(self.meta, self.path)

    # ----- metadata ------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        """Value of one ``meta`` entry, or ``None``."""
        with self.lock:
            row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.writing():
            self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    @property
    def crs(self) -> str | None:
        """The project CRS (``EPSG:NNNN``), or ``None`` before the first import."""
        return self.meta("crs")

    @property
    def timezone(self) -> str:
        return self.meta("timezone") or DEFAULT_TIMEZONE

    # ----- layers --------------------------------------------------------------------------
    def layers(self) -> list[LayerInfo]:
        """All layers in display order (a layer whose catalogue row cannot be read is listed as ``broken``)."""
        with self.lock:
            rows = self._catalogue_rows("ORDER BY position, id", [])
            tables = self._table_names() | self.external.tables
        layers = [self.external.mark(_layer_from_row(r, tables, self.path)) for r in rows]
        return sorted(layers, key=lambda layer: (layer.position, layer.id))

    def layer(self, name: str) -> LayerInfo:
        """One layer by name; :class:`ProjectError` naming the known layers when missing."""
        with self.lock:
            rows = self._catalogue_rows("WHERE name = ?", [name])
            tables = self._table_names() | self.external.tables
        if not rows:
            known = visible(", ".join(layer.name for layer in self.layers())) or "none"
            raise ProjectError(f"no layer named {name!r} in {self.path or 'the project'} (layers: {known})")
        return self.external.mark(_layer_from_row(rows[0], tables, self.path))

    def _catalogue_rows(self, clause: str, params: list) -> list[tuple]:
        try:
            return self.con.execute(f"SELECT {_LAYER_COLUMNS} FROM layers {clause}", params).fetchall()
        except duckdb.Error as exc:
            raise ProjectError(f"{self.path or 'the project'}: the layers table cannot be read "
                               f"({str(exc).splitlines()[0]})") from None

    def _table_names(self) -> set[str]:
        return {r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()}

    def has_layer(self, name: str) -> bool:
        with self.lock:
            return self.con.execute("SELECT count(*) FROM layers WHERE name = ?", [name]).fetchone()[0] > 0

    def unique_layer_name(self, wanted: str) -> str:
        """``wanted``, or ``wanted (2)``, ``wanted (3)``... whichever is free."""
        name, n = wanted, 2
        while self.has_layer(name):
            name, n = f"{wanted} ({n})", n + 1
        return name

    def layer_tables(self, layer: LayerInfo) -> list[str]:
        """The data tables of a layer (features, mesh, tracks...)."""
        with self.lock:
            rows = self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name = ? OR starts_with(table_name, ?)",
                [layer.table_name, layer.table_name + "_"],
            ).fetchall()
        if not is_layer_table(layer.table_name, suffix=False):  # a catalogue naming no layer table owns none
            return []
        return [r[0] for r in rows if is_layer_table(r[0])
                and (r[0] == layer.table_name or r[0].startswith(layer.table_name + "_"))]

    def remove_layer(self, name: str) -> None:
        """Drop a layer and its tables (the import provenance is kept)."""
        from twin.store.links import drop_layer_links

        layer = self.layer(name)
        with self.transaction():
            for table in self.layer_tables(layer):
                self.con.execute(f"DROP TABLE {table_ref(table)}")
            drop_layer_links(self.con, layer.id)
            self.con.execute("DELETE FROM layers WHERE id = ?", [layer.id])

    def rename_layer(self, name: str, new_name: str) -> None:
        new_name = new_name.strip()
        if not new_name:
            raise ProjectError("a layer name cannot be empty")
        if new_name != name and self.has_layer(new_name):
            raise ProjectError(f"a layer named {new_name!r} already exists")
        layer = self.layer(name)
        with self.writing():
            self.con.execute("UPDATE layers SET name = ? WHERE id = ?", [new_name, layer.id])

    def set_style(self, name: str, style: dict[str, Any]) -> None:
        """Store a layer's style (see :mod:`twin.scene.style`)."""
        layer = self.layer(name)
        with self.writing():
            self.con.execute("UPDATE layers SET style = ? WHERE id = ?", [json.dumps(style, ensure_ascii=False), layer.id])

    def set_layer_fields(self, name: str, *, stage: int | None = ..., service: str | None = ...) -> None:  # type: ignore[assignment]
        """Change a layer's stage and/or service."""
        layer = self.layer(name)
        with self.writing():
            if stage is not ...:
                self.con.execute("UPDATE layers SET stage = ? WHERE id = ?", [stage, layer.id])
            if service is not ...:
                self.con.execute("UPDATE layers SET service = ? WHERE id = ?", [service, layer.id])

    def set_properties(self, name: str, properties: dict[str, Any]) -> None:
        layer = self.layer(name)
        with self.writing():
            self.con.execute(
                "UPDATE layers SET properties = ? WHERE id = ?", [json.dumps(properties, ensure_ascii=False), layer.id]
            )

    def set_order(self, names: list[str]) -> None:
        """Put the layers in this display order (names left out follow in their present order)."""
        current = [layer.name for layer in self.layers()]
        unknown = [n for n in names if n not in current]
        if unknown:
            raise ProjectError(f"no layer named {unknown[0]!r}")
        order = list(dict.fromkeys(names)) + [n for n in current if n not in names]
        with self.transaction() as con:
            for position, name in enumerate(order, start=1):
                con.execute("UPDATE layers SET position = ? WHERE name = ?", [position, name])

    # ----- SQL -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, *, wait: float = 5.0) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection, writable inside the block. A ``shared`` project re-opens its file read-write for
        the block (waiting up to ``wait`` seconds for readers in other processes) and goes back to read-only
        :data:`WRITE_GRACE_S` after its last write (checkpointed), so a burst of writes (a slider) re-opens
        once and other commands can read the file the rest of the time; :meth:`release` goes back at once."""
        with self.lock:
            if self._shared and not self._writing_depth and not self._held_rw:
                self._reconnect(read_only=False, wait=wait)
                self._held_rw = True
            self._writing_depth += 1
            try:
                yield self.con
            finally:
                self._writing_depth -= 1
                if self._shared and not self._writing_depth:
                    self._schedule_release()

    def _schedule_release(self) -> None:
        if self._release_timer is not None:
            self._release_timer.cancel()
        self._release_timer = threading.Timer(WRITE_GRACE_S, self.release)
        self._release_timer.daemon = True
        self._release_timer.start()

    def release(self) -> None:
        """A shared project held read-write after a write: checkpoint and go back to read-only now."""
        with self.lock:
            if self._release_timer is not None:
                self._release_timer.cancel()
                self._release_timer = None
            if not self._held_rw or self._writing_depth or self._closed:
                return
            self.con.execute("CHECKPOINT")
            self._held_rw = False
            self._reconnect(read_only=True, wait=10.0)

    def _reconnect(self, *, read_only: bool, wait: float = 0.0) -> None:
        """Close the connection (and the cursors handed out) and open the file again; on failure to get
        read-write, the read-only connection is restored before the busy line is raised."""
        for cursor in list(self._cursors):
            with contextlib.suppress(duckdb.Error):
                cursor.close()
        self.con.close()
        try:
            self.con = recovery.connect_waiting(self.path, connect, read_only=read_only, wait=wait, **self._options)
        except BaseException:
            if read_only:
                raise
            self.con = recovery.connect_waiting(self.path, connect, read_only=True, wait=10.0, **self._options)
            self.external.register(self.con)
            raise
        self.external.register(self.con)  # registered views belong to a connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: everything inside commits together or not at all."""
        with self.lock, self.writing():
            self.con.execute("BEGIN")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    def query(self, sql: str, params: list | dict | None = None) -> pa.Table:
        """Run SQL (spatial functions available) and return the result as an Arrow table."""
        with self.lock:
            result = self.con.execute(sql, params) if params is not None else self.con.execute(sql)
            if result.description is None:
                return pa.table({})
            return result.to_arrow_table()

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run SQL and return its rows as tuples."""
        with self.lock:
            return self.con.execute(sql, params or []).fetchall()

    def numpy(self, sql: str, params: list | None = None) -> dict[str, np.ndarray]:
        """Run SQL and return its columns as numpy arrays (DuckDB's ``fetchnumpy``)."""
        with self.lock:
            return self.con.execute(sql, params or []).fetchnumpy()

    def has_table(self, name: str) -> bool:
        """True when the file has a table called ``name`` (older projects opened read-only may lack newer ones)."""
        with self.lock:
            return schema.has_table(self.con, name)

    @property
    def read_only(self) -> bool:
        """True when the file was opened read-only (a ``shared`` project is writable: see :meth:`writing`)."""
        if self._shared:
            return False
        with self.lock:
            return schema.is_read_only(self.con)

    # ----- files ---------------------------------------------------------------------------
    def save(self) -> None:
        """Make everything written so far part of the file itself (DuckDB checkpoints its write-ahead log).

        Every change is committed as it is made; this only folds the log into the file, which is what
        a copy of the file needs."""
        if self._shared:
            self.release()  # checkpointed, and readable by other programs again
        elif self.path is not None and not self.read_only:
            with self.lock:
                self.con.execute("CHECKPOINT")

    def save_as(self, target: str | pathlib.Path) -> pathlib.Path:
        """Write a complete copy of the project to ``target`` (``.twin.duckdb`` added when missing) and
        return its path; this project stays open as it is (open the copy to go on working in it)."""
        target = with_project_suffix(target)
        if self.path is not None and target.resolve() == self.path.resolve():
            raise ProjectError(f"{target}: this is the open project; choose another file name")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        tmp.unlink(missing_ok=True)
        with self.lock:
            if self.path is not None:
                self.save()
                shutil.copyfile(self.path, tmp)
            else:  # an in-memory project: let DuckDB write the copy
                literal = "'" + tmp.as_posix().replace("'", "''") + "'"  # ATTACH takes no parameters
                self.con.execute(f"ATTACH {literal} AS twin_copy")
                try:
                    self.con.execute("COPY FROM DATABASE memory TO twin_copy")
                finally:
                    self.con.execute("DETACH twin_copy")
        tmp.replace(target)
        return target

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for another thread (same database, same loaded extensions); a shared project
        closes it when it re-opens the file for a write."""
        with self.lock:
            cursor = self.con.cursor()
            self.external.register(cursor)
            self._cursors.add(cursor)
        return cursor

    def close(self) -> None:
        with self.lock:
            if self._release_timer is not None:
                self._release_timer.cancel()
            self._closed = True
            self.con.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_duckdb_file(path: pathlib.Path) -> None:
    """One clear line for a file that is not a DuckDB database at all (before DuckDB tries to open it)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if len(head) < 12 or head[8:12] != b"DUCK":
        raise ProjectError(f"{path}: not a DuckDB file, so not a Smart City Twin project")


def _normalise_project_crs(crs: str) -> str:
    from twin.crs import is_projected_metric, normalize_crs

    try:
        value = normalize_crs(crs)
    except ValueError as exc:
        raise ProjectError(f"project CRS: {exc}") from exc
    if value is None or not is_projected_metric(value):
        raise ProjectError(f"project CRS {crs} is not a projected CRS in metres (e.g. EPSG:5186)")
    return value
