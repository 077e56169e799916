"""What a plugin panel receives: a view of the twin's model, with change callbacks, and no raw database.

A panel contribution is ``panel(context: PanelContext) -> QWidget``. The context is plain Python (no Qt)
and reads everything from one :class:`~twin.model.twin.TwinModel` (the window's), so a panel always agrees
with the 3D view, the layer list and the inspector:

- ``project``: a read-only :class:`~twin.store.reader.ProjectReader` (catalogue, ``query`` returning Arrow,
  ``numpy``, ``track``), or ``None``;
- ``selection``: the selected features as a :class:`SelectedFeatures` value; ``time``: the timeline's time
  (UTC); ``stage``: the stage lens; ``layers``: the catalogue entries in draw order; ``timezone``; ``registry``.

``context.subscribe(event, callback)`` with ``event`` one of :data:`EVENTS` calls ``callback(value)`` on the
GUI thread after each change and returns a function that unsubscribes. A callback that raises is logged
and unsubscribed; the others still run. A panel may also drive the twin: :meth:`PanelContext.set_selection`
(linked selection: every view highlights it), :meth:`PanelContext.set_time` and
:meth:`PanelContext.replay` (play a stretch of the day, then stop).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from twin.model.twin import TwinModel
from twin.store.project import LayerInfo, Project
from twin.store.reader import ProjectReader
from twin.time.range import TimeRange

if TYPE_CHECKING:
    from twin.plugins.registry import PluginRegistry

log = logging.getLogger(__name__)

#: the events a subscriber may receive, and what ``callback`` gets
EVENTS = {
    "project": "the ProjectReader (or None) after a project was opened",
    "selection": "SelectedFeatures after the selection changed",
    "time": "the time (UTC datetime, or None) after the timeline moved",
    "layers": "the list of LayerInfo after layers were added, removed, renamed or reordered",
    "stage": "the stage of the lens (1-4, or None for every stage) after it changed",
}


@dataclasses.dataclass(frozen=True)
class SelectedFeatures:
    """The selected features: the primary layer by name and its feature ids (``fid``), the primary one first,
    and every selected layer's ids in ``features``; empty (falsy) when nothing is selected."""

    layer: str | None = None
    fids: tuple[int, ...] = ()
    features: Mapping[str, frozenset[int]] = dataclasses.field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        return self.layer is not None and bool(self.fids)

    @property
    def fid(self) -> int | None:
        """The first selected feature id (the one the inspector shows), or ``None``."""
        return self.fids[0] if self.fids else None


class PanelContext:
    """The state a panel may read, follow and drive (see the module docstring).

    ``PanelContext(model)`` views the window's model. ``PanelContext(project)`` (a ``Project`` or a
    ``ProjectReader``) makes a model of its own: what a plugin's tests use.
    """

    def __init__(self, source: TwinModel | ProjectReader | Project | None = None, *,
                 registry: "PluginRegistry | None" = None) -> None:
        if isinstance(source, TwinModel):
            model = source
        else:
            reader = ProjectReader(source) if isinstance(source, Project) else source
            model = TwinModel(reader, registry=registry)
        self.model = model
        self.registry = registry or model.registry
        self._subscribers: dict[str, list[Callable[[Any], None]]] = {event: [] for event in EVENTS}
        model.events.project.connect(lambda project: self._emit("project", project))
        model.selection.events.changed.connect(lambda _s: self._emit("selection", self.selection))
        model.time.events.range.connect(lambda _r: self._emit("time", self.time))
        model.lens.events.changed.connect(lambda lens: self._emit("stage", lens.stage))
        for signal in (model.layers.events.inserted, model.layers.events.removed, model.layers.events.moved):
            signal.connect(lambda *_args: self._emit("layers", self.layers))

    # ----- what a panel reads ----------------------------------------------------------------
    @property
    def project(self) -> ProjectReader | None:
        return self.model.project

    @property
    def selection(self) -> SelectedFeatures:
        selection = self.model.selection
        return SelectedFeatures(selection.layer, selection.fids, selection.features) if selection.layer else \
            SelectedFeatures()

    @property
    def time(self) -> dt.datetime | None:
        """Where the timeline is (the end of the shown range, UTC), or ``None``."""
        value = self.model.time.range
        return value.end if value is not None else None

    @property
    def stage(self) -> int | None:
        return self.model.lens.stage

    @property
    def layers(self) -> list[LayerInfo]:
        return [layer.info for layer in self.model.layers]

    @property
    def timezone(self) -> str:
        """The zone to show times in (the project's)."""
        return self.model.timezone

    # ----- following ---------------------------------------------------------------------------
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

    def _emit(self, event: str, value: Any) -> None:
        for callback in list(self._subscribers[event]):
            try:
                callback(value)
            except Exception:  # a broken panel must not break the window
                log.exception("panel callback for %r failed; it is unsubscribed", event)
                self.unsubscribe(event, callback)

    # ----- driving the twin ----------------------------------------------------------------------
    def set_selection(self, layer: str | None, fids: tuple[int, ...] | list[int] = ()) -> None:
        """Select features ``fids`` of ``layer`` in the twin (``None`` clears the selection)."""
        if layer is None:
            self.model.selection.clear()
        else:
            ids = [int(f) for f in fids]
            self.model.selection.select({layer: ids}, primary=(layer, ids[0]) if ids else None)

    def set_time(self, time: dt.datetime | None) -> None:
        """Move the twin to ``time`` (timezone-aware): the timeline when it covers it, else the shown instant."""
        if time is None:
            self.model.time.range = None
            return
        if time.tzinfo is None:
            raise ValueError("PanelContext.set_time needs a timezone-aware datetime")
        timeline = self.model.time.timeline
        if timeline is not None and timeline.extent.contains(time):
            self.model.time.range = timeline.seek(time)  # (the timeline says nothing when it was there already)
        else:
            self.model.time.range = TimeRange.instant(time)

    def replay(self, start: dt.datetime, end: dt.datetime, *, seconds: float = 12.0) -> None:
        """Play the twin from ``start`` to ``end`` in about ``seconds`` (an incident from its call to the
        arrival of help), then stop; without a timeline, show ``end``."""
        timeline = self.model.time.timeline
        if timeline is None:
            self.model.time.range = TimeRange.instant(end)
            return
        timeline.replay(start, end, seconds=seconds)
        self.model.time.range = timeline.range

    def set_project(self, project: ProjectReader | Project | None) -> None:
        """Show another project (tests; the window opens projects through its own model)."""
        self.model.open(ProjectReader(project) if isinstance(project, Project) else project)
