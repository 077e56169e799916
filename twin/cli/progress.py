"""A progress line on stderr: redrawn in place on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import sys
import time


class ProgressLine:
    """Callable ``(fraction, message)`` for :class:`twin.io.options.ImportOptions.progress`."""

    def __init__(self, label: str, *, stream=None, min_interval: float = 0.2) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.min_interval = min_interval
        self._last = 0.0
        self._last_quarter = -1
        self._shown = False

    def __call__(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if self.tty:
            if now - self._last < self.min_interval and fraction < 1.0:
                return
            self._last = now
            bar = "#" * int(fraction * 30)
            self.stream.write(f"\r{self.label} [{bar:<30}] {fraction * 100:5.1f}% {message[:40]:<40}")
            self.stream.flush()
            self._shown = True
        else:
            quarter = int(fraction * 4)
            if quarter > self._last_quarter:
                self._last_quarter = quarter
                self.stream.write(f"{self.label}: {fraction * 100:.0f}% {message}\n")

    def finish(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()
