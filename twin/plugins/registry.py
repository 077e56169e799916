"""Discovery of plugins through entry points, and the registry of their contributions.

The entry point value names a package and a manifest file inside it
(``twin_plugins.formats:twin.toml``). Discovery finds the manifest file through the import
system without running the plugin's code (not even its ``__init__``); contribution code is
imported on first use. A plugin whose manifest is broken or whose code fails to import (or calls
``sys.exit`` while importing) is disabled with its error; a call of its code that raises is an error of
that call only (one file fails, naming the importer and the file), and everything else keeps working.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import importlib.metadata
import importlib.resources
import importlib.util
import logging
import os
import pathlib
import threading
from typing import Any, Callable

from twin.errors import TwinError
from twin.plugins.manifest import Contribution, Manifest, ManifestError
from twin.plugins.sections import LABELS

ENTRY_POINT_GROUP = "twin.plugins"
#: the distribution whose entry points are the built-in plugins
BUILTIN_DISTRIBUTION = "smartcity-twin"
log = logging.getLogger(__name__)


class PluginError(TwinError):
    """A plugin's code could not be loaded (the plugin is then disabled) or raised on one call."""


@dataclasses.dataclass
class PluginRecord:
    """A discovered plugin: its manifest (if it could be read), whether it is enabled, and why not."""

    name: str
    version: str
    source: str  # the distribution that installed it (or "runtime")
    manifest: Manifest | None
    enabled: bool = True
    error: str | None = None
    entry_point: str | None = None  # "package:manifest.toml"

    @property
    def builtin(self) -> bool:
        return _normalise(self.source) == _normalise(BUILTIN_DISTRIBUTION)

    def to_dict(self) -> dict[str, Any]:
        """The ``twin plugins list --json`` object of this plugin."""
        contributions = {}
        if self.manifest:
            contributions = {s: [c.to_dict() for c in items] for s, items in self.manifest.contributions.items()}
        return {
            "name": self.name,
            "version": self.version,
            "enabled": self.enabled,
            "error": self.error,
            "source": self.source,
            "builtin": self.builtin,
            "entry_point": self.entry_point,
            "display_name": self.manifest.display_name if self.manifest else self.name,
            "description": self.manifest.description if self.manifest else "",
            "contributions": contributions,
        }


