"""Guided tours and timeline replays as sequences of frames.

A :class:`Tour` is an ordered list of stops over bookmarks: the camera flies to each stop for
``transition`` seconds (:class:`twin.present.flight.Flight`), then holds for ``hold`` seconds while
the stop's caption fades in (and, with ``speed`` > 0, time runs on). :class:`TourPlayer` gives the
state at any second (the app's presentation mode asks for wall-clock seconds) and frames at an fps
(movies). :func:`replay_frames` turns a time span of the timeline into frames with a fixed camera.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping

from twin.errors import ProjectError
from twin.present.bookmarks import Bookmark, check_name
from twin.present.flight import Flight, ease
from twin.scene.camera import CameraPose
from twin.time.range import TimeRange
from twin.time.timeline import Timeline, WindowMode

DEFAULT_TRANSITION = 3.0
DEFAULT_HOLD = 3.0
#: captions fade in over this long after arrival (at most a third of the hold) and out as the camera leaves
CAPTION_FADE_IN = 0.6
CAPTION_FADE_OUT = 0.4


@dataclasses.dataclass(frozen=True)
class TourStop:
    """One stop: fly to ``bookmark`` in ``transition`` s (ignored for the first stop), stay ``hold`` s.

    ``speed`` > 0 lets time run while holding (simulated seconds per second); ``caption`` replaces the
    bookmark's caption for this stop when given.
    """

    bookmark: str
    transition: float = DEFAULT_TRANSITION
    hold: float = DEFAULT_HOLD
    speed: float = 0.0
    caption: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "bookmark", check_name(self.bookmark, "bookmark"))
        for field in ("transition", "hold", "speed"):
            value = float(getattr(self, field))
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"tour stop {self.bookmark!r}: {field} must be a number of seconds >= 0, not {value}")
            object.__setattr__(self, field, value)

    def to_dict(self) -> dict:
        out = {"bookmark": self.bookmark, "transition": self.transition, "hold": self.hold, "speed": self.speed}
        if self.caption is not None:
            out["caption"] = self.caption
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> "TourStop":
        if not isinstance(data, Mapping) or "bookmark" not in data:
            raise ValueError(f"a tour stop must be an object with a 'bookmark', not {data!r}")
        unknown = set(data) - {"bookmark", "transition", "hold", "speed", "caption"}
        if unknown:
            raise ValueError(f"tour stop {data['bookmark']!r}: unknown field(s) {', '.join(sorted(unknown))}")
        caption = data.get("caption")
        return cls(str(data["bookmark"]), float(data.get("transition", DEFAULT_TRANSITION)),
                   float(data.get("hold", DEFAULT_HOLD)), float(data.get("speed", 0.0)),
                   None if caption is None else str(caption))


@dataclasses.dataclass(frozen=True)
class Tour:
    """An ordered list of stops with a name and a description."""

    name: str
    stops: tuple[TourStop, ...]
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_name(self.name, "tour"))
        object.__setattr__(self, "stops", tuple(self.stops))
        if not self.stops:
            raise ValueError(f"tour {self.name!r} has no stops")

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the last."""
        return sum(s.transition for s in self.stops[1:]) + sum(s.hold for s in self.stops)

    def stops_json(self) -> str:
        return json.dumps([s.to_dict() for s in self.stops], ensure_ascii=False)

    @classmethod
    def from_json(cls, name: str, text: str, description: str = "") -> "Tour":
        """A tour from its stored JSON text of stops; ValueError naming the tour otherwise."""
        try:
            items = json.loads(text)
            if not isinstance(items, list):
                raise ValueError("the stops must be a JSON list")
            return cls(name, tuple(TourStop.from_dict(item) for item in items), description)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"tour {name!r}: {exc}") from None


@dataclasses.dataclass(frozen=True)
class Frame:
    """What one picture shows: camera (project CRS), time range, layers, stage filter, caption, selection."""

    index: int
    seconds: float
    camera: CameraPose | None
    time_range: TimeRange | None = None
    layers: tuple[str, ...] | None = None
    stage: int | None = None
    caption: str = ""
    caption_opacity: float = 0.0
    stop: int = 0
    holding: bool = True
    #: the features to select, (layer, fid) (None: leave the selection alone)
    selection: tuple[tuple[str, int], ...] | None = None
    #: with ``stage``: the stage lens's "what changed" view
    changes: bool = False


@dataclasses.dataclass(frozen=True)
class _Leg:
    bookmark: Bookmark
    stop: TourStop
    start: float  # the flight here starts (== arrival for the first stop)
    arrival: float
    end: float  # the hold ends
    flight: Flight | None
    time_in: dt.datetime | None  # time on arrival
    time_out: dt.datetime | None  # time when leaving
    layers: tuple[str, ...] | None
    caption: str


