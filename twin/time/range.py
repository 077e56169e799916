"""An immutable time range in UTC, and conversions between datetimes, ISO text and microseconds.

Every time in the core is a timezone-aware ``datetime`` in UTC (or int64 microseconds since the
Unix epoch, UTC, in numpy arrays). Zones matter only when reading sources and showing times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def zone(name: str) -> dt.tzinfo:
    """The time zone called ``name`` (IANA, e.g. ``Asia/Seoul``, ``UTC``); ValueError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Seoul or UTC)") from exc


def as_utc(value: dt.datetime, *, tz: str = "UTC") -> dt.datetime:
    """``value`` in UTC; a naive datetime is read in the zone ``tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz))
    return value.astimezone(UTC)


def parse_instant(text: str, *, tz: str = "UTC") -> dt.datetime:
    """An ISO 8601 instant (``2024-01-01T08:00``, ``...+09:00``, ``...Z``) in UTC; naive text is read in ``tz``."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text!r} (e.g. 2024-01-01T08:00 or 2024-01-01T08:00+09:00)") from exc
    return as_utc(value, tz=tz)


def format_time(value: dt.datetime, tz: str) -> str:
    """``2017-01-28 14:00:00 KST``: a time as a planner reads it, in the project's zone."""
    local = value.astimezone(zone(tz))
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or tz)


def to_us(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch (UTC) of an aware datetime."""
    delta = as_utc(value) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> dt.datetime:
    """The aware UTC datetime of microseconds since the Unix epoch."""
    return EPOCH + dt.timedelta(microseconds=int(value))


@dataclasses.dataclass(frozen=True)
class TimeRange:
    """A closed time range ``[start, end]`` in UTC; ``start == end`` is an instant."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                raise ValueError(f"TimeRange.{name} must be a timezone-aware datetime, not {value!r}")
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.end < self.start:
            raise ValueError(f"TimeRange ends before it starts: {self.start.isoformat()} > {self.end.isoformat()}")

    @classmethod
    def instant(cls, value: dt.datetime) -> "TimeRange":
        """The range holding only ``value``."""
        return cls(value, value)

    @classmethod
    def parse(cls, text: str, *, tz: str = "UTC") -> "TimeRange":
        """``START/END`` or a single instant, in ISO 8601; naive times are read in ``tz``."""
        first, sep, second = text.partition("/")
        start = parse_instant(first, tz=tz)
        return cls(start, parse_instant(second, tz=tz) if sep else start)

    @classmethod
    def from_us(cls, start: int, end: int) -> "TimeRange":
        return cls(from_us(start), from_us(end))

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start

    @property
    def is_instant(self) -> bool:
        return self.start == self.end

    @property
    def start_us(self) -> int:
        return to_us(self.start)

    @property
    def end_us(self) -> int:
        return to_us(self.end)

    def contains(self, value: dt.datetime) -> bool:
        """True when the instant ``value`` lies in the range (ends included)."""
        return self.start <= as_utc(value) <= self.end

    def overlaps(self, other: "TimeRange") -> bool:
        """True when the two closed ranges share at least one instant."""
        return self.start <= other.end and other.start <= self.end

    def clamp(self, value: dt.datetime) -> dt.datetime:
        """``value`` moved into the range."""
        return min(max(as_utc(value), self.start), self.end)

    def union(self, other: "TimeRange") -> "TimeRange":
        """The smallest range covering both."""
        return TimeRange(min(self.start, other.start), max(self.end, other.end))

    def shifted(self, delta: dt.timedelta) -> "TimeRange":
        return TimeRange(self.start + delta, self.end + delta)

    def isoformat(self, tz: str | None = None) -> str:
        """``START/END`` in ISO 8601 (in the zone ``tz`` when given, else UTC)."""
        zone_ = zone(tz) if tz else UTC
        if self.is_instant:
            return self.start.astimezone(zone_).isoformat()
        return f"{self.start.astimezone(zone_).isoformat()}/{self.end.astimezone(zone_).isoformat()}"

    def __str__(self) -> str:
        return self.isoformat()
