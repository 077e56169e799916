"""Plugin manifests: a TOML file that declares what a plugin contributes, read without importing its code.

A manifest is data (never executed). Each contribution names its code as ``"module:attribute"``,
imported only when the contribution is first used. The sections and their keys are defined in
:mod:`twin.plugins.sections`; docs/plugins.md describes the format for plugin authors.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import threading
import tomllib
from typing import Any

from twin.plugins.sections import CODE_KEYS, LABELS, SECTIONS as SECTION_SPECS, check_item

#: contribution sections a manifest may have, in display order
SECTIONS = tuple(SECTION_SPECS)
#: top-level keys besides the sections
TOP_LEVEL_KEYS = ("name", "version", "display_name", "description", "homepage")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class ManifestError(ValueError):
    """A manifest is malformed; the message names the manifest file and the offending key."""


@dataclasses.dataclass
class Contribution:
    """One thing a plugin contributes (an importer, a panel, a stage...), with its lazily imported code."""

    plugin: str
    section: str
    id: str
    title: str
    fields: dict[str, Any]
    package: str | None = None
    _loaded: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @property
    def label(self) -> str:
        """``importer 'csv-points'``, ``analysis 'who-limits'``: how messages name this contribution."""
        return f"{LABELS[self.section][0]} {self.id!r}"

    def reference(self, key: str = "callable") -> str | None:
        """The ``module:attr`` text of a code key, or ``None``."""
        return self.fields.get(key)

    def code_keys(self) -> list[str]:
        """The keys of this contribution that name code (``callable``, ``sniff``, ``visual``...)."""
        spec = SECTION_SPECS[self.section]
        return [k for k in self.fields if spec.types.get(k) == "code" or k in CODE_KEYS]

    def load(self, key: str = "callable") -> Any:
        """Import and return the object named by ``fields[key]`` (``module:attr``), once."""
        with self._lock:
            if key not in self._loaded:
                if key not in self.fields:
                    raise KeyError(f"{self.label} of plugin {self.plugin} has no {key!r}")
                self._loaded[key] = load_reference(self.fields[key])
            return self._loaded[key]

    def is_loaded(self, key: str = "callable") -> bool:
        return key in self._loaded

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``id``, ``title`` and the manifest keys as written."""
        return {"id": self.fields.get("id", self.id), "title": self.title,
                **{k: v for k, v in self.fields.items() if k not in ("id", "title")}}


@dataclasses.dataclass
class Manifest:
    """A plugin's declaration: name, version and contributions by section."""

    name: str
    version: str
    display_name: str
    description: str
    contributions: dict[str, list[Contribution]]
    homepage: str = ""
    package: str | None = None  # the package that holds the manifest (for ``sample_data.path``)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "manifest", package: str | None = None) -> "Manifest":
        """Parse and validate manifest text; :class:`ManifestError` names ``source`` and the key."""
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError(f"{source}: not valid TOML ({exc})") from exc
        return cls.from_dict(raw, source=source, package=package)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, source: str = "manifest", package: str | None = None) -> "Manifest":
        """Validate a parsed manifest; every problem is listed in one :class:`ManifestError`."""
        problems: list[str] = []
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ManifestError(f"{source}: the manifest needs a 'name' (letters, digits, '-', '_', '.'), got {name!r}")
        unknown = set(raw) - {*TOP_LEVEL_KEYS, *SECTIONS}
        if unknown:
            problems.append(f"unknown keys {sorted(unknown)} (sections are: {', '.join(SECTIONS)})")
        for key in ("version", "display_name", "description", "homepage"):
            if key in raw and not isinstance(raw[key], str):
                problems.append(f"'{key}' must be text")
        contributions: dict[str, list[Contribution]] = {}
        for section in SECTIONS:
            items = raw.get(section, [])
            if not isinstance(items, list):
                problems.append(f"[{section}] must be an array of tables ([[{section}]])")
                continue
            seen: set[str] = set()
            for i, item in enumerate(items):
                item_problems = check_item(section, i, item)
                if item_problems:
                    problems.extend(item_problems)
                    continue
                cid = str(item["id"])
                if cid in seen:
                    problems.append(f"{section}[{i}].id {cid!r} is used twice in [[{section}]]")
                    continue
                seen.add(cid)
                contributions.setdefault(section, []).append(Contribution(
                    plugin=name, section=section, id=cid, title=str(item.get("title", cid)),
                    fields=dict(item), package=package,
                ))
        if problems:
            raise ManifestError(f"{source}: " + "; ".join(problems))
        return cls(
            name=name,
            version=str(raw.get("version", "0")),
            display_name=str(raw.get("display_name", name)),
            description=str(raw.get("description", "")),
            contributions=contributions,
            homepage=str(raw.get("homepage", "")),
            package=package,
        )

    def all_contributions(self) -> list[Contribution]:
        """Every contribution, section by section."""
        return [c for section in SECTIONS for c in self.contributions.get(section, [])]


def load_reference(reference: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, _, attr = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"{module_name} has no attribute {attr!r}") from None
    return obj
