"""The time of the model: the range the layers are shown at, and the timeline that moves it.

``range`` is the truth every view draws (``None``: no time, every layer as it is). The
:class:`~twin.time.timeline.Timeline` is the navigation object (extent, play state, speed, modes): when it
moves, the range follows. A presenter or ``twin render --time`` may set the range directly.
"""

from __future__ import annotations

from psygnal import Signal, SignalGroup

from twin.time.range import TimeRange
from twin.time.timeline import Timeline, timeline_for


class TimeEvents(SignalGroup):
    range = Signal(object)  # TimeRange or None
    timeline = Signal(object)  # Timeline or None (a new one when the temporal layers change)


class TimeState:
    """``range`` and ``timeline`` (see the module docstring)."""

    def __init__(self) -> None:
        self.events = TimeEvents()
        self._range: TimeRange | None = None
        self._timeline: Timeline | None = None

    @property
    def range(self) -> TimeRange | None:
        return self._range

    @range.setter
    def range(self, value: TimeRange | None) -> None:
        if value is not None and not isinstance(value, TimeRange):
            raise TypeError(f"the time range must be a TimeRange or None, not {type(value).__name__}")
        if value != self._range:
            self._range = value
            self.events.range.emit(value)

    @property
    def timeline(self) -> Timeline | None:
        return self._timeline

    def cover(self, spans) -> None:
        """Make the timeline cover ``spans`` (the layers' time spans): a new timeline when there was none,
        the same one with a new extent otherwise, none when no layer is temporal."""
        old = self._timeline
        timeline = timeline_for(spans, previous=old)
        if timeline is old:
            return
        if old is not None:
            old.pause()
            old.events.range.disconnect(self._follow)
        self._timeline = timeline
        if timeline is not None:
            timeline.events.range.connect(self._follow)
        self.events.timeline.emit(timeline)
        if timeline is None:
            self.range = None

    def _follow(self, value: TimeRange) -> None:
        self.range = value

    def start(self) -> None:
        """Show the timeline's current range (the app does this once the project is drawn)."""
        if self._timeline is not None:
            self.range = self._timeline.range
