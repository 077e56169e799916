"""The CRS a vector file's layer is read in: the file's own declaration, else ``--crs`` (one rule for importers)."""

from __future__ import annotations

import pathlib

from twin.crs import normalize_crs
from twin.errors import InputError
from twin.io.options import ImportOptions
from twin.layerdata import ImportReport


def source_crs(path: pathlib.Path, declared: str | None, options: ImportOptions, report: ImportReport) -> str:
    """The layer's source CRS (``EPSG:NNNN``): what the file declares (``OGC:CRS84`` is EPSG:4326), else the
    ``--crs`` option; a note when both are given and differ (the file wins), an :class:`InputError` when neither
    is (a shapefile without its ``.prj`` is named as such)."""
    try:
        wanted = normalize_crs(options.crs) if options.crs else None
    except ValueError as exc:
        raise InputError(path, f"--crs: {exc}") from None
    if declared:
        crs = "EPSG:4326" if declared.upper() == "OGC:CRS84" else normalize_crs(declared)
        if wanted and wanted != crs:
            report.note(f"the file declares {crs}; --crs {wanted} is used only for files without a CRS")
        report.detected["crs"] = crs
        return crs
    if wanted:
        report.detected["crs"] = f"{wanted} (given with --crs)"
        return wanted
    missing = "no .prj file beside the .shp" if path.suffix.lower() == ".shp" else "the file declares no CRS"
    raise InputError(path, f"{missing}: give the source CRS with --crs EPSG:NNNN")
