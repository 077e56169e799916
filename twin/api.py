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
