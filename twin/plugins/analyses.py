"""Run a plugin analysis on a project: ``analysis(project, *, layer, **params) -> Arrow table | SQL``.

The analysis gets a read-only :class:`twin.store.reader.ProjectReader` (catalogue, ``query`` returning
Arrow), never the database connection. SQL text it returns is run through the same reader: one statement
that reads (spatial functions available). An Arrow table (or anything ``pyarrow.table`` accepts, such as a
pandas DataFrame) is returned as is. When the manifest lists ``layer_kinds``, the analysis gets a layer of
those kinds: the one named, or the only one in the project.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from twin.errors import TwinError
from twin.plugins.manifest import Contribution
from twin.plugins.registry import PluginError, PluginRegistry
from twin.plugins.registry import registry as default_registry
from twin.store.project import LayerInfo, Project
from twin.store.reader import ProjectReader


def analysis_layer(project: Project | ProjectReader, contribution: Contribution, layer: str | None) -> LayerInfo | None:
    """The layer an analysis works on: ``layer`` by name (checked against ``layer_kinds``), or the only one of its kinds."""
    kinds = contribution.fields.get("layer_kinds")
    if layer is not None:
        info = project.layer(layer)
        if kinds and info.kind not in kinds:
            raise TwinError(f"analysis {contribution.id!r} works on {', '.join(kinds)} layers; {layer!r} is {info.kind}")
        return info
    if not kinds:
        return None
    candidates = [info for info in project.layers() if info.kind in kinds]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise TwinError(f"analysis {contribution.id!r} needs a {' or '.join(kinds)} layer; the project has none")
    names = ", ".join(repr(c.name) for c in candidates)
    raise TwinError(f"analysis {contribution.id!r}: several {'/'.join(kinds)} layers ({names}); choose one with --layer")


def run_analysis(
    project: Project | ProjectReader,
    analysis_id: str,
    *,
    layer: str | None = None,
    params: dict[str, Any] | None = None,
    registry: PluginRegistry | None = None,
) -> pa.Table:
    """Run the analysis ``analysis_id`` (or ``plugin/id``) and return its result as an Arrow table."""
    reg = registry or default_registry
    try:
        contribution = reg.contribution("analyses", analysis_id)
    except KeyError as exc:
        raise TwinError(exc.args[0]) from None
    reader = project if isinstance(project, ProjectReader) else ProjectReader(project)
    info = analysis_layer(reader, contribution, layer)
    result = reg.call(contribution, reader, layer=info, **(params or {}))
    if isinstance(result, str):
        try:
            return reader.query(result)
        except (duckdb.Error, TwinError) as exc:
            raise PluginError(f"plugin {contribution.plugin}: analysis {contribution.id!r} produced SQL that fails: "
                              f"{str(exc).splitlines()[0]}") from exc
    if isinstance(result, pa.Table):
        return result
    try:
        return pa.table(result)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise PluginError(f"plugin {contribution.plugin}: analysis {contribution.id!r} returned a "
                          f"{type(result).__name__}, not an Arrow table or SQL text") from exc


def draw_picture(project: Project | ProjectReader, analysis_id: str, result: pa.Table, out, *,
                 size: tuple[float, float] = (10.0, 6.5), registry: PluginRegistry | None = None):
    """Draw the picture an analysis declares (``picture = "module:fn"``, ``fn(figure, project, result)`` on a
    matplotlib Figure) into the PNG ``out``; TwinError when it declares none."""
    import pathlib

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    reg = registry or default_registry
    try:
        contribution = reg.contribution("analyses", analysis_id)
    except KeyError as exc:
        raise TwinError(exc.args[0]) from None
    if "picture" not in contribution.fields:
        raise TwinError(f"analysis {contribution.id!r} draws no picture")
    reader = project if isinstance(project, ProjectReader) else ProjectReader(project)
    use_hangul_font()
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    reg.call(contribution, figure, reader, result, key="picture")
    path = pathlib.Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def use_hangul_font() -> str | None:
    """Make matplotlib draw Korean text: the first CJK font of the system (Noto Sans CJK from fonts-noto-cjk)
    comes first in its sans-serif list. Returns the family, or None when there is none."""
    import matplotlib
    from matplotlib import font_manager

    from twin.fonts import hangul_font

    path = hangul_font()
    if not path:
        return None
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    families = matplotlib.rcParams["font.sans-serif"]
    if family not in families:
        matplotlib.rcParams["font.sans-serif"] = [family, *families]
    matplotlib.rcParams["font.family"] = "sans-serif"
    return family


def parse_params(items: list[str]) -> dict[str, Any]:
    """``["limit=45", "name=PM10"]`` -> ``{"limit": 45, "name": "PM10"}`` (JSON numbers and booleans are converted)."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise TwinError(f"--param {item!r}: write NAME=VALUE")
        try:
            parsed = json.loads(value)
            params[key.strip()] = parsed if isinstance(parsed, (int, float, bool)) else value
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params
