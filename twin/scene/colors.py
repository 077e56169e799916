"""Colours from a style: one colour, a numeric colormap, a categorical palette, or semantic surfaces.

A colouring is a lookup table: one entry per feature (attribute values are read once in fid
order, and fids are 0..n-1) or one per surface code. A visual maps it onto its mesh in one numpy
step, ``table[fid]``. Features never share vertices in the scene's meshes, so per-feature colours
go on the points (cheaper to draw with software GL than colours per cell); surface colours go on
the cells.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from twin.errors import ProjectError
from twin.scene.features import attribute_types, numeric_column, text_column
from twin.scene.meshes import FID, SURFACE
from twin.scene.style import BY_SURFACE, SURFACE_COLORS, Style, to_rgb
from twin.store.project import LayerInfo, Project

#: categories shown by name in a legend; the rest are drawn as "other"
MAX_CATEGORIES = 10
NO_VALUE = "(no value)"
NO_VALUE_COLOR = "#b0b0b0"
OTHER_COLOR = "#9e9e9e"
#: default colours of CityJSON object types, after common map conventions (water blue, vegetation green,
#: roads grey, land use pale); buildings keep their kind's colour
CITY_OBJECT_COLORS = {
    "WaterBody": "#6fa8dc",
    "PlantCover": "#7fb069",
    "SolitaryVegetationObject": "#5e9c4f",
    "LandUse": "#ece4cf",
    "Road": "#8e9297",
    "TransportSquare": "#a3a6aa",
    "Railway": "#7d7069",
    "Waterway": "#6fa8dc",
    "TINRelief": "#cfd8bf",
    "GenericCityObject": "#c9c3b8",
    "Bridge": "#a9a49b",
    "BridgePart": "#a9a49b",
    "Tunnel": "#8f8a84",
    "CityFurniture": "#8d7f9e",
}


def city_object_color(properties: dict | None) -> str | None:
    """The conventional colour of the CityJSON object type a layer holds most of (``properties["object_types"]``
    written by the CityJSON importer, else its ``theme``), or None."""
    properties = properties or {}
    types = properties.get("object_types") or {}
    counts = {k: v for k, v in types.items() if isinstance(v, (int, float))} if isinstance(types, dict) else {}
    if counts:  # stored counts are data: anything but numbers is left out
        main = max(counts.items(), key=lambda item: item[1])[0]
    else:
        main = properties.get("theme")
    return CITY_OBJECT_COLORS.get(str(main)) if main else None


@dataclasses.dataclass
class Coloring:
    """How a layer is coloured, and what its legend shows.

    ``mode`` is ``constant`` (``color``), ``rgb`` (``table`` of uint8 RGB rows) or ``scalars``
    (``table`` of float values through ``colormap`` within ``clim``, shown as a colour bar).
    ``key`` names the array whose values index ``table``: ``fid`` (per feature) or ``surface``.
    When ``style_coloring`` is given feature ids, ``rgb`` or ``scalars`` hold the table looked up for them.
    """

    mode: str
    color: str = "#ffffff"
    table: np.ndarray | None = None
    key: str = FID
    colormap: str = "viridis"
    clim: tuple[float, float] = (0.0, 1.0)
    title: str = ""
    legend: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    rgb: np.ndarray | None = None
    scalars: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class AttributeValues:
    """One attribute of every feature, in fid order: numbers, or category codes into ``categories``."""

    name: str
    numeric: bool
    values: np.ndarray  # numeric: float64 (NaN = missing); categorical: int64 codes (-1 = missing)
    categories: tuple[str, ...] = ()


def attribute_values(project: Project, layer: LayerInfo, name: str, *, categorical: bool | None = None) -> AttributeValues:
    """Read one attribute column in fid order; ProjectError naming the known columns when it is missing."""
    types = attribute_types(project, layer)
    if name not in types:
        raise ProjectError(f"layer {layer.name!r} has no attribute {name!r} (attributes: {', '.join(types) or 'none'})")
    kind = types[name]
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    if numeric and categorical is not True:
        return AttributeValues(name, True, numeric_column(project, layer, name))
    codes, categories = text_column(project, layer, name)
    return AttributeValues(name, False, codes, tuple(categories))


def numeric_coloring(values: AttributeValues, style: Style) -> Coloring:
    """Values per feature through the style's colormap; the range is the style's ``clim`` or the data's."""
    finite = values.values[np.isfinite(values.values)]
    if style.clim is not None:
        clim = (float(style.clim[0]), float(style.clim[1]))
    elif finite.size:
        clim = (float(finite.min()), float(finite.max()))
        if clim[0] == clim[1]:
            clim = (clim[0] - 0.5, clim[1] + 0.5)
    else:
        clim = (0.0, 1.0)
    return Coloring("scalars", table=values.values.astype(np.float32), colormap=style.colormap, clim=clim,
                    title=values.name)


