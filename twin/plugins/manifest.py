"""Plugin manifests: a TOML file that declares what a plugin contributes, read without importing its code.

A manifest is data (never executed). Each contribution names its code as ``"module:attribute"``,
imported only when the contribution is first used. See docs/plugins.md for the full format.
"""

from __future__ import annotations

import dataclasses
import importlib
import tomllib
from typing import Any

#: contribution sections a manifest may have
SECTIONS = ("importers", "layer_kinds", "track_kinds", "analyses", "panels", "sample_data")

_REQUIRED = {
    "importers": ("id", "title", "patterns", "callable"),
    "layer_kinds": ("id", "title", "visual"),
    "track_kinds": ("id", "title"),
    "analyses": ("id", "title", "callable"),
    "panels": ("id", "title", "callable"),
    "sample_data": ("id", "title", "callable"),
}


class ManifestError(ValueError):
    """A manifest is malformed; the message names the plugin and the field."""


@dataclasses.dataclass
class Contribution:
    """One thing a plugin contributes (an importer, a panel, ...), with its lazily imported code."""

    plugin: str
    section: str
    id: str
    title: str
    fields: dict[str, Any]
    _loaded: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def reference(self, key: str = "callable") -> str | None:
        return self.fields.get(key)

    def load(self, key: str = "callable") -> Any:
        """Import and return the object named by ``fields[key]`` (``module:attr``), once."""
        if key not in self._loaded:
            self._loaded[key] = load_reference(self.fields[key])
        return self._loaded[key]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, **{k: v for k, v in self.fields.items() if k not in ("id", "title")}}


@dataclasses.dataclass
class Manifest:
    """A plugin's declaration: name, version and contributions by section."""

    name: str
    version: str
    display_name: str
    description: str
    contributions: dict[str, list[Contribution]]

    @classmethod
    def from_toml(cls, text: str, *, source: str = "manifest") -> "Manifest":
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError(f"{source}: not valid TOML ({exc})") from exc
        return cls.from_dict(raw, source=source)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, source: str = "manifest") -> "Manifest":
        name = raw.get("name")
        if not name or not isinstance(name, str):
            raise ManifestError(f"{source}: the manifest needs a 'name'")
        unknown = set(raw) - {"name", "version", "display_name", "description", *SECTIONS}
        if unknown:
            raise ManifestError(f"{source}: unknown manifest keys {sorted(unknown)}")
        contributions: dict[str, list[Contribution]] = {}
        for section in SECTIONS:
            items = raw.get(section, [])
            if not isinstance(items, list):
                raise ManifestError(f"{source}: [{section}] must be an array of tables ([[{section}]])")
            for i, item in enumerate(items):
                missing = [k for k in _REQUIRED[section] if k not in item]
                if missing:
                    raise ManifestError(f"{source}: {section}[{i}] lacks {', '.join(missing)}")
                for key, value in item.items():
                    if key in ("callable", "visual", "sniff", "describe", "widget") and (
                        not isinstance(value, str) or ":" not in value
                    ):
                        raise ManifestError(f"{source}: {section}[{i}].{key} must be 'module:attribute'")
                contributions.setdefault(section, []).append(
                    Contribution(plugin=name, section=section, id=str(item["id"]), title=str(item["title"]), fields=dict(item))
                )
        return cls(
            name=name,
            version=str(raw.get("version", "0")),
            display_name=str(raw.get("display_name", name)),
            description=str(raw.get("description", "")),
            contributions=contributions,
        )


def load_reference(reference: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, _, attr = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
