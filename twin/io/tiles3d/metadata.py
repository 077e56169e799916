"""A layer's attributes as 3D Tiles metadata: an EXT_structural_metadata class and binary property tables.

Arrow types map to metadata types: integers to INT32 (INT64 when a value does not fit), floats to
FLOAT64, booleans to BOOLEAN bitstreams, everything else to STRING (its text). Nulls become the
property's ``noData`` value. Property ids must be ASCII identifiers; the original names (Korean,
Japanese...) are kept as each property's ``name``. Columns are converted whole with Arrow compute:
there is no Python loop per feature.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT32 = (-(2**31), 2**31 - 1)
NO_DATA = {"INT32": _INT32[0], "INT64": -(2**63), "FLOAT64": -1.7976931348623157e308, "STRING": ""}


@dataclasses.dataclass(frozen=True)
class Property:
    """One exported column: its column name, its metadata id and type."""

    column: str
    id: str
    type: str  # SCALAR, BOOLEAN or STRING
    component: str | None  # INT32, INT64, FLOAT64 for SCALAR
    nullable: bool

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.column, "type": self.type}
        if self.component:
            out["componentType"] = self.component
        if self.nullable and self.type != "BOOLEAN":
            out["noData"] = NO_DATA[self.component or "STRING"]
        return out


def class_id(layer_id: int) -> str:
    """The metadata class of a layer: ``layer_<id>`` (layer names need not be identifiers)."""
    return f"layer_{int(layer_id)}"


def properties_of(table: pa.Table) -> list[Property]:
    """The metadata properties of a layer's attribute table (all its columns)."""
    out: list[Property] = []
    used: set[str] = set()
    for index, field in enumerate(table.schema):
        column = table.column(field.name)
        pid = field.name if _IDENTIFIER.fullmatch(field.name) else f"p{index}"
        while pid in used:
            pid = f"{pid}_{index}"
        used.add(pid)
        nullable = column.null_count > 0
        kind = field.type
        if pa.types.is_boolean(kind):
            out.append(Property(field.name, pid, "BOOLEAN", None, nullable))
        elif pa.types.is_integer(kind):
            extremes = pc.min_max(column)
            low, high = extremes["min"].as_py(), extremes["max"].as_py()
            fits = low is None or (_INT32[0] < low and high <= _INT32[1])
            out.append(Property(field.name, pid, "SCALAR", "INT32" if fits else "INT64", nullable))
        elif pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            out.append(Property(field.name, pid, "SCALAR", "FLOAT64", nullable))
        else:
            out.append(Property(field.name, pid, "STRING", None, nullable))
    return out


def schema(classes: dict[str, tuple[str, list[Property]]]) -> dict[str, Any]:
    """The EXT_structural_metadata schema of ``{class id: (layer name, properties)}``."""
    return {
        "id": "smartcity_twin",
        "classes": {
            cid: {"name": name, "properties": {p.id: p.schema() for p in props}}
            for cid, (name, props) in classes.items()
        },
    }


def property_table(rows: pa.Table, cid: str, props: list[Property], add_view: Callable[[bytes], int]) -> dict[str, Any]:
    """The property table of ``rows`` (one per feature id of the tile); ``add_view`` stores bytes, returns a bufferView."""
    out: dict[str, Any] = {}
    for prop in props:
        column = rows.column(prop.column)
        if prop.type == "BOOLEAN":
            values = pc.fill_null(column, False).to_numpy(zero_copy_only=False).astype(bool)
            out[prop.id] = {"values": add_view(np.packbits(values, bitorder="little").tobytes())}
        elif prop.type == "SCALAR":
            dtype = {"INT32": np.int32, "INT64": np.int64, "FLOAT64": np.float64}[prop.component]
            filled = pc.fill_null(column, NO_DATA[prop.component]) if prop.nullable else column
            values = filled.to_numpy(zero_copy_only=False).astype(dtype)
            out[prop.id] = {"values": add_view(values.tobytes())}
        else:
            text = _as_text(column)
            offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]
            data = text.buffers()[2]
            body = data.to_pybytes()[offsets[0]:offsets[-1]] if data is not None else b""
            out[prop.id] = {"values": add_view(body),
                            "stringOffsets": add_view((offsets - offsets[0]).astype(np.uint32).tobytes()),
                            "stringOffsetType": "UINT32"}
    return {"class": cid, "count": rows.num_rows, "properties": out}


def _as_text(column: pa.ChunkedArray) -> pa.StringArray:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    try:
        text = pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # lists, structs, maps: their JSON text
        text = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in array.to_pylist()],
                        type=pa.string())
    return pc.fill_null(text, "")
