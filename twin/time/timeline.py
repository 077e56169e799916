"""The timeline: one navigation object that holds the extent, the current time, play state, speed,
frame step, loop mode and window mode, and tells listeners the current time range.

Modelled on QGIS's temporal controller (``QgsTemporalNavigationObject``) and kepler.gl's animation
windows. It has no clock of its own: the UI's timer calls :meth:`Timeline.advance` with the wall
seconds since the last tick, which makes the model testable without waiting.

Its events are psygnal signals (``timeline.events``), the same library the model uses:

- ``range``: the current :class:`TimeRange` (after any move, mode or width change; only when it changed);
- ``playing``: ``True``/``False``; ``speed``: the multiplier; ``loop``: the :class:`LoopMode`;
- ``window``: the :class:`WindowMode`; ``extent``: the new extent; ``finished``: a ``once`` replay reached
  its end and paused.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

from psygnal import Signal, SignalGroup

from twin.time.range import TimeRange, as_utc

SPEED_MIN = 1.0
SPEED_MAX = 3600.0
#: the multipliers a UI offers (real time .. one hour a second)
SPEED_PRESETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
#: the frame steps a UI offers, with their labels
STEP_PRESETS = (("1 s", dt.timedelta(seconds=1)), ("10 s", dt.timedelta(seconds=10)), ("1 min", dt.timedelta(minutes=1)),
                ("10 min", dt.timedelta(minutes=10)), ("1 h", dt.timedelta(hours=1)), ("1 day", dt.timedelta(days=1)),
                ("1 week", dt.timedelta(weeks=1)), ("30 days", dt.timedelta(days=30)))



class TimelineEvents(SignalGroup):
    """What a :class:`Timeline` tells its listeners."""

    range = Signal(object)  # TimeRange
    playing = Signal(bool)
    speed = Signal(float)
    loop = Signal(object)  # LoopMode
    window = Signal(object)  # WindowMode
    extent = Signal(object)  # TimeRange
    finished = Signal()


class LoopMode(str, enum.Enum):
    """What happens at the end of the extent while playing."""

    ONCE = "once"  # stop at the end
    LOOP = "loop"  # jump back to the start
    BOUNCE = "bounce"  # play backwards, then forwards again (back and forth)


class WindowMode(str, enum.Enum):
    """Which time range the current time stands for (kepler.gl's animation windows)."""

    POINT = "point"  # the instant [t, t]
    INTERVAL = "interval"  # a moving frame [t, t + width] (QGIS frame)
    CUMULATIVE = "cumulative"  # everything so far [extent start, t]
    TRAIL = "trail"  # the last N minutes [t - width, t]


class Timeline:
    """Extent, current time, play state, speed, frame step, loop and window modes; emits time ranges."""

    def __init__(
        self,
        extent: TimeRange,
        *,
        current: dt.datetime | None = None,
        speed: float = 60.0,
        frame_step: dt.timedelta = dt.timedelta(seconds=60),
        loop: LoopMode | str = LoopMode.LOOP,
        window: WindowMode | str = WindowMode.POINT,
        width: dt.timedelta = dt.timedelta(minutes=10),
    ) -> None:
        self._extent = extent
        self._current = extent.clamp(current) if current is not None else extent.start
        self._playing = False
        self._until: dt.datetime | None = None
        self._direction = 1
        self._speed = _check_speed(speed)
        self._frame_step = _positive(frame_step, "frame step")
        self._loop = LoopMode(loop)
        self._window = WindowMode(window)
        self._width = _positive(width, "window width")
        self.events = TimelineEvents()
        self._last_range = self.range

    def _emit_range(self) -> None:
        current = self.range
        if current != self._last_range:
            self._last_range = current
            self.events.range.emit(current)

    # ----- state ---------------------------------------------------------------------------
    @property
    def extent(self) -> TimeRange:
        return self._extent

    @property
    def current(self) -> dt.datetime:
        """The current instant (UTC)."""
        return self._current

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def direction(self) -> int:
        """+1 forwards, -1 backwards (the second half of a back-and-forth replay)."""
        return self._direction

    @property
    def speed(self) -> float:
        """Simulated seconds per wall second (1 = real time, 3600 = an hour a second)."""
        return self._speed

    @property
    def frame_step(self) -> dt.timedelta:
        return self._frame_step

    @property
    def loop(self) -> LoopMode:
        return self._loop

    @property
    def window(self) -> WindowMode:
        return self._window

    @property
    def width(self) -> dt.timedelta:
        """Width of the interval and trail windows."""
        return self._width

    @property
    def range(self) -> TimeRange:
        """The time range the current time stands for in the current window mode (inside the extent)."""
        t = self._current
        if self._window is WindowMode.POINT:
            return TimeRange(t, t)
        if self._window is WindowMode.INTERVAL:
            return TimeRange(t, min(t + self._width, self._extent.end))
        if self._window is WindowMode.CUMULATIVE:
            return TimeRange(self._extent.start, t)
        return TimeRange(max(t - self._width, self._extent.start), t)

    @property
    def fraction(self) -> float:
        """Position of the current time in the extent, 0..1 (for a slider)."""
        total = self._extent.duration.total_seconds()
        return 0.0 if total <= 0 else (self._current - self._extent.start).total_seconds() / total

    @property
    def frame_count(self) -> int:
        """Number of frame steps that cover the extent (the slider's resolution)."""
        return int(self._extent.duration / self._frame_step) + 1

    # ----- setters -------------------------------------------------------------------------
    def set_extent(self, extent: TimeRange) -> None:
        """Change the extent; the current time is kept when inside, else clamped."""
        self._extent = extent
        self._current = extent.clamp(self._current)
        self.events.extent.emit(extent)
        self._emit_range()

    def set_speed(self, speed: float) -> None:
        self._speed = _check_speed(speed)
        self.events.speed.emit(self._speed)

    def set_frame_step(self, step: dt.timedelta) -> None:
        self._frame_step = _positive(step, "frame step")

    def set_loop(self, loop: LoopMode | str) -> None:
        self._loop = LoopMode(loop)
        if self._loop is not LoopMode.BOUNCE:
            self._direction = 1
        self.events.loop.emit(self._loop)

    def set_window(self, window: WindowMode | str, *, width: dt.timedelta | None = None) -> None:
        """Change the window mode (and the width of interval/trail windows)."""
        self._window = WindowMode(window)
        if width is not None:
            self._width = _positive(width, "window width")
        self.events.window.emit(self._window)
        self._emit_range()

    def play(self, *, until: dt.datetime | None = None) -> None:
        """Start playing; a ``once`` replay at its end starts again from the beginning. With ``until``, playing
        stops there (and ``finished`` is emitted): the replay of one incident from its call to its arrival."""
        if self._loop is LoopMode.ONCE and self._current >= self._extent.end:
            self._current = self._extent.start
            self._emit_range()
        self._until = self._extent.clamp(as_utc(until)) if until is not None else None
        if not self._playing:
            self._playing = True
            self.events.playing.emit(True)

    def replay(self, start: dt.datetime, end: dt.datetime, *, seconds: float = 12.0) -> None:
        """Play from ``start`` to ``end`` in about ``seconds`` of wall time (within the speed limits), then stop."""
        self.pause()
        self.seek(start)
        span = (as_utc(end) - as_utc(start)).total_seconds()
        self.set_speed(min(max(span / max(seconds, 0.1), SPEED_MIN), SPEED_MAX))
        self.play(until=end)

    def pause(self) -> None:
        self._until = None
        if self._playing:
            self._playing = False
            self.events.playing.emit(False)

    def toggle(self) -> None:
        """Play when paused, pause when playing (the play button)."""
        self.pause() if self._playing else self.play()

    # ----- moving --------------------------------------------------------------------------
    def seek(self, value: dt.datetime) -> TimeRange:
        """Jump to ``value`` (clamped to the extent); naive times are UTC."""
        self._current = self._extent.clamp(as_utc(value))
        self._emit_range()
        return self.range

    def seek_fraction(self, fraction: float) -> TimeRange:
        """Jump to a position 0..1 of the extent (a slider)."""
        fraction = min(max(float(fraction), 0.0), 1.0)
        return self.seek(self._extent.start + self._extent.duration * fraction)

    def step(self, frames: int = 1) -> TimeRange:
        """Move by ``frames`` frame steps (negative: back), following the loop mode at the ends."""
        return self._move(self._frame_step.total_seconds() * frames, stop_once=False)

    def advance(self, wall_seconds: float) -> TimeRange:
        """Called by the UI timer: while playing, move by ``wall_seconds * speed`` in the play direction."""
        if not self._playing or wall_seconds <= 0:
            return self.range
        if self._until is not None and self._direction > 0:
            left = (self._until - self._current).total_seconds()
            if wall_seconds * self._speed >= left:  # the end of a replay of one stretch of time
                self._current = self._until
                self._emit_range()
                self.pause()
                self.events.finished.emit()
                return self.range
        return self._move(wall_seconds * self._speed * self._direction, stop_once=True)

    def _move(self, seconds: float, *, stop_once: bool) -> TimeRange:
        start, end = self._extent.start, self._extent.end
        total = (end - start).total_seconds()
        position = (self._current - start).total_seconds() + seconds
        finished = False
        if total <= 0:
            position = 0.0
        elif self._loop is LoopMode.LOOP:
            if not 0 <= position <= total:
                position %= total
        elif self._loop is LoopMode.BOUNCE:
            position, self._direction = _reflect(position, total, self._direction)
        elif not 0 <= position <= total:
            position = min(max(position, 0.0), total)
            finished = stop_once and position >= total
        self._current = start + dt.timedelta(seconds=position)
        self._emit_range()
        if finished:
            self.pause()
            self.events.finished.emit()
        return self.range

    # ----- helpers -------------------------------------------------------------------------
    @classmethod
    def covering(cls, spans: Iterable[tuple[dt.datetime, dt.datetime] | TimeRange | None], **kwargs: Any) -> "Timeline":
        """A timeline whose extent covers every given time span (layers' ``time_span``); ValueError if none."""
        extent = extent_of(spans)
        if extent is None:
            raise ValueError("no time span to cover: the project has no temporal layer")
        return cls(extent, **kwargs)


def timeline_for(spans: Iterable[tuple[dt.datetime, dt.datetime] | TimeRange | None], *,
                 previous: Timeline | None = None) -> Timeline | None:
    """A timeline covering ``spans`` (the layers' time spans; ``None`` without any), keeping the modes, speed
    and current time of ``previous``. A new timeline steps by the preset nearest 1/500 of its extent and plays
    it in about a minute (within 1x..3600x)."""
    extent = extent_of(spans)
    if extent is None:
        return None
    if previous is not None:
        previous.set_extent(extent)
        return previous
    seconds = extent.duration.total_seconds()
    step = min(STEP_PRESETS, key=lambda item: abs(item[1].total_seconds() - seconds / 500))[1]
    speed = min(max(seconds / 60.0, SPEED_MIN), SPEED_MAX)
    speed = min(SPEED_PRESETS, key=lambda preset: abs(preset - speed))
    return Timeline(extent, frame_step=step, speed=float(speed))


def extent_of(spans: Iterable[tuple[dt.datetime, dt.datetime] | TimeRange | None]) -> TimeRange | None:
    """The union of time spans (``None`` entries ignored), or ``None`` when there is none."""
    out: TimeRange | None = None
    for span in spans:
        if span is None:
            continue
        item = span if isinstance(span, TimeRange) else TimeRange(as_utc(span[0]), as_utc(span[1]))
        out = item if out is None else out.union(item)
    return out


def _reflect(position: float, total: float, direction: int) -> tuple[float, int]:
    """Fold ``position`` into [0, total] by reflecting at the ends; flip the direction per reflection."""
    period = 2.0 * total
    folded = position % period
    if folded > total:
        folded = period - folded
    crossings = int(position // total) if position >= 0 else int(-position // total) + 1
    if position > total or position < 0:
        direction = direction if crossings % 2 == 0 else -direction
    return folded, direction


def _check_speed(speed: float) -> float:
    speed = float(speed)
    if not SPEED_MIN <= speed <= SPEED_MAX:
        raise ValueError(f"speed must be between {SPEED_MIN:g}x (real time) and {SPEED_MAX:g}x, not {speed:g}")
    return speed


def _positive(value: dt.timedelta, what: str) -> dt.timedelta:
    if value <= dt.timedelta(0):
        raise ValueError(f"{what} must be positive, not {value}")
    return value
