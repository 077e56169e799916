"""GTFS schedules (zip or folder) as vehicle positions on one service day, plus the stops.

- The service day is ``--date YYYY-MM-DD`` (``options.extra["date"]``), by default the first day on
  which ``calendar.txt`` and ``calendar_dates.txt`` run any trip.
- Each trip is one moving object. Positions are sampled at every arrival and departure and every
  ``step`` seconds between stops (``options.extra["step"]``, default 30 s), moving at constant speed
  along the trip's shape (``shapes.txt``; straight lines between stops without one).
- Times are seconds from "noon minus 12 h" of the service day in the agency's time zone (the GTFS
  rule, which is midnight except on daylight-saving days), so ``25:43:00`` is 01:43 the next morning.
- Files outside the core of the spec (``calendar_attributes.txt``, ``realtime_trips.txt``...) are ignored.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import zipfile
import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from twin.api import (ImportOptions, ImportReport, InputError, LayerData, choose_project_crs, moving_layer,
                      to_us, transform_xy, zone)
from twin_plugins.tracks.archive import check_archive

REQUIRED = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
DEFAULT_STEP_S = 30.0
#: columns the reader uses, per file (a file without one is refused naming it)
COLUMNS = {"trips.txt": ("route_id", "service_id", "trip_id"), "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
           "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
           "routes.txt": ("route_id",), "calendar_dates.txt": ("service_id", "date", "exception_type"),
           "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                            "sunday", "start_date", "end_date")}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def sniff(path: pathlib.Path) -> bool:
    """True for a zip or folder holding the core GTFS files."""
    path = pathlib.Path(path)
    try:
        names = _names(path, check=False)
    except (OSError, zipfile.BadZipFile):
        return False
    return all(n in names for n in REQUIRED)


class Feed:
    """The text files of a feed, read as strings on demand (zip or folder)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        try:
            self.names = _names(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise InputError(path, f"not a readable zip or folder ({exc})") from None
        missing = [n for n in REQUIRED if n not in self.names]
        if missing:
            raise InputError(path, f"not a GTFS feed: {', '.join(missing)} missing")

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> pd.DataFrame:
        if self.path.is_dir():
            return self._parse(name, self.path / self.names[name])
        try:  # streamed from the zip, never inflated whole (members were checked: plugins/tracks/archive.py)
            with zipfile.ZipFile(self.path) as zf, zf.open(self.names[name]) as member:
                return self._parse(name, member)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:  # a damaged member
            raise InputError(self.path, f"cannot read {name} from the zip ({exc})", where=name) from None

    def _parse(self, name: str, source) -> pd.DataFrame:
        try:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(self.path, f"cannot read {name} ({exc})", where=name) from exc
        frame.columns = [c.strip() for c in frame.columns]
        missing = [c for c in COLUMNS.get(name, ()) if c not in frame.columns]
        if missing:
            raise InputError(self.path, f"{name} lacks the column(s) {', '.join(missing)}", where=name)
        return frame


def _names(path: pathlib.Path, *, check: bool = True) -> dict[str, str]:
    """Base names of the feed's files -> their names in the zip/folder (a zip may have one subfolder);
    ``check`` refuses a zip whose members inflate past the limits of :mod:`twin_plugins.tracks.archive`."""
    if path.is_dir():
        return {p.name: p.name for p in path.iterdir() if p.is_file()}
    with zipfile.ZipFile(path) as zf:
        if check:
            check_archive(path, zf)  # a zip bomb is refused before anything is inflated
        return {n.rsplit("/", 1)[-1]: n for n in zf.namelist() if not n.endswith("/")}


def read_gtfs(path: pathlib.Path, options: ImportOptions) -> list[LayerData]:
    """The vehicles (one object per trip) of one service day, and the stops (see the module docstring)."""
    path = pathlib.Path(path)
    feed = Feed(path)
    report = ImportReport(str(path))
    agency = feed.read("agency.txt")
    tz = agency["agency_timezone"].iloc[0].strip() if len(agency) and "agency_timezone" in agency else options.timezone
    try:
        zone(tz)
    except ValueError as exc:
        raise InputError(path, str(exc), where="agency.txt") from exc
    services, day = _services(feed, options, path)
    report.detected["service day"] = day.isoformat()
    report.detected["time zone"] = f"{tz} (agency.txt)"
    trips = feed.read("trips.txt")
    trips = trips[trips["service_id"].isin(services)].reset_index(drop=True)
    if trips.empty:
        raise InputError(path, f"no trip runs on {day.isoformat()}")
    options.report_progress(0.2, "reading stop times")
    stops = feed.read("stops.txt")
    stop_xy = _stop_lonlat(stops, path)
    st = feed.read("stop_times.txt")
    st = st[st["trip_id"].isin(trips["trip_id"])].copy()
    st["seq"] = pd.to_numeric(st["stop_sequence"], errors="coerce")
    st = st.sort_values(["trip_id", "seq"], kind="stable").reset_index(drop=True)
    st = _placed_stop_times(st, stop_xy, path, report)
    counts = st["trip_id"].value_counts()
    for trip in counts.index[counts < 2]:
        report.skip(f"trip {trip}", "fewer than two stop times")
    st = st[st["trip_id"].map(counts) >= 2].reset_index(drop=True)
    trips = trips[trips["trip_id"].isin(st["trip_id"])].reset_index(drop=True)
    if trips.empty:
        first = report.skipped[0] if report.skipped else None
        why = f": {first.where}: {first.reason}" if first else ""
        raise InputError(path, f"no trip has two stop times at stops with a position{why}", where="stop_times.txt")
    lon, lat = _lookup(stop_xy, st["stop_id"], path)
    crs = choose_project_crs(float(np.nanmean(lon)), float(np.nanmean(lat)))
    sx, sy = transform_xy(lon, lat, "EPSG:4326", crs)
    trip_index = pd.Index(trips["trip_id"]).get_indexer(st["trip_id"])
    lines = _trip_lines(feed, trips, st, trip_index, sx, sy, crs)
    dist = _stop_distances(lines, trip_index, sx, sy)
    arrive, depart = _times(st, trip_index, dist, path, report)
    step = float(options.extra.get("step", DEFAULT_STEP_S))
    options.report_progress(0.5, "sampling positions")
    sample_trip, sample_s, sample_d = _samples(trip_index, arrive, depart, dist, step)
    points = shapely.line_interpolate_point(lines[sample_trip], sample_d)
    xy = shapely.get_coordinates(points)
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone(tz))
    base_us = to_us(noon) - 12 * 3600 * 1_000_000
    objects = _trip_attributes(feed, trips)
    report.detected["trips"] = len(trips)
    past = int((np.nanmax(np.vstack([arrive, depart]), axis=0) >= 86_400).sum())
    if past:
        report.detected["stop times past 24:00"] = past
    vehicles = moving_layer(
        object_ids=trips["trip_id"].to_numpy()[sample_trip], t_us=base_us + np.round(sample_s * 1e6).astype(np.int64),
        x=xy[:, 0], y=xy[:, 1], crs=crs, report=report, objects=objects.take(pa.array(sample_trip)),
        split_gap_s=max(600.0, float(np.nanmax(depart - arrive)) + step),
        name="vehicles", properties={"source_format": "gtfs", "service_day": day.isoformat(), "step_s": step,
                    "timezone": tz},  # the agency's zone: twin info and typed times use it (docs/timeline.md)
    )
    return [vehicles, _stops_layer(stops, stop_xy, path)]


