"""The public plugin API: everything a plugin may import from the core.

Plugins (built-in ones included) import from here only, so the core can change behind it.
"""

from twin.crs import choose_project_crs, is_geographic, normalize_crs, transform_xy
from twin.errors import ImportCancelled, InputError, TwinError
from twin.layerdata import KINDS, SURFACE_CODES, ImportReport, LayerData, MeshData, Skipped
from twin.io.options import ImportOptions
from twin.io.source_crs import source_crs

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
    "source_crs",
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
    NOT_A_TABLE,
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
    read_csv_head,
    read_csv_table,
    summary_rows,
)

__all__ += [
    "HEIGHT_SOURCES",
    "KOREAN_CRS",
    "NOT_A_TABLE",
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
    "read_csv_head",
    "read_csv_table",
    "resolve_heights",
    "summary_rows",
]

# ----- what plugin code receives, and how a plugin's tests drive it (docs/plugins.md) --------
from twin.io.importing import read_file, read_source  # noqa: E402
from twin.layerstream import CHUNK_ROWS, STREAM_BYTES, LayerStream, chunk_rows, wants_stream  # noqa: E402
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
    "read_source",
    "run_analysis",
    # streaming big files in chunks (docs/plugins.md, "Streaming big files")
    "CHUNK_ROWS",
    "STREAM_BYTES",
    "LayerStream",
    "chunk_rows",
    "wants_stream",
]

# ----- links between services (docs/links.md) ----------------------------------------------
from twin.links.relations import angle_off, bearing_deg, cameras_seeing, pairs_within, points_along  # noqa: E402
from twin.links.routing import RoadGraph, Route  # noqa: E402
from twin.store.identifiers import quote as quote_identifier, table_ref  # noqa: E402
from twin.store.links import LINK_SCHEMA, empty_links, read_links  # noqa: E402

__all__ += ["LINK_SCHEMA", "RoadGraph", "Route", "angle_off", "bearing_deg", "cameras_seeing", "empty_links",
            "pairs_within", "points_along", "quote_identifier", "read_links", "table_ref"]

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

# ----- for the stage plugins (infrastructure utilities, safety CCTV, pilot sensors: reading layers) -------------
# Scene helpers the built-in stage plugins' visuals use (docs/plugins.md, "Built-in stage plugins").
# Imported on first use through the same ``_DRAWING`` mechanism as the names above: they bring PyVista.
_STAGE_DRAWING = {
    "Polylines": "twin.scene.lines",  # line parts as flat vertex arrays (local coordinates, part, fid of each part)
    "read_polylines": "twin.scene.lines",  # a layer's line parts and which vertices had a z
    "centrelines": "twin.scene.lines",  # line parts as VTK polylines at a given z, with ``fid`` cells
    "read_geometries": "twin.scene.features",  # a layer's non-empty geometries in fid order
    "numeric_column": "twin.scene.features",  # a column as float64 in fid order (NaN where not a number)
    "text_column": "twin.scene.features",  # a column as category codes in fid order and the distinct texts
    "merge_triangles": "twin.scene.meshes",  # one mesh of several (points, triangles, fids) pieces
    "empty_mesh": "twin.scene.meshes",  # a mesh without cells that carries the ``fid`` array
    "automatic_size": "twin.scene.glyphs",  # a glyph size (m) that reads in a view of a given extent
    "project_extent": "twin.scene.origin",  # the diagonal (m) of the union of layer extents
    "glyph_screen": "twin.scene.glyphs",  # screen sizes (pixels, metre floor) of a mesh built at unit size
    "POINT_PX": "twin.scene.screen",  # an automatic glyph is never smaller than this on screen
    "standing_z": "twin.scene.roofs",  # the z points are drawn at: their own, else the roof they stand on
}
_DRAWING.update(_STAGE_DRAWING)
__all__ += list(_STAGE_DRAWING)
# the layer a sensors/segments readings layer colours (the pilot plugin's panel finds a selected sensor with it)
from twin.time.slicing import join_target  # noqa: E402

__all__ += ["join_target"]
