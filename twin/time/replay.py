"""A replay frame without SQL: a window of a moving layer's samples held in numpy around the current time.

:class:`SampleWindow` is the samples of ``[start, end]`` read once through ``MovingTrack.samples`` and
sorted by ``(fid, t)``, with one int64 key per sample (``rank(fid) * span + (t - start)``); a frame at
``at`` finds every object's last sample at or before ``at`` with one ``np.searchsorted`` of the objects'
keys and interpolates with the same :func:`twin.time.slicing.evaluate` as the direct path, honouring the
same ``[at - max_gap, at + max_gap]`` reach, so a cached frame gives exactly the uncached positions.

:class:`ReplayCache` decides which window to hold: on a frame that the window does not cover it answers
from the track directly (one range scan, as before) and asks for a window around that time, placed ahead
in the direction of playback; when playback nears the end of the window it asks for the next one. Windows
load on a worker thread (``background=True``; the newest request wins, older pending ones are dropped) or
in the frame itself (``background=False``, for tests and one-off renders). A window holds about ``rows``
samples (its span follows the density measured on the last window); when playback steps further per frame
than a window is worth, the cache stays out of the way and frames read the track directly.
"""

from __future__ import annotations

import collections
import dataclasses
import threading

import numpy as np

from twin.time.range import TimeRange
from twin.time.slicing import MovingTrack, Positions, Trails, build_trails, evaluate, sample_xyz

US = 1_000_000
#: samples a window holds by default (about 20 MB); its span in time follows the layer's density
WINDOW_ROWS = 300_000
#: a window is read in pieces of about this many samples (one short query each)
PIECE_ROWS = 50_000
#: a worker thread with nothing to do stops after this many seconds (and starts again on the next request)
IDLE_S = 2.0