class TourPlayer:
    """Plays a tour over its bookmarks (``{name: Bookmark}``): the state at any second, or frames at an fps.

    ``trail`` > 0 shows the last ``trail`` seconds of tracks at each time (a trail window) instead of an instant.
    """

    def __init__(self, tour: Tour, bookmarks: Mapping[str, Bookmark], *, trail: float = 0.0) -> None:
        missing = [s.bookmark for s in tour.stops if s.bookmark not in bookmarks]
        if missing:
            raise ProjectError(f"tour {tour.name!r} stops at bookmark(s) that do not exist: {', '.join(missing)}")
        self.tour, self.trail = tour, float(trail)
        self.legs: list[_Leg] = []
        clock, previous = 0.0, None
        for i, stop in enumerate(tour.stops):
            mark = bookmarks[stop.bookmark]
            transition = stop.transition if previous is not None else 0.0
            time_in = mark.time if mark.time is not None else (previous.time_out if previous else None)
            time_out = time_in + dt.timedelta(seconds=stop.speed * stop.hold) if time_in and stop.speed else time_in
            layers = mark.layers if mark.layers is not None else (previous.layers if previous else None)
            flight = Flight(previous.bookmark.camera, mark.camera) if previous is not None else None
            caption = stop.caption if stop.caption is not None else mark.caption
            leg = _Leg(mark, stop, clock, clock + transition, clock + transition + stop.hold, flight,
                       time_in, time_out, layers, caption)
            self.legs.append(leg)
            clock, previous = leg.end, leg

    @property
    def duration(self) -> float:
        return self.legs[-1].end

    def arrival(self, stop: int) -> float:
        """Second at which the camera arrives at stop ``stop``."""
        return self.legs[stop].arrival

    def departure(self, stop: int) -> float:
        """Second at which the flight to stop ``stop`` starts (its arrival for the first stop)."""
        return self.legs[stop].start

    def hold_end(self, stop: int) -> float:
        return self.legs[stop].end

    def stop_at(self, seconds: float) -> int:
        """Index of the stop being flown to or held at ``seconds``."""
        for i, leg in enumerate(self.legs):
            if seconds < leg.end:
                return i
        return len(self.legs) - 1

    def state(self, seconds: float, index: int = 0) -> Frame:
        """The frame at ``seconds`` from the start (clamped to the tour)."""
        t = min(max(float(seconds), 0.0), self.duration)
        i = self.stop_at(t)
        leg = self.legs[i]
        if t < leg.arrival and leg.flight is not None:  # flying in
            fraction = (t - leg.start) / (leg.arrival - leg.start)
            previous = self.legs[i - 1]
            when = _between(previous.time_out, leg.time_in, ease(fraction))
            fade = min(CAPTION_FADE_OUT, (leg.arrival - leg.start) / 3.0)
            opacity = max(0.0, 1.0 - (t - leg.start) / fade) if fade > 0 else 0.0
            return Frame(index, float(seconds), leg.flight.at(fraction), self._range(when), leg.layers,
                         leg.bookmark.stage, previous.caption if opacity > 0 else "", opacity, i, False,
                         leg.bookmark.selection, leg.bookmark.changes)
        held = t - leg.arrival
        when = leg.time_in + dt.timedelta(seconds=leg.stop.speed * held) if leg.time_in and leg.stop.speed else leg.time_in
        fade = min(CAPTION_FADE_IN, leg.stop.hold / 3.0)
        opacity = min(1.0, held / fade) if fade > 0 else 1.0
        return Frame(index, float(seconds), leg.bookmark.camera, self._range(when), leg.layers, leg.bookmark.stage,
                     leg.caption, opacity if leg.caption else 0.0, i, True, leg.bookmark.selection, leg.bookmark.changes)

    def frame_count(self, fps: float) -> int:
        """Frames of the tour at ``fps`` (the last one shows its end)."""
        return int(math.floor(self.duration * fps + 1e-9)) + 1

    def frames(self, fps: float) -> Iterator[Frame]:
        """Frames at ``fps``: the first at 0 s, the last at the tour's end."""
        count = self.frame_count(fps)
        for k in range(count):
            yield self.state(self.duration if k == count - 1 else k / fps, k)

    def _range(self, when: dt.datetime | None) -> TimeRange | None:
        if when is None:
            return None
        return TimeRange(when - dt.timedelta(seconds=self.trail), when)


def _between(a: dt.datetime | None, b: dt.datetime | None, e: float) -> dt.datetime | None:
    if a is None or b is None:
        return b if b is not None else a
    return a + (b - a) * e


def replay_frames(start: dt.datetime, end: dt.datetime, *, speed: float, fps: float, camera: CameraPose | None,
                  window: WindowMode | str = WindowMode.POINT, width: dt.timedelta = dt.timedelta(minutes=10),
                  layers: tuple[str, ...] | None = None, stage: int | None = None) -> Iterator[Frame]:
    """Frames of a timeline replay from ``start`` to ``end`` at ``speed`` simulated seconds per second,
    with a fixed camera; each frame's range follows the timeline's window mode (point, trail...)."""
    if end <= start:
        raise ProjectError(f"replay: the end {end.isoformat()} is not after the start {start.isoformat()}")
    if not (speed > 0 and math.isfinite(speed)) or not (fps > 0 and math.isfinite(fps)):
        raise ProjectError(f"replay: speed ({speed}) and fps ({fps}) must be positive")
    timeline = Timeline(TimeRange(start, end), window=window, width=width)
    for k in range(replay_frame_count(start, end, speed=speed, fps=fps)):
        seconds = k / fps
        time_range = timeline.seek(start + dt.timedelta(seconds=seconds * speed))
        yield Frame(k, seconds, camera, time_range, layers, stage)


def replay_frame_count(start: dt.datetime, end: dt.datetime, *, speed: float, fps: float) -> int:
    """How many frames :func:`replay_frames` yields: the replay's length in movie seconds times ``fps``, each frame
    showing the moment it starts at (ten minutes at 60x and 10 fps: 100 frames, 08:00:00 to 08:09:54)."""
    return max(1, int(math.ceil((end - start).total_seconds() / speed * fps - 1e-9)))