def categorical_coloring(values: AttributeValues, style: Style) -> Coloring:
    """Colours per feature from a palette: the most frequent categories by name, the rest as "other"."""
    codes, names = values.values, values.categories
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    order = sorted(range(len(names)), key=lambda i: (-counts[i], names[i]))
    named = order[:MAX_CATEGORIES]
    colors = palette_colors(style.palette, len(named))
    # row len(names) of the table is "no value"
    table = np.tile(np.array(_rgb255(OTHER_COLOR), dtype=np.uint8), (len(names) + 1, 1))
    table[len(names)] = _rgb255(NO_VALUE_COLOR)
    legend: list[tuple[str, str]] = []
    for rank, index in enumerate(named):
        table[index] = _rgb255(colors[rank])
        legend.append((names[index], colors[rank]))
    if len(names) > len(named):
        legend.append((f"other ({len(names) - len(named)})", OTHER_COLOR))
    if (codes < 0).any():
        legend.append((NO_VALUE, NO_VALUE_COLOR))
    return Coloring("rgb", table=table[np.where(codes < 0, len(names), codes)], title=values.name, legend=legend)


def surface_coloring(present: np.ndarray) -> Coloring:
    """Colours per semantic surface code (roof, wall, ground...), legend of the codes ``present``."""
    from twin.layerdata import SURFACE_NAMES

    table = np.zeros((256, 3), dtype=np.uint8)
    for code, color in SURFACE_COLORS.items():
        table[code] = _rgb255(color)
    legend = [(SURFACE_NAMES.get(int(c), str(c)).replace("Surface", "").lower() or "unclassified",
               SURFACE_COLORS.get(int(c), SURFACE_COLORS[0])) for c in sorted(present, key=lambda c: (c != 3, c != 2, c))]
    return Coloring("rgb", table=table, key=SURFACE, title="surface", legend=legend)


def style_coloring(
    style: Style,
    fids: np.ndarray | None = None,
    *,
    project: Project,
    layer: LayerInfo,
    surfaces: np.ndarray | None = None,
    flat_roofs: bool = False,
) -> Coloring:
    """The colouring a style asks for. ``surfaces`` are the surface codes present in the layer's mesh
    (None without semantics); ``flat_roofs`` draws surface colouring as one colour (LoD1 blocks).
    With ``fids``, the per-feature colours (or values) of those features are filled in too."""
    coloring = _style_coloring(style, project=project, layer=layer, surfaces=surfaces, flat_roofs=flat_roofs)
    if fids is not None and coloring.mode != "constant" and coloring.key == FID:
        values = lookup(coloring, fids, layer=repr(layer.name))
        if coloring.mode == "rgb":
            coloring.rgb = values
        else:
            coloring.scalars = values
    return coloring


def _style_coloring(style: Style, *, project: Project, layer: LayerInfo, surfaces, flat_roofs: bool) -> Coloring:
    constant = Coloring("constant", color=style.color, legend=[(layer.name, style.color)])
    if style.color_by is None:
        return constant
    if style.color_by == BY_SURFACE:
        if surfaces is None:
            return constant
        if flat_roofs:  # LoD1 blocks: one colour, like a massing model; the light shapes them
            return constant
        return surface_coloring(np.asarray(surfaces))
    values = attribute_values(project, layer, style.color_by, categorical=style.categorical)
    if values.numeric:
        return numeric_coloring(values, style)
    return categorical_coloring(values, style)


def lookup(coloring: Coloring, keys: np.ndarray, *, layer: str = "layer") -> np.ndarray:
    """``coloring.table[keys]``, refusing keys outside the table (a mesh that does not match its features)."""
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size and (keys.min() < 0 or keys.max() >= len(coloring.table)):
        raise ProjectError(f"layer {layer}: {coloring.key} values of the mesh do not match its {len(coloring.table)} entries")
    return coloring.table[keys]


def palette_colors(name: str, count: int) -> list[str]:
    """``count`` distinct hex colours from a matplotlib colormap (listed palettes cycle)."""
    import matplotlib
    from matplotlib.colors import ListedColormap, to_hex

    cmap = matplotlib.colormaps[name]
    if isinstance(cmap, ListedColormap) and cmap.N <= 32:
        return [to_hex(cmap(i % cmap.N)) for i in range(count)]
    return [to_hex(cmap(x)) for x in np.linspace(0.05, 0.95, max(count, 1))][:count]


def _rgb255(color: str) -> Sequence[int]:
    return [int(round(c * 255)) for c in to_rgb(color)]
