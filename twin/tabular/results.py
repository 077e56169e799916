"""Arrow results made readable: geometry columns as WKT, values as plain Python."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely


def geometry_columns(table: pa.Table) -> list[str]:
    """Names of columns holding WKB geometries (DuckDB GEOMETRY arrives as ``geoarrow.wkb``)."""
    out = []
    for field in table.schema:
        meta = field.metadata or {}
        if meta.get(b"ARROW:extension:name") == b"geoarrow.wkb":
            out.append(field.name)
    return out


def with_wkt(table: pa.Table, *, max_chars: int | None = None) -> pa.Table:
    """Replace geometry columns by their WKT text (optionally shortened)."""
    for name in geometry_columns(table):
        wkb = table.column(name).to_numpy(zero_copy_only=False)
        wkt = shapely.to_wkt(shapely.from_wkb(wkb), rounding_precision=3)
        if max_chars:
            wkt = np.array([w if w is None or len(w) <= max_chars else w[: max_chars - 3] + "..." for w in wkt], dtype=object)
        index = table.column_names.index(name)
        table = table.set_column(index, pa.field(name, pa.string()), pa.array(wkt, type=pa.string()))
    return table
