"""Slow work off the GUI thread: a request runs on a thread pool, the newest request wins, and its
result, error and progress are delivered by signals on the main thread.

A request gets a :class:`Task` handle: ``task.progress(fraction, message)`` (throttled) and
``task.cancelled()`` (true once the user cancelled or a newer request replaced it); it plugs straight
into :class:`twin.io.options.ImportOptions` ``progress``/``cancelled``.

The workers are Python threads (one ``ThreadPoolExecutor`` for the app), not ``QThreadPool`` threads:
reading a file in one pool runnable and writing it (reprojecting) in the next crashed inside
pyproj's ``proj_create`` every time, while the same two steps on Python threads never did. A Qt pool
thread gets a fresh Python thread state for each runnable, which drops the thread-local objects pyproj
keeps for that thread; Python threads keep their thread state for their whole life. Signals emitted there reach the GUI thread queued.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import traceback
from typing import Any, Callable

from PySide6 import QtCore

PROGRESS_INTERVAL = 0.05  # seconds between progress signals (the GUI repaints at most this often)
_EXECUTOR: concurrent.futures.ThreadPoolExecutor | None = None


def executor() -> concurrent.futures.ThreadPoolExecutor:
    """The app's worker threads (created on first use)."""
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="twin-worker")
    return _EXECUTOR


class Task:
    """What a running request sees: progress reporting and its cancel flag."""

    def __init__(self, request_id: int, emit_progress: Callable[[int, float, str], None]) -> None:
        self.request_id = request_id
        self._emit = emit_progress
        self._cancel = threading.Event()
        self._last = 0.0

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL or fraction >= 1.0:
            self._last = now
            self._emit(self.request_id, float(fraction), message)


class _Signals(QtCore.QObject):
    done = QtCore.Signal(int, object)
    failed = QtCore.Signal(int, object, str)
    progress = QtCore.Signal(int, float, str)


class _Job:
    def __init__(self, fn: Callable[..., Any], task: Task, signals: _Signals, args: tuple, kwargs: dict) -> None:
        self.fn, self.task, self.signals, self.args, self.kwargs = fn, task, signals, args, kwargs

    def run(self) -> None:
        try:
            result = self.fn(self.task, *self.args, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - every error reaches the GUI as a message
            self.signals.failed.emit(self.task.request_id, exc, traceback.format_exc())
        else:
            self.signals.done.emit(self.task.request_id, result)


class LatestRunner(QtCore.QObject):
    """Runs ``fn(task, *args, **kwargs)`` on a worker thread; only the newest request's outcome is delivered."""

    finished = QtCore.Signal(object)  # the result
    failed = QtCore.Signal(object, str)  # the exception and its traceback text
    progress = QtCore.Signal(float, str)
    busy_changed = QtCore.Signal(bool)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.progress.connect(self._on_progress)
        self._next_id = 0
        self._current: Task | None = None
        self._running: set[int] = set()
        self._futures: list[concurrent.futures.Future] = []

    @property
    def busy(self) -> bool:
        """True while the newest request is still running."""
        return self._current is not None

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Start ``fn(task, *args, **kwargs)`` (cancelling the previous request); returns its id."""
        if self._current is not None:
            self._current.cancel()
        self._next_id += 1
        task = Task(self._next_id, self._signals.progress.emit)
        self._current = task
        self._running.add(task.request_id)
        self._futures = [f for f in self._futures if not f.done()]
        self._futures.append(executor().submit(_Job(fn, task, self._signals, args, kwargs).run))
        self.busy_changed.emit(True)
        return task.request_id

    def cancel(self) -> None:
        """Ask the current request to stop; its outcome is still delivered (usually a cancellation)."""
        if self._current is not None:
            self._current.cancel()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every started request has ended (for closing and tests)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._running and time.monotonic() < deadline:
            concurrent.futures.wait(self._futures, timeout=0.05)
            QtCore.QCoreApplication.processEvents()
        return not self._running

    def _is_current(self, request_id: int) -> bool:
        return self._current is not None and self._current.request_id == request_id

    def _on_done(self, request_id: int, result: object) -> None:
        self._running.discard(request_id)
        if self._is_current(request_id):
            self._current = None
            self.busy_changed.emit(False)
            self.finished.emit(result)

    def _on_failed(self, request_id: int, exc: object, text: str) -> None:
        self._running.discard(request_id)
        if self._is_current(request_id):
            self._current = None
            self.busy_changed.emit(False)
            self.failed.emit(exc, text)

    def _on_progress(self, request_id: int, fraction: float, message: str) -> None:
        if self._is_current(request_id):
            self.progress.emit(fraction, message)
