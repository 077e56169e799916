"""Appending a chunk of rows to a layer table written by an earlier chunk (streamed imports).

Chunks of one file need not have the same columns: an attribute first seen in a later chunk becomes
a new column (earlier rows NULL), a column missing from a chunk is NULL for its rows, and a column
whose type differs between chunks is widened (integers and decimals to DOUBLE, anything else to
VARCHAR) before the rows go in. All of it is decided before the INSERT runs: a failed statement
would abort the import's transaction.
"""

from __future__ import annotations

import re

from twin.layerdata import ImportReport
from twin.store.identifiers import quote, table_ref

NUMERIC = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "FLOAT", "DOUBLE", "BOOLEAN"}
_FEATURE = re.compile(r"^feature (\d+)$")


def _types(con, sql: str) -> dict[str, str]:
    return {row[0]: str(row[1]) for row in con.execute(f"DESCRIBE {sql}").fetchall()}


def insert_by_name(con, table: str, select: str) -> None:
    """``INSERT INTO table BY NAME select`` after adding the select's new columns and widening types."""
    have = _types(con, f"SELECT * FROM {table_ref(table)}")
    incoming = _types(con, select)
    casts = {}
    for name, kind in incoming.items():
        if name not in have:
            con.execute(f"ALTER TABLE {table_ref(table)} ADD COLUMN {quote(name)} {kind}")
            continue
        old = have[name]
        if old == kind:
            continue
        wide = "DOUBLE" if old in NUMERIC and kind in NUMERIC else "VARCHAR"
        if old != wide:
            con.execute(f"ALTER TABLE {table_ref(table)} ALTER COLUMN {quote(name)} TYPE {wide}")
        if kind != wide:
            casts[name] = wide
    if casts:
        columns = ", ".join(f"CAST({quote(n)} AS {t}) AS {quote(n)}" if n in casts else quote(n) for n in incoming)
        select = f"SELECT {columns} FROM ({select})"
    con.execute(f"INSERT INTO {table_ref(table)} BY NAME {select}")


def renumber_skipped(report: ImportReport, since: int, offset: int) -> None:
    """Skips recorded as ``feature N`` (1-based row of a chunk) from ``since`` on: N counted in the whole layer."""
    for item in report.skipped[since:]:
        match = _FEATURE.match(item.where)
        if match:
            item.where = f"feature {int(match.group(1)) + offset}"
