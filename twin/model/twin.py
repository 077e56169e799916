"""The model of the twin: everything the planner sees, in one Qt-free, evented object.

Like napari's ``ViewerModel``, :class:`TwinModel` is the truth that every view binds to: the window's 3D
view and docks, ``twin render`` and ``twin movie`` off-screen, and plugin panels (through
:class:`twin.model.context.PanelContext`). It holds

- ``layers``: :class:`~twin.model.layers.LayerList` of :class:`~twin.model.layers.LayerState` (catalogue entry,
  style with visibility and opacity, draw order);
- ``lens``: the :class:`~twin.model.lens.StageLens` (the city as it was at a stage, chosen services);
- ``selection``: features of any layers, the primary one, free geometries;
- ``camera``: the pose in the project CRS and framing requests;
- ``time``: the time range shown and the timeline that moves it;
- ``caption``: what a presentation writes over the view;
- ``bookmarks`` and ``tours``;
- ``links``: the links of the selected features to features of other layers (from the project's links table).

Events are psygnal signals (``model.events``, ``model.layers.events``, ``layer.events``...). The model
reads the project through a read-only :class:`~twin.store.reader.ProjectReader`; writing what changes back
into the file is the job of :class:`twin.model.sync.StoreSync`, attached by whoever opened it for writing
(changes made inside :meth:`TwinModel.transient`, as a presentation makes, are never written).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator

from psygnal import Signal, SignalGroup

from twin.errors import ProjectError, TwinError
from twin.model.built import built_years
from twin.model.camera import Camera
from twin.model.caption import Caption
from twin.model.layers import LayerList, LayerState
from twin.model.lens import EVERYTHING, FeatureView, StageLens
from twin.model.links import SelectionLinks
from twin.model.presentations import Bookmarks, Tours
from twin.model.selection import Selection
from twin.model.time import TimeState
from twin.plugins.registry import PluginRegistry
from twin.plugins.registry import registry as default_registry
from twin.present.bookmarks import Bookmark
from twin.stages import periods as stage_periods, stages as stage_list
from twin.store.project import DEFAULT_TIMEZONE, LayerInfo
from twin.store.reader import ProjectReader

log = logging.getLogger(__name__)


class TwinEvents(SignalGroup):
    project = Signal(object)  # ProjectReader or None: a project was opened and everything replaced
    layer_removed = Signal(str)  # the user removed a layer (the store drops its tables)
    error = Signal(str)  # something the user asked for failed (the message says what and why)
    message = Signal(str)  # a remark for the status bar


class TwinModel:
    """See the module docstring. ``TwinModel(reader)`` opens a project; ``TwinModel()`` starts empty."""

    def __init__(self, project: ProjectReader | None = None, *, registry: PluginRegistry | None = None) -> None:
        self.events = TwinEvents()
        self.registry = registry or default_registry
        self.project: ProjectReader | None = None
        self.layers = LayerList()
        self.lens = StageLens(periods=stage_periods(registry=self.registry) or None,
                              colors={s.number: s.color for s in stage_list(registry=self.registry)} or None)
        self.selection = Selection()
        self.camera = Camera()
        self.time = TimeState()
        self.caption = Caption()
        self.bookmarks = Bookmarks()
        self.tours = Tours()
        self.links = SelectionLinks(self)
        self._transient = 0
        self._built: dict[tuple, tuple | None] = {}
        self.layers.events.inserted.connect(self._on_inserted)
        if project is not None:
            self.open(project)

    # ----- the project -------------------------------------------------------------------------
    @property
    def crs(self) -> str | None:
        return self.project.crs if self.project is not None else None

    @property
    def timezone(self) -> str:
        """The zone times are shown and typed in: that of the time-based layers when they share one (a GTFS
        feed's agency zone), else the project's (twin.time.zones, docs/timeline.md)."""
        from twin.time.zones import viewing_zone

        default = self.project.timezone if self.project is not None else DEFAULT_TIMEZONE
        return viewing_zone([layer.info for layer in self.layers], default)[0]

    def open(self, project: ProjectReader | None) -> None:
        """Show ``project`` (``None``: nothing): its layers, bookmarks and tours replace the current ones; the
        selection, camera and caption start afresh; the lens is kept (a planner's lens outlives a file)."""
        self.selection.clear()
        self.caption.clear()
        self.project = project
        self._built.clear()
        with self.layers.events.blocked():
            self.layers.clear()
            self.layers.extend(LayerState(info) for info in (project.layers() if project is not None else []))
        self._load_presentations()
        self.camera.pose = None
        self.time.cover(layer.info.time_span for layer in self.layers)
        self.events.project.emit(project)

    def close(self) -> None:
        """Forget the project (before its file is closed)."""
        self.open(None)

    def _load_presentations(self) -> None:
        from twin.present.store import PresentStore

        marks, tours = [], []
        if self.project is not None:
            store = PresentStore(self.project)
            try:
                marks, tours = store.bookmarks(), store.tours()
            except TwinError as exc:
                self.events.error.emit(f"bookmarks and tours of {self.project.path}: {exc}")
        self.bookmarks.load(marks)
        self.tours.load(tours)

    # ----- layers ------------------------------------------------------------------------------
    def add_layers(self, layers: Iterable[LayerInfo]) -> list[LayerState]:
        """Show layers that were just written into the project (an import), at the end of the list."""
        added = []
        for info in layers:
            if info.name in self.layers:
                continue
            state = LayerState(info)
            self.layers.append(state)
            added.append(state)
        return added

    def _on_inserted(self, index: int, layer: LayerState) -> None:
        self.time.cover(state.info.time_span for state in self.layers)

    def remove_layer(self, name: str) -> None:
        """Remove a layer (the store drops its data; the record of its import is kept)."""
        layer = self.layers[name]
        self.selection.drop_layer(name)
        self.layers.remove(layer)
        self.events.layer_removed.emit(name)
        self.time.cover(state.info.time_span for state in self.layers)

    def rename_layer(self, old: str, new: str) -> None:
        """Rename a layer; ProjectError for an empty name or one another layer has."""
        layer = self.layers[old]
        new = new.strip()
        if not new:
            raise ProjectError("a layer name cannot be empty")
        if new == old:
            return
        if new in self.layers:
            raise ProjectError(f"a layer named {new!r} already exists")
        layer.set_info(dataclasses.replace(layer.info, name=new))
        self.selection.rename_layer(old, new)

    def place_layer(self, name: str, *, stage: int | None = ..., service: str | None = ...) -> None:  # type: ignore[assignment]
        """Change a layer's smart-city stage and/or service."""
        from twin.model.lens import check_stage

        layer = self.layers[name]
        changes = {}
        if stage is not ...:
            changes["stage"] = check_stage(stage)
        if service is not ...:
            changes["service"] = (service or "").strip() or None
        layer.set_info(dataclasses.replace(layer.info, **changes))

    def move_layer(self, name: str, index: int) -> None:
        """Move a layer to ``index`` of the draw order (0 first)."""
        src = self.layers.index_of(name)
        index = min(max(int(index), 0), len(self.layers) - 1)
        if index != src:
            self.layers.move(src, index + 1 if index > src else index)

    def refresh_layer(self, name: str) -> None:
        """Read a layer's catalogue entry again (its counts or extent changed in the store)."""
        if self.project is not None and name in self.layers:
            self.layers[name].set_info(self.project.layer(name))

    def shown(self, layer: str | LayerState) -> bool:
        """Drawn in the views: its check box is on and the stage lens lets it through."""
        state = self.layers.get(layer) if isinstance(layer, str) else layer
        return state is not None and state.visible and self.lens.admits(state.stage, state.service)

    def feature_view(self, layer: str | LayerState) -> FeatureView:
        """What the stage lens hides of a layer's features (completed after the stage) and draws as context."""
        state = self.layers.get(layer) if isinstance(layer, str) else layer
        if state is None or self.lens.stage is None:
            return EVERYTHING
        built = self.built_years(state.info)
        if built is None:
            return self.lens.layer_view(state.stage)
        return self.lens.feature_view(*built, layer_stage=state.stage)

    def built_years(self, info: LayerInfo) -> tuple | None:
        """(fids, completion years) of a layer, read once per layer version; None when it has none."""
        if self.project is None:
            return None
        key = (info.id, info.feature_count, json.dumps(info.properties.get("built_year"), ensure_ascii=False))
        if key not in self._built:
            try:
                self._built[key] = built_years(self.project, info)
            except TwinError as exc:
                log.warning("layer %s: completion years not read: %s", info.name, exc)
                self._built[key] = None
        return self._built[key]

    def shown_layers(self) -> list[str]:
        return [layer.name for layer in self.layers if self.shown(layer)]

    # ----- changes that are not saved ----------------------------------------------------------
    @contextlib.contextmanager
    def transient(self) -> Iterator["TwinModel"]:
        """Changes made inside (a presentation turning layers on and off) are never written to the project."""
        self._transient += 1
        try:
            yield self
        finally:
            self._transient -= 1

    @property
    def is_transient(self) -> bool:
        return self._transient > 0

    # ----- bookmarks -----------------------------------------------------------------------------
    def capture_bookmark(self, name: str, *, caption: str = "", with_time: bool = True) -> Bookmark:
        """A bookmark of what the model shows: the camera, the checked layers, the lens's stage and view, the
        selected features and (with ``with_time``) the time. ProjectError when no view has placed the camera yet."""
        if self.camera.pose is None:
            raise ProjectError("no view has placed the camera yet: nothing to bookmark")
        when = self.time.range.end if with_time and self.time.range is not None else None
        layers = tuple(layer.name for layer in self.layers if layer.visible)
        try:
            selection = tuple(sorted(self.selection.items))
            return Bookmark(name, self.camera.pose, time=when, layers=layers, stage=self.lens.stage, caption=caption,
                            selection=selection, changes=self.lens.changes)
        except ValueError as exc:
            raise ProjectError(str(exc)) from None

    def remove_bookmark(self, name: str) -> None:
        """Remove a bookmark and the tour stops at it."""
        self.bookmarks[name]
        self.tours.drop_bookmark(name)
        self.bookmarks.remove(name)

    def rename_bookmark(self, old: str, new: str) -> None:
        """Rename a bookmark; the tours follow."""
        self.bookmarks.rename(old, new)
        self.tours.follow_rename(old, new.strip())

    # ----- copies -----------------------------------------------------------------------------------
    def copy(self) -> "TwinModel":
        """A model showing the same state (layers with their styles, lens, selection, camera, time, caption,
        bookmarks, tours) of the same project, with nothing attached: what a movie export renders."""
        other = TwinModel(registry=self.registry)
        other.project = self.project
        with other.layers.events.blocked():
            for layer in self.layers:
                state = LayerState(layer.info)
                state._load_style(layer.stored)
                other.layers.append(state)
        other.lens.periods, other.lens.colors = dict(self.lens.periods), dict(self.lens.colors)
        other.lens.look(self.lens.stage, changes=self.lens.changes)
        other.lens.services = self.lens.services
        sel = self.selection
        other.selection.select(sel.features, primary=sel.primary, picked=sel.picked, geometries=sel.geometries)
        other.camera.pose = self.camera.pose
        other.time.range = self.time.range
        other.caption.show(self.caption.text, self.caption.opacity)
        other.caption.set_clock(self.caption.clock)
        other.bookmarks.load(list(self.bookmarks))
        other.tours.load(list(self.tours))
        other.events.project.emit(other.project)
        return other

    def __repr__(self) -> str:
        where = self.project.path if self.project is not None else None
        return f"TwinModel({str(where) if where else 'no project'!r}, {len(self.layers)} layers)"
