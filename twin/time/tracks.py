"""Track layers as importers hand them to the store: plain arrays in, a :class:`LayerData` out.

Storage (one layer = a feature table ``lyr_<id>`` plus its time table ``lyr_<id>_track``):

- ``moving``: one feature per object (``object_id``, per-object attributes, ``t_start``/``t_end``,
  the first position as geometry); ``track(fid INTEGER, t TIMESTAMPTZ, x, y, z DOUBLE, ...)``
  holds every sample, **sorted by (t, fid)** so that a time slice is a range scan over zonemaps.
- ``events``: one feature per event, sorted by ``t_start`` (fid order = time order), with
  ``t_start`` and ``t_end`` (NULL when unknown) columns and a point geometry; no track table.
- ``sensors`` / ``segments``: one feature per sensor or road link (``object_id`` = the key that joins
  them to a points or lines layer); ``track(fid, t, value, ...)`` sorted by (t, fid), ``t`` NULL for
  readings without time (a static profile such as average speeds).

Every builder is vectorised (numpy / Arrow): no Python loop per object or per row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from twin.layerdata import ImportReport, LayerData
from twin.time.range import from_us
from twin.time.temporal import TemporalProperties

TRACK = "track"
#: gaps longer than this split a moving object's track: it is absent in between (seconds)
DEFAULT_SPLIT_GAP_S = 600.0
MAX_SKIP_DETAILS = 10_000
#: nominal CRS of layers without geometry (readings get theirs from the layer they join)
NO_GEOMETRY_CRS = "EPSG:4326"


def _timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype(np.int64), type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def _span(us: np.ndarray) -> tuple[dt.datetime, dt.datetime] | None:
    return (from_us(int(us.min())), from_us(int(us.max()))) if us.size else None


def _first_per_group(codes: np.ndarray, count: int) -> np.ndarray:
    """Row index of the first row of each group 0..count-1 (rows in any order)."""
    first = np.full(count, -1, dtype=np.int64)
    order = np.arange(len(codes))[::-1]
    first[codes[order]] = order  # later writes win: the smallest row index stays
    return first


def _take(table: pa.Table | None, rows: np.ndarray) -> dict[str, pa.Array]:
    if table is None or table.num_columns == 0:
        return {}
    taken = table.take(pa.array(rows))
    return {name: taken.column(name).combine_chunks() for name in taken.column_names}


def moving_layer(
    *,
    object_ids: Any,
    t_us: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    report: ImportReport,
    z: np.ndarray | None = None,
    samples: pa.Table | None = None,
    objects: pa.Table | None = None,
    row_labels: np.ndarray | None = None,
    split_gap_s: float = DEFAULT_SPLIT_GAP_S,
    name: str | None = None,
    properties: dict[str, Any] | None = None,
) -> LayerData:
    """A ``moving`` layer from samples (one row per object and time).

    ``samples`` holds per-sample columns (speed, angle...) aligned with ``t_us``; ``objects`` holds
    per-object attributes aligned with the rows too (the first value of each object is kept).
    Repeated times of the same object are skipped and reported (the first sample is kept);
    ``row_labels`` names rows in the report (default: ``row N``, 1-based).
    """
    t_us = np.asarray(t_us, dtype=np.int64)
    codes, uniques = pd.factorize(pd.Series(np.asarray(object_ids, dtype=object)), sort=False)
    codes = codes.astype(np.int64)
    order = np.lexsort((np.arange(len(t_us)), t_us, codes))  # by object, time, then source order
    same = (codes[order][1:] == codes[order][:-1]) & (t_us[order][1:] == t_us[order][:-1])
    repeated = order[1:][same]
    if repeated.size:
        labels = row_labels if row_labels is not None else np.arange(len(t_us)) + 1
        for row in np.sort(repeated)[:MAX_SKIP_DETAILS]:
            report.skip(f"row {labels[row]}" if row_labels is None else str(labels[row]),
                        f"repeated time for object {uniques[codes[row]]} (the first sample is kept)")
        if repeated.size > MAX_SKIP_DETAILS:
            report.note(f"{repeated.size - MAX_SKIP_DETAILS} more repeated times skipped")
    keep = np.ones(len(t_us), dtype=bool)
    keep[repeated] = False
    by_object = order[keep[order]]
    gaps = np.diff(t_us[by_object]) / 1e6
    continuing = codes[by_object][1:] == codes[by_object][:-1]
    inner = gaps[continuing & (gaps <= split_gap_s)]
    max_gap = float(inner.max()) if inner.size else 0.0
    splits = int((continuing & (gaps > split_gap_s)).sum())
    if splits:
        report.note(f"{splits} gap(s) longer than {split_gap_s:g} s split tracks: objects are absent in between")
    rows = np.lexsort((codes, t_us))  # storage order: by time, then object
    rows = rows[keep[rows]]
    zz = np.zeros(len(t_us)) if z is None else np.nan_to_num(np.asarray(z, dtype=np.float64))
    track = {"fid": pa.array(codes[rows].astype(np.int32)), "t": _timestamps(t_us[rows]),
             "x": pa.array(np.asarray(x, dtype=np.float64)[rows]), "y": pa.array(np.asarray(y, dtype=np.float64)[rows]),
             "z": pa.array(zz[rows])}
    track.update(_take(samples, rows))
    count = len(uniques)
    kept_codes = codes[keep]
    kept_rows = np.flatnonzero(keep)
    first = kept_rows[_first_per_group(kept_codes, count)]
    t_first = np.full(count, np.iinfo(np.int64).max)
    t_last = np.full(count, np.iinfo(np.int64).min)
    np.minimum.at(t_first, kept_codes, t_us[keep])
    np.maximum.at(t_last, kept_codes, t_us[keep])
    features = {"object_id": pa.array([str(u) for u in uniques], type=pa.string())}
    features.update(_take(objects, first))
    features["t_start"] = _timestamps(t_first)
    features["t_end"] = _timestamps(t_last)
    features["geometry"] = pa.array(shapely.to_wkb(shapely.points(np.asarray(x, dtype=float)[first],
                                                                  np.asarray(y, dtype=float)[first])), type=pa.binary())
    report.imported = int(keep.sum())
    report.counted = f"sample(s) of {count} object(s)"
    report.detected.setdefault("objects", count)
    props = {
        "temporal": TemporalProperties.range("t_start", "t_end").to_dict(),
        "track": {"table": TRACK, "max_gap_s": max_gap, "split_gap_s": float(split_gap_s), "samples": int(keep.sum())},
        **(properties or {}),
    }
    return LayerData(
        kind="moving", features=pa.table(features), crs=crs, report=report, name=name, properties=props,
        tables={TRACK: pa.table(track)}, table_xy={TRACK: ("x", "y")}, feature_count=count,
        time_span=_span(t_us[keep]),
    )


def events_layer(
    *,
    t_start_us: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    attributes: pa.Table,
    crs: str,
    report: ImportReport,
    t_end_us: np.ndarray | None = None,
    duration_s: float = 0.0,
    name: str | None = None,
    properties: dict[str, Any] | None = None,
) -> LayerData:
    """An ``events`` layer: one point per event, sorted by start; ``t_end_us`` may hold the int64 minimum for none.

    ``duration_s`` is how long an event without end stays visible (the time resolution of the source,
    e.g. an hour for accidents recorded to the hour).
    """
    t_start_us = np.asarray(t_start_us, dtype=np.int64)
    none = np.iinfo(np.int64).min
    end = np.full(len(t_start_us), none) if t_end_us is None else np.asarray(t_end_us, dtype=np.int64)
    order = np.argsort(t_start_us, kind="stable")
    features = _take(attributes, order)
    features["t_start"] = _timestamps(t_start_us[order])
    has_end = end[order] != none
    features["t_end"] = pa.array(end[order], type=pa.int64(), mask=~has_end).cast(pa.timestamp("us", tz="UTC"))
    features["geometry"] = pa.array(shapely.to_wkb(shapely.points(np.asarray(x, float)[order], np.asarray(y, float)[order])),
                                    type=pa.binary())
    lengths = (end[order] - t_start_us[order])[has_end] / 1e6
    max_duration = max(float(lengths.max()) if lengths.size else 0.0, duration_s)
    reach = np.where(has_end, end[order], t_start_us[order] + int(duration_s * 1e6))
    temporal = TemporalProperties.range("t_start", "t_end", duration=dt.timedelta(seconds=duration_s),
                                        max_duration=dt.timedelta(seconds=max_duration))
    report.imported = len(order)
    span = (from_us(int(t_start_us.min())), from_us(int(reach.max()))) if len(order) else None
    return LayerData(
        kind="events", features=pa.table(features), crs=crs, report=report, name=name,
        properties={"temporal": temporal.to_dict(), **(properties or {})}, feature_count=len(order), time_span=span,
    )


def readings_layer(
    kind: str,
    *,
    keys: Any,
    t_us: np.ndarray | None,
    values: pa.Table,
    value: str,
    key_column: str,
    report: ImportReport,
    hold_s: float | None = None,
    name: str | None = None,
    properties: dict[str, Any] | None = None,
) -> LayerData:
    """A ``sensors`` or ``segments`` layer: readings per key (sensor id, road link id) over time.

    ``values`` holds the numeric reading columns; ``value`` names the one that colours the map.
    ``t_us`` is None for readings without time (a static profile). The features carry no geometry:
    the visual joins ``object_id`` to the column ``key_column`` of a points (sensors) or lines
    (segments) layer. ``hold_s`` is how long a reading stays valid (default: the most common interval
    between readings of a sensor, or an hour when no sensor has two).
    """
    if kind not in ("sensors", "segments"):
        raise ValueError(f"readings layers are 'sensors' or 'segments', not {kind!r}")
    key_text = pd.Series(np.asarray(keys, dtype=object)).astype("string")
    codes, uniques = pd.factorize(key_text, sort=False)
    codes = codes.astype(np.int64)
    timed = t_us is not None
    t = np.asarray(t_us, dtype=np.int64) if timed else np.zeros(len(codes), dtype=np.int64)
    rows = np.lexsort((codes, t))
    track: dict[str, pa.Array] = {"fid": pa.array(codes[rows].astype(np.int32))}
    track["t"] = _timestamps(t[rows]) if timed else pa.nulls(len(rows), pa.timestamp("us", tz="UTC"))
    track.update(_take(values, rows))
    if hold_s is None:
        hold_s = _typical_interval(codes, t) if timed else 0.0
    features = {"object_id": pa.array([str(u) for u in uniques], type=pa.string()),
                "readings": pa.array(np.bincount(codes, minlength=len(uniques)).astype(np.int64))}
    report.imported = len(codes)
    report.detected.setdefault("keys", len(uniques))
    temporal = TemporalProperties.instant("t", duration=dt.timedelta(seconds=hold_s)) if timed else TemporalProperties.fixed()
    props = {
        "temporal": temporal.to_dict(),
        "track": {"table": TRACK, "value": value, "hold_s": hold_s, "timed": timed},
        "join": {"key": key_column, "kinds": ["points", "polygons", "buildings"] if kind == "sensors" else ["lines"]},
        **(properties or {}),
    }
    return LayerData(
        kind=kind, features=pa.table(features), crs=NO_GEOMETRY_CRS, report=report, name=name, properties=props,
        tables={TRACK: pa.table(track)}, feature_count=len(uniques), time_span=_span(t) if timed else None,
    )


def _typical_interval(codes: np.ndarray, t: np.ndarray) -> float:
    """The most common positive interval between consecutive readings of one key, in seconds (1 h if none)."""
    order = np.lexsort((t, codes))
    gaps = np.diff(t[order])
    gaps = gaps[(codes[order][1:] == codes[order][:-1]) & (gaps > 0)]
    if not gaps.size:
        return 3600.0
    values, counts = np.unique(gaps, return_counts=True)
    return float(values[np.argmax(counts)]) / 1e6

