"""A progress line on stderr: redrawn in place on a terminal, a few plain lines otherwise.

With ``every=SECONDS`` (``twin movie``) a plain line is written at most every ``SECONDS`` instead of at each
quarter, and every line says how fast it goes and how long is left: ``frame 120/600, 7.6 frames/s, 1:03 left``
(the rate is read from a ``frame N/M`` message; the time left from the fraction done so far).
"""

from __future__ import annotations

import re
import sys
import time

_FRAMES = re.compile(r"frame (\d+)/(\d+)")


def _clock(seconds: float) -> str:
    """``63`` -> ``1:03``; ``3725`` -> ``1:02:05``."""
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressLine:
    """Callable ``(fraction, message)`` for :class:`twin.io.options.ImportOptions.progress`."""

    def __init__(self, label: str, *, stream=None, min_interval: float = 0.2, every: float | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.min_interval = min_interval
        self.every = every
        self._start = time.monotonic()
        self._last = 0.0
        self._last_plain = None
        self._last_quarter = -1
        self._shown = False

    def rate(self, fraction: float, message: str, now: float) -> str:
        """``7.6 frames/s, 1:03 left`` (empty before anything was done)."""
        elapsed = now - self._start
        parts = []
        match = _FRAMES.search(message or "")
        if match and elapsed > 0:
            parts.append(f"{int(match.group(1)) / elapsed:.1f} frames/s")
        if 0 < fraction < 1 and elapsed > 0:
            parts.append(f"{_clock(elapsed * (1 - fraction) / fraction)} left")
        elif fraction >= 1:
            parts.append(f"{_clock(elapsed)} in all")
        return ", ".join(parts)

    def __call__(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if self.tty:
            if now - self._last < self.min_interval and fraction < 1.0:
                return
            self._last = now
            bar = "#" * int(fraction * 30)
            text = f"{message}, {self.rate(fraction, message, now)}" if self.every is not None else message
            self.stream.write(f"\r{self.label} [{bar:<30}] {fraction * 100:5.1f}% {text[:60]:<60}")
            self.stream.flush()
            self._shown = True
        elif self.every is not None:
            due = self._last_plain is None or now - self._last_plain >= self.every or fraction >= 1.0
            if due:
                self._last_plain = now
                rate = self.rate(fraction, message, now)
                self.stream.write(f"{self.label}: {fraction * 100:.0f}% {message}{', ' + rate if rate else ''}\n")
        else:
            quarter = int(fraction * 4)
            if quarter > self._last_quarter:
                self._last_quarter = quarter
                self.stream.write(f"{self.label}: {fraction * 100:.0f}% {message}\n")

    def finish(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()
