"""Reading track layers back at a time: positions of moving objects, active events, sensor values.

The track tables are sorted by time, so every query here bounds ``t`` from both sides and DuckDB
skips all row groups outside the slice through their zonemaps (a range scan, no index). The
interpolation itself is numpy over the slice: no Python loop per object.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin.store.identifiers import table_ref
from twin.store.project import LayerInfo, Project
from twin.time.range import TimeRange, to_us
from twin.time.temporal import TemporalProperties, quote
from twin.time.track_sources import dataset_track

US = 1_000_000


@dataclasses.dataclass
class Positions:
    """Where the moving objects are at one instant: one row per present object."""

    fid: np.ndarray  # (n,) int64, the object's feature id
    xyz: np.ndarray  # (n, 3) float64, project CRS
    heading: np.ndarray  # (n,) float64, degrees clockwise from north (NaN when unknown)

    def __len__(self) -> int:
        return len(self.fid)


def interpolate(
    fid: np.ndarray, t_us: np.ndarray, xyz: np.ndarray, at_us: int, *, split_gap_us: int | None = None
) -> Positions:
    """Positions at ``at_us`` from samples (any order) that include the two around it for each object.

    An object is present when it has a sample at ``at_us``, or one before and one after no further
    apart than ``split_gap_us``; its position is linear between the two (a sample exactly at the
    instant wins). Before its first and after its last sample an object is absent.
    """
    fid = np.asarray(fid, dtype=np.int64)
    t_us = np.asarray(t_us, dtype=np.int64)
    xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
    if not len(fid):
        return Positions(np.empty(0, np.int64), np.empty((0, 3)), np.empty(0))
    order = np.lexsort((t_us, fid))
    f, t, p = fid[order], t_us[order], xyz[order]
    n = len(f)
    before = t <= at_us
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = f[1:] == f[:-1]
    next_before = np.zeros(n, dtype=bool)
    next_before[:-1] = before[1:]
    last = before & ~(same_next & next_before)  # the last sample at or before the instant, per object
    i = np.flatnonzero(last)
    prev_ok = (i > 0) & (f[np.maximum(i - 1, 0)] == f[i])
    return evaluate(f, t, p, i, same_next[i], prev_ok, at_us, split_gap_us=split_gap_us)


def evaluate(f: np.ndarray, t: np.ndarray, p: np.ndarray, i: np.ndarray, has_next: np.ndarray, prev_ok: np.ndarray,
             at_us: int, *, split_gap_us: int | None) -> Positions:
    """Positions from samples sorted by ``(fid, t)``: ``i`` indexes each object's last sample at or before
    ``at_us``, ``has_next`` says that ``i + 1`` is the same object's next sample, ``prev_ok`` that ``i - 1``
    is its previous one. Shared by :func:`interpolate` and the replay cache, so both give the same numbers."""
    j = np.where(has_next, i + 1, i)
    ti = t[i]
    gap = t[j] - ti
    exact = ti == at_us
    within = has_next & ((gap <= split_gap_us) if split_gap_us is not None else True)
    present = exact | within
    if not present.all():  # usually every object is: no copies then
        i, j, ti, gap, exact = i[present], j[present], ti[present], gap[present], exact[present]
        has_next, prev_ok = has_next[present], prev_ok[present]
    weight = np.where(exact | (gap == 0), 0.0, (at_us - ti) / np.maximum(gap, 1))
    start = p.take(i, axis=0)  # take: a row gather three times faster than fancy indexing
    d = p.take(j, axis=0) - start
    pos = start + d * weight[:, None]
    # heading from the segment being travelled, or from the previous one at a track's last sample
    last = np.flatnonzero(~has_next)
    d[last] = start[last] - p.take(np.maximum(i[last] - 1, 0), axis=0)
    valid = has_next | prev_ok
    heading = np.full(len(i), np.nan)
    moved = np.flatnonzero(valid & ((d[:, 0] != 0) | (d[:, 1] != 0)))
    heading[moved] = np.degrees(np.arctan2(d[moved, 0], d[moved, 1])) % 360.0
    return Positions(f[i], pos, heading)


def sample_xyz(s: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 3) float64 positions of the samples returned by :meth:`MovingTrack.samples`."""
    if not len(s["fid"]):
        return np.empty((0, 3))
    return np.asarray(np.column_stack([s["x"], s["y"], s["z"]]), dtype=np.float64)


