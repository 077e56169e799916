"""What a plugin panel receives: the open project, the selection and the current time, with change callbacks.

A panel contribution is ``panel(context: PanelContext) -> QWidget``. The context is plain Python
(no Qt): the window owns one, sets its fields when the user opens a project, picks a feature or
moves the timeline, and the context calls back every subscriber on the GUI thread. A panel keeps
the context and refreshes itself in its callbacks; it must not block (run long queries on a worker).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from twin.plugins.registry import PluginRegistry
    from twin.store.project import Project

log = logging.getLogger(__name__)

#: the events a subscriber may receive
EVENTS = ("project", "selection", "time")


@dataclasses.dataclass(frozen=True)
class Selection:
    """The selected features: one layer by name and feature ids (``fid``) in it; empty when nothing is selected."""

    layer: str | None = None
    fids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return self.layer is not None and bool(self.fids)

    @property
    def fid(self) -> int | None:
        """The first selected feature id (the one the inspector shows), or ``None``."""
        return self.fids[0] if self.fids else None


class PanelContext:
    """The state a panel may read and follow: ``project``, ``selection``, ``time`` (UTC) and ``registry``.

    Subscribe with ``context.subscribe(event, callback)``: ``"project"`` calls ``callback(project)``,
    ``"selection"`` calls ``callback(selection)``, ``"time"`` calls ``callback(time)``. The window
    calls :meth:`set_project`, :meth:`set_selection` and :meth:`set_time`. A callback that raises is
    logged and unsubscribed; the others still run.
    """

    def __init__(
        self,
        project: "Project | None" = None,
        *,
        registry: "PluginRegistry | None" = None,
        timezone: str = "Asia/Seoul",
    ) -> None:
        from twin.plugins.registry import registry as default_registry

        self.project = project
        self.registry = registry or default_registry
        self.selection = Selection()
        self.time: dt.datetime | None = None
        #: the zone to show times in (the project's)
        self.timezone = project.timezone if project is not None else timezone
        self._subscribers: dict[str, list[Callable[[Any], None]]] = {event: [] for event in EVENTS}

    def subscribe(self, event: str, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(value)`` on each change of ``event``; returns a function that unsubscribes."""
        if event not in self._subscribers:
            raise ValueError(f"unknown event {event!r} (events: {', '.join(EVENTS)})")
        self._subscribers[event].append(callback)
        return lambda: self.unsubscribe(event, callback)

    def unsubscribe(self, event: str, callback: Callable[[Any], None]) -> None:
        """Stop calling ``callback`` (no error if it was not subscribed)."""
        callbacks = self._subscribers.get(event, [])
        if callback in callbacks:
            callbacks.remove(callback)

    def set_project(self, project: "Project | None") -> None:
        """A project was opened (or closed: ``None``); the selection is cleared."""
        self.project = project
        if project is not None:
            self.timezone = project.timezone
        self.selection = Selection()
        self._emit("project", project)
        self._emit("selection", self.selection)

    def set_selection(self, layer: str | None, fids: tuple[int, ...] | list[int] = ()) -> None:
        """The user selected features ``fids`` of ``layer`` (``None`` clears the selection)."""
        selection = Selection(layer, tuple(int(f) for f in fids)) if layer is not None else Selection()
        if selection != self.selection:
            self.selection = selection
            self._emit("selection", selection)

    def set_time(self, time: dt.datetime | None) -> None:
        """The timeline moved to ``time`` (timezone-aware; stored in UTC)."""
        if time is not None:
            if time.tzinfo is None:
                raise ValueError("PanelContext.set_time needs a timezone-aware datetime")
            time = time.astimezone(dt.timezone.utc)
        if time != self.time:
            self.time = time
            self._emit("time", time)

    def _emit(self, event: str, value: Any) -> None:
        for callback in list(self._subscribers[event]):
            try:
                callback(value)
            except Exception:  # a broken panel must not break the window
                log.exception("panel callback for %r failed; it is unsubscribed", event)
                self.unsubscribe(event, callback)
