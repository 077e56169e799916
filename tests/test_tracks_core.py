"""Track layers in the store: building them, interpolating positions, slicing events and readings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.layerdata import ImportReport, LayerData
from twin.store.writer import write_layer
from twin.time.range import TimeRange, to_us
from twin.time.slicing import EventTrack, MovingTrack, Readings, interpolate
from twin.time.tracks import events_layer, moving_layer, readings_layer

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
S = 1_000_000


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def us(seconds: float) -> int:
    return to_us(T0) + int(seconds * S)


# A hand-made track: object 0 drives east 10 m/s from t=0 to t=10; object 1 waits, then goes north;
# object 2 has a 1000 s gap (split: absent in between).
HAND = {
    "fid": np.array([0, 0, 1, 1, 1, 2, 2, 2]),
    "t": np.array([0, 10, 0, 5, 15, 0, 10, 1010]) * S,
    "xyz": np.array([[0, 0, 0], [100, 0, 0], [50, 50, 0], [50, 50, 0], [50, 150, 10],
                     [0, 0, 0], [10, 0, 0], [20, 0, 0]], dtype=float),
}


def test_interpolation_between_samples():
    pos = interpolate(HAND["fid"], HAND["t"], HAND["xyz"], 2_500_000, split_gap_us=600 * S)
    assert pos.fid.tolist() == [0, 1, 2]
    np.testing.assert_allclose(pos.xyz, [[25, 0, 0], [50, 50, 0], [2.5, 0, 0]])
    assert pos.heading[0] == pytest.approx(90.0)  # east
    assert np.isnan(pos.heading[1])  # standing still
    pos = interpolate(HAND["fid"], HAND["t"], HAND["xyz"], 10 * S, split_gap_us=600 * S)
    np.testing.assert_allclose(pos.xyz, [[100, 0, 0], [50, 100, 5], [10, 0, 0]])  # exact sample wins
    assert pos.heading[1] == pytest.approx(0.0)  # north
    assert pos.heading[0] == pytest.approx(90.0)  # the last sample keeps the previous heading


def test_objects_are_absent_before_after_and_in_long_gaps():
    pos = interpolate(HAND["fid"], HAND["t"], HAND["xyz"], 12 * S, split_gap_us=600 * S)
    assert pos.fid.tolist() == [1]  # 0 ended at 10 s, 2 is in its 1000 s gap
    pos = interpolate(HAND["fid"], HAND["t"], HAND["xyz"], 12 * S, split_gap_us=None)
    assert pos.fid.tolist() == [1, 2]
    np.testing.assert_allclose(pos.xyz[1], [10.02, 0, 0])
    assert len(interpolate(HAND["fid"], HAND["t"], HAND["xyz"], -1, split_gap_us=600 * S)) == 0
    assert len(interpolate(np.empty(0), np.empty(0), np.empty((0, 3)), 0)) == 0


def test_interpolation_ignores_row_order():
    rng = np.random.default_rng(1)
    order = rng.permutation(len(HAND["fid"]))
    a = interpolate(HAND["fid"], HAND["t"], HAND["xyz"], 7 * S, split_gap_us=600 * S)
    b = interpolate(HAND["fid"][order], HAND["t"][order], HAND["xyz"][order], 7 * S, split_gap_us=600 * S)
    np.testing.assert_array_equal(a.fid, b.fid)
    np.testing.assert_allclose(a.xyz, b.xyz)


def hand_layer(report=None) -> LayerData:
    return moving_layer(
        object_ids=np.array(["bus", "bus", "car", "car", "car", "van", "van", "van", "car"]),
        t_us=np.append(HAND["t"], 5 * S) + to_us(T0),
        x=np.append(HAND["xyz"][:, 0], 999.0) + 200_000,
        y=np.append(HAND["xyz"][:, 1], 999.0) + 450_000,
        z=np.append(HAND["xyz"][:, 2], 0.0),
        samples=pa.table({"speed": np.arange(9, dtype=float)}),
        objects=pa.table({"type": ["bus"] * 2 + ["car"] * 3 + ["van"] * 3 + ["car"]}),
        crs="EPSG:5186", report=report or ImportReport("hand.csv"),
    )


def test_moving_layer_is_sorted_by_time_and_reports_repeats():
    report = ImportReport("hand.csv")
    data = hand_layer(report)
    track = data.tables["track"]
    t = track.column("t").cast(pa.int64()).to_numpy()
    assert (np.diff(t) >= 0).all() and track.num_rows == 8
    assert [(s.where, s.reason) for s in report.skipped] == [("row 9", "repeated time for object car (the first sample is kept)")]
    assert data.feature_count == 3 and data.features.column("object_id").to_pylist() == ["bus", "car", "van"]
    assert data.features.column("type").to_pylist() == ["bus", "car", "van"]
    assert data.time_span == (at(0), at(1010))
    assert data.properties["track"]["max_gap_s"] == 10.0
    assert any("split tracks" in n for n in report.notes)


def test_moving_layer_in_a_project(project):
    layer = write_layer(project, hand_layer(), name="hand")
    assert layer.feature_count == 3 and layer.time_span == (at(0), at(1010))
    moving = MovingTrack(project, layer)
    pos = moving.positions(at(2.5))
    assert pos.fid.tolist() == [0, 1, 2]
    np.testing.assert_allclose(pos.xyz, [[200_025, 450_000, 0], [200_050, 450_050, 0], [200_002.5, 450_000, 0]])
    assert moving.positions(us(12)).fid.tolist() == [1]
    trails = moving.trails(TimeRange(at(0), at(12)))
    assert trails.fid.tolist() == [0, 1, 2]
    assert np.diff(trails.offsets).tolist() == [2, 3, 2]  # car: samples at 0 and 5 s + its position at 12 s
    np.testing.assert_allclose(trails.xyz[trails.offsets[1] + 2], [200_050, 450_120, 7])
    short = moving.trails(TimeRange(at(0), at(12)), max_seconds=3)  # 9 s .. 12 s
    assert short.fid.tolist() == [0, 1, 2] and np.diff(short.offsets).tolist() == [2, 2, 2]
    np.testing.assert_allclose(short.xyz[[0, 2, 4]] - [200_000, 450_000, 0], [[90, 0, 0], [50, 90, 4], [9, 0, 0]])


def test_events_active_and_highlighted(project):
    report = ImportReport("events.csv")
    data = events_layer(
        t_start_us=np.array([us(100), us(0), us(50)]),
        t_end_us=np.array([np.iinfo(np.int64).min, us(1000), np.iinfo(np.int64).min]),
        x=np.array([127.0, 127.1, 127.2]), y=np.array([37.5, 37.5, 37.5]),
        attributes=pa.table({"name": ["late", "works", "crash"]}), crs="EPSG:4326", report=report, duration_s=60,
    )
    assert data.features.column("name").to_pylist() == ["works", "crash", "late"]  # sorted by start
    assert data.time_span == (at(0), at(1000))
    layer = write_layer(project, data, name="events")
    events = EventTrack(project, layer)
    fid, now = events.active(TimeRange(at(40), at(115)))  # the crash lasts 60 s: over at 110 s
    assert fid.tolist() == [0, 1, 2] and now.tolist() == [True, False, True]
    fid, now = events.active(TimeRange.instant(at(200)))
    assert fid.tolist() == [0] and now.tolist() == [True]
    assert project.query(f"SELECT count(*) AS n FROM {layer.table_name}").to_pylist() == [{"n": 3}]


def test_readings_values_hold_and_join(project):
    roads = shapely.to_wkb(shapely.linestrings([[[127.0, 37.5], [127.01, 37.5]], [[127.0, 37.6], [127.0, 37.61]]]))
    write_layer(project, LayerData("lines", pa.table({"geometry": roads, "LINK_ID": ["11", "22"]}), "EPSG:4326",
                                   ImportReport("roads.geojson")), name="roads")
    data = readings_layer(
        "segments", keys=np.array([11, 22, 11, 22, 11]), t_us=np.array([us(0), us(0), us(300), us(300), us(600)]),
        values=pa.table({"speed": [30.0, 40.0, 35.0, 45.0, 20.0]}), value="speed", key_column="link_id",
        report=ImportReport("speeds.csv"),
    )
    assert data.properties["track"]["hold_s"] == 300.0 and data.feature_count == 2
    layer = write_layer(project, data, name="speeds")
    readings = Readings(project, layer)
    fid, value = readings.values(TimeRange.instant(at(320)))
    assert fid.tolist() == [0, 1] and value.tolist() == [35.0, 45.0]
    fid, value = readings.values(TimeRange.instant(at(700)))
    assert fid.tolist() == [0] and value.tolist() == [20.0]  # link 22's last reading is older than its hold
    target, reading_fid, target_fid = readings.join()
    assert target.name == "roads" and reading_fid.tolist() == [0, 1] and target_fid.tolist() == [0, 1]


def test_static_readings_average_per_key(project):
    data = readings_layer("segments", keys=["a", "a", "b"], t_us=None, values=pa.table({"v": [10.0, 20.0, 5.0]}),
                          value="v", key_column="id", report=ImportReport("static.csv"))
    assert data.time_span is None and data.properties["temporal"] == {"mode": "fixed"}
    project.set_meta("crs", "EPSG:5186")
    layer = write_layer(project, data, name="static")
    fid, value = Readings(project, layer).values(TimeRange.instant(at(0)))
    assert value.tolist() == [15.0, 5.0]
    assert Readings(project, layer).join() is None
