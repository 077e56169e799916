"""City object attributes as Arrow columns: all of them as one JSON column, scalar ones also as columns.

The JSON column keeps every attribute with its original key and type (Japanese and Korean keys
included) and is queryable in DuckDB (``attributes->>'measuredHeight'``). Attributes whose values
have one scalar type across the layer are also lifted to typed columns of the same name.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

#: columns the importer writes itself; attributes of these names stay in the JSON column only
RESERVED = ("geometry", "object_id", "object_type", "parent_fid", "parent_id", "height", "lods",
            "attributes", "fid", "geom")
MAX_COLUMNS = 100


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits
        return json.dumps(value, ensure_ascii=False).encode("utf-8")


def json_column(attributes: list[Any]) -> pa.Array:
    """One JSON text per object (null without attributes), typed as JSON for DuckDB.

    The texts go into one growing buffer: orjson's short-lived output objects are freed at once
    (kept as 100k separate bytes objects they cost about 4 KB each in RSS).
    """
    data = bytearray()
    ends = array("q", [0])
    valid = np.ones(len(attributes), bool)
    for i, value in enumerate(attributes):
        if value is None:
            valid[i] = False
        else:
            data += _dumps(value)
        ends.append(len(data))
    offsets = np.frombuffer(ends, np.int64)
    wide = len(data) >= 2**31
    storage = (pa.LargeStringArray if wide else pa.StringArray).from_buffers(
        len(attributes), pa.py_buffer(offsets if wide else offsets.astype(np.int32)), pa.py_buffer(data),
        pa.py_buffer(np.packbits(valid, bitorder="little")) if not valid.all() else None,
    )
    return pa.ExtensionArray.from_storage(pa.json_(storage.type), storage)


def _scalar(dtype: pa.DataType) -> bool:
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_boolean(dtype) or \
        pa.types.is_string(dtype) or pa.types.is_large_string(dtype)


def _inferred(dicts: list[dict | None]) -> dict[str, pa.Array]:
    """Columns by key, inferred by Arrow in one pass; per key when the types clash across objects."""
    try:
        struct = pa.array(dicts)
        return {field.name: column for field, column in zip(struct.type, struct.flatten())}  # nulls kept
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    keys = Counter()
    for d in dicts:
        if d:
            keys.update(d.keys())
    columns = {}
    for key, _ in keys.most_common(4 * MAX_COLUMNS):
        try:
            columns[key] = pa.array([d.get(key) if d else None for d in dicts])
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            continue  # mixed types: the JSON column keeps them
    return columns


def lifted_columns(attributes: list[Any], *, taken: tuple[str, ...] = RESERVED) -> tuple[dict[str, pa.Array], list[str]]:
    """Typed columns for attributes with one scalar type, and the keys left in the JSON column only."""
    dicts = [a if isinstance(a, dict) and a else None for a in attributes]
    if not any(dicts):
        return {}, []
    used = {name.lower() for name in taken}
    out: dict[str, pa.Array] = {}
    left = []
    for name, column in _inferred(dicts).items():
        if len(out) >= MAX_COLUMNS or not _scalar(column.type) or column.null_count == len(column) \
                or name.lower() in used or not name.strip():
            left.append(name)
            continue
        used.add(name.lower())
        out[name] = column
    return out, left
