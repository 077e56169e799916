"""Layer styles as data: a small dataclass stored as JSON with ``Project.set_style``.

A style says how a layer is coloured (one colour, by an attribute through a colormap or a palette,
or by semantic surface for 3D buildings), its opacity and visibility, the size of glyphs, ribbons
and tubes, how high polygons are extruded, and which LoD of a mesh is drawn. Missing keys take
the defaults of the layer's kind; unknown keys and bad values are refused with one clear line.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from twin.errors import TwinError

#: ``color_by`` value that colours 3D meshes by semantic surface (roof, wall, ground)
BY_SURFACE = "surface"

#: default constant colour per layer kind
KIND_COLORS = {
    "buildings": "#e3ddd3",
    "points": "#e4572e",
    "lines": "#59606b",
    "polygons": "#8cb369",
}
DEFAULT_COLOR = "#4f86c6"
#: colours given, in this order, to layers whose default colour another layer already shows
DISTINCT_COLORS = ("#e53935", "#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#3949ab", "#d81b60",
                   "#6d4c41", "#fdd835", "#546e7a", "#c0ca33")

#: colours of semantic surfaces (``twin.layerdata.SURFACE_CODES``) when ``color_by == "surface"``
SURFACE_COLORS = {
    0: "#d9d4cc",  # unclassified
    1: "#8d8780",  # ground
    2: "#ebe5da",  # wall
    3: "#b8553f",  # roof
    4: "#c9c4bb",  # closure
    5: "#bdb6aa",  # outer ceiling
    6: "#a39d93",  # outer floor
    7: "#7fa7c9",  # window
    8: "#8a6a4f",  # door
    9: "#5b9bd5",  # water
    10: "#6d6d6d",  # traffic area
    11: "#9aa58c",  # auxiliary traffic area
}


class StyleError(TwinError):
    """A style is malformed; the message names the layer, the key and the reason."""


@dataclasses.dataclass(frozen=True)
class Style:
    """How one layer is drawn. ``Style.from_dict(layer.style, kind=layer.kind)`` reads a stored style."""

    color: str = DEFAULT_COLOR
    #: None: one colour; an attribute name: numeric colormap or categorical palette; "surface": roof/wall/ground
    color_by: str | None = None
    colormap: str = "viridis"
    palette: str = "tab10"
    #: treat the attribute as categories (None: numeric columns are numeric, all others categorical)
    categorical: bool | None = None
    #: value range of the colormap (None: the data range)
    clim: tuple[float, float] | None = None
    opacity: float = 1.0
    visible: bool = True
    #: glyph size, ribbon width or tube radius in metres (None: chosen from the layer extent)
    size: float | None = None
    #: units of ``size`` for glyphs and ribbons: "m" (fixed in the scene), "px" (fixed on screen), None: automatic
    #: (metres from the extent, never under a few pixels; a ``size`` without units is metres)
    size_units: str | None = None
    #: polygons: extrusion height in metres, or the name of a numeric attribute (None: flat)
    extrude: float | str | None = None
    #: meshes: the LoD to draw (None: the layer's ``default_lod`` property, else the highest)
    lod: str | None = None
    #: settings of a plugin's own layer kind (its style controls write them, its visual reads them): JSON values
    params: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, kind: str = "", layer: str = "layer") -> "Style":
        """Validate a stored style (missing keys take the defaults of ``kind``)."""
        data = dict(data or {})
        base = default_style(kind)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise StyleError(f"style of {layer}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})")
        if "clim" in data and isinstance(data["clim"], list):
            data["clim"] = tuple(data["clim"])
        if "params" in data and isinstance(data["params"], dict):
            data["params"] = dict(data["params"])
        style = dataclasses.replace(base, **data)
        style.validate(layer=layer)
        return style

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form stored in the project."""
        out = dataclasses.asdict(self)
        if out["clim"] is not None:
            out["clim"] = list(out["clim"])
        out["params"] = dict(self.params)
        return out

    def replace(self, **changes: Any) -> "Style":
        """A validated copy with some fields changed."""
        style = dataclasses.replace(self, **changes)
        style.validate()
        return style

    def validate(self, *, layer: str = "layer") -> None:
        """Raise :class:`StyleError` naming the key when a value is wrong."""
        where = f"style of {layer}"
        _check_color(self.color, f"{where}: color")
        if self.color_by is not None and (not isinstance(self.color_by, str) or not self.color_by.strip()):
            raise StyleError(f"{where}: color_by must be an attribute name, {BY_SURFACE!r} or null")
        _check_colormap(self.colormap, f"{where}: colormap")
        _check_colormap(self.palette, f"{where}: palette")
        if self.categorical not in (None, True, False):
            raise StyleError(f"{where}: categorical must be true, false or null")
        if self.clim is not None:
            if len(self.clim) != 2 or not all(_is_number(v) for v in self.clim) or not self.clim[0] < self.clim[1]:
                raise StyleError(f"{where}: clim must be [low, high] with low < high, not {list(self.clim)}")
        if not _is_number(self.opacity) or not 0.0 <= float(self.opacity) <= 1.0:
            raise StyleError(f"{where}: opacity must be a number from 0 to 1, not {self.opacity!r}")
        if not isinstance(self.visible, bool):
            raise StyleError(f"{where}: visible must be true or false, not {self.visible!r}")
        if self.size is not None and (not _is_number(self.size) or float(self.size) <= 0):
            raise StyleError(f"{where}: size must be a positive number (metres, or pixels with size_units \"px\"), "
                             f"not {self.size!r}")
        if self.size_units not in (None, "m", "px"):
            raise StyleError(f"{where}: size_units must be \"m\", \"px\" or null, not {self.size_units!r}")
        if self.extrude is not None and not isinstance(self.extrude, str) and (
            not _is_number(self.extrude) or float(self.extrude) < 0
        ):
            raise StyleError(f"{where}: extrude must be a height in metres or an attribute name, not {self.extrude!r}")
        if self.lod is not None and not isinstance(self.lod, str):
            raise StyleError(f"{where}: lod must be text such as \"2.2\", not {self.lod!r}")
        _check_params(self.params, f"{where}: params")

    def key(self) -> str:
        """A stable text form, to tell whether a style changed."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)


def default_style(kind: str) -> Style:
    """The style of a layer of ``kind`` before the user changes anything."""
    if kind == "buildings":
        return Style(color=KIND_COLORS["buildings"], color_by=BY_SURFACE)
    if kind == "polygons":
        return Style(color=KIND_COLORS["polygons"], opacity=0.75)
    return Style(color=KIND_COLORS.get(kind, DEFAULT_COLOR))


def style_changes(style: Style, kind: str) -> dict[str, Any]:
    """The keys of ``style`` that differ from the defaults of ``kind``: what a project stores."""
    base = default_style(kind).to_dict()
    return {k: v for k, v in style.to_dict().items() if base.get(k) != v}


def distinct_color(taken: set[str]) -> str:
    """The first of ``DISTINCT_COLORS`` no layer shows yet (cycling when all are taken)."""
    for color in DISTINCT_COLORS:
        if color.lower() not in taken:
            return color
    return DISTINCT_COLORS[len(taken) % len(DISTINCT_COLORS)]


def layer_style(layer: Any) -> Style:
    """The validated style of a catalogue entry (``LayerInfo``)."""
    return Style.from_dict(layer.style, kind=layer.kind, layer=repr(layer.name))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_params(params: Any, where: str) -> None:
    if not isinstance(params, dict) or not all(isinstance(k, str) and k for k in params):
        raise StyleError(f"{where} must be a table of named values, not {params!r}")
    for key, value in params.items():
        items = value if isinstance(value, list) else [value]
        if not all(v is None or isinstance(v, (str, bool, int, float)) for v in items):
            raise StyleError(f"{where}.{key} must be text, a number, true/false or a list of those, not {value!r}")


def _check_color(value: Any, where: str) -> None:
    from matplotlib.colors import is_color_like

    if not isinstance(value, str) or not is_color_like(value):
        raise StyleError(f"{where}: {value!r} is not a colour (use a name such as 'orange' or hex such as '#ff8800')")


def _check_colormap(name: Any, where: str) -> None:
    import matplotlib

    if not isinstance(name, str) or name not in matplotlib.colormaps:
        raise StyleError(f"{where}: unknown colormap {name!r} (e.g. viridis, plasma, tab10, Set2)")


def to_rgb(value: str) -> tuple[float, float, float]:
    """A colour name or hex as floats 0..1."""
    from matplotlib.colors import to_rgb as _to_rgb

    return tuple(float(v) for v in _to_rgb(value))  # type: ignore[return-value]
