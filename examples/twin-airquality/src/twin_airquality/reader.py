"""Hourly air-quality CSVs (Seoul / AirKorea layout) -> a layer of stations and a layer of sensor readings.

One row per station and hour: a time (``측정일시``), a station code (``측정소코드``) and name, the
station's latitude/longitude, and pollutants: PM10 and PM2.5 in µg/m³, NO2, O3, CO and SO2 in ppm.
``-1`` marks an instrument check and an empty cell a gap: both become missing values (counted in
the report); a row without any valid value, time or station is skipped with its line number.

The stations become a ``points`` layer (one point per station, ``station_code`` and ``station_name``);
the readings a ``sensors`` layer built by ``twin.api.readings_layer``, joined to the stations by
``station_code`` and sorted by time so that a time slice is a range scan.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from twin.api import (ImportOptions, ImportReport, InputError, LayerData, check_points, find_coordinate_columns,
                      normalise_name, parse_numbers, parse_times, points_wkb, read_csv_table, readings_layer)

#: canonical column -> (header names it is found under, unit)
POLLUTANTS = {
    "pm10": (("pm10", "미세먼지", "미세먼지pm10", "미세먼지농도"), "µg/m³"),
    "pm25": (("pm2.5", "pm25", "pm2_5", "초미세먼지", "초미세먼지pm2.5", "초미세먼지농도"), "µg/m³"),
    "no2": (("no2", "이산화질소", "이산화질소농도"), "ppm"),
    "o3": (("o3", "오존", "오존농도"), "ppm"),
    "co": (("co", "일산화탄소", "일산화탄소농도"), "ppm"),
    "so2": (("so2", "아황산가스", "아황산가스농도"), "ppm"),
}
TIME_NAMES = ("측정일시", "측정시간", "일시", "measurementdate", "datetime", "time", "date")
CODE_NAMES = ("측정소코드", "stationcode", "stationid", "station")
NAME_NAMES = ("측정소명", "측정소", "stationname", "address", "주소")
SOURCE_FORMAT = "twin-airquality"
SNIFF_BYTES = 64 * 1024


def _key(name: str) -> str:
    return re.sub(r"[\s_\-()]+", "", normalise_name(name))


def _find(names: list[str], wanted: tuple[str, ...]) -> str | None:
    keys = {_key(n): n for n in reversed(names)}
    return next((keys[_key(w)] for w in wanted if _key(w) in keys), None)


def columns_of(names: list[str]) -> dict[str, str | None]:
    """The CSV's column for each role: ``time``, ``code``, ``name`` and each pollutant (None when absent)."""
    found = {"time": _find(names, TIME_NAMES), "code": _find(names, CODE_NAMES), "name": _find(names, NAME_NAMES)}
    found.update({p: _find(names, aliases) for p, (aliases, _) in POLLUTANTS.items()})
    if found["name"] == found["code"]:
        found["name"] = None
    return found


def sniff(path: pathlib.Path) -> bool:
    """True for a CSV with a time, a station code and PM10 or PM2.5 columns (read from its first lines)."""
    with open(path, "rb") as fh:
        data = fh.read(SNIFF_BYTES)
    if b"\n" in data:
        data = data[: data.rfind(b"\n") + 1]
    try:
        names = read_csv_table(path, data=data).table.column_names
    except Exception:  # not a CSV we can read: not ours, another importer will say why
        return False
    found = columns_of(names)
    return bool(found["time"] and found["code"] and (found["pm10"] or found["pm25"]))


