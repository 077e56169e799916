"""What the ``sensor-readings`` panel shows, as plain queries (no Qt): the sensor behind a selection, its
readings at a time and the series of the last 24 hours.

A selection names a sensor in two ways: a feature of a ``sensors`` layer (its ``object_id``), or a facility
(a point, polygon or building) that a ``sensors`` layer colours, joined by the key column the readings name
in ``properties["join"]`` (the same join as the 3D view, :func:`twin.api.join_target`). Keys are compared as
trimmed text, so ``478344684`` matches ``"478344684"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from twin.api import LayerInfo, ProjectReader, SelectedFeatures, join_target, quote_identifier

SERIES_HOURS = 24


@dataclasses.dataclass(frozen=True)
class SensorReadings:
    """One sensor's readings at (or just before) a time, and its main value over the hours before."""

    key: str  # the sensor id (``object_id`` of the readings layer)
    layer: str  # the readings layer
    time: dt.datetime | None  # of the reading shown (UTC); None when the sensor has none before the time
    values: dict[str, float | None]  # reading column -> value (None: missing)
    value: str  # the column that colours the map (``properties["track"]["value"]``)
    series: list[tuple[dt.datetime, float | None]]  # that column over the SERIES_HOURS before ``time``
    timed: bool = True  # False for a static profile (readings without time: the mean per sensor)


def sensors_layers(project: ProjectReader) -> list[LayerInfo]:
    """The project's sensor readings layers, in catalogue order."""
    return [layer for layer in project.layers() if layer.kind == "sensors"]


def sensor_of(project: ProjectReader, selection: SelectedFeatures) -> tuple[LayerInfo, str] | None:
    """The readings layer and sensor id behind a selection (a sensor reading, or a facility it colours)."""
    if not selection:
        return None
    layer = project.layer(selection.layer)
    if layer.kind == "sensors":
        rows = project.rows(f"SELECT object_id FROM {layer.ref()} WHERE fid = ?", [selection.fid])
        return (layer, rows[0][0]) if rows else None
    for readings in sensors_layers(project):
        target = join_target(project, readings)
        if target is None or target.id != layer.id:
            continue
        column = _column(project, layer, readings.properties["join"]["key"])
        rows = project.rows(f"SELECT trim(CAST({quote_identifier(column)} AS VARCHAR)) FROM {layer.ref()} WHERE fid = ?",
                            [selection.fid])
        if not rows or rows[0][0] is None:
            continue
        hit = project.rows(f"SELECT 1 FROM {readings.ref()} WHERE object_id = ? LIMIT 1", [rows[0][0]])
        if hit:
            return readings, rows[0][0]
    return None


def value_columns(project: ProjectReader, layer: LayerInfo) -> list[str]:
    """The numeric reading columns of a sensors layer's track table, the colouring one first."""
    schema = project.query(f"SELECT * EXCLUDE (fid, t) FROM {layer.ref('track')} LIMIT 0").schema
    numeric = [f.name for f in schema if _is_number(f.type)]
    main = layer.properties.get("track", {}).get("value")
    return sorted(numeric, key=lambda name: name != main)


def readings_at(project: ProjectReader, layer: LayerInfo, key: str, at: dt.datetime | None, *,
                hours: int = SERIES_HOURS) -> SensorReadings:
    """The sensor's last reading at or before ``at`` (the latest when ``at`` is None) and its recent series.

    For readings without time (a static profile) the values are the sensor's means and the series is empty.
    """
    columns = value_columns(project, layer)
    main = layer.properties.get("track", {}).get("value") or (columns[0] if columns else "")
    timed = bool(layer.properties.get("track", {}).get("timed", True))
    track, features = layer.ref("track"), layer.ref()
    picked = ", ".join(f"r.{quote_identifier(c)}" for c in columns) or "NULL AS none"
    if not timed:
        means = ", ".join(f"avg(r.{quote_identifier(c)}) AS {quote_identifier(c)}" for c in columns) or "NULL AS none"
        row = project.query(f"SELECT {means} FROM {track} r JOIN {features} f USING (fid) WHERE f.object_id = ?",
                            [key]).to_pylist()[0]
        return SensorReadings(key, layer.name, None, {c: row[c] for c in columns}, main, [], timed=False)
    where, params = ("AND r.t <= ?", [key, at]) if at is not None else ("", [key])
    rows = project.query(
        f"SELECT r.t, {picked} FROM {track} r JOIN {features} f USING (fid) "
        f"WHERE f.object_id = ? {where} ORDER BY r.t DESC LIMIT 1", params).to_pylist()
    latest = rows[0] if rows else None
    series: list[tuple[dt.datetime, float | None]] = []
    if latest is not None and main:
        start = latest["t"] - dt.timedelta(hours=hours)
        series = [(r["t"], r["v"]) for r in project.query(
            f"SELECT r.t, r.{quote_identifier(main)} AS v FROM {track} r JOIN {features} f USING (fid) "
            "WHERE f.object_id = ? AND r.t > ? AND r.t <= ? ORDER BY r.t", [key, start, latest["t"]]).to_pylist()]
    return SensorReadings(
        key=key, layer=layer.name, time=latest["t"] if latest else None,
        values={c: (latest[c] if latest else None) for c in columns}, value=main, series=series,
    )


def _column(project: ProjectReader, layer: LayerInfo, key: str) -> str:
    names = [r[0] for r in project.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = ?",
                                        [layer.table_name])]
    if key in names:
        return key
    return {n.lower(): n for n in names}.get(str(key).lower(), key)


def _is_number(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
