"""Bookmarks and tour frames applied to a model: the camera, the layers and stage lens, the time, the caption,
the selection (whose links the views draw).

:class:`Presenter` is what a tour, a presentation and a movie do to the twin. It changes the model only
(never the scene), inside :meth:`~twin.model.twin.TwinModel.transient`, so nothing is saved in the project,
and :meth:`Presenter.close` puts the layers, the lens and the selection back as they were. Every view bound to the model
(the window's 3D view, an off-screen movie) shows the same frames.
"""

from __future__ import annotations

from twin.model.twin import TwinModel
from twin.present.bookmarks import Bookmark
from twin.present.tours import Frame
from twin.time.range import TimeRange


def bookmark_frame(bookmark: Bookmark, *, caption: bool = True) -> Frame:
    """The single frame that shows a bookmark."""
    when = TimeRange.instant(bookmark.time) if bookmark.time is not None else None
    return Frame(0, 0.0, bookmark.camera, when, bookmark.layers, bookmark.stage,
                 bookmark.caption if caption else "", 1.0 if caption and bookmark.caption else 0.0,
                 selection=bookmark.selection, changes=bookmark.changes)


class Presenter:
    """Shows frames on ``model``; ``clock`` writes the time of each frame at the top left."""

    def __init__(self, model: TwinModel, *, clock: bool = False, captions: bool = True) -> None:
        self.model = model
        self.captions = captions
        #: the check box of each layer and the lens before the presenter changed anything
        self.baseline = {layer.name: layer.visible for layer in model.layers}
        self.lens_baseline = (model.lens.stage, model.lens.changes)
        self.selection_baseline = (model.selection.features, model.selection.primary)
        self._touched: set[str] = set()
        self._lens_touched = False
        self._selection_touched = False
        if clock:
            model.caption.set_clock(True)
        self._clock = clock

    def apply(self, frame: Frame, *, camera: bool = True, time: bool = True, layers: bool = True) -> None:
        """Show ``frame`` (``camera``/``time``/``layers`` False leave those alone)."""
        model = self.model
        if camera and frame.camera is not None:
            model.camera.pose = frame.camera
        if layers:
            self.set_layers(frame.layers, frame.stage, changes=frame.changes)
        if time and frame.time_range is not None:
            model.time.range = frame.time_range
        if layers and frame.selection is not None:
            self.select(frame.selection)
        if self.captions:
            model.caption.show(frame.caption, frame.caption_opacity)

    def select(self, items: tuple[tuple[str, int], ...]) -> None:
        """Select these features (of layers the project has; an empty tuple clears the selection)."""
        model = self.model
        features: dict[str, list[int]] = {}
        for name, fid in items:
            if name in model.layers:
                features.setdefault(name, []).append(int(fid))
        if {k: frozenset(v) for k, v in features.items()} != dict(model.selection.features):
            self._selection_touched = True
            first = next(iter(items), None)
            model.selection.select(features, primary=tuple(first) if first and first[0] in features else None)

    def set_layers(self, layers: tuple[str, ...] | None, stage: int | None, *, changes: bool = False) -> None:
        """Show the listed layers (``None``: those checked before) through a lens at ``stage`` (its "what
        changed" view with ``changes``)."""
        model = self.model
        with model.transient():
            for layer in model.layers:
                want = self.baseline.get(layer.name, layer.visible) if layers is None else layer.name in layers
                if layer.visible != want:
                    self._touched.add(layer.name)
                    layer.visible = want
            if (model.lens.stage, model.lens.changes) != (stage, bool(changes) and stage is not None):
                self._lens_touched = True
                model.lens.look(stage, changes=changes)

    def close(self) -> None:
        """Put the layers and the lens back as they were; remove the caption and the clock."""
        model = self.model
        with model.transient():
            for name in self._touched:  # only what the presenter changed: the user may have changed others
                layer = model.layers.get(name)
                if layer is not None and layer.visible != self.baseline.get(name, True):
                    layer.visible = self.baseline[name]
            if self._lens_touched:
                model.lens.look(self.lens_baseline[0], changes=self.lens_baseline[1])
        if self._selection_touched:
            features, primary = self.selection_baseline
            if features:
                model.selection.select(features, primary=primary)
            else:
                model.selection.clear()
        self._touched.clear()
        self._lens_touched = self._selection_touched = False
        model.caption.clear()


def show_bookmark(model: TwinModel, bookmark: Bookmark, *, caption: bool = True) -> Presenter:
    """Point ``model`` at a bookmark (camera, layers, lens, time, caption); close the presenter to undo the
    layers, the lens and the caption."""
    presenter = Presenter(model, captions=caption)
    presenter.apply(bookmark_frame(bookmark, caption=caption))
    return presenter