class PluginRegistry:
    """All plugins and their contributions. ``registry`` is the process-wide instance."""

    def __init__(self) -> None:
        self.plugins: dict[str, PluginRecord] = {}
        self._discovered = False
        self._lock = threading.RLock()
        self._by_section: dict[str, list[Contribution]] = {}  # enabled contributions, cleared on any change

    # ----- discovery -----------------------------------------------------------------------
    def discover(self, *, force: bool = False) -> None:
        """Read the manifests of every installed plugin (entry point group ``twin.plugins``)."""
        with self._lock:
            if self._discovered and not force:
                return
            if force:
                self.plugins.clear()
                self._by_section.clear()
                importlib.invalidate_caches()
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                dist = ep.dist.name if ep.dist else "?"
                version = ep.dist.version if ep.dist else "0"
                try:
                    manifest = read_manifest(ep.value)
                except Exception as exc:  # a broken plugin must not break the app
                    error = str(exc) if isinstance(exc, ManifestError) else f"{type(exc).__name__}: {exc}"
                    self._add(PluginRecord(ep.name, version, dist, None, enabled=False,
                                           error=f"manifest: {error}", entry_point=ep.value))
                    log.warning("plugin %s (%s) disabled: %s", ep.name, dist, error)
                    continue
                self._add(PluginRecord(manifest.name, manifest.version or version, dist, manifest,
                                       entry_point=ep.value))
            self._discovered = True

    @classmethod
    def from_manifests(cls, *manifests: Manifest, source: str = "runtime") -> "PluginRegistry":
        """A registry of exactly these plugins, without entry point discovery (tests, embedding apps)."""
        reg = cls()
        reg._discovered = True
        for manifest in manifests:
            reg._add(PluginRecord(manifest.name, manifest.version, source, manifest))
        return reg

    def register_manifest(self, manifest: Manifest, *, source: str = "runtime") -> None:
        """Add a plugin from a manifest object (tests and embedding apps)."""
        with self._lock:
            self.discover()
            self._add(PluginRecord(manifest.name, manifest.version, source, manifest))

    def _add(self, record: PluginRecord) -> None:
        self._by_section.clear()
        if record.name in self.plugins:
            first = self.plugins[record.name]
            record.enabled = False
            record.error = f"another plugin named {record.name!r} is installed by {first.source}; this one is ignored"
            log.warning("plugin %s from %s ignored: %s", record.name, record.source, record.error)
            key = f"{record.name} ({record.source})"
            n = 2
            while key in self.plugins:
                key, n = f"{record.name} ({record.source} {n})", n + 1
            self.plugins[key] = record
            return
        self.plugins[record.name] = record

    def records(self) -> list[PluginRecord]:
        """Every discovered plugin, enabled or not, built-ins first, then by name."""
        self.discover()
        with self._lock:
            return sorted(self.plugins.values(), key=lambda r: (not r.builtin, r.name.lower()))

    def disable(self, plugin: str, error: str, *, reported: bool = False) -> None:
        """Turn a plugin off after its code failed; its contributions disappear.

        The reason is logged as a warning unless ``reported`` (the caller raises it to the user).
        """
        self.discover()
        with self._lock:
            record = self.plugins.get(plugin)
            if record and record.enabled:
                self._by_section.clear()
                record.enabled = False
                record.error = error
                log.log(logging.INFO if reported else logging.WARNING, "plugin %s disabled: %s", plugin, error)

    def enable(self, plugin: str) -> None:
        """Turn a disabled plugin back on (its manifest must have been readable)."""
        self.discover()
        with self._lock:
            record = self.plugins.get(plugin)
            if record is None:
                raise KeyError(f"no plugin {plugin!r}")
            if record.manifest is None:
                raise PluginError(f"plugin {plugin} cannot be enabled: {record.error}")
            record.enabled, record.error = True, None
            self._by_section.clear()

    # ----- contributions -------------------------------------------------------------------
    def contributions(self, section: str) -> list[Contribution]:
        """Contributions of enabled plugins in one section (``importers``, ``panels``, ...)."""
        self.discover()
        with self._lock:
            if section not in self._by_section:
                self._by_section[section] = [
                    c for record in self.records() if record.enabled and record.manifest
                    for c in record.manifest.contributions.get(section, [])
                ]
            return list(self._by_section[section])

    def contribution(self, section: str, contribution_id: str) -> Contribution:
        """One contribution by id, or by ``plugin/id`` when two plugins use the same id."""
        plugin, _, cid = contribution_id.rpartition("/")
        for item in self.contributions(section):
            if item.id == cid and (not plugin or item.plugin == plugin):
                return item
        known = ", ".join(c.id for c in self.contributions(section)) or "none"
        raise KeyError(f"no {LABELS.get(section, (section,))[0]} {contribution_id!r} (known: {known})")

    def load(self, contribution: Contribution, key: str = "callable") -> Any:
        """Import a contribution's code; on failure disable its plugin and raise :class:`PluginError`."""
        record = self.plugins.get(contribution.plugin)
        if record is not None and not record.enabled:
            raise PluginError(f"plugin {contribution.plugin} is disabled: {record.error}")
        try:
            return contribution.load(key)
        except (Exception, SystemExit) as exc:  # a module calling sys.exit on import must not end the command
            error = f"{contribution.label}: cannot load {contribution.fields.get(key)} ({_one_line(exc)})"
            self.disable(contribution.plugin, error, reported=True)
            raise PluginError(f"plugin {contribution.plugin}: {error}; the plugin is disabled") from exc

    def call(self, contribution: Contribution, *args: Any, key: str = "callable", **kwargs: Any) -> Any:
        """Load and call a contribution's code.

        :class:`~twin.errors.TwinError` (bad input, cancel) passes through unchanged. Any other
        exception (``sys.exit`` included) is a bug of this call: :class:`PluginError` names the plugin,
        the contribution and the file (the first argument when it is a path), and the plugin stays
        enabled for the next file; only code that cannot be loaded disables a plugin. A crashing
        ``sniff`` logs a warning and answers ``False``, so the other importers are still tried.
        """
        record = self.plugins.get(contribution.plugin)
        if key == "sniff" and record is not None and not record.enabled:
            return False  # disabled earlier (and said so then)
        try:
            fn: Callable[..., Any] = self.load(contribution, key)
        except PluginError as exc:
            if key == "sniff":  # nobody sees this error: say it
                log.warning("%s", exc)
                return False
            raise
        try:
            return fn(*args, **kwargs)
        except TwinError:
            raise
        except (Exception, SystemExit) as exc:
            subject = _subject(args)
            where = f" on {subject}" if subject else ""
            error = f"{contribution.label} ({key}) failed{where}: {_one_line(exc)}"
            if key == "sniff":
                log.warning("plugin %s: %s; the file is left to the other importers", contribution.plugin, error)
                return False
            raise PluginError(f"plugin {contribution.plugin}: {error}") from exc

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

    def sample_data(self, contribution: Contribution) -> list[pathlib.Path]:
        """The file(s) of a ``sample_data`` contribution: ``path`` inside its package, or ``callable()``."""
        if "path" in contribution.fields:
            path = package_file(contribution.package or "", contribution.fields["path"])
            if path is None or not path.exists():
                raise PluginError(f"plugin {contribution.plugin}: {contribution.label}: "
                                  f"{contribution.fields['path']} not found in package {contribution.package}")
            return [path]
        result = self.call(contribution)
        items = result if isinstance(result, (list, tuple)) else [result]
        return [pathlib.Path(p) for p in items]

    def check(self) -> dict[str, list[str]]:
        """Import every contribution's code of every plugin; return the problems per plugin name.

        A plugin with problems is disabled. Problems found earlier (a broken manifest) are included.
        """
        from twin.plugins.checks import check_plugin

        results: dict[str, list[str]] = {}
        self.discover()
        for key, record in list(self.plugins.items()):
            problems = check_plugin(self, record)
            results[key] = problems
            if problems and record.enabled:
                record.enabled, record.error = False, problems[0]  # reported by the caller, not logged
                self._by_section.clear()
        return results