@dataclasses.dataclass
class SampleWindow:
    """The samples of ``[start_us, end_us]`` (both included) sorted by ``(fid, t)``, and each object's run."""

    start_us: int
    end_us: int
    fid: np.ndarray  # (n,) int64
    t: np.ndarray  # (n,) int64 microseconds
    xyz: np.ndarray  # (n, 3) float64
    key: np.ndarray  # (n,) int64: rank of fid * span + (t - start)
    objects: np.ndarray  # (m,) the distinct fids, ascending
    first: np.ndarray  # (m,) index of each object's first sample
    stop: np.ndarray  # (m,) index after each object's last sample
    _cursor: np.ndarray | None = dataclasses.field(default=None, repr=False)  # last_at of the previous frame

    @classmethod
    def build(cls, start_us: int, end_us: int, s: dict[str, np.ndarray]) -> "SampleWindow":
        """A window from ``MovingTrack.samples(start_us, end_us)``'s arrays (in any order)."""
        fid = np.asarray(s["fid"], dtype=np.int64)
        t = np.asarray(s["t"], dtype=np.int64)
        xyz = sample_xyz(s)
        if len(t) > 1 and not bool(np.all(t[1:] >= t[:-1])):
            order = np.lexsort((t, fid))  # not in time order (an external dataset): sort both keys
        else:
            order = np.argsort(fid, kind="stable")  # time order kept within each object
        fid, t, xyz = fid[order], t[order], xyz[order]
        objects, first, counts = np.unique(fid, return_index=True, return_counts=True)
        rank = np.repeat(np.arange(len(objects), dtype=np.int64), counts)
        span = int(end_us) - int(start_us) + 1
        if len(objects) * span >= 2**62:
            raise ValueError("a window this long for this many objects does not fit one int64 key")
        key = rank * span + (t - int(start_us))
        return cls(int(start_us), int(end_us), fid, t, xyz, key, objects, first, first + counts)

    def __len__(self) -> int:
        return len(self.fid)

    def covers(self, lo_us: int, hi_us: int) -> bool:
        return self.start_us <= lo_us and hi_us <= self.end_us

    def positions(self, at_us: int, *, max_gap_us: int, split_gap_us: int | None) -> Positions:
        """What ``MovingTrack.positions(at_us)`` gives, from this window (which must cover ``at_us ± max_gap_us``)."""
        if not len(self.objects):
            return Positions(np.empty(0, np.int64), np.empty((0, 3)), np.empty(0))
        i = self.last_at(int(at_us))
        lo, hi = int(at_us) - max_gap_us, int(at_us) + max_gap_us
        seen = i >= self.first
        i, first, stop = i[seen], self.first[seen], self.stop[seen]
        t = self.t
        reach = t[i] >= lo  # the direct path reads only [at - max_gap, at + max_gap]
        i, first, stop = i[reach], first[reach], stop[reach]
        nxt = np.minimum(i + 1, len(t) - 1)
        has_next = (i + 1 < stop) & (t[nxt] <= hi)
        prev_ok = (i > first) & (t[np.maximum(i - 1, 0)] >= lo)
        return evaluate(self.fid, t, self.xyz, i, has_next, prev_ok, int(at_us), split_gap_us=split_gap_us)

    def last_at(self, at_us: int, *, rounds: int = 3) -> np.ndarray:
        """(m,) index of each object's last sample at or before ``at_us`` (``first - 1`` when it has none).

        Playback moves each object's index from the previous frame's by a sample or two (two reads of ``t``
        next to the index, the same cache line); after a jump, one ``np.searchsorted`` of the objects' keys."""
        t, n = self.t, len(self.t)
        i = None if self._cursor is None else self._cursor.copy()
        for _ in range(rounds if i is not None else 0):
            forward = (i + 1 < self.stop) & (t[np.minimum(i + 1, n - 1)] <= at_us)
            back = (i >= self.first) & (t[np.maximum(i, 0)] > at_us)
            if not forward.any() and not back.any():
                self._cursor = i
                return i
            i += forward
            i -= back
        span = self.end_us - self.start_us + 1
        queries = np.arange(len(self.objects), dtype=np.int64) * span + (at_us - self.start_us)
        i = np.searchsorted(self.key, queries, side="right") - 1
        self._cursor = i
        return i.copy()

    def samples(self, start_us: int, end_us: int) -> dict[str, np.ndarray]:
        """The samples of ``[start_us, end_us]`` (within this window), in ``(fid, t)`` order."""
        keep = (self.t >= start_us) & (self.t <= end_us)
        xyz = self.xyz[keep]
        return {"fid": self.fid[keep], "t": self.t[keep], "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]}


class ReplayCache:
    """Positions (and trails) of a moving layer at any time: from a cached window when one covers the
    time, else straight from the track. Same answers as :class:`MovingTrack` either way."""

    def __init__(self, track: MovingTrack, *, rows: int = WINDOW_ROWS, background: bool = True) -> None:
        self.track = track
        self.rows = int(rows)
        self.background = background
        self.windows: list[SampleWindow] = []  # the current window first, then a prefetched one
        self.hits = self.misses = self.loads = 0
        self.error: Exception | None = None  # a failed load: from then on the frames read the track directly
        g = track.max_gap_us
        self.min_span_us = max(16 * g, 10 * US)
        samples = track.layer.properties.get("track", {}).get("samples")
        span = track.layer.time_span
        density = None  # samples per microsecond
        if samples and span and span[1] > span[0]:
            density = float(samples) / max((span[1] - span[0]).total_seconds() * US, 1.0)
        self._density = density
        self._longest = None if not span else int((span[1] - span[0]).total_seconds() * US) + 4 * g + 1
        self._last: int | None = None
        self._steps: collections.deque[int] = collections.deque(maxlen=5)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._request: tuple[int, int] | None = None
        self._pending: tuple[int, int] | None = None
        self._worker: threading.Thread | None = None

    # ----- frames --------------------------------------------------------------------------------
    def positions(self, at_us: int) -> Positions:
        """Interpolated positions at ``at_us``, as ``MovingTrack.positions`` gives them."""
        at_us = int(at_us)
        g = self.track.max_gap_us
        self._follow(at_us)
        window = self._covering(at_us - g, at_us + g)
        if window is None and not self.background and self._wanted(at_us):
            self._plan(at_us)
            window = self._covering(at_us - g, at_us + g)
        if window is None:
            self.misses += 1
            pos = self.track.positions(at_us)
        else:
            self.hits += 1
            pos = window.positions(at_us, max_gap_us=g, split_gap_us=self.track.split_gap_us)
        self._plan(at_us)
        return pos

    def trails(self, window: TimeRange, *, max_seconds: float | None = None) -> Trails:
        """``MovingTrack.trails(window, max_seconds=...)``, from the cached window when it covers the trail."""
        end_us = window.end_us
        start_us = window.start_us if max_seconds is None else max(window.start_us, end_us - int(max_seconds * US))
        g = self.track.max_gap_us
        held = self._covering(start_us - g, end_us + g)
        if held is None:
            return self.track.trails(window, max_seconds=max_seconds)
        at = dict(max_gap_us=g, split_gap_us=self.track.split_gap_us)
        return build_trails(held.samples(start_us, end_us), held.positions(start_us, **at),
                            held.positions(end_us, **at), start_us, end_us, split_gap_us=self.track.split_gap_us)

    # ----- which window --------------------------------------------------------------------------
    def _follow(self, at_us: int) -> None:
        if self._last is not None and at_us != self._last:
            self._steps.append(at_us - self._last)
        self._last = at_us

    def _covering(self, lo: int, hi: int) -> SampleWindow | None:
        with self._lock:
            for k, window in enumerate(self.windows):
                if window.covers(lo, hi):
                    if k:  # playback moved into the prefetched window: it becomes the current one
                        self.windows.insert(0, self.windows.pop(k))
                        del self.windows[2:]
                    return window
        return None

    def span_us(self) -> int:
        """The time a window spans: about ``rows`` samples at the measured density, at least ``min_span_us``."""
        span = self.min_span_us if not self._density else max(int(self.rows / self._density), self.min_span_us)
        return span if self._longest is None else min(span, max(self._longest, self.min_span_us))

    def _median_step(self, *, absolute: bool = False) -> int:
        steps = sorted(abs(x) for x in self._steps) if absolute else sorted(self._steps)
        return steps[len(steps) // 2] if steps else 0

    def _direction(self) -> int:
        step = self._median_step()
        return (step > 0) - (step < 0)

    def _wanted(self, at_us: int) -> bool:
        """False before a second frame (a single picture needs no window) and when playback steps so far per
        frame that a window would serve only a few frames."""
        if not self._steps or self.error is not None:  # after a failed load the frames read the track directly
            return False
        return self._median_step(absolute=True) * 8 <= self.span_us()

    def _plan(self, at_us: int) -> None:
        """Ask for the window the next frames will need, if it is not held or coming."""
        if not self._wanted(at_us):
            return
        g, span, way = self.track.max_gap_us, self.span_us(), self._direction()
        current = self._covering(at_us - g, at_us + g)
        if current is None:
            with self._lock:  # a window on its way that will hold this time: wait for it
                coming = [r for r in (self._request, self._pending) if r and r[0] <= at_us - g and at_us + g <= r[1]]
            if not coming:
                ahead = span * 3 // 4 if way > 0 else span // 4 if way < 0 else span // 2
                self._ask(at_us + ahead - span, at_us + ahead)
            return
        if way == 0:
            return
        edge = current.end_us if way > 0 else current.start_us
        if abs(edge - at_us) > span // 2:
            return
        overlap = 4 * g + 1  # the next window starts this far inside the current one
        nxt = (edge - overlap, edge - overlap + span) if way > 0 else (edge + overlap - span, edge + overlap)
        probe = (edge - 2 * g, edge + 2 * g + 1) if way > 0 else (edge - 2 * g - 1, edge + 2 * g)
        with self._lock:
            held = any(w.covers(*probe) for w in self.windows if w is not current)
        if not held:
            self._ask(*nxt)

    def _ask(self, start_us: int, end_us: int) -> None:
        request = (int(start_us), int(end_us))
        if not self.background:
            self._store(self._load(*request))
            return
        with self._wake:
            if request in (self._request, self._pending):
                return
            self._request = request  # the newest request wins: an older one not yet started is dropped
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="replay-cache", daemon=True)
                self._worker.start()
            self._wake.notify()

    # ----- loading -------------------------------------------------------------------------------
    def _read(self, start_us: int, end_us: int) -> dict[str, np.ndarray]:
        """The samples of ``[start_us, end_us]`` in pieces of about :data:`PIECE_ROWS`: the project's lock and
        the GIL are held a few milliseconds at a time, so the frames drawn meanwhile do not wait for a window."""
        expected = (self._density or 0.0) * (end_us - start_us)
        pieces = int(min(max(expected // PIECE_ROWS, 1), 64))
        bounds = np.linspace(start_us, end_us + 1, pieces + 1).astype(np.int64)
        parts = [self.track.samples(int(a), int(b) - 1) for a, b in zip(bounds[:-1], bounds[1:])]
        if len(parts) == 1:
            return parts[0]
        return {k: np.concatenate([np.asarray(part[k]) for part in parts]) for k in parts[0]}  # as the direct path

    def _load(self, start_us: int, end_us: int) -> SampleWindow | None:
        try:
            window = SampleWindow.build(start_us, end_us, self._read(start_us, end_us))
        except Exception as exc:  # a closed project, a dataset gone: frames keep reading the track directly
            self.error = exc
            return None
        self.loads += 1
        if len(window) and end_us > start_us:
            self._density = len(window) / (end_us - start_us)
        return window

    def _store(self, window: SampleWindow | None) -> None:
        """Keep ``window`` and at most one other: it comes first when it covers the last frame's time."""
        if window is None:
            return
        g, last = self.track.max_gap_us, self._last
        with self._lock:
            if last is not None and window.covers(last - g, last + g):
                self.windows = [window] + self.windows[:1]
            else:
                self.windows = self.windows[:1] + [window]

    def _run(self) -> None:
        while True:
            with self._wake:
                if self._request is None:
                    self._wake.wait(IDLE_S)
                    if self._request is None:
                        self._worker = None
                        return
                request, self._request = self._request, None
                self._pending = request
            window = self._load(*request)
            self._store(window)
            with self._wake:
                self._pending = None

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until no load is asked for or running (tests, benchmarks); True when idle."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._request is None and self._pending is None:
                    return True
            time.sleep(0.002)
        return False
