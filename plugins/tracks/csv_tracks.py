"""Time-stamped CSVs as track layers: GPS trajectories, events, sensor readings, segment readings.

The ``sensors-csv`` importer itself belongs to the twin-pilot plugin (stage 4 IoT sensors); it reads through
:func:`read_readings` here, the same code as ``segments-csv``.

Columns are found by :mod:`twin_plugins.tracks.csv_roles`; times are parsed by the core's vectorised
parser (ISO 8601, Korean ``2017년 1월 28일 14시``, dotted ``2020.9.21``...) in the project time zone
unless the text has an offset (``--tz UTC`` for a file written in UTC without suffix, such as the
Liverpool bus fixes). Rows without a usable time, id or coordinates are skipped and reported by line.

Options read from ``options.extra`` (API and import dialog): ``duration`` (seconds an event without
end stays visible; default: the resolution of its times, e.g. an hour for ``14시``), ``value`` (the
reading column that colours the map), ``hold`` (seconds a reading stays valid).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa

from twin.api import (PROBLEMS, CsvTable, ImportOptions, ImportReport, InputError, LayerData, check_points,
                      events_layer, find_coordinate_columns, infer_types, korean_crs_candidates, looks_geographic,
                      moving_layer, normalize_crs, parse_numbers, parse_times, readings_layer)
from twin_plugins.tracks.csv_roles import Roles, full_table, preferred_value, row_labels

NONE = np.iinfo(np.int64).min


def _start(path: pathlib.Path, options: ImportOptions, kind: str) -> tuple[CsvTable, Roles, ImportReport]:
    options.report_progress(0.05, "reading")
    csv, roles = full_table(path, options.encoding)
    if roles.kind != kind and not (kind == "events" and roles.kind == "gps"):
        wanted = {"gps": "coordinates, a time column and a repeated object id",
                  "events": "coordinates and a time column", "sensors": "a time column, a sensor id and numbers",
                  "segments": "a road link id (link_id...) and numbers"}[kind]
        raise InputError(path, f"not a {kind} CSV: it needs {wanted} (found: {roles.kind or 'none of these'})")
    report = ImportReport(str(path))
    report.detected.update(csv.detected())
    for line, reason in csv.bad_rows:
        report.skip(f"line {line}", f"wrong number of fields ({reason})")
    return csv, roles, report


def _times(csv: CsvTable, column: str, options: ImportOptions, report: ImportReport, *, required: bool = True):
    """(microseconds, usable mask, resolution seconds) of a time column; bad rows reported."""
    parsed = parse_times(csv.table.column(column), tz=options.timezone)
    us = parsed.us()
    ok = us != NONE
    text = csv.table.column(column).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(parsed.invalid):
        report.skip(f"line {csv.lines[i]}", f"unreadable time {text[i]!r} in {column}")
    if required:
        for i in np.flatnonzero(~ok & ~parsed.invalid & ~csv.blank_rows):
            report.skip(f"line {csv.lines[i]}", f"no time in {column}")
    report.detected["time column"] = f"{column} ({parsed.resolution}s, read in {options.timezone} without offset)"
    return us, ok, parsed.resolution_seconds


def _coordinates(path, csv: CsvTable, options: ImportOptions, report: ImportReport):
    """(crs, x, y, usable mask) with impossible rows reported by line."""
    columns = find_coordinate_columns(csv.table.column_names, x=options.x, y=options.y)
    if columns is None:
        raise InputError(path, "no coordinate columns; name them with --x COLUMN --y COLUMN")
    x, miss_x, bad_x = parse_numbers(csv.table.column(columns.x))
    y, miss_y, bad_y = parse_numbers(csv.table.column(columns.y))
    if options.crs:
        crs = normalize_crs(options.crs)
    elif looks_geographic(x, y):
        crs = "EPSG:4326"
    else:
        hint = ", ".join(korean_crs_candidates(x, y))
        raise InputError(path, "the coordinates are projected, not degrees: give their CRS with --crs EPSG:NNNN"
                         + (f" (candidates: {hint})" if hint else ""))
    check = check_points(x, y, crs, missing=miss_x | miss_y, not_number=(bad_x | bad_y) & ~(miss_x | miss_y),
                         learn_orientation=options.x is None)
    usable = check.problem == 0
    for i in np.flatnonzero(~usable & ~csv.blank_rows):
        report.skip(f"line {csv.lines[i]}", PROBLEMS[int(check.problem[i])])
    report.detected.update({"x column": columns.x, "y column": columns.y, "crs": crs})
    return crs, check.x, check.y, usable


def read_gps_csv(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """GPS fixes (object id, time, coordinates) as a ``moving`` layer; repeated times per object reported."""
    path = pathlib.Path(path)
    csv, roles, report = _start(path, options, "gps")
    t_us, t_ok, _ = _times(csv, roles.time, options, report)
    crs, x, y, xy_ok = _coordinates(path, csv, options, report)
    ids = csv.table.column(roles.object_id).to_numpy(zero_copy_only=False)
    id_ok = pd.notna(ids)
    for i in np.flatnonzero(~id_ok & t_ok & xy_ok):
        report.skip(f"line {csv.lines[i]}", f"no object id in {roles.object_id}")
    keep = t_ok & xy_ok & id_ok & ~csv.blank_rows
    rows = np.flatnonzero(keep)
    report.detected["object column"] = roles.object_id
    options.report_progress(0.5, "building tracks")
    typed = infer_types(csv.table.take(pa.array(rows)), timezone=options.timezone)
    used = {roles.object_id, roles.time, report.detected["x column"], report.detected["y column"]}
    codes = pd.factorize(pd.Series(ids[rows]))[0]
    per_object, per_sample = [], []
    for name in typed.column_names:
        if name not in used:
            (per_object if _constant_per_group(typed.column(name), codes) else per_sample).append(name)
    return moving_layer(
        object_ids=ids[rows], t_us=t_us[rows], x=x[rows], y=y[rows], crs=crs, report=report,
        samples=typed.select(per_sample), objects=typed.select(per_object), row_labels=row_labels(csv, rows),
        properties={"source_format": "gps-csv", "object_column": roles.object_id, "time_column": roles.time},
    )


def _constant_per_group(column: pa.ChunkedArray, codes: np.ndarray) -> bool:
    values = pd.factorize(pd.Series(column.to_numpy(zero_copy_only=False), dtype=object), use_na_sentinel=False)[0]
    first = np.full(codes.max() + 1 if len(codes) else 0, -1)
    first[codes[::-1]] = values[::-1]
    return bool((values == first[codes]).all())


def read_events_csv(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """One event per row (time or start/end, coordinates) as an ``events`` layer."""
    path = pathlib.Path(path)
    csv, roles, report = _start(path, options, "events")
    start, ok, resolution = _times(csv, roles.time, options, report)
    end = np.full(len(start), NONE)
    if roles.end:
        end, end_ok, _ = _times(csv, roles.end, options, report, required=False)
        report.detected["end column"] = roles.end
        backwards = end_ok & ok & (end < start)
        for i in np.flatnonzero(backwards):
            report.skip(f"line {csv.lines[i]}", f"ends before it starts ({roles.end} < {roles.time})")
        ok &= ~backwards
    crs, x, y, xy_ok = _coordinates(path, csv, options, report)
    keep = ok & xy_ok & ~csv.blank_rows
    if csv.blank_rows.any():
        report.note(f"{int(csv.blank_rows.sum())} empty row(s) ignored")
    rows = np.flatnonzero(keep)
    if not rows.size:
        raise InputError(path, "no row has both a readable time and usable coordinates")
    duration = float(options.extra.get("duration", 0 if roles.end else resolution))
    report.detected["visible for"] = f"{duration:g} s after an event's time (without end)"
    attributes = infer_types(csv.table.take(pa.array(rows)), keep_text=(roles.time,) + ((roles.end,) if roles.end else ()),
                             timezone=options.timezone)
    return events_layer(
        t_start_us=start[rows], t_end_us=end[rows], x=x[rows], y=y[rows], attributes=attributes, crs=crs,
        report=report, duration_s=duration,
        properties={"source_format": "events-csv", "time_column": roles.time, "end_column": roles.end},
    )


def read_readings(path: pathlib.Path, options: ImportOptions, kind: str) -> LayerData:
    """Readings (an id, numbers, a time or none) as a ``sensors`` or ``segments`` layer joined to features by id.

    Shared with the twin-pilot plugin, whose ``sensors-csv`` importer reads sensor CSVs through it.
    """
    csv, roles, report = _start(path, options, kind)
    n = csv.table.num_rows
    keys = csv.table.column(roles.object_id).to_numpy(zero_copy_only=False)
    ok = pd.notna(keys) & ~csv.blank_rows
    for i in np.flatnonzero(pd.isna(keys) & ~csv.blank_rows):
        report.skip(f"line {csv.lines[i]}", f"no id in {roles.object_id}")
    t_us = None
    if roles.time:
        t_us, t_ok, _ = _times(csv, roles.time, options, report)
        ok &= t_ok
    value = options.extra.get("value") or preferred_value(roles.numbers)
    if value not in roles.numbers:
        raise InputError(path, f"no number column {value!r} (numbers: {', '.join(roles.numbers)})")
    chosen, missing, _ = parse_numbers(csv.table.column(value))
    for i in np.flatnonzero(ok & missing):
        report.skip(f"line {csv.lines[i]}", f"no value in {value}")
    rows = np.flatnonzero(ok & ~missing)
    used = {roles.object_id, roles.time}
    other = [c for c in csv.table.column_names if c not in used and c not in roles.numbers]
    columns = {c: pa.array(parse_numbers(csv.table.column(c))[0][rows], from_pandas=True) for c in roles.numbers}
    columns.update({c: csv.table.column(c).take(pa.array(rows)) for c in other if _is_category(csv.table.column(c), n)})
    report.detected.update({"id column": roles.object_id, "value column": value, "numbers": ", ".join(roles.numbers)})
    if t_us is None:
        report.note("no time column: the readings are a static profile, averaged per id")
    hold = options.extra.get("hold")
    return readings_layer(
        kind, keys=np.char.strip(keys[rows].astype(str)), t_us=None if t_us is None else t_us[rows],
        values=pa.table(columns), value=value, key_column=roles.object_id, report=report,
        hold_s=float(hold) if hold is not None else None,
        properties={"source_format": f"{kind}-csv", "time_column": roles.time},
    )


def _is_category(column: pa.ChunkedArray, n: int) -> bool:
    """A text column with few distinct values (a profile such as ``week_type``), kept beside the readings."""
    return len(column.unique()) <= max(20, n // 50)


def read_segment_csv(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """Road link readings (link id, numbers, optional time) as a ``segments`` layer joined to a road network."""
    return read_readings(pathlib.Path(path), options, "segments")