def read_manifest(value: str) -> Manifest:
    """Read the manifest named by an entry point value ``package:file.toml`` without running plugin code."""
    package, _, filename = value.partition(":")
    if not package or not filename:
        raise ManifestError(f"entry point {value!r} must be 'package:manifest.toml'")
    path = package_file(package, filename)
    if path is not None and not path.exists():
        raise ManifestError(f"{package}/{filename}: no such file")
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:  # a package outside the file system (zip...): let importlib.resources import it
        text = importlib.resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    return Manifest.from_toml(text, source=f"{package}/{filename}", package=package)


def package_file(package: str, relative: str) -> pathlib.Path | None:
    """A file inside a package's folder, found without importing the package (``None`` if the package is not on disk).

    The path may not exist: callers check.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError) as exc:
        raise ManifestError(f"package {package!r} cannot be found ({exc})") from exc
    if spec is None:
        raise ManifestError(f"package {package!r} is not installed")
    if not spec.submodule_search_locations:
        raise ManifestError(f"{package!r} is a module, not a package: put the manifest in a package folder")
    for location in spec.submodule_search_locations:
        candidate = pathlib.Path(location, relative)
        if candidate.exists():
            return candidate
    locations = list(spec.submodule_search_locations)
    if all(os.path.isdir(loc) for loc in locations):
        return pathlib.Path(locations[0], relative)  # on disk but missing: the caller says so
    return None


def _normalise(dist: str) -> str:
    return dist.lower().replace("_", "-").replace(".", "-")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _subject(args: tuple) -> str | None:
    if args and isinstance(args[0], (str, os.PathLike)):
        return os.fspath(args[0])
    return None


registry = PluginRegistry()
