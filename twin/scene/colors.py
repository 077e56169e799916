"""Per-feature colours from a style: one colour, a numeric colormap, a categorical palette, or surfaces.

Attribute values are read once per layer in fid order (fids are 0..n-1), so a mesh's ``fid`` cell
array indexes them directly: ``values[fid_cells]`` colours a million triangles in one numpy step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from twin.errors import ProjectError
from twin.scene.features import attribute_types, numeric_column, text_column
from twin.scene.style import BY_SURFACE, SURFACE_COLORS, Style, to_rgb
from twin.store.project import LayerInfo, Project

#: categories shown by name in a legend; the rest are drawn as "other"
MAX_CATEGORIES = 10
NO_VALUE = "(no value)"
NO_VALUE_COLOR = "#b0b0b0"
OTHER_COLOR = "#9e9e9e"
#: flat LoD1 roofs are shaded like a massing model, not with the terracotta of LoD2 roofs
LOD1_ROOF_COLOR = "#f2eee8"


@dataclasses.dataclass
class Coloring:
    """How a mesh's cells are coloured, and what its legend shows.

    ``mode`` is ``constant`` (``color``), ``rgb`` (``rgb`` per cell, with ``legend`` swatches) or
    ``scalars`` (``scalars`` per cell through ``colormap`` within ``clim``, shown as a colour bar).
    """

    mode: str
    color: str = "#ffffff"
    rgb: np.ndarray | None = None
    scalars: np.ndarray | None = None
    colormap: str = "viridis"
    clim: tuple[float, float] = (0.0, 1.0)
    title: str = ""
    legend: list[tuple[str, str]] = dataclasses.field(default_factory=list)


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


def numeric_coloring(values: AttributeValues, fid_cells: np.ndarray, style: Style) -> Coloring:
    """Cell scalars through the style's colormap; the range is the style's ``clim`` or the data's."""
    scalars = values.values[fid_cells].astype(np.float32)
    finite = values.values[np.isfinite(values.values)]
    if style.clim is not None:
        clim = (float(style.clim[0]), float(style.clim[1]))
    elif finite.size:
        clim = (float(finite.min()), float(finite.max()))
        if clim[0] == clim[1]:
            clim = (clim[0] - 0.5, clim[1] + 0.5)
    else:
        clim = (0.0, 1.0)
    return Coloring("scalars", scalars=scalars, colormap=style.colormap, clim=clim, title=values.name)


def categorical_coloring(values: AttributeValues, fid_cells: np.ndarray, style: Style) -> Coloring:
    """Cell colours from a palette: the most frequent categories by name, the rest as "other"."""
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
    per_feature = table[np.where(codes < 0, len(names), codes)]
    return Coloring("rgb", rgb=per_feature[fid_cells], title=values.name, legend=legend)


def surface_coloring(surfaces: np.ndarray, *, flat_roofs: bool = False) -> Coloring:
    """Cell colours by semantic surface code (roof, wall, ground...), legend of the codes present."""
    from twin.io.layerdata import SURFACE_NAMES

    colors = dict(SURFACE_COLORS)
    if flat_roofs:
        colors[3] = LOD1_ROOF_COLOR
    table = np.zeros((256, 3), dtype=np.uint8)
    for code, color in colors.items():
        table[code] = _rgb255(color)
    present = np.flatnonzero(np.bincount(surfaces, minlength=256)) if len(surfaces) else np.empty(0, dtype=int)
    legend = [(SURFACE_NAMES.get(int(c), str(c)).replace("Surface", "").lower() or "unclassified", colors.get(int(c), "#d9d4cc"))
              for c in sorted(present, key=lambda c: (c != 3, c != 2, c))]
    return Coloring("rgb", rgb=table[surfaces], title="surface", legend=legend)


def style_coloring(
    style: Style,
    fid_cells: np.ndarray,
    *,
    project: Project,
    layer: LayerInfo,
    surfaces: np.ndarray | None = None,
    flat_roofs: bool = False,
) -> Coloring:
    """The colouring a style asks for on a mesh with the given ``fid`` (and ``surface``) cells."""
    if style.color_by is None:
        return Coloring("constant", color=style.color, legend=[(layer.name, style.color)])
    if style.color_by == BY_SURFACE:
        if surfaces is None:
            return Coloring("constant", color=style.color, legend=[(layer.name, style.color)])
        return surface_coloring(surfaces, flat_roofs=flat_roofs)
    values = attribute_values(project, layer, style.color_by, categorical=style.categorical)
    fid_cells = np.asarray(fid_cells, dtype=np.int64)
    if fid_cells.size and (fid_cells.max() >= len(values.values) or fid_cells.min() < 0):
        raise ProjectError(f"layer {layer.name!r}: mesh feature ids do not match its {len(values.values)} features")
    if values.numeric:
        return numeric_coloring(values, fid_cells, style)
    return categorical_coloring(values, fid_cells, style)


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
