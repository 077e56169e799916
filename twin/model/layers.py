"""The layers of the model: each one's catalogue entry, style (visibility and opacity included) and place
in the draw order, with psygnal events that the scene, the layer list and the persistence listen to."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from psygnal import Signal, SignalGroup
from psygnal.containers import EventedList

from twin.errors import ProjectError, TwinError
from twin.scene.style import Style, StyleError, default_style, style_changes
from twin.store.project import LayerInfo

log = logging.getLogger(__name__)


class LayerEvents(SignalGroup):
    """What one :class:`LayerState` tells its listeners."""

    style = Signal(object)  # the new Style, after any change (visibility and opacity included)
    visible = Signal(bool)  # the check box changed
    opacity = Signal(float)
    name = Signal(str, str)  # old, new
    info = Signal(object)  # the catalogue entry changed (stage, service, counts...)


class LayerState:
    """One layer as the planner sees it.

    ``info`` is the catalogue entry (read from the store); ``stored`` the style keys the project keeps (those
    that differ from the kind's defaults, or that the user set); ``style`` the validated :class:`Style`
    they make. A stored style that cannot be read leaves the layer drawable with the kind's defaults and
    says why in ``problem``.
    """

    def __init__(self, info: LayerInfo) -> None:
        self.events = LayerEvents()
        self._info = info
        self.problem: str | None = None
        self._stored: dict[str, Any] = {}
        self._style = default_style(info.kind)
        self._load_style(info.style)

    def _load_style(self, stored: Any) -> None:
        try:
            if stored is not None and not isinstance(stored, dict):
                raise StyleError(f"style of {self._info.name!r} must be a table of keys, not {type(stored).__name__}")
            self._style = Style.from_dict(stored, kind=self._info.kind, layer=repr(self._info.name))
            self._stored = dict(stored or {})
            self.problem = None
        except TwinError as exc:
            self._style, self._stored = default_style(self._info.kind), {}
            self.problem = f"{exc}; drawn with the default style"
            log.warning("layer %s: %s", self._info.name, self.problem)

    # ----- catalogue -------------------------------------------------------------------------
    @property
    def info(self) -> LayerInfo:
        return self._info

    @property
    def name(self) -> str:
        return self._info.name

    @property
    def kind(self) -> str:
        return self._info.kind

    @property
    def stage(self) -> int | None:
        return self._info.stage

    @property
    def service(self) -> str | None:
        return self._info.service

    @property
    def broken(self) -> str | None:
        """Why the layer cannot be read at all (its catalogue entry, docs/security.md): listed, never drawn."""
        return self._info.broken

    @property
    def problems(self) -> list[str]:
        """Everything wrong with the layer, one line each: broken, repaired catalogue values, its style."""
        return [p for p in (self._info.broken, *self._info.problems, self.problem) if p]

    def set_info(self, info: LayerInfo) -> None:
        """A new catalogue entry for this layer (after a rename or a stage/service change)."""
        old = self._info
        self._info = info
        if old.name != info.name:
            self.events.name.emit(old.name, info.name)
        if old != info:
            self.events.info.emit(info)

    # ----- style -------------------------------------------------------------------------------
    @property
    def style(self) -> Style:
        return self._style

    @property
    def stored(self) -> dict[str, Any]:
        """The style as the project stores it (a copy)."""
        return dict(self._stored)

    @style.setter
    def style(self, style: Style) -> None:
        """Replace the whole style (the style dialog): the project keeps what differs from the defaults."""
        style.validate(layer=repr(self.name))
        self._set(style, style_changes(style, self.kind))

    def update_style(self, **changes: Any) -> None:
        """Change some style keys (``visible``, ``opacity``, ``color_by``...); they are kept as set."""
        stored = {**self._stored, **changes}
        style = Style.from_dict(stored, kind=self.kind, layer=repr(self.name))
        self._set(style, stored)

    def _set(self, style: Style, stored: dict[str, Any]) -> None:
        old = self._style
        self._style, self._stored = style, stored
        self.problem = None
        if style.key() == old.key():
            return
        self.events.style.emit(style)
        if style.visible != old.visible:
            self.events.visible.emit(style.visible)
        if style.opacity != old.opacity:
            self.events.opacity.emit(float(style.opacity))

    @property
    def visible(self) -> bool:
        """The layer's check box (saved with its style); the stage lens may still hide it."""
        return bool(self._style.visible)

    @visible.setter
    def visible(self, flag: bool) -> None:
        if bool(flag) != self.visible:
            self.update_style(visible=bool(flag))

    @property
    def opacity(self) -> float:
        return float(self._style.opacity)

    @opacity.setter
    def opacity(self, value: float) -> None:
        if float(value) != self.opacity:
            self.update_style(opacity=float(value))

    def __repr__(self) -> str:
        return f"LayerState({self.name!r}, kind={self.kind!r}, visible={self.visible})"


class LayerList(EventedList):
    """The model's layers in draw order (the catalogue's ``position``), looked up by index or by name.

    Its events are psygnal's list events (``inserted``, ``removed``, ``moved``, ``reordered``...).
    """

    def __init__(self, data: Iterable[LayerState] = ()) -> None:
        super().__init__(data, hashable=True, child_events=False)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            for layer in self:
                if layer.name == key:
                    return layer
            known = ", ".join(layer.name for layer in self) or "none"
            raise ProjectError(f"no layer named {key!r} (layers: {known})")
        return super().__getitem__(key)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return any(layer.name == item for layer in self)
        return super().__contains__(item)

    def get(self, name: str) -> LayerState | None:
        """The layer named ``name``, or ``None``."""
        return next((layer for layer in self if layer.name == name), None)

    def names(self) -> list[str]:
        return [layer.name for layer in self]

    def index_of(self, name: str) -> int:
        return self.names().index(name)
