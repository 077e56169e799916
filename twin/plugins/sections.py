"""What each manifest section may hold: required keys, keys that name code, and value types.

The manifest (``twin.toml``) is data. This table is the single place that says what is valid;
:mod:`twin.plugins.manifest` applies it, ``twin plugins check`` imports the code keys, and
docs/plugins.md describes the same sections.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

#: keys that name code as ``"package.module:attribute"`` in any section
CODE_KEYS = ("callable", "sniff", "visual", "controls", "widget", "describe", "reader")

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclasses.dataclass(frozen=True)
class SectionSpec:
    """The rules of one section (``[[importers]]``, ``[[stages]]``, ...)."""

    required: tuple[str, ...]
    types: dict[str, str]  # key -> "str" | "int" | "bool" | "list[str]" | "color" | "code" | "stage"
    one_of: tuple[tuple[str, ...], ...] = ()  # each tuple: at least one of these keys
    id_kind: str = "str"  # "str" (a slug) or "stage" (an integer 1-4)
    summary: str = ""


SECTIONS: dict[str, SectionSpec] = {
    "importers": SectionSpec(
        required=("id", "title", "patterns", "callable"),
        types={"patterns": "list[str]", "callable": "code", "sniff": "code", "priority": "int", "kind": "str",
               "description": "str", "options": "list[str]", "folders": "bool"},
        summary="read(path, options) -> LayerData | list[LayerData], chosen by file pattern (and sniff)",
    ),
    "layer_kinds": SectionSpec(
        required=("id", "title", "visual"),
        types={"visual": "code", "controls": "code", "description": "str", "geometry": "str", "temporal": "bool",
               "icon": "str", "color": "color", "style": "list[str]"},
        summary="a kind of layer: its visual, icon, colour and style controls",
    ),
    "track_kinds": SectionSpec(
        required=("id", "title"),
        types={"description": "str", "visual": "code", "callable": "code", "reader": "code", "table": "str",
               "columns": "list[str]"},
        summary="a kind of time-stamped data stored sorted by time",
    ),
    "analyses": SectionSpec(
        required=("id", "title", "callable"),
        types={"callable": "code", "description": "str", "layer_kinds": "list[str]", "picture": "code"},
        summary="analysis(project, *, layer=None, **params) -> pyarrow.Table | SQL text (picture: a chart or map of it)",
    ),
    "linkers": SectionSpec(
        required=("id", "title", "callable"),
        types={"callable": "code", "description": "str", "relations": "list[str]", "after": "list[str]"},
        summary="linker(project) -> links table (relations between features of two layers), or None",
    ),
    "panels": SectionSpec(
        required=("id", "title", "callable"),
        types={"callable": "code", "description": "str", "layer_kinds": "list[str]", "area": "str"},
        summary="panel(context) -> QWidget, docked in the window",
    ),
    "sample_data": SectionSpec(
        required=("id", "title"),
        types={"callable": "code", "path": "str", "description": "str", "stage": "stage", "service": "str"},
        one_of=(("callable", "path"),),
        summary="a file shipped with the plugin (path inside the package) or callable() -> path(s)",
    ),
    "stages": SectionSpec(
        required=("id", "title", "description", "color"),
        types={"color": "color", "description": "str", "title_ko": "str", "period": "str",
               "places": "list[str]", "examples": "list[str]"},
        id_kind="stage",
        summary="a smart-city stage (1-4): data only",
    ),
    "services": SectionSpec(
        required=("id", "title", "description", "color"),
        types={"color": "color", "description": "str", "title_ko": "str", "examples": "list[str]"},
        summary="a city service (traffic, safety, ...): data only",
    ),
    "suggestions": SectionSpec(
        required=("id",),
        types={"title": "str", "stage": "stage", "service": "str", "names": "list[str]", "columns": "list[str]",
               "kinds": "list[str]", "priority": "int", "reason": "str"},
        one_of=(("stage", "service"), ("names", "columns", "kinds")),
        summary="default stage/service for data whose file name, columns or kind match: data only",
    ),
}


#: (singular, plural) of each section in messages and tables
LABELS = {"importers": ("importer", "importers"), "layer_kinds": ("layer kind", "layer kinds"),
          "track_kinds": ("track kind", "track kinds"), "analyses": ("analysis", "analyses"),
          "linkers": ("linker", "linkers"),
          "panels": ("panel", "panels"), "sample_data": ("sample", "samples"), "stages": ("stage", "stages"),
          "services": ("service", "services"), "suggestions": ("suggestion", "suggestions")}


def check_item(section: str, index: int, item: Any) -> list[str]:
    """Problems of one ``[[section]]`` entry, each naming the key (empty when valid)."""
    where = f"{section}[{index}]"
    if not isinstance(item, dict):
        return [f"{where} must be a table"]
    spec = SECTIONS[section]
    problems = [f"{where} lacks '{key}'" for key in spec.required if key not in item]
    if "id" in item:
        if spec.id_kind == "stage":
            if not _is_stage(item["id"]):
                problems.append(f"{where}.id must be a stage number 1-4, not {item['id']!r}")
        elif not isinstance(item["id"], str) or not _ID.match(item["id"]):
            problems.append(f"{where}.id must be a word of letters, digits, '-', '_' or '.', not {item['id']!r}")
    if "title" in item and not isinstance(item["title"], str):
        problems.append(f"{where}.title must be text")
    for group in spec.one_of:
        if not any(key in item for key in group):
            problems.append(f"{where} needs one of: {', '.join(group)}")
    for key, value in item.items():
        expected = spec.types.get(key, "code" if key in CODE_KEYS else None)
        if expected is not None:
            problem = _type_problem(expected, value)
            if problem:
                problems.append(f"{where}.{key} {problem}")
    return problems


def _is_stage(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def _type_problem(expected: str, value: Any) -> str | None:
    if expected == "str" and not isinstance(value, str):
        return "must be text"
    if expected == "int" and (not isinstance(value, int) or isinstance(value, bool)):
        return "must be an integer"
    if expected == "bool" and not isinstance(value, bool):
        return "must be true or false"
    if expected == "list[str]" and (
        not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value)
    ):
        return "must be a non-empty list of text"
    if expected == "color" and not (isinstance(value, str) and _COLOR.match(value)):
        return f"must be a colour '#rrggbb', not {value!r}"
    if expected == "stage" and not _is_stage(value):
        return f"must be a stage number 1-4, not {value!r}"
    if expected == "code" and not (isinstance(value, str) and _is_reference(value)):
        return f"must name code as 'package.module:attribute', not {value!r}"
    return None


def _is_reference(value: str) -> bool:
    module, sep, attr = value.partition(":")
    return bool(sep) and all(p.isidentifier() for p in module.split(".")) and all(
        p.isidentifier() for p in attr.split(".")
    )
