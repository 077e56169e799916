"""The model's bookmarks and tours: ordered, named, evented collections of plain
:class:`~twin.present.bookmarks.Bookmark` and :class:`~twin.present.tours.Tour` values.

Each change is one event (``saved``, ``removed``, ``renamed``, ``reordered``) that the persistence
(:mod:`twin.model.sync`) turns into one write, and that the Bookmarks panel redraws from. :meth:`load`
fills a collection from the project without any of those events (only ``changed``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from psygnal import Signal, SignalGroup

from twin.errors import ProjectError
from twin.present.bookmarks import Bookmark, check_name
from twin.present.tours import Tour


class CollectionEvents(SignalGroup):
    saved = Signal(object, bool)  # the item, replaced (True) or new
    removed = Signal(str)
    renamed = Signal(str, str)  # old, new
    reordered = Signal(object)  # the names in their new order
    changed = Signal()  # after any of the above, and after load()


class _Named:
    """An ordered collection of frozen values with a unique ``name``."""

    what = "item"

    def __init__(self) -> None:
        self.events = CollectionEvents()
        self._items: dict[str, object] = {}

    def __iter__(self) -> Iterator:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def names(self) -> list[str]:
        return list(self._items)

    def get(self, name: str):
        return self._items.get(name)

    def __getitem__(self, name: str):
        if name not in self._items:
            known = ", ".join(self._items) or "none"
            raise ProjectError(f"no {self.what} named {name!r} ({self.what}s: {known})")
        return self._items[name]

    def load(self, items: Iterable) -> None:
        """Replace everything with ``items`` as read from the project (nothing is written back)."""
        self._items = {item.name: item for item in items}
        self.events.changed.emit()

    def save(self, item, *, replace: bool = False) -> None:
        """Add ``item`` at the end, or (``replace``) put it in place of the one with its name."""
        exists = item.name in self._items
        if exists and not replace:
            raise ProjectError(f"a {self.what} named {item.name!r} already exists (replace it, or choose another name)")
        self._items[item.name] = item
        self.events.saved.emit(item, exists)
        self.events.changed.emit()

    def remove(self, name: str) -> None:
        self[name]
        del self._items[name]
        self.events.removed.emit(name)
        self.events.changed.emit()

    def rename(self, old: str, new: str) -> None:
        item = self[old]
        try:
            new = check_name(new, self.what)
        except ValueError as exc:
            raise ProjectError(str(exc)) from None
        if new == old:
            return
        if new in self._items:
            raise ProjectError(f"a {self.what} named {new!r} already exists")
        self._items = {(new if name == old else name): (dataclasses.replace(value, name=new) if name == old else value)
                       for name, value in self._items.items()}
        del item
        self.events.renamed.emit(old, new)
        self.events.changed.emit()

    def reorder(self, names: list[str]) -> None:
        """Put the items in this order (names left out follow in their present order)."""
        unknown = [n for n in names if n not in self._items]
        if unknown:
            raise ProjectError(f"no {self.what} named {unknown[0]!r}")
        order = list(dict.fromkeys(names)) + [n for n in self._items if n not in names]
        if order == list(self._items):
            return
        self._items = {name: self._items[name] for name in order}
        self.events.reordered.emit(order)
        self.events.changed.emit()

    def move(self, name: str, step: int) -> None:
        """Move one item ``step`` places up (negative) or down."""
        names = self.names()
        i = names.index(self[name].name)
        j = min(max(i + step, 0), len(names) - 1)
        names.insert(j, names.pop(i))
        self.reorder(names)


class Bookmarks(_Named):
    """Saved views, in their order."""

    what = "bookmark"

    def __iter__(self) -> Iterator[Bookmark]:
        return super().__iter__()

    def unused_name(self, base: str = "View") -> str:
        """``View N`` for the first N not taken."""
        n = len(self) + 1
        while f"{base} {n}" in self:
            n += 1
        return f"{base} {n}"


class Tours(_Named):
    """Guided tours over the bookmarks, in their order."""

    what = "tour"

    def __iter__(self) -> Iterator[Tour]:
        return super().__iter__()

    def using(self, bookmark: str) -> list[str]:
        """Names of the tours that stop at ``bookmark``."""
        return [tour.name for tour in self if any(stop.bookmark == bookmark for stop in tour.stops)]

    def follow_rename(self, old: str, new: str) -> None:
        """Stops at bookmark ``old`` now stop at ``new``."""
        for tour in self:
            if any(stop.bookmark == old for stop in tour.stops):
                stops = tuple(dataclasses.replace(s, bookmark=new) if s.bookmark == old else s for s in tour.stops)
                self.save(Tour(tour.name, stops, tour.description), replace=True)

    def drop_bookmark(self, name: str) -> None:
        """Remove the stops at bookmark ``name`` (and tours left without any stop)."""
        for tour in self:
            if any(stop.bookmark == name for stop in tour.stops):
                stops = tuple(s for s in tour.stops if s.bookmark != name)
                if stops:
                    self.save(Tour(tour.name, stops, tour.description), replace=True)
                else:
                    self.remove(tour.name)
