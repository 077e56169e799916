"""The timeline model: time ranges, window modes, loop modes, speed, stepping, and SQL predicates."""

from __future__ import annotations

import datetime as dt

import pytest

from twin.time.range import TimeRange, from_us, parse_instant, to_us
from twin.time.temporal import TemporalProperties
from twin.time.timeline import LoopMode, Timeline, WindowMode, extent_of

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def hour_timeline(**kwargs) -> Timeline:
    return Timeline(TimeRange(at(0), at(3600)), **kwargs)


def recorder(timeline: Timeline) -> list:
    """Every signal of ``timeline.events`` as (name, value); ``finished`` carries None."""
    events: list = []
    for name in ("range", "playing", "speed", "loop", "window", "extent"):
        getattr(timeline.events, name).connect(lambda value, name=name: events.append((name, value)))
    timeline.events.finished.connect(lambda: events.append(("finished", None)))
    return events


# ----- TimeRange ---------------------------------------------------------------------------
def test_time_range_is_utc_and_immutable():
    seoul = dt.timezone(dt.timedelta(hours=9))
    r = TimeRange(dt.datetime(2024, 1, 1, 9, tzinfo=seoul), dt.datetime(2024, 1, 1, 10, tzinfo=seoul))
    assert r.start == T0 and r.start.tzinfo is UTC
    assert r.duration == dt.timedelta(hours=1)
    with pytest.raises(AttributeError):
        r.start = T0  # frozen
    with pytest.raises(ValueError, match="timezone-aware"):
        TimeRange(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2))
    with pytest.raises(ValueError, match="ends before"):
        TimeRange(at(10), at(0))


def test_time_range_parse_overlap_and_microseconds():
    r = TimeRange.parse("2024-01-01T09:00/2024-01-01T09:30", tz="Asia/Seoul")
    assert (r.start, r.end) == (T0, at(1800))
    assert TimeRange.parse("2024-01-01T00:00:00Z").is_instant
    assert r.overlaps(TimeRange.instant(at(1800))) and not r.overlaps(TimeRange.instant(at(1801)))
    assert r.contains(at(0)) and not r.contains(at(-1))
    assert from_us(to_us(at(12.5))) == at(12.5)
    assert r.isoformat("Asia/Seoul") == "2024-01-01T09:00:00+09:00/2024-01-01T09:30:00+09:00"
    assert parse_instant("2024-01-01T09:00", tz="Asia/Seoul") == T0
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("yesterday")


def test_extent_of_layers():
    assert extent_of([None, (at(10), at(20)), TimeRange(at(5), at(12))]) == TimeRange(at(5), at(20))
    assert extent_of([None]) is None
    with pytest.raises(ValueError, match="no temporal layer"):
        Timeline.covering([None])


# ----- window modes ------------------------------------------------------------------------
def test_window_modes():
    tl = hour_timeline(width=dt.timedelta(minutes=10))
    tl.seek(at(1200))
    assert tl.range == TimeRange(at(1200), at(1200))
    tl.set_window(WindowMode.INTERVAL)
    assert tl.range == TimeRange(at(1200), at(1800))
    tl.set_window("cumulative")
    assert tl.range == TimeRange(at(0), at(1200))
    tl.set_window(WindowMode.TRAIL, width=dt.timedelta(minutes=5))
    assert tl.range == TimeRange(at(900), at(1200))
    tl.seek(at(60))  # the trail is cut at the start of the extent
    assert tl.range == TimeRange(at(0), at(60))
    tl.set_window("interval")
    tl.seek(at(3500))  # the interval is cut at the end
    assert tl.range == TimeRange(at(3500), at(3600))


def test_listeners_get_each_new_range_once():
    tl = hour_timeline()
    events = recorder(tl)
    tl.seek(at(10))
    tl.seek(at(10))  # unchanged: no event
    tl.set_window("trail", width=dt.timedelta(seconds=5))
    assert events == [
        ("range", TimeRange(at(10), at(10))),
        ("window", WindowMode.TRAIL),
        ("range", TimeRange(at(5), at(10))),
    ]


# ----- playing, speed ----------------------------------------------------------------------
def test_advance_moves_by_wall_time_times_speed_only_while_playing():
    tl = hour_timeline(speed=60)
    assert tl.advance(1.0) == TimeRange.instant(at(0))  # paused: no move
    tl.play()
    tl.advance(0.5)
    assert tl.current == at(30)
    tl.set_speed(3600)
    tl.advance(0.25)
    assert tl.current == at(930)
    tl.set_speed(1)
    tl.advance(2)
    assert tl.current == at(932)
    with pytest.raises(ValueError, match="between 1x"):
        tl.set_speed(0.5)
    with pytest.raises(ValueError, match="3600x"):
        tl.set_speed(7200)


def test_once_stops_at_the_end_and_says_so():
    tl = hour_timeline(speed=3600, loop="once")
    events = recorder(tl)
    tl.play()
    tl.advance(0.75)
    tl.advance(0.75)
    assert tl.current == at(3600) and not tl.playing
    assert ("finished", None) in events and ("playing", False) in events
    tl.play()  # play again from the start
    assert tl.current == at(0) and tl.playing


