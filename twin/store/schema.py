"""The project schema, its version, and the migrations that bring old projects up to date.

A project is one DuckDB file readable with plain DuckDB (plus the spatial extension for the
geometry columns). Catalogue tables:

- ``meta(key, value)``: ``schema_version``, ``crs`` (project CRS, e.g. ``EPSG:5186``), ``timezone``,
  ``created_at``, ``app_version``.
- ``layers``: one row per layer (name, kind, stage, service, provenance, counts, bbox, time span,
  style, the table that holds its features).
- ``imports``: provenance of every import (file, hash, CRS, time, report), kept after layer removal.
- ``bookmarks`` (version 2): saved views for presenters: camera in the project CRS, optional time,
  visible layers, stage filter, caption (see :mod:`twin.present`).
  Version 4 adds the selected features (JSON ``[[layer name, fid], ...]``) and the stage lens's "what
  changed" view (``stage_changes``).
- ``tours`` (version 2): ordered stops over bookmarks with transition and hold times, as JSON text.
- ``links`` (version 3): computed relations between features of two layers (an incident and the cameras
  that see it, the stations that answer it by road, the pipes an excavation endangers): layer ids and
  feature ids, relation, distance, travel time, the time span over which the link is active, an
  optional route geometry, JSON properties and the linker that made it (see :mod:`twin.store.links`).

Each layer's data lives in ``lyr_<id>`` (features: ``fid``, ``geom`` and attributes with their
original names) and, for 3D objects, ``lyr_<id>_mesh`` (per-feature vertices and triangles).
"""

from __future__ import annotations

import duckdb

SCHEMA_VERSION = 4

CREATE_V1 = [
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE SEQUENCE IF NOT EXISTS layer_ids START 1""",
    """CREATE TABLE IF NOT EXISTS layers (
        id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL UNIQUE,
        kind VARCHAR NOT NULL,
        stage INTEGER CHECK (stage BETWEEN 1 AND 4),
        service VARCHAR,
        source_file VARCHAR,
        source_sha256 VARCHAR,
        source_crs VARCHAR,
        imported_at TIMESTAMPTZ,
        feature_count BIGINT NOT NULL,
        xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE, zmin DOUBLE, zmax DOUBLE,
        t_start TIMESTAMPTZ, t_end TIMESTAMPTZ,
        table_name VARCHAR NOT NULL,
        properties VARCHAR NOT NULL DEFAULT '{}',
        style VARCHAR NOT NULL DEFAULT '{}',
        position INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE SEQUENCE IF NOT EXISTS import_ids START 1""",
    """CREATE TABLE IF NOT EXISTS imports (
        id INTEGER PRIMARY KEY,
        imported_at TIMESTAMPTZ NOT NULL,
        layer VARCHAR NOT NULL,
        source_file VARCHAR,
        source_sha256 VARCHAR,
        source_crs VARCHAR,
        report VARCHAR NOT NULL
    )""",
]

#: version 2: the presenters' bookmarks and tours (twin.present)
CREATE_V2 = [
    """CREATE TABLE IF NOT EXISTS bookmarks (
        name VARCHAR PRIMARY KEY,
        position INTEGER NOT NULL DEFAULT 0,
        camera_position DOUBLE[] NOT NULL,
        focal_point DOUBLE[] NOT NULL,
        view_up DOUBLE[] NOT NULL,
        view_angle DOUBLE NOT NULL,
        parallel_scale DOUBLE,
        t TIMESTAMPTZ,
        layers VARCHAR[],
        stage INTEGER CHECK (stage BETWEEN 1 AND 4),
        caption VARCHAR NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS tours (
        name VARCHAR PRIMARY KEY,
        position INTEGER NOT NULL DEFAULT 0,
        stops VARCHAR NOT NULL DEFAULT '[]',
        description VARCHAR NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
]

#: version 3: links between features across layers (twin.links)
CREATE_V3 = [
    """CREATE TABLE IF NOT EXISTS links (
        linker VARCHAR NOT NULL,
        relation VARCHAR NOT NULL,
        from_layer INTEGER NOT NULL,
        from_fid BIGINT NOT NULL,
        to_layer INTEGER NOT NULL,
        to_fid BIGINT NOT NULL,
        distance_m DOUBLE,
        travel_time_s DOUBLE,
        t_start TIMESTAMPTZ,
        t_end TIMESTAMPTZ,
        route GEOMETRY,
        properties VARCHAR NOT NULL DEFAULT '{}',
        computed_at TIMESTAMPTZ NOT NULL
    )""",
]

#: version 4: a bookmark remembers the selected features (their links are drawn) and the stage lens's view
CREATE_V4 = [
    "ALTER TABLE bookmarks ADD COLUMN IF NOT EXISTS selection VARCHAR DEFAULT '[]'",
    "ALTER TABLE bookmarks ADD COLUMN IF NOT EXISTS stage_changes BOOLEAN DEFAULT FALSE",
]

# version -> statements that upgrade a project from that version to version + 1
MIGRATIONS: dict[int, list[str]] = {1: CREATE_V2, 2: CREATE_V3, 3: CREATE_V4}


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create the catalogue of a new project at the current schema version."""
    for statement in CREATE_V1:
        con.execute(statement)
    for version in range(1, SCHEMA_VERSION):
        for statement in MIGRATIONS[version]:
            con.execute(statement)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def migrate(con: duckdb.DuckDBPyConnection, version: int) -> int:
    """Upgrade a project from ``version`` to the current schema in one transaction; return the new version.

    A project opened read-only is left as it is (its version is returned): readers of newer tables
    must treat them as empty when absent (see :func:`has_table`).
    """
    if version > SCHEMA_VERSION:
        from twin.errors import ProjectError

        raise ProjectError(
            f"project schema version {version} is newer than this app supports ({SCHEMA_VERSION}): update Smart City Twin"
        )
    if version == SCHEMA_VERSION or is_read_only(con):
        return version
    con.execute("BEGIN")
    try:
        for v in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[v]:
                con.execute(statement)
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def is_read_only(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the connection's database was opened read-only."""
    row = con.execute("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(row and row[0])


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the project has a table called ``name`` (older projects opened read-only may lack newer ones)."""
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0] > 0
