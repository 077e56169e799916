"""Emergency calls (112 police, 119 fire and ambulance) in CSV as an ``events`` layer, active from call to arrival.

Which files: a CSV with coordinates, a call-time column and a dispatch- or arrival-time column (names
compared case-folded, without blanks, ``_``, ``-``, ``.``):

| role | columns |
| --- | --- |
| incident id | ``incident_id``, ``id``, ``사건번호``, ``신고번호``, ``접수번호``, ``사건id`` |
| type | ``유형``, ``사건유형``, ``신고유형``, ``사건종류``, ``type``, ``incident_type``, ``category`` |
| priority | ``우선순위``, ``긴급도``, ``priority`` |
| call time | ``신고시각``, ``신고일시``, ``접수시각``, ``접수일시``, ``call_time``, ``called_at`` |
| dispatch time | ``출동시각``, ``출동일시``, ``지령시각``, ``dispatch_time``, ``dispatched_at`` |
| arrival time | ``도착시각``, ``도착일시``, ``현장도착시각``, ``arrival_time``, ``arrived_at`` |
| responding unit | ``출동기관``, ``출동대``, ``출동부서``, ``관할서``, ``unit``, ``responding_unit`` |

Times are read by the core's parser (``2025-05-14 08:31:05``, ISO 8601, ``2017년 1월 28일 14시``...) in the
project time zone unless they carry an offset, and stored as UTC timestamps under their own column names,
so response times are one subtraction away (the ``response-times`` analysis). ``properties["incident"]``
names the columns by role. An incident is drawn from its call until its arrival; one without an arrival
stays ``OPEN_S`` seconds (``--duration`` / ``options.extra["duration"]`` changes it).

Rows are skipped and reported by line when the call time is missing or unreadable, a dispatch or arrival
time is unreadable, the times run backwards (dispatched before the call, arrived before the dispatch or the
call) or the coordinates are unusable. A file with no usable row is one error line naming it.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pyarrow as pa

from twin.api import (NOT_A_TABLE, PROBLEMS, CsvTable, ImportOptions, ImportReport, InputError, LayerData, check_points,
                      events_layer, find_coordinate_columns, infer_types, korean_crs_candidates, looks_geographic,
                      normalise_name, normalize_crs, parse_numbers, parse_times, read_csv_head, read_csv_table)

ROLES = {
    "id": ("incidentid", "id", "사건번호", "신고번호", "접수번호", "사건id", "신고id"),
    "type": ("유형", "사건유형", "신고유형", "사건종류", "type", "incidenttype", "category"),
    "priority": ("우선순위", "긴급도", "priority"),
    "call": ("신고시각", "신고일시", "접수시각", "접수일시", "calltime", "calledat", "callat"),
    "dispatch": ("출동시각", "출동일시", "지령시각", "dispatchtime", "dispatchedat"),
    "arrival": ("도착시각", "도착일시", "현장도착시각", "arrivaltime", "arrivedat"),
    "unit": ("출동기관", "출동대", "출동부서", "관할서", "unit", "respondingunit"),
}
TIMES = ("call", "dispatch", "arrival")
#: how long an incident without an arrival time stays on the map (seconds)
OPEN_S = 1800.0
NONE = np.iinfo(np.int64).min


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.()]+", "", normalise_name(name))


def incident_columns(names: list[str]) -> dict[str, str | None]:
    """The column of each role (see the module docstring), None when absent; the leftmost wins."""
    keys = {}
    for name in reversed(names):
        keys[_key(name)] = name
    return {role: next((keys[c] for c in candidates if c in keys), None) for role, candidates in ROLES.items()}


def sniff(path: pathlib.Path) -> bool:
    """True for a CSV with coordinates, a call time and a dispatch or arrival time column."""
    path = pathlib.Path(path)
    try:
        names = read_csv_head(path).table.column_names
    except NOT_A_TABLE:  # not a CSV table: not ours
        return False
    roles = incident_columns(names)
    return bool(roles["call"] and (roles["dispatch"] or roles["arrival"]) and find_coordinate_columns(names))


def read_incidents_csv(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """Emergency calls as an ``events`` layer (see the module docstring)."""
    path = pathlib.Path(path)
    options.report_progress(0.05, "reading")
    csv = read_csv_table(path, encoding=options.encoding)
    roles = incident_columns(csv.table.column_names)
    if not roles["call"] or not (roles["dispatch"] or roles["arrival"]):
        raise InputError(path, "not an emergency-call CSV: it needs a call time (신고시각, call_time) and a dispatch "
                               "or arrival time (출동시각, 도착시각, dispatch_time, arrival_time)")
    report = ImportReport(str(path))
    report.detected.update(csv.detected())
    report.detected["incident columns"] = ", ".join(f"{role} {name}" for role, name in roles.items() if name)
    skipped: list[tuple[int, str]] = [(line, f"wrong number of fields ({reason})") for line, reason in csv.bad_rows]
    usable = ~csv.blank_rows
    times, resolution = {}, 1
    for role in TIMES:
        name = roles[role]
        if name is None:
            times[role] = None
            continue
        parsed = parse_times(csv.table.column(name), tz=options.timezone)
        us = parsed.us()
        text = csv.table.column(name).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(parsed.invalid & usable):
            skipped.append((int(csv.lines[i]), f"unreadable time {text[i]!r} in {name}"))
        usable &= ~parsed.invalid
        if role == "call":
            for i in np.flatnonzero((us == NONE) & ~parsed.invalid & usable):
                skipped.append((int(csv.lines[i]), f"no call time in {name}"))
            usable &= us != NONE
            resolution = parsed.resolution_seconds
        times[role] = (us, parsed.array)
    usable = _order(csv, roles, times, usable, skipped)
    if not usable.any():
        first = f" (line {min(skipped)[0]}: {min(skipped)[1]})" if skipped else ""
        raise InputError(path, f"no row has a readable call time in {roles['call']}{first}")
    crs, x, y, xy_ok = _coordinates(path, csv, options, usable, skipped)
    usable &= xy_ok
    for line, reason in sorted(skipped):
        report.skip(f"line {line}", reason)
    if csv.blank_rows.any():
        report.note(f"{int(csv.blank_rows.sum())} empty row(s) ignored")
    rows = np.flatnonzero(usable)
    if not rows.size:
        raise InputError(path, "no row has a readable call time and usable coordinates")
    call = times["call"][0][rows]
    arrival = times["arrival"][0][rows] if times["arrival"] else np.full(len(rows), NONE)
    open_s = float(options.extra.get("duration", OPEN_S))
    without = int((arrival == NONE).sum())
    if without:
        report.note(f"{without} incident(s) without an arrival time: shown for {open_s:g} s after the call")
    time_names = tuple(roles[r] for r in TIMES if roles[r])
    attributes = infer_types(csv.table.take(pa.array(rows)), keep_text=time_names, timezone=options.timezone)
    for role in TIMES:
        if roles[role]:
            index = attributes.column_names.index(roles[role])
            attributes = attributes.set_column(index, roles[role], times[role][1].take(pa.array(rows)))
    report.detected.update({"times": f"read in {options.timezone} without offset ({resolution} s resolution)",
                            "active": "from the call to the arrival"})
    return events_layer(
        t_start_us=call, t_end_us=arrival, x=x[rows], y=y[rows], attributes=attributes, crs=crs, report=report,
        duration_s=open_s,
        properties={"source_format": "incidents-csv", "incident": dict(roles), "time_column": roles["call"],
                    "end_column": roles["arrival"]},
    )


def _order(csv: CsvTable, roles: dict, times: dict, usable: np.ndarray, skipped: list) -> np.ndarray:
    """Rows whose times run forwards: call <= dispatch <= arrival where present; the others reported."""
    call = times["call"][0]
    checks = []
    if times["dispatch"]:
        dispatch = times["dispatch"][0]
        checks.append(((dispatch != NONE) & (dispatch < call),
                       f"dispatched before the call ({roles['dispatch']} < {roles['call']})"))
    if times["arrival"]:
        arrival = times["arrival"][0]
        if times["dispatch"]:
            dispatch = times["dispatch"][0]
            checks.append(((arrival != NONE) & (dispatch != NONE) & (arrival < dispatch),
                           f"arrived before the dispatch ({roles['arrival']} < {roles['dispatch']})"))
        checks.append(((arrival != NONE) & (arrival < call),
                       f"arrived before the call ({roles['arrival']} < {roles['call']})"))
    for mask, reason in checks:
        bad = mask & usable
        for i in np.flatnonzero(bad):
            skipped.append((int(csv.lines[i]), reason))
        usable = usable & ~bad
    return usable


def _coordinates(path: pathlib.Path, csv: CsvTable, options: ImportOptions, usable: np.ndarray, skipped: list):
    """(crs, x, y, usable mask) with impossible rows (among the usable ones) reported by line."""
    columns = find_coordinate_columns(csv.table.column_names, x=options.x, y=options.y)
    if columns is None:
        raise InputError(path, "no coordinate columns; name them with --x COLUMN --y COLUMN")
    x, miss_x, bad_x = parse_numbers(csv.table.column(columns.x))
    y, miss_y, bad_y = parse_numbers(csv.table.column(columns.y))
    if options.crs:
        try:
            crs = normalize_crs(options.crs)
        except ValueError as exc:
            raise InputError(path, f"--crs: {exc}") from None
    elif looks_geographic(x[usable], y[usable]):
        crs = "EPSG:4326"
    else:
        hint = ", ".join(korean_crs_candidates(x[usable], y[usable]))
        raise InputError(path, "the coordinates are projected, not degrees: give their CRS with --crs EPSG:NNNN"
                         + (f" (candidates: {hint})" if hint else ""))
    check = check_points(x, y, crs, missing=miss_x | miss_y, not_number=(bad_x | bad_y) & ~(miss_x | miss_y),
                         learn_orientation=options.x is None)
    ok = check.problem == 0
    for i in np.flatnonzero(~ok & usable):
        skipped.append((int(csv.lines[i]), PROBLEMS[int(check.problem[i])]))
    return crs, check.x, check.y, ok
