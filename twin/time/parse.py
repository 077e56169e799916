"""Vectorised parsing of the date and time text found in city data, to UTC microseconds.

One regular expression runs over the whole column in Arrow (RE2 in C++, no Python per row) and
recognises:

- ISO 8601: ``2024-03-22T07:15:00``, ``2024-03-22 07:15``, ``...Z``, ``...+09:00``, fractions of seconds;
- Korean text: ``2017년 1월 28일 14시``, ``2017년 1월 28일 오후 2시 30분``, ``2017년 01월 28일``;
- dotted and slashed dates: ``2020.9.21``, ``2020. 9. 21.``, ``2020/09/21 14:30``;
- compact digits: ``20200921``, ``202009211430``, ``20200921143000``.

Times without an offset are read in the zone ``tz`` (the project's, Asia/Seoul by default);
``24시`` is midnight at the end of that day. Rows that match nothing, or name a day that does not
exist (``2019.2.30``), come back as invalid so the importer can report them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from twin.time.range import zone

_MAIN = (
    r"^\s*(?P<y>\d{4})\s*(?:년|[-./])\s*(?P<m>\d{1,2})\s*(?:월|[-./])\s*(?P<d>\d{1,2})\s*(?:일|\.)?"
    r"(?:\s*(?:T|\s)\s*(?P<ap>오전|오후|AM|PM|am|pm)?\s*(?P<H>\d{1,2})\s*(?:시|:)\s*"
    r"(?:(?P<M>\d{1,2})\s*(?:분|:)?\s*(?:(?P<S>\d{1,2}(?:\.\d{1,6})?)\s*초?)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?\s*$"
)
_COMPACT = r"^\s*(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?\s*$"
_FIELDS = ("y", "m", "d", "ap", "H", "M", "S", "tz")

#: the coarsest unit written in a column, from the fields present
RESOLUTIONS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}

US = 1_000_000


@dataclasses.dataclass
class ParsedTimes:
    """The result of :func:`parse_times`."""

    #: timestamp[us, tz=UTC], null where the input was empty or invalid
    array: pa.Array
    #: True where the input had text that is not a valid time
    invalid: np.ndarray
    #: ``day``, ``hour``, ``minute`` or ``second``: the finest unit any row writes
    resolution: str

    @property
    def resolution_seconds(self) -> int:
        return RESOLUTIONS[self.resolution]

    def us(self) -> np.ndarray:
        """Microseconds since the epoch (UTC) as int64; invalid and empty rows are the minimum int64."""
        return pc.fill_null(self.array.cast(pa.int64()), np.iinfo(np.int64).min).to_numpy()


def parse_times(values: Any, *, tz: str = "Asia/Seoul") -> ParsedTimes:
    """Parse a column of date/time text (list, numpy, pandas or Arrow) to UTC; see the module docstring."""
    array = _as_arrow(values)
    if pa.types.is_timestamp(array.type):
        return _from_timestamps(array, tz)
    text = pc.cast(array, pa.string()) if not pa.types.is_string(array.type) else array
    text = pc.utf8_trim_whitespace(text)
    present = pc.fill_null(pc.greater(pc.utf8_length(text), 0), False).to_numpy(zero_copy_only=False)
    fields = _extract(text)
    n = len(text)
    year, month, day = (_ints(fields[k], n) for k in ("y", "m", "d"))
    hour, minute = _ints(fields["H"], n), _ints(fields["M"], n)
    second = _ints(fields["S"], n)
    matched = ~np.isnan(year)
    has_h, has_m, has_s = ~np.isnan(hour), ~np.isnan(minute), ~np.isnan(second)
    ampm = np.asarray(fields["ap"].fill_null("").to_numpy(zero_copy_only=False), dtype=object)
    pm = np.isin(ampm, ["오후", "PM", "pm"])
    am = np.isin(ampm, ["오전", "AM", "am"])
    hour = np.where(has_h, hour, 0)
    ok = matched & ((hour <= 12) | ~(am | pm)) & ~((am | pm) & (hour == 0))
    hour = np.where(pm & (hour < 12), hour + 12, np.where(am & (hour == 12), 0, hour))
    minute = np.where(has_m, minute, 0)
    second = np.where(has_s, second, 0.0)
    month_index = np.where(matched, (year - 1970) * 12 + month - 1, 0)
    ok &= (month >= 1) & (month <= 12) & (day >= 1)
    month_start = np.where(ok, month_index, 0).astype("int64").astype("datetime64[M]")
    days_in_month = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(np.int64)
    ok &= (day <= days_in_month) & (hour <= 24) & ~((hour == 24) & ((minute > 0) | (second > 0)))
    ok &= (minute < 60) & (second < 61)
    day_us = month_start.astype("datetime64[D]").astype(np.int64) + np.where(ok, day, 1).astype(np.int64) - 1
    local_us = (day_us * 86_400 + hour.astype(np.int64) * 3_600 + minute.astype(np.int64) * 60) * US
    local_us = local_us + np.round(second * US).astype(np.int64)
    offset_us = _offsets(fields["tz"], n)
    naive = np.isnan(offset_us)
    utc_us = np.where(naive, 0, local_us - np.nan_to_num(offset_us).astype(np.int64))
    if naive.any():
        utc_us = np.where(naive & ok, _localise(np.where(naive & ok, local_us, 0), tz), utc_us)
    valid = ok & present
    out = pa.array(utc_us, type=pa.int64(), mask=~valid).cast(pa.timestamp("us", tz="UTC"))
    resolution = _resolution(has_h[valid], has_m[valid], has_s[valid])
    return ParsedTimes(out, present & ~ok, resolution)


def looks_like_times(values: Any, *, min_share: float = 0.8) -> bool:
    """True when at least ``min_share`` of the non-empty values parse as times (for sniffing a column)."""
    array = _as_arrow(values)
    if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
        return True
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        return False
    parsed = parse_times(array, tz="UTC")
    filled = len(array) - array.null_count - int(pc.sum(pc.equal(pc.utf8_trim_whitespace(array), "")).as_py() or 0)
    good = filled - int(parsed.invalid.sum())
    return filled > 0 and good >= min_share * filled


def _as_arrow(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
            return pa.Array.from_pandas(values)
        return pa.array(values.astype(object).where(values.notna(), None).tolist(), type=pa.string())
    return pa.array(list(values) if not isinstance(values, np.ndarray) else values.tolist())


def _extract(text: pa.Array) -> dict[str, pa.Array]:
    main = pc.extract_regex(text, pattern=_MAIN)
    compact = pc.extract_regex(text, pattern=_COMPACT)
    use_compact = pc.and_(pc.invert(pc.fill_null(pc.is_valid(main), False)), pc.is_valid(compact))
    compact_names = {compact.type.field(i).name for i in range(compact.type.num_fields)}
    out = {}
    for name in _FIELDS:
        value = pc.struct_field(main, name)
        if name in compact_names:
            value = pc.if_else(use_compact, pc.struct_field(compact, name), value)
        out[name] = pc.if_else(pc.equal(value, ""), pa.scalar(None, pa.string()), value)
    return out


def _ints(values: pa.Array, n: int) -> np.ndarray:
    """Digits as float64 (NaN where absent), so that missing parts stay visible."""
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False) if n else np.empty(0)


def _offsets(values: pa.Array, n: int) -> np.ndarray:
    """Offsets in microseconds (NaN where the text has none)."""
    text = pc.replace_substring(pc.replace_substring(values, "Z", "+0000"), ":", "")
    sign = pc.if_else(pc.starts_with(text, "-"), -1.0, 1.0).to_numpy(zero_copy_only=False)
    hours = pc.cast(pc.utf8_slice_codeunits(text, 1, 3), pa.float64()).to_numpy(zero_copy_only=False)
    minutes = pc.cast(pc.utf8_slice_codeunits(text, 3, 5), pa.float64()).to_numpy(zero_copy_only=False)
    return sign * (hours * 3600 + minutes * 60) * US


def _localise(local_us: np.ndarray, tz: str) -> np.ndarray:
    """Wall-clock microseconds in zone ``tz`` to UTC (ambiguous: the first occurrence; gaps: shifted forward)."""
    zone(tz)  # a clear error for an unknown zone
    if not len(local_us):
        return local_us
    index = pd.DatetimeIndex(local_us.astype("datetime64[us]"))
    aware = index.tz_localize(tz, ambiguous=np.ones(len(index), dtype=bool), nonexistent="shift_forward")
    return aware.as_unit("us").asi8


def _from_timestamps(array: pa.Array, tz: str) -> ParsedTimes:
    if array.type.tz is None:
        local = pc.cast(array.cast(pa.timestamp("us")), pa.int64()).to_numpy(zero_copy_only=False)
        mask = np.asarray(array.is_null())
        utc = _localise(np.where(mask, 0, local), tz)
        out = pa.array(utc, type=pa.int64(), mask=mask).cast(pa.timestamp("us", tz="UTC"))
    else:
        out = array.cast(pa.timestamp("us", tz="UTC"))
    return ParsedTimes(out, np.zeros(len(array), dtype=bool), "second")


def _resolution(has_h: np.ndarray, has_m: np.ndarray, has_s: np.ndarray) -> str:
    if has_s.any():
        return "second"
    if has_m.any():
        return "minute"
    if has_h.any():
        return "hour"
    return "day"
