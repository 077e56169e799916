"""Tiles loaded in the background, the newest view winning, and an LRU of what was loaded.

:class:`TileLoader` runs ``load(key)`` for the keys of the newest :meth:`~TileLoader.request` on one worker
thread (no Qt): when a newer request comes, the keys of the older one that were not started yet are dropped.
Each result is handed to ``deliver(fn)``, which must run ``fn`` on the main thread (the window posts it
through a queued Qt signal); without ``deliver`` the loader is synchronous: :meth:`request` loads every key
before it returns (off-screen renders, which must be complete).
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

log = logging.getLogger(__name__)


class TileLoader:
    """Loads tiles on a worker thread; only the newest request's keys are loaded (see the module docstring)."""

    def __init__(self, load: Callable[[Hashable], Any], done: Callable[[Hashable, Any], None], *,
                 deliver: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.load = load
        self.done = done
        self.deliver = deliver
        self.generation = 0
        self._pending: list[Hashable] = []
        self._busy: Hashable | None = None
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: keys whose load was started, in order (tests and benchmarks read it)
        self.started: list[Hashable] = []

    def request(self, keys: Sequence[Hashable]) -> int:
        """Load these keys (nearest first), forgetting the keys of older requests not started yet."""
        if self.deliver is None:
            self.generation += 1
            for key in keys:
                self.started.append(key)
                self.done(key, self.load(key))
            return self.generation
        with self._wake:
            self.generation += 1
            self._pending = [k for k in keys if k != self._busy]
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="twin-tiles", daemon=True)
                self._thread.start()
            self._wake.notify()
            return self.generation

    @property
    def busy(self) -> bool:
        """True while keys are waiting or loading."""
        with self._wake:
            return bool(self._pending) or self._busy is not None

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                key = self._busy = self._pending.pop(0)
                generation = self.generation
                self.started.append(key)
            try:
                value, error = self.load(key), None
            except Exception as exc:  # noqa: BLE001 - reported on the main thread, the loader goes on
                value, error = None, exc
            with self._wake:
                self._busy = None
            if error is not None:
                log.warning("tile %s not loaded: %s", key, error)
                continue
            self.deliver(lambda key=key, value=value, generation=generation: self.done(key, value))

    def close(self) -> None:
        """Stop the worker after the key it is loading (results still in flight are dropped by the owner)."""
        with self._wake:
            self._closed = True
            self._pending = []
            self._wake.notify()


class LRU:
    """Loaded tiles by key with a size budget; the least recently used beyond it are dropped (not the pinned)."""

    def __init__(self, budget: int, size: Callable[[Any], int]) -> None:
        self.budget = int(budget)
        self.size = size
        self.items: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self.total = 0

    def get(self, key: Hashable) -> Any | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def __contains__(self, key: Hashable) -> bool:
        return key in self.items

    def put(self, key: Hashable, value: Any, *, pinned: set | frozenset = frozenset()) -> list[Hashable]:
        """Keep ``value``; returns the keys dropped to stay within the budget."""
        if key in self.items:
            self.total -= self.size(self.items.pop(key))
        self.items[key] = value
        self.total += self.size(value)
        dropped = []
        for old in list(self.items):
            if self.total <= self.budget:
                break
            if old in pinned or old == key:
                continue
            self.total -= self.size(self.items.pop(old))
            dropped.append(old)
        return dropped

    def clear(self) -> None:
        self.items.clear()
        self.total = 0
