"""A read-only view of an open project: what plugins, panels, the scene and the SQL console may use.

:class:`ProjectReader` gives the catalogue (layers, CRS, time zone), queries that return Arrow tables or
numpy arrays, and the time-sorted samples of a track layer, but not the DuckDB connection: each query
must be exactly one statement that reads (``SELECT``, ``WITH ... SELECT``, ``FROM``, ``DESCRIBE``,
``SUMMARIZE``, ``EXPLAIN`` of a SELECT; :func:`twin.store.statements.check_reading`). Anything else
(``DROP``, ``COPY``, ``ATTACH``, ``INSTALL``, ``SET``, ``PRAGMA``, ``EXPLAIN ANALYZE DELETE``, several
statements) is refused with :class:`ReadOnlyError` before it runs; and the connection of a project file
reaches no other file (docs/security.md).
"""

from __future__ import annotations

import pathlib
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from twin.errors import ProjectError
from twin.store.project import LayerInfo, Project
from twin.store.statements import READING, StatementRefused, check_reading

__all__ = ["READING", "ProjectReader", "ReadOnlyError"]


class ReadOnlyError(StatementRefused):
    """A statement that would change the project (or do more than read) was refused."""


class ProjectReader:
    """Read-only access to one :class:`~twin.store.project.Project` (see the module docstring)."""

    def __init__(self, project: Project) -> None:
        self._project = project

    # ----- the catalogue -------------------------------------------------------------------
    @property
    def path(self) -> pathlib.Path | None:
        return self._project.path

    @property
    def crs(self) -> str | None:
        """The project CRS (``EPSG:NNNN``), or ``None`` before the first import."""
        return self._project.crs

    @property
    def timezone(self) -> str:
        return self._project.timezone

    def meta(self, key: str) -> str | None:
        return self._project.meta(key)

    def layers(self) -> list[LayerInfo]:
        """Every layer in display order."""
        return self._project.layers()

    def layer(self, name: str) -> LayerInfo:
        """One layer by name; ProjectError naming the known layers when missing."""
        return self._project.layer(name)

    def has_layer(self, name: str) -> bool:
        return self._project.has_layer(name)

    def has_table(self, name: str) -> bool:
        return self._project.has_table(name)

    @property
    def external(self):
        """The layers that live in dataset folders, as reached at open (:class:`twin.store.datasets.ExternalLayers`)."""
        return self._project.external

    def layer_tables(self, layer: LayerInfo) -> list[str]:
        """The data tables of a layer (features, mesh, tracks...)."""
        return self._project.layer_tables(layer)

    # ----- queries ---------------------------------------------------------------------------
    def check(self, sql: str) -> None:
        """Raise :class:`ReadOnlyError` unless ``sql`` is exactly one statement that reads."""
        try:
            with self._project.lock:
                check_reading(self._project.con, sql)
        except StatementRefused as exc:
            raise ReadOnlyError(str(exc)) from None

    def query(self, sql: str, params: list | dict | None = None) -> pa.Table:
        """Run one reading statement; the result as an Arrow table."""
        self.check(sql)
        return self._project.query(sql, params)

    def numpy(self, sql: str, params: list | None = None) -> dict[str, np.ndarray]:
        """Run one reading statement; the columns as numpy arrays."""
        self.check(sql)
        return self._project.numpy(sql, params)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run one reading statement; the rows as tuples."""
        self.check(sql)
        return self._project.rows(sql, params)

    def cursor_query(self, sql: str) -> tuple["duckdb.DuckDBPyConnection", Any]:
        """Start one reading statement on a cursor of its own (for a worker thread; the caller may
        ``interrupt()`` the cursor and must close it). Returns (cursor, result)."""
        self.check(sql)
        cursor = self._project.cursor()
        try:
            return cursor, cursor.execute(sql)  # in UTC: the connection's global TimeZone (spatial.connect)
        except BaseException:
            cursor.close()
            raise

    # ----- tracks ----------------------------------------------------------------------------
    def track(self, layer: str | LayerInfo, start=None, end=None, *, columns: str = "*") -> pa.Table:
        """The samples of a temporal layer's ``track`` table between ``start`` and ``end`` (timezone-aware
        datetimes, either may be ``None``), in time order. ``columns`` is a column list (``"fid, t, x, y"``)."""
        info = layer if isinstance(layer, LayerInfo) else self.layer(layer)
        table, ref = info.table("track"), info.ref("track")  # ProjectError naming the field when broken
        if table not in self.layer_tables(info):
            raise ProjectError(f"layer {info.name!r} ({info.kind}) has no track table")
        where, params = [], []
        if start is not None:
            where.append("t >= ?")
            params.append(start)
        if end is not None:
            where.append("t <= ?")
            params.append(end)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return self.query(f"SELECT {columns} FROM {ref}{clause} ORDER BY t", params)

    def __repr__(self) -> str:
        return f"ProjectReader({str(self.path) if self.path else 'in memory'!r})"
