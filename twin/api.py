"""The public plugin API: everything a plugin may import from the core.

Plugins (built-in ones included) import from here only, so the core can change behind it.
"""

from twin.crs import choose_project_crs, is_geographic, normalize_crs, transform_xy
from twin.errors import ImportCancelled, InputError, TwinError
from twin.layerdata import KINDS, SURFACE_CODES, ImportReport, LayerData, MeshData, Skipped
from twin.io.options import ImportOptions

__all__ = [
    "KINDS",
    "SURFACE_CODES",
    "ImportCancelled",
    "ImportOptions",
    "ImportReport",
    "InputError",
    "LayerData",
    "MeshData",
    "Skipped",
    "TwinError",
    "choose_project_crs",
    "is_geographic",
    "normalize_crs",
    "transform_xy",
]

# ----- time and tracks (docs/timeline.md) ---------------------------------------------------
from twin.time.parse import ParsedTimes, looks_like_times, parse_times  # noqa: E402
from twin.time.range import TimeRange, as_utc, parse_instant, to_us, zone  # noqa: E402
from twin.time.temporal import TemporalProperties  # noqa: E402
from twin.time.tracks import events_layer, moving_layer, readings_layer  # noqa: E402

__all__ += [
    "ParsedTimes",
    "TemporalProperties",
    "TimeRange",
    "as_utc",
    "events_layer",
    "looks_like_times",
    "moving_layer",
    "parse_instant",
    "parse_times",
    "readings_layer",
    "to_us",
    "zone",
]

# ----- footprints, CSV text and coordinate detection (docs/importers.md) ----------------------
from twin.geometry import (  # noqa: E402
    HEIGHT_SOURCES,
    extrude_footprints,
    footprint_base_z,
    geometry_kind,
    kind_groups,
    points_wkb,
    resolve_heights,
)
from twin.tabular import (  # noqa: E402
    KOREAN_CRS,
    PROBLEMS,
    CoordinateColumns,
    CsvTable,
    PointCheck,
    check_points,
    decode_text,
    find_coordinate_columns,
    find_named_column,
    infer_types,
    korean_crs_candidates,
    looks_geographic,
    normalise_name,
    parse_numbers,
    read_csv_table,
    summary_rows,
)

__all__ += [
    "HEIGHT_SOURCES",
    "KOREAN_CRS",
    "PROBLEMS",
    "CoordinateColumns",
    "CsvTable",
    "PointCheck",
    "check_points",
    "decode_text",
    "extrude_footprints",
    "find_coordinate_columns",
    "find_named_column",
    "footprint_base_z",
    "geometry_kind",
    "infer_types",
    "kind_groups",
    "korean_crs_candidates",
    "looks_geographic",
    "normalise_name",
    "parse_numbers",
    "points_wkb",
    "read_csv_table",
    "resolve_heights",
    "summary_rows",
]

# ----- what plugin code receives, and how a plugin's tests drive it (docs/plugins.md) --------
from twin.io.importing import read_file  # noqa: E402
from twin.io.service import ImportPlan, ImportService, import_file  # noqa: E402
from twin.model.context import PanelContext, SelectedFeatures  # noqa: E402
from twin.model.layers import LayerState  # noqa: E402
from twin.plugins.analyses import run_analysis  # noqa: E402
from twin.store.project import LayerInfo, Project  # noqa: E402
from twin.store.reader import ProjectReader, ReadOnlyError  # noqa: E402

#: the selection a panel sees (``context.selection``); the old name of :class:`SelectedFeatures`
Selection = SelectedFeatures

__all__ += [
    "ImportPlan",
    "ImportService",
    "LayerInfo",
    "LayerState",
    "PanelContext",
    "Project",
    "ProjectReader",
    "ReadOnlyError",
    "SelectedFeatures",
    "Selection",
    "import_file",
    "read_file",
    "run_analysis",
]

# ----- drawing a layer kind of your own (docs/plugins.md section 7, docs/scene.md) -----------
# imported on first use: they bring PyVista and VTK, which an importer never needs
_DRAWING = {
    "FID": "twin.scene.meshes",
    "LegendBlock": "twin.render.overlay",
    "LocalOrigin": "twin.scene.origin",
    "MeshVisual": "twin.render.visual",
    "Part": "twin.render.visual",
    "Style": "twin.scene.style",
    "Visual": "twin.render.visual",
}
__all__ += list(_DRAWING)


def __getattr__(name: str):
    if name in _DRAWING:
        import importlib

        value = getattr(importlib.import_module(_DRAWING[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'twin.api' has no attribute {name!r}")

# ----- polygon triangulation shared by footprints and CityJSON surfaces (docs/cityjson.md) -----
from twin.geometry import PolygonRings, triangulate_rings  # noqa: E402

__all__ += ["PolygonRings", "triangulate_rings"]