def test_loop_wraps_to_the_start():
    tl = hour_timeline(speed=3600, loop=LoopMode.LOOP)
    tl.play()
    tl.advance(0.75)
    tl.advance(0.5)
    assert tl.current == at(900) and tl.playing


def test_bounce_plays_back_and_forth():
    tl = hour_timeline(speed=3600, loop="bounce")
    tl.play()
    tl.advance(0.75)
    assert (tl.current, tl.direction) == (at(2700), 1)
    tl.advance(0.5)  # 2700 + 1800 = 4500 -> reflected to 2700, going back
    assert (tl.current, tl.direction) == (at(2700), -1)
    tl.advance(0.875)  # 2700 - 3150 = -450 -> reflected to 450, going forwards again
    assert (tl.current, tl.direction) == (at(450), 1)


# ----- stepping and the slider -------------------------------------------------------------
def test_step_and_fraction():
    tl = hour_timeline(frame_step=dt.timedelta(minutes=1), loop="once")
    tl.step()
    tl.step(2)
    assert tl.current == at(180)
    tl.step(-5)
    assert tl.current == at(0)  # clamped at the start
    assert tl.frame_count == 61
    tl.seek_fraction(0.25)
    assert tl.current == at(900) and tl.fraction == pytest.approx(0.25)
    tl.set_loop("loop")
    tl.seek(at(3590))
    tl.step()
    assert tl.current == at(50)  # wraps round


def test_set_extent_clamps_the_current_time():
    tl = hour_timeline()
    tl.seek(at(3000))
    tl.set_extent(TimeRange(at(0), at(1000)))
    assert tl.current == at(1000)
    tl.toggle()
    assert tl.playing
    tl.toggle()
    assert not tl.playing


# ----- temporal properties -> SQL ----------------------------------------------------------
WINDOW = TimeRange(at(0), at(600))


def test_fixed_layers_are_always_visible():
    assert TemporalProperties.fixed().predicate(WINDOW) == ("TRUE", [])


def test_instant_field_predicate():
    props = TemporalProperties.instant("사고일시")
    assert props.predicate(WINDOW) == ('"사고일시" >= ? AND "사고일시" <= ?', [at(0), at(600)])
    hourly = TemporalProperties.instant("t", duration=dt.timedelta(hours=1))
    assert hourly.predicate(WINDOW, alias="e") == ('e."t" > ? AND e."t" <= ?', [at(-3600), at(600)])
    assert hourly.sql(TimeRange.instant(at(0))) == (
        "\"t\" > TIMESTAMPTZ '2023-12-31T23:00:00+00:00' AND \"t\" <= TIMESTAMPTZ '2024-01-01T00:00:00+00:00'"
    )


def test_start_end_fields_predicate():
    props = TemporalProperties.range("t_start", "t_end", duration=dt.timedelta(hours=1))
    assert props.predicate(WINDOW) == (
        '"t_start" <= ? AND coalesce("t_end", "t_start" + ?) >= ?', [at(600), dt.timedelta(hours=1), at(0)]
    )
    bounded = TemporalProperties.range("t_start", "t_end", max_duration=dt.timedelta(days=2))
    text = bounded.sql(WINDOW)
    assert text == (
        "\"t_start\" >= TIMESTAMPTZ '2023-12-30T00:00:00+00:00' AND \"t_start\" <= TIMESTAMPTZ "
        "'2024-01-01T00:10:00+00:00' AND coalesce(\"t_end\", \"t_start\" + INTERVAL '0 microseconds') >= "
        "TIMESTAMPTZ '2024-01-01T00:00:00+00:00'"
    )


def test_predicates_select_the_right_rows_in_duckdb():
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE e (id INT, t_start TIMESTAMPTZ, t_end TIMESTAMPTZ)")
    con.execute(
        "INSERT INTO e VALUES (1, '2023-12-31 23:30:00+00', NULL), (2, '2023-12-31 22:00:00+00', '2024-01-01 00:05:00+00'), "
        "(3, '2024-01-01 00:11:00+00', NULL), (4, '2023-12-31 20:00:00+00', NULL)"
    )
    props = TemporalProperties.range("t_start", "t_end", duration=dt.timedelta(hours=1), max_duration=dt.timedelta(hours=3))
    where, params = props.predicate(WINDOW)
    assert [r[0] for r in con.execute(f"SELECT id FROM e WHERE {where} ORDER BY id", params).fetchall()] == [1, 2]
    assert con.execute(f"SELECT count(*) FROM e WHERE {props.sql(WINDOW)}").fetchone()[0] == 2


def test_temporal_properties_round_trip_and_errors():
    props = TemporalProperties.range("a", "b", duration=dt.timedelta(minutes=5), max_duration=dt.timedelta(hours=2))
    assert TemporalProperties.from_dict(props.to_dict()) == props
    assert TemporalProperties.of_layer({}) == TemporalProperties.fixed()
    with pytest.raises(ValueError, match="needs a start field"):
        TemporalProperties("instant")
    with pytest.raises(ValueError, match="one of"):
        TemporalProperties("sometimes")
