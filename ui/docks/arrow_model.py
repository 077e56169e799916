"""A read-only Qt table model over an Arrow table (query results): cells are converted lazily, only
for the rows the view paints; geometry columns are shown as WKT (:func:`twin.tabular.results.with_wkt`)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import shapely
from PySide6 import QtCore, QtGui

from twin.tabular.results import geometry_columns, with_wkt

MAX_WKT_CHARS = 200
BLOCK = 256  # rows converted to Python at a time


class ArrowTableModel(QtCore.QAbstractTableModel):
    """Arrow table -> QTableView. Keeps the raw table (with WKB geometries) for selections."""

    def __init__(self, table: pa.Table | None = None, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._table = pa.table({})
        self._geometry: set[int] = set()
        self._blocks: dict[tuple[int, int], list] = {}
        if table is not None:
            self.set_table(table)

    @property
    def table(self) -> pa.Table:
        """The raw result (geometry columns still WKB)."""
        return self._table

    def set_table(self, table: pa.Table) -> None:
        self.beginResetModel()
        self._table = table
        self._geometry = {table.column_names.index(name) for name in geometry_columns(table)}
        self._blocks = {}
        self.endResetModel()

    def geometry_column_names(self) -> list[str]:
        return [self._table.column_names[i] for i in sorted(self._geometry)]

    # ----- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else self._table.num_rows

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._table.num_columns

    def headerData(self, section: int, orientation: QtCore.Qt.Orientation,  # noqa: N802
                   role: int = QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            if orientation == QtCore.Qt.Orientation.Horizontal:
                return self._table.column_names[section]
            return str(section + 1)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole and orientation == QtCore.Qt.Orientation.Horizontal:
            field = self._table.schema.field(section)
            kind = "GEOMETRY (shown as WKT)" if section in self._geometry else str(field.type)
            return f"{field.name}: {kind}"
        return None

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.ToolTipRole):
            value = self._value(index.row(), index.column())
            text = format_value(value)
            if role == QtCore.Qt.ItemDataRole.ToolTipRole:
                return text if len(text) > 40 else None
            return text if len(text) <= MAX_WKT_CHARS else text[: MAX_WKT_CHARS - 1] + "…"
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            if pa.types.is_integer(self._table.schema.field(index.column()).type) or pa.types.is_floating(
                    self._table.schema.field(index.column()).type):
                return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and self._value(index.row(), index.column()) is None:
            return QtGui.QBrush(QtGui.QColor("#999999"))
        return None

    # ----- values --------------------------------------------------------------------------
    def _value(self, row: int, column: int):
        key = (column, row // BLOCK)
        block = self._blocks.get(key)
        if block is None:
            chunk = self._table.select([column]).slice(key[1] * BLOCK, BLOCK)
            if column in self._geometry:
                chunk = with_wkt(chunk)
            block = chunk.column(0).to_pylist()
            if len(self._blocks) > 4096:
                self._blocks.clear()
            self._blocks[key] = block
        return block[row % BLOCK]

    def row_values(self, row: int) -> dict[str, object]:
        """One row as ``{column: Python value}`` (geometries as shapely objects)."""
        out = {}
        for column, name in enumerate(self._table.column_names):
            value = self._table.column(column)[row].as_py()
            if column in self._geometry and value is not None:
                value = shapely.from_wkb(value)
            out[name] = value
        return out


def format_value(value: object) -> str:
    """Cell text: NULL for missing values, compact floats, ISO times."""
    if value is None:
        return "NULL"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.3f}"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        shown = ", ".join(format_value(v) for v in items[:8])
        return f"[{shown}{', …' if len(items) > 8 else ''}]"
    return str(value)