def _services(feed: Feed, options: ImportOptions, path: pathlib.Path) -> tuple[set[str], dt.date]:
    """Service ids running on the chosen day (``--date`` or the first day with service)."""
    calendar = feed.read("calendar.txt") if feed.has("calendar.txt") else pd.DataFrame()
    dates = feed.read("calendar_dates.txt") if feed.has("calendar_dates.txt") else pd.DataFrame()
    if calendar.empty and dates.empty:
        raise InputError(path, "neither calendar.txt nor calendar_dates.txt: no service days")

    def running(day: dt.date) -> set[str]:
        key = day.strftime("%Y%m%d")
        out: set[str] = set()
        if not calendar.empty:
            weekday = calendar[DAYS[day.weekday()]] == "1"
            inside = (calendar["start_date"] <= key) & (calendar["end_date"] >= key)
            out = set(calendar.loc[weekday & inside, "service_id"])
        if not dates.empty:
            today = dates[dates["date"] == key]
            out |= set(today.loc[today["exception_type"] == "1", "service_id"])
            out -= set(today.loc[today["exception_type"] == "2", "service_id"])
        return out

    wanted = options.extra.get("date")
    if wanted:
        try:
            day = dt.date.fromisoformat(str(wanted))
        except ValueError as exc:
            raise InputError(path, f"--date must be YYYY-MM-DD, not {wanted!r}") from exc
        services = running(day)
        if not services:
            raise InputError(path, f"no service runs on {day.isoformat()} (calendar.txt, calendar_dates.txt)")
        return services, day
    starts = list(calendar.get("start_date", [])) + list(dates.loc[dates["exception_type"] == "1", "date"]
                                                          if not dates.empty else [])
    ends = list(calendar.get("end_date", [])) + list(dates.get("date", []))
    day, last = _gtfs_date(min(starts, default=""), path), _gtfs_date(max(ends, default=""), path)
    while day <= last:  # days, not trips: a few hundred iterations at most
        services = running(day)
        if services:
            return services, day
        day += dt.timedelta(days=1)
    raise InputError(path, "the calendar never runs any service")


