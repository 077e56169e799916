"""Which visual draws which layer kind: a registry, not an ``isinstance`` ladder.

Lookup order for a layer kind:
1. classes given to :func:`register_visual` (tests, embedding applications);
2. plugin manifests: the ``[[layer_kinds]]`` entry whose ``id`` is the kind (:mod:`twin.plugins.kinds`);
   its ``visual = "module:Class"`` is imported only now, through ``twin.plugins.registry`` (a plugin whose
   code fails is disabled and the layer is reported, not drawn). The built-in kinds (buildings, points,
   lines, polygons; moving, events, sensors, segments) are declared this way by the built-in plugins;
3. for any other kind with geometries, the visual of the kind of its most common geometry type.
"""

from __future__ import annotations

import logging

from twin.errors import ProjectError
from twin.plugins.manifest import load_reference
from twin.plugins.registry import PluginRegistry, registry as default_plugins
from twin.scene.origin import LocalOrigin
from twin.store.project import LayerInfo, Project

log = logging.getLogger(__name__)

#: geometry type (DuckDB spatial ``ST_GeometryType``) -> kind whose visual draws it
GEOMETRY_KINDS = {
    "POINT": "points",
    "MULTIPOINT": "points",
    "LINESTRING": "lines",
    "MULTILINESTRING": "lines",
    "POLYGON": "polygons",
    "MULTIPOLYGON": "polygons",
}

_registered: dict[str, type | str] = {}


def register_visual(kind: str, cls: type | str) -> None:
    """Make ``cls`` (a Visual subclass, or ``"module:Class"`` imported on first use) draw layers of ``kind``."""
    if not isinstance(cls, (type, str)):
        raise TypeError(f"register_visual({kind!r}, ...): give a class or 'module:Class', not {cls!r}")
    _registered[kind] = cls


def unregister_visual(kind: str) -> None:
    """Forget a registration made with :func:`register_visual`."""
    _registered.pop(kind, None)


def visual_class(kind: str, *, plugins: PluginRegistry | None = None) -> type | None:
    """The visual class for a layer kind, or None when nobody declares one.

    Raises ``twin.plugins.registry.PluginError`` when a plugin's visual fails to import.
    """
    entry = _registered.get(kind)
    if entry is not None:
        if isinstance(entry, str):
            entry = load_reference(entry)
            if kind in _registered:
                _registered[kind] = entry
        return entry
    reg = plugins or default_plugins
    for contribution in reg.contributions("layer_kinds"):
        if contribution.id == kind:
            return reg.load(contribution, "visual")
    return None


def geometry_kind(project: Project, layer: LayerInfo) -> str | None:
    """The built-in kind for a layer's most common geometry type, or None without geometries."""
    table = project.query(
        f"SELECT upper(ST_GeometryType(geom)::VARCHAR) AS t, count(*) AS n FROM {layer.ref()} "
        "WHERE geom IS NOT NULL GROUP BY 1 ORDER BY n DESC, t"
    )
    for name in table.column("t").to_pylist():
        if name in GEOMETRY_KINDS:
            return GEOMETRY_KINDS[name]
    return None


def create_visual(project: Project, layer: LayerInfo, origin: LocalOrigin, *, plugins: PluginRegistry | None = None):
    """The visual of a layer: by its kind, else by its geometry type; None when it has nothing to draw.
    ProjectError when the layer is broken (its catalogue entry cannot be read: it is listed, never drawn)."""
    if layer.broken:
        raise ProjectError(layer.broken)
    cls = visual_class(layer.kind, plugins=plugins)
    if cls is None:
        fallback = geometry_kind(project, layer)
        if fallback is None:
            log.info("layer %s: no visual for kind %r and no geometries to draw", layer.name, layer.kind)
            return None
        cls = visual_class(fallback, plugins=plugins)
    return cls(project, layer, origin)