@dataclasses.dataclass
class Trails:
    """Polylines of where objects went in a time range: points grouped by object and piece."""

    fid: np.ndarray  # (m,) object of each polyline
    offsets: np.ndarray  # (m + 1,) start of each polyline in ``xyz``
    xyz: np.ndarray  # (k, 3)


class MovingTrack:
    """Slices of a ``moving`` layer's track table."""

    def __init__(self, project: Project, layer: LayerInfo) -> None:
        if layer.kind != "moving":
            raise ValueError(f"layer {layer.name!r} is {layer.kind}, not moving objects")
        self.project = project
        self.layer = layer
        info = _track_info(layer)
        self.table = layer.table(info.get("table", "track"))
        self.max_gap_us = int(round(float(info.get("max_gap_s", 0.0)) * US))
        self.split_gap_us = int(round(float(info.get("split_gap_s", 600.0)) * US))
        self.source = dataset_track(project, layer)  # a layer in a partitioned dataset: its files, not a table

    def samples(self, start_us: int, end_us: int, columns: str = "fid, t, x, y, z") -> dict[str, np.ndarray]:
        """Raw samples with ``start_us <= t <= end_us`` as numpy arrays (``t`` as int64 microseconds)."""
        cols = columns.replace("t,", "epoch_us(t) AS t,", 1) if columns.startswith("fid, t,") else columns
        if self.source is not None:  # only the partitions of the window's days (twin.time.track_sources)
            return self.source.samples(cols, start_us, end_us)
        return self.project.numpy(
            f"SELECT {cols} FROM {table_ref(self.table)} WHERE t >= make_timestamptz(?) AND t <= make_timestamptz(?)",
            [int(start_us), int(end_us)],
        )

    def positions(self, at: int | object) -> Positions:
        """Interpolated positions of the objects present at ``at`` (a datetime or int64 microseconds)."""
        at_us = at if isinstance(at, (int, np.integer)) else to_us(at)  # type: ignore[arg-type]
        s = self.samples(at_us - self.max_gap_us, at_us + self.max_gap_us)
        return interpolate(s["fid"], s["t"], sample_xyz(s), int(at_us), split_gap_us=self.split_gap_us)

    def trails(self, window: TimeRange, *, max_seconds: float | None = None) -> Trails:
        """Polylines of the samples in ``window`` (its last ``max_seconds`` when given) plus each object's
        interpolated positions at both ends; pieces split where a track has a gap longer than its split gap."""
        end_us = window.end_us
        start_us = window.start_us if max_seconds is None else max(window.start_us, end_us - int(max_seconds * US))
        s = self.samples(start_us, end_us)
        return build_trails(s, self.positions(start_us), self.positions(end_us), start_us, end_us,
                            split_gap_us=self.split_gap_us)


def build_trails(s: dict[str, np.ndarray], first: Positions, now: Positions, start_us: int, end_us: int, *,
                 split_gap_us: int) -> Trails:
    """Trails from the samples ``s`` of ``[start_us, end_us]`` and the positions at both ends (any order)."""
    fid = np.concatenate([s["fid"].astype(np.int64), first.fid, now.fid])
    t = np.concatenate([s["t"].astype(np.int64), np.full(len(first), start_us), np.full(len(now), end_us)])
    xyz = np.concatenate([np.column_stack([s["x"], s["y"], s["z"]]).reshape(-1, 3), first.xyz, now.xyz])
    order = np.lexsort((t, fid))
    fid, t, xyz = fid[order], t[order], xyz[order]
    keep = np.ones(len(fid), dtype=bool)
    keep[1:] = ~((fid[1:] == fid[:-1]) & (t[1:] == t[:-1]))  # interpolated ends that repeat an exact sample
    fid, t, xyz = fid[keep], t[keep], xyz[keep]
    breaks = np.ones(len(fid), dtype=bool)
    breaks[1:] = (fid[1:] != fid[:-1]) | (t[1:] - t[:-1] > split_gap_us)
    starts = np.flatnonzero(breaks)
    offsets = np.append(starts, len(fid))
    lengths = np.diff(offsets)
    multi = lengths >= 2  # a single point is no line
    keep_points = np.repeat(multi, lengths)
    new_offsets = np.concatenate([[0], np.cumsum(lengths[multi])])
    return Trails(fid[starts][multi], new_offsets.astype(np.int64), xyz[keep_points])