def _stop_lonlat(stops: pd.DataFrame, path: pathlib.Path) -> pd.DataFrame:
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce")
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce")
    return pd.DataFrame({"lon": lon.to_numpy(), "lat": lat.to_numpy()}, index=stops["stop_id"])


def _gtfs_date(text: str, path: pathlib.Path) -> dt.date:
    """A GTFS date (YYYYMMDD); InputError naming the calendar otherwise."""
    try:
        return dt.datetime.strptime(str(text).strip(), "%Y%m%d").date()
    except ValueError:
        raise InputError(path, f"{text!r} is not a GTFS date (YYYYMMDD); give the day with --date",
                         where="calendar.txt") from None


def _placed_stop_times(st: pd.DataFrame, stop_xy: pd.DataFrame, path: pathlib.Path, report: ImportReport) -> pd.DataFrame:
    """Stop times at stops without a usable stop_lat/stop_lon (empty, text, off the globe) are skipped."""
    lon, lat = _lookup(stop_xy, st["stop_id"], path)
    with np.errstate(invalid="ignore"):
        placed = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    if placed.all():
        return st
    for stop in pd.unique(st["stop_id"][~placed])[:1000]:
        report.skip(f"stop {stop}", "no usable stop_lat/stop_lon: its stop times are skipped")
    return st[placed].reset_index(drop=True)


