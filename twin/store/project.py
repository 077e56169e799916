"""A project: one DuckDB file holding the catalogue of layers and their tables."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import pathlib
import shutil
import threading
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

from twin.errors import ProjectError
from twin.store import schema
from twin.store.spatial import connect

PROJECT_SUFFIX = ".twin.duckdb"
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

    @property
    def mesh_table(self) -> str:
        return f"{self.table_name}_mesh"

    def table(self, suffix: str) -> str:
        """Name of an extra table of this layer (e.g. ``track``)."""
        return f"{self.table_name}_{suffix}"

    def summary(self, tz: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
        """The JSON form of ``twin info --json``."""
        span = None
        if self.time_span:
            zone = ZoneInfo(tz)
            span = [t.astimezone(zone).isoformat() for t in self.time_span]
        return {
            "name": self.name,
            "kind": self.kind,
            "stage": self.stage,
            "service": self.service,
            "features": self.feature_count,
            "bbox": list(self.bbox) if self.bbox else None,
            "time_span": span,
        }


_LAYER_COLUMNS = (
    "id, name, kind, stage, service, source_file, source_sha256, source_crs, imported_at, feature_count, "
    "xmin, ymin, xmax, ymax, zmin, zmax, t_start, t_end, table_name, properties, style, position"
)


def _layer_from_row(row: tuple) -> LayerInfo:
    (lid, name, kind, stage, service, src, sha, scrs, at, count, x0, y0, x1, y1, z0, z1, t0, t1, table, props, style, pos) = row
    return LayerInfo(
        id=lid,
        name=name,
        kind=kind,
        stage=stage,
        service=service,
        source_file=src,
        source_sha256=sha,
        source_crs=scrs,
        imported_at=at,
        feature_count=int(count),
        bbox=(x0, y0, x1, y1) if x0 is not None else None,
        zrange=(z0, z1) if z0 is not None else None,
        time_span=(t0, t1) if t0 is not None else None,
        table_name=table,
        properties=json.loads(props or "{}"),
        style=json.loads(style or "{}"),
        position=pos,
    )


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
    ) -> "Project":
        """Open a project file; with ``create`` make it when missing. ``None`` opens an in-memory project.

        ``crs`` fixes the project CRS of a new project (else it is chosen at the first import);
        ``timezone`` is the zone in which source times without an offset are read.
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
        try:
            con = connect(target if target is not None else ":memory:", read_only=read_only and exists)
        except duckdb.Error as exc:
            raise ProjectError(f"{target}: not a Smart City Twin project ({exc})") from exc
        con.execute("SET TimeZone = 'UTC'")
        project = cls(target, con, created=not exists)
        if exists:
            project._check_existing()
        else:
            project._initialise(crs=crs, timezone=timezone)
        if crs and exists and project.crs and project.crs != _normalise_project_crs(crs):
            raise ProjectError(f"{target}: project CRS is {project.crs}; it cannot change to {crs}")
        if crs and exists and not project.crs:
            project.set_meta("crs", _normalise_project_crs(crs))
        return project

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
        version = int(self.meta("schema_version") or 0)
        schema.migrate(self.con, version)

    # ----- metadata ------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        """Value of one ``meta`` entry, or ``None``."""
        with self.lock:
            row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
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
        """All layers in display order."""
        with self.lock:
            rows = self.con.execute(f"SELECT {_LAYER_COLUMNS} FROM layers ORDER BY position, id").fetchall()
        return [_layer_from_row(r) for r in rows]

    def layer(self, name: str) -> LayerInfo:
        """One layer by name; :class:`ProjectError` naming the known layers when missing."""
        with self.lock:
            row = self.con.execute(f"SELECT {_LAYER_COLUMNS} FROM layers WHERE name = ?", [name]).fetchone()
        if row is None:
            known = ", ".join(layer.name for layer in self.layers()) or "none"
            raise ProjectError(f"no layer named {name!r} in {self.path or 'the project'} (layers: {known})")
        return _layer_from_row(row)

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
        return [r[0] for r in rows if r[0] == layer.table_name or r[0].startswith(layer.table_name + "_")]

    def remove_layer(self, name: str) -> None:
        """Drop a layer and its tables (the import provenance is kept)."""
        from twin.store.links import drop_layer_links

        layer = self.layer(name)
        with self.transaction():
            for table in self.layer_tables(layer):
                self.con.execute(f'DROP TABLE "{table}"')
            drop_layer_links(self.con, layer.id)
            self.con.execute("DELETE FROM layers WHERE id = ?", [layer.id])

    def rename_layer(self, name: str, new_name: str) -> None:
        new_name = new_name.strip()
        if not new_name:
            raise ProjectError("a layer name cannot be empty")
        if new_name != name and self.has_layer(new_name):
            raise ProjectError(f"a layer named {new_name!r} already exists")
        layer = self.layer(name)
        with self.lock:
            self.con.execute("UPDATE layers SET name = ? WHERE id = ?", [new_name, layer.id])

    def set_style(self, name: str, style: dict[str, Any]) -> None:
        """Store a layer's style (see :mod:`twin.scene.style`)."""
        layer = self.layer(name)
        with self.lock:
            self.con.execute("UPDATE layers SET style = ? WHERE id = ?", [json.dumps(style, ensure_ascii=False), layer.id])

    def set_layer_fields(self, name: str, *, stage: int | None = ..., service: str | None = ...) -> None:  # type: ignore[assignment]
        """Change a layer's stage and/or service."""
        layer = self.layer(name)
        with self.lock:
            if stage is not ...:
                self.con.execute("UPDATE layers SET stage = ? WHERE id = ?", [stage, layer.id])
            if service is not ...:
                self.con.execute("UPDATE layers SET service = ? WHERE id = ?", [service, layer.id])

    def set_properties(self, name: str, properties: dict[str, Any]) -> None:
        layer = self.layer(name)
        with self.lock:
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
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: everything inside commits together or not at all."""
        with self.lock:
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
        """True when the file was opened read-only."""
        with self.lock:
            return schema.is_read_only(self.con)

    # ----- files ---------------------------------------------------------------------------
    def save(self) -> None:
        """Make everything written so far part of the file itself (DuckDB checkpoints its write-ahead log).

        Every change is committed as it is made; this only folds the log into the file, which is what
        a copy of the file needs."""
        if self.path is not None and not self.read_only:
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
        """A cursor of its own for another thread (same database, same loaded extensions)."""
        return self.con.cursor()

    def close(self) -> None:
        with self.lock:
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
