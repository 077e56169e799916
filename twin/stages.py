"""Smart-city stages (1-4) and city services, and the stage/service suggested for a file.

Plain, Qt-free data read from plugin manifests (sections ``stages``, ``services`` and
``suggestions``; the built-in ``twin-stages`` plugin declares Korea's four stages). The layer
tree, the legend and ``twin import`` use this module; nothing here imports plugin code.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import pathlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from twin.plugins.registry import PluginRegistry
from twin.plugins.registry import registry as default_registry

#: colour of a service no plugin declares (services are free text in a project)
UNKNOWN_COLOR = "#a0a0a0"


@dataclasses.dataclass(frozen=True)
class Stage:
    """One smart-city stage: number 1-4, titles (a short one for labels), period, colour, description, places,
    examples."""

    number: int
    title: str
    title_ko: str
    period: str
    short_title: str
    color: str
    description: str
    places: tuple[str, ...]
    examples: tuple[str, ...]
    plugin: str

    @property
    def years(self) -> tuple[int | None, int | None]:
        """(first, last) year of the period (None ends are open); (None, None) when it has no period."""
        try:
            return parse_period(self.period)
        except ValueError:
            return None, None


@dataclasses.dataclass(frozen=True)
class Service:
    """One city service (``traffic``, ``safety``...): id, titles, colour, description, examples."""

    id: str
    title: str
    title_ko: str
    color: str
    description: str
    examples: tuple[str, ...]
    plugin: str


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """The stage and service suggested for some data, each with the reason (``None`` when no rule matched)."""

    stage: int | None = None
    service: str | None = None
    stage_reason: str | None = None
    service_reason: str | None = None

    def __bool__(self) -> bool:
        return self.stage is not None or self.service is not None

    def describe(self) -> str:
        """One line for an import report, e.g. ``stage 2, service 'safety' (CCTV cameras: file name matches '*cctv*')``."""
        if self.stage is not None and self.service is not None and self.stage_reason == self.service_reason:
            return f"stage {self.stage}, service {self.service!r} ({self.stage_reason})"
        parts = []
        if self.stage is not None:
            parts.append(f"stage {self.stage} ({self.stage_reason})")
        if self.service is not None:
            parts.append(f"service {self.service!r} ({self.service_reason})")
        return "; ".join(parts) if parts else "no stage or service suggested"


def stages(*, registry: PluginRegistry | None = None) -> list[Stage]:
    """The stages declared by enabled plugins, by number (the first plugin declaring a number wins)."""
    out: dict[int, Stage] = {}
    for c in (registry or default_registry).contributions("stages"):
        f = c.fields
        number = int(f["id"])
        out.setdefault(number, Stage(
            number=number, title=c.title, title_ko=f.get("title_ko", ""), period=f.get("period", ""),
            short_title=f.get("short_title") or c.title,
            color=f["color"], description=f["description"], places=tuple(f.get("places", ())),
            examples=tuple(f.get("examples", ())), plugin=c.plugin,
        ))
    return [out[n] for n in sorted(out)]


def periods(*, registry: PluginRegistry | None = None) -> dict[int, tuple[int | None, int | None]]:
    """Stage number -> (first, last) year, for the stages that declare a period."""
    return {s.number: s.years for s in stages(registry=registry) if s.years != (None, None)}


def parse_period(text: str) -> tuple[int | None, int | None]:
    """``"1995-2002"`` -> (1995, 2002); ``"2018-"`` -> (2018, None); ``"2010"`` -> (2010, 2010)."""
    match = re.fullmatch(r"\s*(\d{4})?\s*([-–])?\s*(\d{4})?\s*", text or "")
    if not match or not (match.group(1) or match.group(3)):
        raise ValueError(f"period {text!r} is not YEAR-YEAR, YEAR- or YEAR")
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(3)) if match.group(3) else (first if not match.group(2) else None)
    return first, last


def stage(number: int, *, registry: PluginRegistry | None = None) -> Stage:
    """One stage by number; ``KeyError`` naming the known stages."""
    for item in stages(registry=registry):
        if item.number == number:
            return item
    known = ", ".join(str(s.number) for s in stages(registry=registry)) or "none (is the twin-stages plugin disabled?)"
    raise KeyError(f"no stage {number} (known: {known})")


def services(*, registry: PluginRegistry | None = None) -> list[Service]:
    """The services declared by enabled plugins, in declaration order (first declaration of an id wins)."""
    out: dict[str, Service] = {}
    for c in (registry or default_registry).contributions("services"):
        f = c.fields
        out.setdefault(c.id, Service(
            id=c.id, title=c.title, title_ko=f.get("title_ko", ""), color=f["color"],
            description=f["description"], examples=tuple(f.get("examples", ())), plugin=c.plugin,
        ))
    return list(out.values())


def service(service_id: str, *, registry: PluginRegistry | None = None) -> Service:
    """One service by id (case-insensitive); ``KeyError`` naming the known services."""
    for item in services(registry=registry):
        if item.id.lower() == service_id.strip().lower():
            return item
    known = ", ".join(s.id for s in services(registry=registry)) or "none"
    raise KeyError(f"no service {service_id!r} (known: {known})")


def service_color(service_id: str | None, *, registry: PluginRegistry | None = None) -> str:
    """The colour of a service, or :data:`UNKNOWN_COLOR` for free-text services no plugin declares."""
    if not service_id:
        return UNKNOWN_COLOR
    try:
        return service(service_id, registry=registry).color
    except KeyError:
        return UNKNOWN_COLOR


def suggest(
    path: str | pathlib.Path | None = None,
    *,
    columns: Iterable[str] = (),
    kinds: Iterable[str] = (),
    registry: PluginRegistry | None = None,
) -> Suggestion:
    """The stage and service suggested by the ``suggestions`` rules for a file name, its columns and layer kinds.

    Each field is decided on its own by the best matching rule that sets it: a file-name match
    weighs more than a column match, which weighs more than a layer-kind match; then ``priority``,
    the number of matching patterns and the longest pattern break ties.
    """
    name = pathlib.Path(path).name.lower() if path is not None else ""
    column_list = [str(c) for c in columns]
    kind_set = {k.lower() for k in kinds}
    best: dict[str, tuple[tuple, Any, str]] = {}
    for rule in (registry or default_registry).contributions("suggestions"):
        scored = _score(rule.fields, name, column_list, kind_set)
        if scored is None:
            continue
        score, why = scored
        reason = f"{rule.title}: {why}"
        for field in ("stage", "service"):
            if field in rule.fields and (field not in best or score > best[field][0]):
                best[field] = (score, rule.fields[field], reason)
    stage_pick, service_pick = best.get("stage"), best.get("service")
    return Suggestion(
        stage=stage_pick[1] if stage_pick else None,
        service=service_pick[1] if service_pick else None,
        stage_reason=stage_pick[2] if stage_pick else None,
        service_reason=service_pick[2] if service_pick else None,
    )


def suggest_for_data(path: str | pathlib.Path | None, datas: Sequence[Any], *,
                     registry: PluginRegistry | None = None) -> Suggestion:
    """:func:`suggest` for what an importer returned (``LayerData``: their kinds and the columns of all their tables)."""
    columns: list[str] = []
    kinds: list[str] = []
    for data in datas:
        kinds.append(data.kind)
        columns.extend(n for n in data.features.column_names if n != "geometry")
        for table in getattr(data, "tables", {}).values():
            columns.extend(table.column_names)
    return suggest(path, columns=columns, kinds=kinds, registry=registry)


def _score(fields: dict[str, Any], name: str, columns: list[str], kinds: set[str]) -> tuple[tuple, str] | None:
    name_hits = [g for g in fields.get("names", ()) if name and fnmatch.fnmatchcase(name, g.lower())]
    column_hits = [(g, c) for g in fields.get("columns", ()) for c in columns if fnmatch.fnmatchcase(c.lower(), g.lower())]
    kind_hits = [k for k in fields.get("kinds", ()) if k.lower() in kinds]
    if not (name_hits or column_hits or kind_hits):
        return None
    weight = 3 * bool(name_hits) + 2 * bool(column_hits) + bool(kind_hits)
    patterns = name_hits + [g for g, _ in column_hits]
    longest = max((len(p) for p in patterns), default=0)
    score = (int(fields.get("priority", 0)), weight, len(set(patterns)) + len(kind_hits), longest)
    why = []
    if name_hits:
        why.append(f"file name matches {name_hits[0]!r}")
    if column_hits:
        why.append(f"column {column_hits[0][1]!r} matches {column_hits[0][0]!r}")
    if kind_hits:
        why.append(f"layer kind is {kind_hits[0]!r}")
    return score, ", ".join(why)