def read_airquality(path: pathlib.Path, options: ImportOptions) -> list[LayerData]:
    """Read the CSV into ``[stations (points), readings (sensors)]``; see the module docstring."""
    path = pathlib.Path(path)
    options.report_progress(0.05, "reading")
    csv = read_csv_table(path, encoding=options.encoding)
    table, lines = csv.table, csv.lines
    found = columns_of(table.column_names)
    pollutants = [p for p in POLLUTANTS if found[p]]
    missing = [role for role in ("time", "code") if not found[role]] + ([] if pollutants else ["PM10 or PM2.5"])
    if missing:
        raise InputError(path, f"not an air-quality CSV: no {', '.join(missing)} column "
                               f"(columns: {', '.join(table.column_names)})")
    report = ImportReport(str(path))
    report.detected.update(csv.detected())
    report.detected.update({"time column": found["time"], "station column": found["code"],
                            "pollutants": ", ".join(f"{found[p]} -> {p}" for p in pollutants)})
    for line, reason in csv.bad_rows:
        report.skip(f"line {line}", f"wrong number of fields ({reason})")

    usable = ~csv.blank_rows
    parsed = parse_times(table.column(found["time"]), tz=options.timezone)
    t_us = parsed.us()
    has_time = t_us != np.iinfo(np.int64).min
    code_text = pc.utf8_trim_whitespace(table.column(found["code"]).combine_chunks())
    has_code = pc.fill_null(pc.greater(pc.utf8_length(code_text), 0), False).to_numpy(zero_copy_only=False)
    codes = code_text.to_numpy(zero_copy_only=False)  # object array of str / None
    _skip(report, lines, usable & parsed.invalid, f"unreadable time in {found['time']}")
    _skip(report, lines, usable & ~has_time & ~parsed.invalid, f"no time in {found['time']}")
    _skip(report, lines, usable & has_time & ~has_code, f"no station code in {found['code']}")
    usable &= has_time & has_code

    values, checks, gaps = {}, 0, 0
    for p in pollutants:
        numbers, empty, bad = parse_numbers(table.column(found[p]))
        negative = ~empty & ~bad & (numbers < 0)
        checks += int((negative & usable).sum())
        gaps += int(((empty | bad) & usable).sum())
        values[p] = np.where(empty | bad | negative, np.nan, numbers)
    any_value = np.any([~np.isnan(v) for v in values.values()], axis=0)
    _skip(report, lines, usable & ~any_value, "no valid measurement in the row")
    usable &= any_value
    station = np.full(len(usable), -1, dtype=np.int64)  # station number of each row, -1 where unusable
    station[usable] = pd.factorize(codes[usable])[0]
    duplicate = _repeated(station, t_us, usable)
    _skip(report, lines, duplicate, "repeated station and time (the first row is kept)")
    usable &= ~duplicate
    if checks:
        report.note(f"{checks} negative value(s) (-1: instrument check) read as missing")
    if gaps:
        report.note(f"{gaps} empty or non-numeric value(s) read as missing")
    rows = np.flatnonzero(usable)
    if not rows.size:
        raise InputError(path, "no usable row (every row lacks a time, a station or a valid value)")

    options.report_progress(0.6, "stations")
    stations = _stations(path, table, found, codes, station, rows, report)
    units = {p: POLLUTANTS[p][1] for p in pollutants}
    readings = readings_layer(
        "sensors", keys=codes[rows], t_us=t_us[rows],
        values=pa.table({p: pa.array(values[p][rows], mask=np.isnan(values[p][rows])) for p in pollutants}),
        value="pm25" if "pm25" in pollutants else pollutants[0], key_column="station_code", report=report,
        name="readings", properties={"source_format": SOURCE_FORMAT, "role": "readings", "units": units},
    )
    return [stations, readings]


def _repeated(station: np.ndarray, t_us: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Usable rows whose station and time an earlier row already has (sorted neighbours, no loop)."""
    rows = np.flatnonzero(usable)
    order = rows[np.lexsort((rows, t_us[rows], station[rows]))]
    same = (station[order][1:] == station[order][:-1]) & (t_us[order][1:] == t_us[order][:-1])
    repeated = np.zeros(len(usable), dtype=bool)
    repeated[order[1:][same]] = True
    return repeated


def _stations(path, table: pa.Table, found: dict, codes: np.ndarray, station: np.ndarray, rows: np.ndarray,
              report: ImportReport) -> LayerData:
    """One point per station, in order of appearance: the first of its rows with usable coordinates."""
    columns = find_coordinate_columns(table.column_names)
    if columns is None:
        raise InputError(path, "no station coordinates (latitude/longitude columns such as 위도/경도)")
    x, x_empty, x_bad = parse_numbers(table.column(columns.x))
    y, y_empty, y_bad = parse_numbers(table.column(columns.y))
    check = check_points(x, y, "EPSG:4326", missing=x_empty | y_empty, not_number=x_bad | y_bad)
    count = int(station.max()) + 1
    first = np.full(count, -1, dtype=np.int64)
    first[station[rows][::-1]] = rows[::-1]  # later writes win: each station's first row stays
    placed_rows = rows[check.ok[rows]]
    placed = np.full(count, -1, dtype=np.int64)
    placed[station[placed_rows][::-1]] = placed_rows[::-1]
    has_place = placed >= 0
    if not has_place.all():
        report.note(f"{int((~has_place).sum())} station(s) without usable coordinates: their readings have no place on the map")
    take = np.where(has_place, placed, first)
    names = table.column(found["name"]).take(pa.array(first)) if found["name"] else pa.nulls(count, pa.string())
    features = {
        "station_code": pa.array(codes[first], type=pa.string()),
        "station_name": names,
        "geometry": pc.if_else(pa.array(has_place), points_wkb(check.x[take], check.y[take]), pa.scalar(None, pa.binary())),
    }
    station_report = ImportReport(str(path), imported=count)
    station_report.detected["coordinates"] = f"{columns.x}/{columns.y} ({columns.how})"
    return LayerData(kind="points", features=pa.table(features), crs="EPSG:4326", report=station_report,
                     name="stations", properties={"source_format": SOURCE_FORMAT, "role": "stations"})


def _skip(report: ImportReport, lines: np.ndarray, mask: np.ndarray, reason: str) -> None:
    for line in lines[np.flatnonzero(mask)][:1000]:
        report.skip(f"line {line}", reason)
    extra = int(mask.sum()) - 1000
    if extra > 0:
        report.note(f"{extra} more row(s) skipped: {reason}")
