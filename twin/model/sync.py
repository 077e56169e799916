"""Persistence of a model: what the planner changes in a :class:`~twin.model.twin.TwinModel` is written into
its project file as it happens (a layer's style and visibility, name, stage and service, the draw order,
removed layers, bookmarks and tours).

The model knows nothing of the file; :class:`StoreSync` listens to its events and calls the store. Changes
made while the model is :meth:`~twin.model.twin.TwinModel.transient` (a presentation) are not written. A
write that fails is reported on ``model.events.error`` with the reason; the model keeps the change.
"""

from __future__ import annotations

import logging

import duckdb

from twin.errors import TwinError
from twin.model.layers import LayerState
from twin.model.twin import TwinModel
from twin.present.store import PresentStore
from twin.store.project import Project

log = logging.getLogger(__name__)


class StoreSync:
    """Writes ``model``'s changes into ``project`` until :meth:`detach`."""

    def __init__(self, model: TwinModel, project: Project) -> None:
        self.model = model
        self.project = project
        self.store = PresentStore(project)
        self.writes = 0
        self._layers: dict[int, tuple[LayerState, list]] = {}
        self._connections = [
            (model.layers.events.inserted, self._on_inserted),
            (model.layers.events.removed, self._on_removed),
            (model.layers.events.moved, self._on_moved),
            (model.events.layer_removed, self._on_layer_removed),
            (model.events.project, self._on_project),
            (model.bookmarks.events.saved, self._bookmark_saved),
            (model.bookmarks.events.removed, self._bookmark_removed),
            (model.bookmarks.events.renamed, self._bookmark_renamed),
            (model.bookmarks.events.reordered, self._bookmarks_reordered),
            (model.tours.events.saved, self._tour_saved),
            (model.tours.events.removed, self._tour_removed),
            (model.tours.events.reordered, self._tours_reordered),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        for layer in model.layers:
            self._watch(layer)

    def detach(self) -> None:
        """Stop writing (the project is about to be closed or replaced)."""
        for signal, slot in self._connections:
            signal.disconnect(slot)
        for layer, slots in self._layers.values():
            for signal, slot in slots:
                signal.disconnect(slot)
        self._layers.clear()
        self._connections = []

    # ----- writing ---------------------------------------------------------------------------
    def _write(self, what: str, fn, *args, **kwargs) -> None:
        if self.model.is_transient:
            return
        try:
            fn(*args, **kwargs)
            self.writes += 1
        except (TwinError, duckdb.Error, OSError) as exc:
            text = f"{what} could not be saved in {self.project.path or 'the project'}: {exc}"
            log.warning("%s", text)
            self.model.events.error.emit(text)

    # ----- layers ------------------------------------------------------------------------------
    def _watch(self, layer: LayerState) -> None:
        slots = [
            (layer.events.style, lambda _style, layer=layer: self._write(
                f"the style of {layer.name!r}", self.project.set_style, layer.name, layer.stored)),
            (layer.events.name, lambda old, new: self._write(
                f"the name {new!r}", self.project.rename_layer, old, new)),
            (layer.events.info, lambda info, layer=layer: self._write(
                f"the stage and service of {layer.name!r}", self.project.set_layer_fields, info.name,
                stage=info.stage, service=info.service)),
        ]
        for signal, slot in slots:
            signal.connect(slot)
        self._layers[id(layer)] = (layer, slots)

    def _unwatch(self, layer: LayerState) -> None:
        _, slots = self._layers.pop(id(layer), (None, []))
        for signal, slot in slots:
            signal.disconnect(slot)

    def _on_inserted(self, _index: int, layer: LayerState) -> None:
        self._watch(layer)

    def _on_removed(self, _index: int, layer: LayerState) -> None:
        self._unwatch(layer)

    def _on_project(self, _project) -> None:
        for layer, _slots in list(self._layers.values()):
            self._unwatch(layer)
        for layer in self.model.layers:
            self._watch(layer)

    def _on_layer_removed(self, name: str) -> None:
        self._write(f"the removal of {name!r}", self.project.remove_layer, name)

    def _on_moved(self, *_args) -> None:
        self._write("the order of the layers", self.project.set_order, self.model.layers.names())

    # ----- bookmarks and tours -------------------------------------------------------------------
    def _bookmark_saved(self, bookmark, replaced: bool) -> None:
        self._write(f"bookmark {bookmark.name!r}", self.store.save_bookmark, bookmark, replace=replaced)

    def _bookmark_removed(self, name: str) -> None:
        self._write(f"the removal of bookmark {name!r}", lambda: self.store.remove_bookmark(name, force=True))

    def _bookmark_renamed(self, old: str, new: str) -> None:
        self._write(f"the name of bookmark {new!r}", self.store.rename_bookmark, old, new)

    def _bookmarks_reordered(self, names: list[str]) -> None:
        self._write("the order of the bookmarks", self.store.reorder_bookmarks, names)

    def _tour_saved(self, tour, replaced: bool) -> None:
        self._write(f"tour {tour.name!r}", lambda: self.store.save_tour(tour, replace=replaced))

    def _tour_removed(self, name: str) -> None:
        self._write(f"the removal of tour {name!r}", self.store.remove_tour, name)

    def _tours_reordered(self, names: list[str]) -> None:
        self._write("the order of the tours", self.store.reorder_tours, names)
