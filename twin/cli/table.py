"""``twin query``'s table output: SQL NULL shown as ``NULL``, columns aligned by display width.

Hangul and other wide characters take two terminal columns; padding by ``len`` misaligns them, so widths
come from :func:`wcwidth.wcswidth`. Numbers are right-aligned, everything else left-aligned; text from the
project is shown with its control characters made visible (:func:`twin.printable.visible`).
"""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
from wcwidth import wcswidth

from twin.printable import visible

NULL = "NULL"


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (wide characters count two)."""
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def cell_text(value) -> str:
    """One value as the table shows it."""
    if value is None:
        return NULL
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else format(value, ".10g")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return visible(str(value))


def format_table(table: pa.Table) -> str:
    """``table`` as aligned text: a header line, then one line per row."""
    names = [visible(name) for name in table.column_names]
    columns = [[cell_text(v) for v in table.column(i).to_pylist()] for i in range(table.num_columns)]
    numeric = [pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
               for t in table.schema.types]
    widths = [max([display_width(name)] + [display_width(c) for c in cells]) for name, cells in zip(names, columns)]

    def line(cells: list[str]) -> str:
        parts = []
        for text, width, right in zip(cells, widths, numeric):
            pad = " " * (width - display_width(text))
            parts.append(pad + text if right else text + pad)
        return "  ".join(parts).rstrip()

    rows = [line(names)]
    rows.extend(line([column[r] for column in columns]) for r in range(table.num_rows))
    return "\n".join(rows)