class EventTrack:
    """Which events of an ``events`` layer are visible in a window, and which are going on at its end."""

    def __init__(self, project: Project, layer: LayerInfo) -> None:
        self.project = project
        self.layer = layer
        self.temporal = TemporalProperties.of_layer(layer.properties)

    def active(self, window: TimeRange) -> tuple[np.ndarray, np.ndarray]:
        """``(fid, now)``: events overlapping ``window``; ``now`` marks those active at the window's end."""
        where, params = self.temporal.predicate(window)
        now, now_params = self.temporal.predicate(TimeRange.instant(window.end))
        result = self.project.numpy(
            f"SELECT fid, ({now}) AS now FROM {self.layer.ref()} WHERE {where} ORDER BY fid",
            now_params + params,
        )
        return result["fid"].astype(np.int64), np.asarray(result["now"], dtype=bool)


class Readings:
    """Values of a ``sensors`` or ``segments`` layer at a time, and the features they colour."""

    def __init__(self, project: Project, layer: LayerInfo) -> None:
        self.project = project
        self.layer = layer
        info = _track_info(layer)
        self.table = layer.table(info.get("table", "track"))
        self.value = info.get("value", "value")
        self.timed = bool(info.get("timed", True))
        self.temporal = TemporalProperties.of_layer(layer.properties)

    def values(self, window: TimeRange | None) -> tuple[np.ndarray, np.ndarray]:
        """``(fid, value)``: per key, the last reading valid in ``window`` (held ``hold_s`` after it was
        taken); for readings without time, the mean of all readings of the key."""
        value = quote(self.value)
        if not self.timed or window is None:
            where, params, pick = "TRUE", [], f"avg({value})"
        else:
            (where, params), pick = self.temporal.predicate(window), f"arg_max({value}, t)"
        sql = (f"SELECT fid, {pick} AS v FROM {table_ref(self.table)} WHERE {where} AND {value} IS NOT NULL "
               "GROUP BY fid ORDER BY fid")
        result = self.project.numpy(sql, params)
        return result["fid"].astype(np.int64), np.ma.filled(np.ma.asarray(result["v"], dtype=np.float64), np.nan)

    def value_range(self) -> tuple[float | None, float | None]:
        """The smallest and largest reading of the value column (for a stable colour scale)."""
        value = quote(self.value)
        lo, hi = self.project.rows(f"SELECT min({value}), max({value}) FROM {table_ref(self.table)}")[0]
        return (None, None) if lo is None else (float(lo), float(hi))

    def join_target(self) -> LayerInfo | None:
        """The layer whose features these readings colour (see :func:`join_target`)."""
        return join_target(self.project, self.layer)

    def join(self) -> tuple[LayerInfo, np.ndarray, np.ndarray] | None:
        """``(target layer, reading fid, target fid)`` pairs joined by key, or None without a target."""
        target = self.join_target()
        if target is None:
            return None
        key = quote(_column_of(self.project, target, self.layer.properties["join"]["key"]))
        result = self.project.numpy(
            f"SELECT s.fid AS s, f.fid AS f FROM {self.layer.ref()} s JOIN {target.ref()} f "
            f"ON trim(CAST(f.{key} AS VARCHAR)) = s.object_id ORDER BY f.fid"
        )
        return target, result["s"].astype(np.int64), result["f"].astype(np.int64)


def _track_info(layer: LayerInfo) -> dict:
    """``properties["track"]`` of a track layer; ValueError naming the layer when it is not an object."""
    info = layer.properties.get("track", {})
    if not isinstance(info, dict) or not isinstance(info.get("table", "track"), str):
        raise ValueError(f"layer {layer.name!r}: properties.track {info!r} is not a track description")
    return info


def _columns(project: Project, table: str) -> list[str]:
    rows = project.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table])
    return [r[0] for r in rows]


def _column_of(project: Project, layer: LayerInfo, key: str) -> str:
    """The column of ``layer`` named ``key`` (exactly, else ignoring case)."""
    names = _columns(project, layer.table_name)
    if key in names:
        return key
    lowered = {n.lower(): n for n in names}
    return lowered.get(key.lower(), key)


def join_target(project: Project, layer: LayerInfo) -> LayerInfo | None:
    """The layer a readings layer colours: ``properties["join"]["layer"]`` when set, else the first layer
    of a suitable kind (points for sensors, lines for road segments) that has the key column."""
    join = layer.properties.get("join") or {}
    if join.get("layer"):
        return project.layer(join["layer"])
    key = str(join.get("key", "")).lower()
    kinds = join.get("kinds", [])
    for kind in kinds:
        for other in project.layers():
            if other.kind == kind and other.id != layer.id:
                if key in (c.lower() for c in _columns(project, other.table_name)):
                    return other
    return None
