"""The partitioned dataset format (docs/batch.md): GeoParquet files and the ``twin-dataset.json`` manifest."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from twin.io.atomic import write_bytes

MANIFEST = "twin-dataset.json"
MAX_SPAN_DEG = 15.0  # sources spanning more than this (degrees) need an explicit --crs (Korea: about 8 x 6)
FORMAT = "smart-city-twin-dataset"
VERSION = 1

#: the columns every buildings file starts and ends with, in this order
BUILDING_HEAD = [("fid", pa.int64()), ("id", pa.string()), ("height", pa.float64()), ("zmin", pa.float64()),
                 ("storeys", pa.int32())]
BUILDING_TAIL = [("vertices", pa.list_(pa.float64())), ("triangles", pa.list_(pa.int32())),
                 ("surfaces", pa.list_(pa.uint8())), ("geometry", pa.binary())]
#: names the dataset uses itself (and the hive keys): source attributes of these names become ``<name>_src``
RESERVED = {name for name, _ in BUILDING_HEAD + BUILDING_TAIL} | {"tile", "date"}


def attribute_name(name: str, taken: set[str]) -> str:
    """A source attribute's name in the dataset: kept, or ``<name>_src`` when the dataset uses it."""
    new = name
    while new.lower() in RESERVED or (new != name and new in taken):
        new = f"{new}_src"
    return new


def unify_types(types: list[pa.DataType]) -> pa.DataType:
    """One type for a column seen with ``types`` in different chunks or files (text when they disagree)."""
    known = [t for t in types if not pa.types.is_null(t)]
    if not known:
        return pa.string()
    if all(t == known[0] for t in known):
        return known[0]
    if all(pa.types.is_integer(t) or pa.types.is_boolean(t) for t in known):
        return pa.int64()
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) for t in known):
        return pa.float64()
    if all(pa.types.is_string(t) or pa.types.is_large_string(t) for t in known):
        return pa.string()
    return pa.string()


def unified_schema(schemas: list[pa.Schema], head: list, tail: list) -> pa.Schema:
    """``head`` columns, then every other column in first-seen order with its unified type, then ``tail``."""
    fixed = {name for name, _ in head + tail}
    seen: dict[str, list[pa.DataType]] = {}
    for schema in schemas:
        for field in schema:
            if field.name not in fixed:
                seen.setdefault(field.name, []).append(field.type)
    fields = [pa.field(n, t) for n, t in head]
    fields += [pa.field(name, unify_types(types)) for name, types in seen.items()]
    fields += [pa.field(n, t) for n, t in tail]
    return pa.schema(fields)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns and types (missing columns null)."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            columns.append(column if column.type == field.type else column.cast(field.type, safe=False))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def geo_metadata(crs: str, bbox: list[float], geometry_types: list[str]) -> bytes:
    """The GeoParquet 1.1 ``geo`` key: WKB ``geometry`` in ``crs`` (as PROJJSON)."""
    import pyproj

    column = {"encoding": "WKB", "geometry_types": geometry_types,
              "crs": pyproj.CRS.from_user_input(crs).to_json_dict(), "bbox": bbox}
    return json.dumps({"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}).encode()


def write_parquet(table: pa.Table, path: pathlib.Path, *, geo: bytes | None = None) -> int:
    """Write one part file (zstd, row groups of 20k rows); returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if geo is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"geo": geo})
    pq.write_table(table, path, compression="zstd", row_group_size=20_000)
    return path.stat().st_size


def type_strings(schema: pa.Schema) -> dict[str, str]:
    """``{column: arrow type string}`` for the manifest."""
    return {field.name: str(field.type) for field in schema}


def union_box(boxes: list[list[float] | None]) -> list[float] | None:
    arr = np.array([b for b in boxes if b], dtype=float)
    if not len(arr):
        return None
    return [float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max())]


def union_range(ranges: list[list[float] | None]) -> list[float] | None:
    arr = np.array([r for r in ranges if r], dtype=float)
    return [float(arr[:, 0].min()), float(arr[:, 1].max())] if len(arr) else None


def check_out(out: pathlib.Path) -> None:
    """``--out`` may be new, an empty folder or a previous dataset (replaced whole); anything else is refused."""
    from twin.errors import TwinError

    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise TwinError(f"{out}: a folder that is not a dataset (no {MANIFEST}) is in the way; choose another --out")
    if out.exists() and not out.is_dir():
        raise TwinError(f"{out}: a file is in the way; choose another --out")


def choose_crs(lonlat_boxes: list[list[float] | None]) -> str:
    """The dataset CRS a project would choose from the data's centre; sources far apart are refused."""
    from twin.crs import choose_project_crs
    from twin.errors import TwinError

    box = union_box(lonlat_boxes)
    if box is None:
        raise TwinError("no usable feature in the sources")
    if box[2] - box[0] > MAX_SPAN_DEG or box[3] - box[1] > MAX_SPAN_DEG:
        raise TwinError(f"the sources lie far apart (lon {box[0]:.1f}..{box[2]:.1f}, lat {box[1]:.1f}..{box[3]:.1f}): "
                        "make one dataset per region, or give the dataset CRS with --crs")
    return choose_project_crs((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def write_manifest(folder: pathlib.Path, **fields: Any) -> dict:
    """Write ``twin-dataset.json`` (last, once every part is written) and return it."""
    manifest = {"format": FORMAT, "version": VERSION, **fields,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    write_bytes(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def read_manifest(folder: str | pathlib.Path) -> dict:
    """The manifest of a dataset folder."""
    return json.loads((pathlib.Path(folder) / MANIFEST).read_text(encoding="utf-8"))
