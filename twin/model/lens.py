"""The stage lens: the city as it was at a smart-city stage (1-4), with an optional choice of services.

This is the one rule of what a stage filter hides; the layer list, the scene, bookmarks and tours all ask
:meth:`StageLens.admits`. Layers without a stage pass every stage; layers without a service pass every
service choice. Within a layer, features with a completion year (``준공연도``...: see
:mod:`twin.model.built`) completed after the stage's period are hidden too (:meth:`StageLens.feature_view`).

The "what changed at this stage" view (``changes``) keeps what stood before the stage as grey context
(layers of earlier stages, features completed before the period) and what the stage added in colour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import numpy as np
from psygnal import Signal, SignalGroup

STAGES = (1, 2, 3, 4)
#: the years of each stage when no plugin declares them (twin-stages' ``period`` fields say the same)
DEFAULT_PERIODS: dict[int, tuple[int | None, int | None]] = {1: (1995, 2002), 2: (2003, 2013), 3: (2014, 2017),
                                                             4: (2018, None)}

#: stage colours when no plugin declares them (twin-stages' ``color`` fields say the same)
DEFAULT_COLORS = {1: "#8c6d31", 2: "#1f77b4", 3: "#9467bd", 4: "#2ca02c"}


class LensEvents(SignalGroup):
    changed = Signal(object)  # the StageLens itself, after its stage, view or services changed


@dataclasses.dataclass(frozen=True)
class FeatureView:
    """Which features of one layer the lens hides and which it draws as grey context (sorted fids)."""

    hidden: np.ndarray
    ghosted: np.ndarray
    #: every feature of the layer is context (a layer of an earlier stage in the "what changed" view)
    all_ghosted: bool = False
    #: the colour the features the stage added are drawn in (the "what changed" view of a layer with years)
    accent: str | None = None

    @property
    def key(self) -> tuple:
        """Equal for equal views (to skip redrawing)."""
        return (self.all_ghosted, self.accent, self.hidden.tobytes(), self.ghosted.tobytes())


EVERYTHING = FeatureView(np.empty(0, np.int64), np.empty(0, np.int64))


class StageLens:
    """``stage`` None shows today's city (every stage); 1-4 hides layers of later stages and features completed
    after the stage. ``changes`` (with a stage) shows what the stage added, the rest as context. ``services``
    None shows every service; a set shows only layers of those services (and those without one)."""

    def __init__(self, stage: int | None = None, services: Iterable[str] | None = None, *,
                 periods: Mapping[int, tuple[int | None, int | None]] | None = None,
                 colors: Mapping[int, str] | None = None) -> None:
        self.events = LensEvents()
        #: the colour of each stage (what a stage added is drawn in, in the "what changed" view)
        self.colors = dict(DEFAULT_COLORS if colors is None else colors)
        self._stage = check_stage(stage)
        self._changes = False
        self._services = frozenset(services) if services is not None else None
        self.periods = dict(DEFAULT_PERIODS if periods is None else periods)

    @property
    def stage(self) -> int | None:
        return self._stage

    @stage.setter
    def stage(self, value: int | None) -> None:
        value = check_stage(value)
        if value != self._stage:
            self._stage = value
            if value is None:
                self._changes = False
            self.events.changed.emit(self)

    @property
    def changes(self) -> bool:
        """The "what changed at this stage" view (always False without a stage)."""
        return self._changes

    @changes.setter
    def changes(self, value: bool) -> None:
        value = bool(value) and self._stage is not None
        if value != self._changes:
            self._changes = value
            self.events.changed.emit(self)

    def look(self, stage: int | None, *, changes: bool = False) -> None:
        """Set the stage and the view at once (one event)."""
        stage = check_stage(stage)
        changes = bool(changes) and stage is not None
        if (stage, changes) != (self._stage, self._changes):
            self._stage, self._changes = stage, changes
            self.events.changed.emit(self)

    @property
    def services(self) -> frozenset[str] | None:
        return self._services

    @services.setter
    def services(self, value: Iterable[str] | None) -> None:
        value = frozenset(value) if value is not None else None
        if value != self._services:
            self._services = value
            self.events.changed.emit(self)

    def admits(self, stage: int | None, service: str | None = None) -> bool:
        """True when a layer of ``stage`` and ``service`` shows through the lens."""
        if self._stage is not None and stage is not None and stage > self._stage:
            return False
        return self._services is None or service is None or service in self._services

    def ghosts(self, stage: int | None) -> bool:
        """True when a whole layer of ``stage`` is grey context: the "what changed" view of a later stage."""
        return self._changes and stage is not None and self._stage is not None and stage < self._stage

    def period(self, stage: int | None = None) -> tuple[int | None, int | None]:
        """(first year, last year) of a stage (default: the lens's); None ends are open."""
        number = self._stage if stage is None else stage
        return self.periods.get(number, (None, None)) if number is not None else (None, None)

    def feature_view(self, fids: np.ndarray, years: np.ndarray, *, layer_stage: int | None = None) -> FeatureView:
        """Hidden and context features of a layer from each feature's completion year (NaN: unknown, shown).

        Completed after the stage's last year: hidden. In the "what changed" view, completed before the
        stage's first year: context; a layer of an earlier stage is all context unless its features have years.
        """
        fids = np.asarray(fids, dtype=np.int64)
        years = np.asarray(years, dtype=np.float64)
        if self._stage is None or not fids.size:
            return EVERYTHING if not self.ghosts(layer_stage) else FeatureView(EVERYTHING.hidden, EVERYTHING.ghosted, True)
        first, last = self.period()
        hidden = years > last if last is not None else np.zeros(fids.size, bool)
        ghosted = np.zeros(fids.size, bool)
        if self._changes and first is not None:
            ghosted = ~hidden & (years < first)
        order = np.argsort(fids, kind="stable")
        accent = self.colors.get(self._stage) if self._changes else None
        return FeatureView(fids[order][hidden[order]], fids[order][ghosted[order]], accent=accent)

    def layer_view(self, stage: int | None) -> FeatureView:
        """The view of a layer whose features have no years: everything, or all context."""
        return FeatureView(EVERYTHING.hidden, EVERYTHING.ghosted, self.ghosts(stage))

    def describe(self) -> str:
        """``up to stage 2``, ``what changed at stage 3``, ``up to stage 2, services safety and traffic``."""
        if self._stage is None:
            parts = ["every stage"]
        else:
            parts = [f"what changed at stage {self._stage}" if self._changes else f"up to stage {self._stage}"]
        if self._services is not None:
            parts.append("services " + " and ".join(sorted(self._services)) if self._services else "no service")
        return ", ".join(parts)


def check_stage(value: int | None) -> int | None:
    """``value`` when it is a stage 1-4 or None; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in STAGES:
        raise ValueError(f"stage {value!r} is not 1, 2, 3 or 4")
    return value

