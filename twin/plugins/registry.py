"""Discovery of plugins through entry points, and the registry of their contributions.

The entry point value names a package and a manifest file inside it
(``twin_plugins.formats:twin.toml``). Reading the manifest imports only that package's
``__init__`` (keep it empty); contribution code loads on first use. A plugin whose manifest
or code fails is disabled with its error, and the rest keeps working.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import importlib.metadata
import importlib.resources
import logging
import pathlib
from typing import Any, Callable

from twin.plugins.manifest import Contribution, Manifest

ENTRY_POINT_GROUP = "twin.plugins"
log = logging.getLogger(__name__)


@dataclasses.dataclass
class PluginRecord:
    """A discovered plugin: its manifest (if it could be read), whether it is enabled, and why not."""

    name: str
    version: str
    source: str
    manifest: Manifest | None
    enabled: bool = True
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        contributions = {}
        if self.manifest:
            contributions = {s: [c.to_dict() for c in items] for s, items in self.manifest.contributions.items()}
        return {
            "name": self.name,
            "version": self.version,
            "enabled": self.enabled,
            "error": self.error,
            "source": self.source,
            "description": self.manifest.description if self.manifest else "",
            "contributions": contributions,
        }


class PluginRegistry:
    """All plugins and their contributions. ``registry`` is the process-wide instance."""

    def __init__(self) -> None:
        self.plugins: dict[str, PluginRecord] = {}
        self._discovered = False

    # ----- discovery -----------------------------------------------------------------------
    def discover(self, *, force: bool = False) -> None:
        """Read the manifests of every installed plugin (entry point group ``twin.plugins``)."""
        if self._discovered and not force:
            return
        if force:
            self.plugins.clear()
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist else "?"
            version = ep.dist.version if ep.dist else "0"
            try:
                manifest = _read_manifest(ep.value)
            except Exception as exc:  # a broken plugin must not break the app
                self._add(PluginRecord(ep.name, version, dist, None, enabled=False, error=f"manifest: {exc}"))
                log.warning("plugin %s disabled: %s", ep.name, exc)
                continue
            self._add(PluginRecord(manifest.name, manifest.version or version, dist, manifest))
        self._discovered = True

    def register_manifest(self, manifest: Manifest, *, source: str = "runtime") -> None:
        """Add a plugin from a manifest object (tests and embedding apps)."""
        self._add(PluginRecord(manifest.name, manifest.version, source, manifest))

    def _add(self, record: PluginRecord) -> None:
        if record.name in self.plugins:
            log.warning("plugin %s registered twice; keeping the first", record.name)
            return
        self.plugins[record.name] = record

    def disable(self, plugin: str, error: str) -> None:
        """Turn a plugin off after its code failed; its contributions disappear."""
        record = self.plugins.get(plugin)
        if record:
            record.enabled = False
            record.error = error
            log.warning("plugin %s disabled: %s", plugin, error)

    # ----- contributions -------------------------------------------------------------------
    def contributions(self, section: str) -> list[Contribution]:
        """Contributions of enabled plugins in one section (``importers``, ``panels``, ...)."""
        self.discover()
        out: list[Contribution] = []
        for record in self.plugins.values():
            if record.enabled and record.manifest:
                out.extend(record.manifest.contributions.get(section, []))
        return out

    def contribution(self, section: str, contribution_id: str) -> Contribution:
        for item in self.contributions(section):
            if item.id == contribution_id:
                return item
        known = ", ".join(c.id for c in self.contributions(section)) or "none"
        raise KeyError(f"no {section[:-1]} {contribution_id!r} (known: {known})")

    def load(self, contribution: Contribution, key: str = "callable") -> Any:
        """Import a contribution's code; on failure disable its plugin and re-raise as PluginError."""
        try:
            return contribution.load(key)
        except Exception as exc:
            self.disable(contribution.plugin, f"{contribution.fields.get(key)}: {type(exc).__name__}: {exc}")
            raise PluginError(f"plugin {contribution.plugin} failed to load {contribution.id}: {exc}") from exc

    def call(self, contribution: Contribution, *args: Any, key: str = "callable", **kwargs: Any) -> Any:
        """Load and call a contribution; an exception inside plugin code is re-raised unchanged."""
        fn: Callable[..., Any] = self.load(contribution, key)
        return fn(*args, **kwargs)

    def importers_for(self, path: str | pathlib.Path) -> list[Contribution]:
        """Importers whose file patterns match ``path``, best first (``priority``, then pattern length)."""
        name = pathlib.Path(path).name.lower()
        matches = []
        for item in self.contributions("importers"):
            patterns = [p.lower() for p in item.fields.get("patterns", [])]
            hits = [p for p in patterns if fnmatch.fnmatch(name, p)]
            if hits:
                matches.append((int(item.fields.get("priority", 0)), max(len(p) for p in hits), item))
        matches.sort(key=lambda m: (-m[0], -m[1]))
        return [m[2] for m in matches]


class PluginError(RuntimeError):
    """A plugin's code could not be loaded; the plugin has been disabled."""


def _read_manifest(value: str) -> Manifest:
    package, _, filename = value.partition(":")
    if not filename:
        raise ValueError(f"entry point {value!r} must be 'package:manifest.toml'")
    text = importlib.resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    return Manifest.from_toml(text, source=f"{package}/{filename}")


registry = PluginRegistry()
