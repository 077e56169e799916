"""Plugins: manifests found through the ``twin.plugins`` entry point group, code loaded lazily."""

from twin.plugins.manifest import Contribution, Manifest, ManifestError
from twin.plugins.registry import PluginError, PluginRecord, PluginRegistry, registry

__all__ = ["Contribution", "Manifest", "ManifestError", "PluginError", "PluginRecord", "PluginRegistry", "registry"]
