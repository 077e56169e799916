"""The ``links`` table: relations between features of two layers, computed by linkers (:mod:`twin.links`).

A link row says that feature ``from_fid`` of layer ``from_layer`` relates to feature ``to_fid`` of
``to_layer`` (``relation``: ``seen_by``, ``nearest_fire_station``, ``at_risk``...), with a distance, a
travel time, the time span over which it is active, an optional route geometry (the project CRS) and JSON
properties (a ``rank`` property orders a feature's links of one relation: gas mains before water pipes).
Layers are stored by id (a rename keeps the links; removing a layer drops its links) and
given back by name. Each linker's links are replaced as a whole, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

from twin.errors import ProjectError
from twin.store.project import Project

#: what a linker hands back: one row per link, layers by name, route as WKB (or null)
LINK_SCHEMA = pa.schema([
    ("relation", pa.string()),
    ("from_layer", pa.string()),
    ("from_fid", pa.int64()),
    ("to_layer", pa.string()),
    ("to_fid", pa.int64()),
    ("distance_m", pa.float64()),
    ("travel_time_s", pa.float64()),
    ("t_start", pa.timestamp("us", tz="UTC")),
    ("t_end", pa.timestamp("us", tz="UTC")),
    ("route", pa.binary()),
    ("properties", pa.string()),
])

_READ = """
SELECT k.relation, f.name AS from_layer, k.from_fid, t.name AS to_layer, k.to_fid, k.distance_m, k.travel_time_s,
       k.t_start, k.t_end, ST_AsWKB(k.route) AS route, k.properties, k.linker
FROM links k JOIN layers f ON f.id = k.from_layer JOIN layers t ON t.id = k.to_layer
"""


def empty_links() -> pa.Table:
    """A links table with no rows (the schema a linker returns)."""
    return LINK_SCHEMA.empty_table()


def conform(table: pa.Table, *, linker: str) -> pa.Table:
    """``table`` with exactly :data:`LINK_SCHEMA` (missing optional columns null); ProjectError naming the linker
    and the column otherwise."""
    columns = {}
    for field in LINK_SCHEMA:
        if field.name in table.column_names:
            try:
                columns[field.name] = table.column(field.name).cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ProjectError(f"linker {linker!r}: column {field.name!r} is not {field.type} ({exc})") from None
        elif field.name in ("relation", "from_layer", "from_fid", "to_layer", "to_fid"):
            raise ProjectError(f"linker {linker!r}: its links lack the column {field.name!r}")
        else:
            columns[field.name] = pa.nulls(table.num_rows, field.type)
    out = pa.table(columns, schema=LINK_SCHEMA)
    if out.num_rows and out.column("properties").null_count:
        props = [p if p is not None else "{}" for p in out.column("properties").to_pylist()]
        out = out.set_column(out.schema.get_field_index("properties"), "properties", pa.array(props, pa.string()))
    return out


def write_links(project: Project, linker: str, table: pa.Table) -> int:
    """Replace every link ``linker`` made with ``table`` (one transaction); returns the number written."""
    table = conform(table, linker=linker)
    names = {layer.name: layer.id for layer in project.layers()}
    wanted = set(table.column("from_layer").to_pylist()) | set(table.column("to_layer").to_pylist())
    unknown = sorted(n for n in wanted if n not in names)
    if unknown:
        raise ProjectError(f"linker {linker!r}: no layer named {unknown[0]!r}")
    ids = pa.table({"name": list(names), "id": list(names.values())})
    now = dt.datetime.now(dt.timezone.utc)
    with project.transaction() as con:
        con.execute("DELETE FROM links WHERE linker = ?", [linker])
        if table.num_rows:
            con.register("_twin_links", table)
            con.register("_twin_layer_ids", ids)
            try:
                con.execute(
                    "INSERT INTO links SELECT ?, l.relation, f.id, l.from_fid, t.id, l.to_fid, l.distance_m, "
                    "l.travel_time_s, l.t_start, l.t_end, "
                    "CASE WHEN l.route IS NULL THEN NULL ELSE ST_GeomFromWKB(l.route) END, l.properties, ? "
                    "FROM _twin_links l JOIN _twin_layer_ids f ON f.name = l.from_layer "
                    "JOIN _twin_layer_ids t ON t.name = l.to_layer",
                    [linker, now])
            finally:
                con.unregister("_twin_links")
                con.unregister("_twin_layer_ids")
    return table.num_rows


def read_links(project, *, layer: str | None = None, fids=None, linker: str | None = None,
               both_ways: bool = True) -> pa.Table:
    """Links of ``layer`` (and of its features ``fids``), as rows of :data:`LINK_SCHEMA` plus ``linker``,
    layers by name. ``both_ways``: also the links that point at those features. ``project`` may be a
    read-only :class:`twin.store.reader.ProjectReader`."""
    if not project.has_table("links"):
        return empty_links().append_column("linker", pa.array([], pa.string()))
    where, params = [], []
    if layer is not None:
        info = project.layer(layer)
        ids = None if fids is None else [int(f) for f in fids]
        outgoing = "k.from_layer = ?" + ("" if ids is None else " AND list_contains(?, k.from_fid)")
        incoming = "k.to_layer = ?" + ("" if ids is None else " AND list_contains(?, k.to_fid)")
        side_params = [info.id] + ([] if ids is None else [ids])
        if both_ways:
            where.append(f"(({outgoing}) OR ({incoming}))")
            params += side_params + side_params
        else:
            where.append(f"({outgoing})")
            params += side_params
    if linker is not None:
        where.append("k.linker = ?")
        params.append(linker)
    sql = _READ + (" WHERE " + " AND ".join(where) if where else "") + \
        (" ORDER BY f.name, k.from_fid, k.relation, TRY_CAST(json_extract_string(k.properties, '$.rank') AS INTEGER) "
         "NULLS LAST, k.travel_time_s NULLS LAST, k.distance_m NULLS LAST, t.name, k.to_fid")
    return project.query(sql, params)


def drop_layer_links(con, layer_id: int) -> None:
    """Remove the links of a layer that is being removed (inside the caller's transaction)."""
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'links'").fetchone()[0]:
        con.execute("DELETE FROM links WHERE from_layer = ? OR to_layer = ?", [layer_id, layer_id])


def properties_of(text: str | None) -> dict:
    """The JSON properties of a link (a bad value reads as no properties)."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
