"""The stage lens: the city as it was at a smart-city stage (1-4), with an optional choice of services.

This is the one rule of what a stage filter hides; the layer list, the scene, bookmarks and tours all ask
:meth:`StageLens.admits`. Layers without a stage pass every stage; layers without a service pass every
service choice.
"""

from __future__ import annotations

from collections.abc import Iterable

from psygnal import Signal, SignalGroup

STAGES = (1, 2, 3, 4)


class LensEvents(SignalGroup):
    changed = Signal(object)  # the StageLens itself, after its stage or services changed


class StageLens:
    """``stage`` None shows today's city (every stage); 1-4 hides layers of later stages. ``services`` None
    shows every service; a set shows only layers of those services (and those without one)."""

    def __init__(self, stage: int | None = None, services: Iterable[str] | None = None) -> None:
        self.events = LensEvents()
        self._stage = check_stage(stage)
        self._services = frozenset(services) if services is not None else None

    @property
    def stage(self) -> int | None:
        return self._stage

    @stage.setter
    def stage(self, value: int | None) -> None:
        value = check_stage(value)
        if value != self._stage:
            self._stage = value
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

    def describe(self) -> str:
        """``up to stage 2``, ``up to stage 2, services safety and traffic``, ``every stage``."""
        parts = [f"up to stage {self._stage}" if self._stage is not None else "every stage"]
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
