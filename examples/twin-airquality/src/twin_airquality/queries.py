"""What the panel shows, as plain queries (no Qt): the station behind a selection, its readings at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt

from twin.api import LayerInfo, Project, Selection

from twin_airquality.reader import POLLUTANTS, SOURCE_FORMAT


@dataclasses.dataclass(frozen=True)
class StationReadings:
    """One station's readings at (or just before) a time, and the PM2.5 (or first pollutant) of the 24 hours before."""

    station_code: str
    station_name: str | None
    layer: str  # the readings layer
    time: dt.datetime | None  # of the reading shown (UTC); None when the station has none before the time
    values: dict[str, float | None]  # pollutant -> value (None: missing)
    units: dict[str, str]
    series_pollutant: str
    series: list[tuple[dt.datetime, float | None]]


def station_of(project: Project, selection: Selection) -> tuple[LayerInfo, str] | None:
    """The readings layer and station code behind a selection of a station point or of a readings feature."""
    if not selection:
        return None
    layer = project.layer(selection.layer)
    if layer.kind == "sensors" and layer.properties.get("source_format") == SOURCE_FORMAT:
        row = project.query(f"SELECT object_id FROM {layer.ref()} WHERE fid = ?", [selection.fid]).to_pylist()
        return (layer, row[0]["object_id"]) if row else None
    if layer.kind != "points" or layer.properties.get("role") != "stations":
        return None
    row = project.query(f"SELECT station_code FROM {layer.ref()} WHERE fid = ?", [selection.fid]).to_pylist()
    if not row:
        return None
    code = row[0]["station_code"]
    for readings in project.layers():
        if readings.kind == "sensors" and readings.properties.get("source_format") == SOURCE_FORMAT:
            hit = project.query(f"SELECT 1 FROM {readings.ref()} WHERE object_id = ? LIMIT 1", [code])
            if hit.num_rows:
                return readings, code
    return None


def readings_at(project: Project, layer: LayerInfo, code: str, at: dt.datetime | None, *, hours: int = 24) -> StationReadings:
    """The station's last reading at or before ``at`` (the latest when ``at`` is None), and its recent series."""
    units = dict(layer.properties.get("units", {}))
    pollutants = [p for p in POLLUTANTS if p in units]
    track, features = layer.ref("track"), layer.ref()
    time_filter, params = ("AND r.t <= ?", [code, at]) if at is not None else ("", [code])
    rows = project.query(
        f'SELECT r.t, {", ".join(f"r.{p}" for p in pollutants)} FROM {track} r JOIN {features} f USING (fid) '
        f"WHERE f.object_id = ? {time_filter} ORDER BY r.t DESC LIMIT 1", params).to_pylist()
    latest = rows[0] if rows else None
    pollutant = "pm25" if "pm25" in pollutants else pollutants[0]
    series: list[tuple[dt.datetime, float | None]] = []
    if latest is not None:
        start = latest["t"] - dt.timedelta(hours=hours)
        series = [(r["t"], r["v"]) for r in project.query(
            f"SELECT r.t, r.{pollutant} AS v FROM {track} r JOIN {features} f USING (fid) "
            "WHERE f.object_id = ? AND r.t > ? AND r.t <= ? ORDER BY r.t", [code, start, latest["t"]]).to_pylist()]
    return StationReadings(
        station_code=code, station_name=_station_name(project, layer, code), layer=layer.name,
        time=latest["t"] if latest else None, values={p: latest[p] if latest else None for p in pollutants},
        units=units, series_pollutant=pollutant, series=series,
    )


def _station_name(project: Project, layer: LayerInfo, code: str) -> str | None:
    for other in project.layers():
        if other.kind == "points" and other.properties.get("role") == "stations" and other.source_file == layer.source_file:
            rows = project.query(f"SELECT station_name FROM {other.ref()} WHERE station_code = ?", [code]).to_pylist()
            return rows[0]["station_name"] if rows else None
    return None
