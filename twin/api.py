"""The public plugin API: everything a plugin may import from the core.

Plugins (built-in ones included) import from here only, so the core can change behind it.
"""

from twin.crs import choose_project_crs, is_geographic, normalize_crs, transform_xy
from twin.errors import ImportCancelled, InputError, TwinError
from twin.io.layerdata import KINDS, SURFACE_CODES, ImportReport, LayerData, MeshData, Skipped
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
