"""Temporal properties of a layer: how its rows relate to time, and the SQL filter of a time range.

Like QGIS's layer temporal properties, a layer is one of

- ``fixed``: always visible, whatever the time;
- ``instant``: one time field; a row is an instant that stays visible for ``duration``
  (``0`` = only at that instant; an hour for accidents recorded to the hour);
- ``range``: start and end fields; a missing end means the row lasts ``duration`` after its start.

:meth:`TemporalProperties.predicate` turns a :class:`TimeRange` into a parameterised SQL predicate
(``?`` placeholders and their values), so tests can read the exact filter and DuckDB can use the
zonemaps of a table sorted by the start field: every predicate bounds the start field from both
sides. Ranges overlap when they share an instant (closed ranges); an instant row with a duration
occupies ``[t, t + duration)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from twin.store.identifiers import quote as quote_identifier
from twin.time.range import TimeRange

MODES = ("fixed", "instant", "range")


def quote(name: str) -> str:
    """A SQL identifier, double-quoted (Korean and odd column names included): the store's one helper,
    :func:`twin.store.identifiers.quote` (field names come from a project's layer properties)."""
    return quote_identifier(name)


@dataclasses.dataclass(frozen=True)
class TemporalProperties:
    """How a layer's rows relate to time (see the module docstring)."""

    mode: str = "fixed"
    start_field: str | None = None
    end_field: str | None = None
    #: how long an instant (or a range without end) stays visible
    duration: dt.timedelta = dt.timedelta(0)
    #: the longest range in the data (bounds the scan of ``range`` layers); None = unknown
    max_duration: dt.timedelta | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"temporal mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode in ("instant", "range") and not self.start_field:
            raise ValueError(f"temporal mode {self.mode!r} needs a start field")
        if self.mode == "range" and not self.end_field:
            raise ValueError("temporal mode 'range' needs an end field")
        if self.duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")

    # ----- constructors --------------------------------------------------------------------
    @classmethod
    def fixed(cls) -> "TemporalProperties":
        return cls("fixed")

    @classmethod
    def instant(cls, field: str, *, duration: dt.timedelta = dt.timedelta(0)) -> "TemporalProperties":
        return cls("instant", field, None, duration)

    @classmethod
    def range(
        cls, start: str, end: str, *, duration: dt.timedelta = dt.timedelta(0), max_duration: dt.timedelta | None = None
    ) -> "TemporalProperties":
        return cls("range", start, end, duration, max_duration)

    # ----- SQL -----------------------------------------------------------------------------
    def predicate(self, window: TimeRange, *, alias: str | None = None) -> tuple[str, list[Any]]:
        """The SQL condition selecting rows visible in ``window``, with ``?`` parameters."""
        if self.mode == "fixed":
            return "TRUE", []
        start = _column(self.start_field, alias)
        if self.mode == "instant":
            if self.duration == dt.timedelta(0):
                return f"{start} >= ? AND {start} <= ?", [window.start, window.end]
            return f"{start} > ? AND {start} <= ?", [window.start - self.duration, window.end]
        end = _column(self.end_field, alias)
        reach = f"coalesce({end}, {start} + ?)"
        if self.max_duration is None:
            return f"{start} <= ? AND {reach} >= ?", [window.end, self.duration, window.start]
        lowest = window.start - max(self.max_duration, self.duration)
        return (f"{start} >= ? AND {start} <= ? AND {reach} >= ?",
                [lowest, window.end, self.duration, window.start])

    def sql(self, window: TimeRange, *, alias: str | None = None) -> str:
        """The predicate with its values written in as TIMESTAMPTZ / INTERVAL literals (for display and logs)."""
        text, params = self.predicate(window, alias=alias)
        parts = text.split("?")
        out = [parts[0]]
        for value, rest in zip(params, parts[1:]):
            out.append(literal(value) + rest)
        return "".join(out)

    def active_predicate(self, instant: dt.datetime, *, alias: str | None = None) -> tuple[str, list[Any]]:
        """Rows active at one instant (e.g. to highlight the events going on right now)."""
        return self.predicate(TimeRange(instant, instant), alias=alias)

    # ----- stored form ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON form stored in ``layers.properties["temporal"]``."""
        out: dict[str, Any] = {"mode": self.mode}
        if self.start_field:
            out["start"] = self.start_field
        if self.end_field:
            out["end"] = self.end_field
        if self.duration:
            out["duration_s"] = self.duration.total_seconds()
        if self.max_duration is not None:
            out["max_duration_s"] = self.max_duration.total_seconds()
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> "TemporalProperties":
        if not raw:
            return cls.fixed()
        if not isinstance(raw, dict):  # a project's properties are data: anything may be stored there
            raise ValueError(f"temporal properties must be an object, not {type(raw).__name__}")
        max_duration = raw.get("max_duration_s")
        try:
            return cls(
                mode=raw.get("mode", "fixed"),
                start_field=_field(raw.get("start")),
                end_field=_field(raw.get("end")),
                duration=dt.timedelta(seconds=float(raw.get("duration_s", 0))),
                max_duration=dt.timedelta(seconds=float(max_duration)) if max_duration is not None else None,
            )
        except (TypeError, OverflowError) as exc:
            raise ValueError(f"temporal properties {raw!r}: {exc}") from None

    @classmethod
    def of_layer(cls, properties: dict[str, Any]) -> "TemporalProperties":
        """The temporal properties stored with a layer (``fixed`` when it has none)."""
        return cls.from_dict(properties.get("temporal"))


def _field(name: object) -> str | None:
    """A field name from stored properties (None stays None; anything but text is refused)."""
    if name is None or isinstance(name, str):
        return name
    raise TypeError(f"a field name must be text, not {name!r}")


def _column(name: str | None, alias: str | None) -> str:
    assert name is not None
    return f"{alias}.{quote(name)}" if alias else quote(name)


def literal(value: Any) -> str:
    """A SQL literal for a parameter value (datetimes as TIMESTAMPTZ, timedeltas as INTERVAL)."""
    if isinstance(value, dt.datetime):
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    if isinstance(value, dt.timedelta):
        return f"INTERVAL '{int(value.total_seconds() * 1_000_000)} microseconds'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)
