"""Layer kinds: what each kind of layer brings with it, declared by plugins in ``[[layer_kinds]]``.

A kind (``buildings``, ``points``, ``moving``... or a plugin's own) declares, as data in its manifest:

- ``visual``: the class that draws it (``"module:Class"``, imported on first use: :mod:`twin.render.registry`);
- ``icon``: an SVG file inside the plugin's package, drawn in the layer list (``currentColor`` in the file
  takes the layer's colour);
- ``color``: the colour of that icon when the layer shows several colours;
- ``style``: which of the standard style controls apply (:data:`STYLE_CONTROLS`);
- ``controls``: optionally a Qt widget class of its own for the style dialog (the window imports it).

The built-in kinds are declared by the built-in plugins (``plugins/kinds``, ``plugins/tracks``) through the
same entry points as third-party kinds, so the window needs no ``if kind == ...``: it asks this registry.
"""

from __future__ import annotations

import dataclasses
import pathlib

from twin.plugins.manifest import Contribution
from twin.plugins.registry import PluginRegistry, package_file, registry as default_registry

#: the standard style controls a kind may list: colour, colour by attribute, colour by semantic surface
#: (3D meshes), the colour ramp of a kind that colours by its own values (readings), opacity, symbol size,
#: extrusion height (polygons), level of detail (meshes)
STYLE_CONTROLS = ("color", "color_by", "surfaces", "colormap", "opacity", "size", "extrude", "lod")
#: the controls of a kind that lists none
DEFAULT_STYLE_CONTROLS = ("color", "color_by", "opacity", "size")
#: icon colour of a kind that declares none
DEFAULT_COLOR = "#888888"


@dataclasses.dataclass(frozen=True)
class LayerKind:
    """One declared layer kind (see the module docstring)."""

    id: str
    title: str
    plugin: str
    contribution: Contribution = dataclasses.field(repr=False, compare=False)
    icon: pathlib.Path | None = None
    color: str = DEFAULT_COLOR
    style: tuple[str, ...] = DEFAULT_STYLE_CONTROLS
    temporal: bool = False

    @property
    def has_controls(self) -> bool:
        """True when the kind brings a style widget of its own (``controls``)."""
        return "controls" in self.contribution.fields

    def offers(self, control: str) -> bool:
        """Whether the style dialog shows ``control`` (one of :data:`STYLE_CONTROLS`) for this kind."""
        return control in self.style


def layer_kinds(*, registry: PluginRegistry | None = None) -> dict[str, LayerKind]:
    """Every kind the enabled plugins declare, by id (the first plugin declaring an id wins)."""
    out: dict[str, LayerKind] = {}
    for contribution in (registry or default_registry).contributions("layer_kinds"):
        out.setdefault(contribution.id, _kind(contribution))
    return out


def layer_kind(kind: str, *, registry: PluginRegistry | None = None) -> LayerKind | None:
    """The declaration of ``kind``, or ``None`` when no enabled plugin declares it."""
    return layer_kinds(registry=registry).get(kind)


def style_controls(kind: str, *, registry: PluginRegistry | None = None) -> tuple[str, ...]:
    """The standard style controls of ``kind`` (the defaults for a kind nobody declares)."""
    declared = layer_kind(kind, registry=registry)
    return declared.style if declared is not None else DEFAULT_STYLE_CONTROLS


def _kind(contribution: Contribution) -> LayerKind:
    fields = contribution.fields
    icon = None
    if fields.get("icon") and contribution.package:
        try:
            icon = package_file(contribution.package, fields["icon"])
        except Exception:  # noqa: BLE001 - a missing package only loses the icon; `twin plugins check` says why
            icon = None
    style = tuple(s for s in fields.get("style", DEFAULT_STYLE_CONTROLS) if s in STYLE_CONTROLS)
    return LayerKind(id=contribution.id, title=contribution.title, plugin=contribution.plugin,
                     contribution=contribution, icon=icon if icon is not None and icon.exists() else None,
                     color=fields.get("color", DEFAULT_COLOR), style=style, temporal=bool(fields.get("temporal")))