def _lookup(stop_xy: pd.DataFrame, stop_ids: pd.Series, path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    index = stop_xy.index.get_indexer(stop_ids)
    if (index < 0).any():
        bad = stop_ids[index < 0].iloc[0]
        raise InputError(path, f"stop_times.txt names stop {bad!r}, which stops.txt lacks", where="stop_times.txt")
    return stop_xy["lon"].to_numpy()[index], stop_xy["lat"].to_numpy()[index]


def _trip_lines(feed, trips, st, trip_index, sx, sy, crs) -> np.ndarray:
    """One LineString per trip in the metric CRS: its shape, else the line through its stops."""
    lines = np.full(len(trips), None, dtype=object)
    if feed.has("shapes.txt") and "shape_id" in trips:
        shapes = feed.read("shapes.txt")
        shapes["seq"] = pd.to_numeric(shapes["shape_pt_sequence"], errors="coerce")
        shapes = shapes.sort_values(["shape_id", "seq"], kind="stable")
        x, y = transform_xy(pd.to_numeric(shapes["shape_pt_lon"]).to_numpy(),
                            pd.to_numeric(shapes["shape_pt_lat"]).to_numpy(), "EPSG:4326", crs)
        codes, ids = pd.factorize(shapes["shape_id"], sort=False)
        built = shapely.linestrings(np.column_stack([x, y]), indices=codes)
        by_id = pd.Series(np.arange(len(ids)), index=ids)
        have = trips["shape_id"].isin(ids)
        lines[have.to_numpy()] = built[by_id[trips.loc[have, "shape_id"]].to_numpy()]
    missing = np.flatnonzero(pd.isna(pd.Series(lines)).to_numpy())
    if missing.size:  # no shape: the line through the trip's stops
        rows = np.isin(trip_index, missing)
        codes, which = pd.factorize(trip_index[rows], sort=False)
        lines[which] = shapely.linestrings(np.column_stack([sx[rows], sy[rows]]), indices=codes)
    return lines


def _stop_distances(lines: np.ndarray, trip_index: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """Distance of each stop time along its trip's line, never decreasing within a trip."""
    dist = shapely.line_locate_point(lines[trip_index], shapely.points(sx, sy))
    offset = trip_index.astype(np.float64) * 1e9  # keeps trips apart in one running maximum
    return np.maximum.accumulate(dist + offset) - offset


def _seconds(text: pd.Series) -> np.ndarray:
    """``H:MM:SS`` (hours may pass 24) to seconds; NaN when empty."""
    parts = text.str.strip().str.extract(r"^(\d{1,3}):(\d{2}):(\d{2})$").astype(float)
    return (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy()


def _times(st, trip_index, dist, path, report) -> tuple[np.ndarray, np.ndarray]:
    arrive, depart = _seconds(st["arrival_time"]), _seconds(st["departure_time"])
    arrive = np.where(np.isnan(arrive), depart, arrive)
    depart = np.where(np.isnan(depart), arrive, depart)
    known = ~np.isnan(arrive)
    if not known.any():
        raise InputError(path, "no stop time has an arrival or departure time (H:MM:SS)", where="stop_times.txt")
    if not known.all():  # stops without times: constant speed by distance between timed stops
        key = trip_index * 1e9 + dist
        arrive = np.where(known, arrive, np.interp(key, key[known], arrive[known]))
        depart = np.where(known, depart, arrive)
        report.note(f"{int((~known).sum())} stop time(s) without times interpolated by distance")
    return arrive, depart


def _samples(trip_index, arrive, depart, dist, step) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(trip, seconds, distance) at each arrival, departure and every ``step`` s between stops."""
    same = trip_index[1:] == trip_index[:-1]
    seg = np.flatnonzero(same)  # segment from stop time i to i + 1
    t0, t1 = depart[seg], arrive[seg + 1]
    inner = np.maximum(np.ceil((t1 - t0) / step) - 1, 0).astype(np.int64)
    rep = np.repeat(np.arange(len(seg)), inner)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(inner) - inner, inner) + 1
    s_inner = t0[rep] + k * step
    frac = (s_inner - t0[rep]) / np.maximum(t1[rep] - t0[rep], 1e-9)
    d_inner = dist[seg][rep] + frac * (dist[seg + 1][rep] - dist[seg][rep])
    trip = np.concatenate([trip_index, trip_index, trip_index[seg][rep]])
    seconds = np.concatenate([arrive, depart, s_inner])
    distance = np.concatenate([dist, dist, d_inner])
    keep = np.ones(len(trip), dtype=bool)
    keep[len(arrive):2 * len(arrive)] = depart != arrive  # a departure equal to the arrival is one sample
    return trip[keep], seconds[keep], distance[keep]


def _trip_attributes(feed: Feed, trips: pd.DataFrame) -> pa.Table:
    routes = feed.read("routes.txt")
    columns = [c for c in ("route_short_name", "route_long_name", "route_type", "route_color") if c in routes]
    merged = trips.merge(routes[["route_id", *columns]], on="route_id", how="left")
    keep = [c for c in ("route_id", *columns, "trip_headsign", "trip_short_name", "direction_id", "block_id")
            if c in merged]
    return pa.Table.from_pandas(merged[keep].replace("", None), preserve_index=False)


def _stops_layer(stops: pd.DataFrame, stop_xy: pd.DataFrame, path: pathlib.Path) -> LayerData:
    report = ImportReport(str(path))
    lon, lat = stop_xy["lon"].to_numpy(), stop_xy["lat"].to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    for stop in stops.loc[~ok, "stop_id"]:
        report.skip(f"stop {stop}", "no stop_lat/stop_lon")
    keep = [c for c in stops.columns if c not in ("stop_lat", "stop_lon")]
    table = pa.Table.from_pandas(stops.loc[ok, keep].replace("", None), preserve_index=False)
    geometry = shapely.to_wkb(shapely.points(lon[ok], lat[ok]))
    table = table.append_column("geometry", pa.array(geometry, type=pa.binary()))
    report.imported = int(ok.sum())
    return LayerData("points", table, "EPSG:4326", report, name="stops")
