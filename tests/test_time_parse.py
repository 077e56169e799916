"""The vectorised date parser: Korean text, dotted dates, ISO 8601, compact digits, odd inputs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from twin.time.parse import looks_like_times, parse_times

UTC = dt.timezone.utc


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2017년 1월 28일 14시", utc(2017, 1, 28, 5)),  # KST = UTC+9
        ("2017년 01월 28일 14시 05분", utc(2017, 1, 28, 5, 5)),
        ("2017년 1월 28일 오후 2시 30분", utc(2017, 1, 28, 5, 30)),
        ("2017년 1월 28일 오전 12시", utc(2017, 1, 27, 15)),  # 12 AM is midnight
        ("2017년1월28일", utc(2017, 1, 27, 15)),
        ("2020.9.21", utc(2020, 9, 20, 15)),
        ("2020. 9. 21.", utc(2020, 9, 20, 15)),
        (" 2020.09.21 14:30 ", utc(2020, 9, 21, 5, 30)),
        ("2020/01/02 3:04:05.25Z", utc(2020, 1, 2, 3, 4, 5, 250000)),
        ("2024-03-22T07:15:00", utc(2024, 3, 21, 22, 15)),
        ("2024-03-22 07:15:00+01:00", utc(2024, 3, 22, 6, 15)),
        ("2024-03-22T07:15:00-0230", utc(2024, 3, 22, 9, 45)),
        ("20200921", utc(2020, 9, 20, 15)),
        ("202009211430", utc(2020, 9, 21, 5, 30)),
        ("2020-01-01 24:00", utc(2020, 1, 1, 15)),  # 24시 = midnight ending the day
        ("2024-02-29", utc(2024, 2, 28, 15)),  # leap day
    ],
)
def test_formats(text, expected):
    parsed = parse_times([text], tz="Asia/Seoul")
    assert parsed.array.to_pylist() == [expected]
    assert not parsed.invalid.any()


@pytest.mark.parametrize(
    "text", ["2019.2.30", "2023-02-29", "2017년 13월 1일", "2017년 1월 28일 25시", "2020-01-01 24:30", "오후 2시",
             "2017년 1월 28일 오후 13시", "x", "2020.9", "12/31/2020", "2020-01-01 10:61"]
)
def test_invalid_text_is_flagged_not_guessed(text):
    parsed = parse_times([text], tz="Asia/Seoul")
    assert parsed.array.to_pylist() == [None]
    assert parsed.invalid.tolist() == [True]


def test_empty_and_missing_values_are_null_but_not_invalid():
    parsed = parse_times(["", None, "   ", "2020.1.1"], tz="UTC")
    assert parsed.array.to_pylist() == [None, None, None, utc(2020, 1, 1)]
    assert parsed.invalid.tolist() == [False, False, False, False]


def test_resolution_is_the_finest_unit_written():
    assert parse_times(["2017년 1월 28일 14시"], tz="UTC").resolution == "hour"
    assert parse_times(["2020.9.21", "2020.9.22"], tz="UTC").resolution == "day"
    assert parse_times(["2020-09-21 10:15"], tz="UTC").resolution == "minute"
    assert parse_times(["2020-09-21T10:15:01Z"], tz="UTC").resolution_seconds == 1


def test_zone_matters_only_without_offset():
    text = ["2026-01-26 15:57:02", "2026-01-26 15:57:02+00:00"]
    seoul = parse_times(text, tz="Asia/Seoul").array.to_pylist()
    london = parse_times(text, tz="UTC").array.to_pylist()
    assert seoul[0] == utc(2026, 1, 26, 6, 57, 2) and london[0] == utc(2026, 1, 26, 15, 57, 2)
    assert seoul[1] == london[1] == utc(2026, 1, 26, 15, 57, 2)
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_times(text, tz="Mars/Olympus")


def test_daylight_saving_gaps_and_folds():
    # Europe/London: 2024-03-31 01:30 does not exist (shifted forward); 2024-10-27 01:30 happens twice (first kept)
    parsed = parse_times(["2024-03-31 01:30", "2024-10-27 01:30"], tz="Europe/London").array.to_pylist()
    assert parsed == [utc(2024, 3, 31, 1, 0), utc(2024, 10, 27, 0, 30)]


def test_inputs_of_every_kind():
    values = ["2020.9.21", None, "2017년 1월 28일 14시"]
    expected = parse_times(values, tz="UTC").array.to_pylist()
    assert parse_times(pd.Series(values), tz="UTC").array.to_pylist() == expected
    assert parse_times(pa.chunked_array([values[:1], values[1:]]), tz="UTC").array.to_pylist() == expected
    stamps = pa.array([dt.datetime(2020, 1, 1, 9)], type=pa.timestamp("s"))
    assert parse_times(stamps, tz="Asia/Seoul").array.to_pylist() == [utc(2020, 1, 1)]
    assert parse_times(pd.Series(pd.to_datetime(["2020-01-01T00:00Z"])), tz="Asia/Seoul").array.to_pylist() == [utc(2020, 1, 1)]


def test_us_gives_int64_with_a_sentinel():
    us = parse_times(["1970-01-01T00:00:01Z", "bad"], tz="UTC").us()
    assert us.dtype == np.int64 and us[0] == 1_000_000 and us[1] == np.iinfo(np.int64).min


def test_looks_like_times():
    assert looks_like_times(["2017년 1월 28일 14시", "2017년 3월 6일 15시", ""])
    assert not looks_like_times(["서울", "부산", "2020.1.1"])
    assert not looks_like_times(pa.array([1, 2, 3]))


def test_vectorised_on_a_large_column():
    text = pa.array(np.char.add("2017년 1월 ", np.char.add((np.arange(200_000) % 28 + 1).astype(str), "일 14시")).tolist())
    parsed = parse_times(text, tz="Asia/Seoul")
    assert parsed.array.null_count == 0 and len(parsed.array) == 200_000
