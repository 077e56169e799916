"""Entry points declared in ``plugins/formats/twin.toml``: ``sniff`` and ``read_citygml``."""

from __future__ import annotations

import pathlib
from collections import Counter

import numpy as np

from twin.api import SURFACE_CODES, ImportOptions, ImportReport, InputError, LayerData
from twin_plugins.formats.cityjson.layers import build_layers
from twin_plugins.formats.cityjson.reader import gc_paused
from twin_plugins.formats.citygml import srs
from twin_plugins.formats.citygml.collected import Collected
from twin_plugins.formats.citygml.source import citygml_version, members
from twin_plugins.formats.citygml.walk import Context, Walker, envelope_crs

CITYGML_SUFFIXES = (".gml", ".citygml")
PROGRESS_EVERY = 2000
SURFACE_NAMES = {code: name or "Unclassified" for name, code in SURFACE_CODES.items()}


def sniff(path: pathlib.Path) -> bool:
    """Is this a CityGML file (root ``CityModel`` of CityGML 1.0/2.0/3.0)? Reads the first 64 KB.

    A ``.gml``/``.citygml`` file that is not gets its clear error; other ``.xml`` files just say no.
    """
    path = pathlib.Path(path)
    try:
        citygml_version(path)
    except InputError:
        if path.name.lower().endswith(CITYGML_SUFFIXES):
            raise
        return False
    return True


def read_citygml(path: pathlib.Path, options: ImportOptions) -> list[LayerData]:
    """Read a CityGML 2.0/3.0 file into one LayerData per theme (Building first), streaming."""
    path = pathlib.Path(path)
    report = ImportReport(str(path))
    version = citygml_version(path)
    size = max(path.stat().st_size, 1)
    out = Collected(path, report)
    walker = Walker(out, folder=path.parent)
    base = Context(crs=options.crs)
    model_crs = None
    options.report_progress(0.0, "reading city objects")
    n = 0
    with gc_paused(), open(path, "rb") as fh:
        for kind, el in members(path, fh):
            if kind == "envelope":
                name, dim = envelope_crs(el)
                if name:
                    model_crs = name
                    base = base._replace(crs=name, dim=dim or base.dim)
                    parsed = walker._crs(name)
                    if parsed:
                        out.crs_id(parsed)
            elif kind == "appearance":
                walker.appearance(el)
            else:
                walker.member(el, base)
                n += 1
                if n % PROGRESS_EVERY == 0:
                    options.report_progress(0.5 * min(fh.tell() or 0, size) / size, "reading city objects")
    _notes(walker, report, version)
    if not out.ids:
        raise InputError(path, "the file has no city objects (no cityObjectMember with a city object)")
    flat = out.finish()
    report.detected["surfaces"] = surface_counts(out, flat)
    vertices, crs = out.vertices()
    if crs is None:
        if walker.bad_srs:
            name, why = next(iter(walker.bad_srs.items()))
            raise InputError(path, f"srsName {name!r} names no known CRS ({why}); give it with --crs EPSG:NNNN")
        raise InputError(path, "the file declares no CRS (no srsName on its geometries or envelopes): "
                               "give it with --crs EPSG:NNNN")
    report.detected["crs"] = f"{crs} (from {model_crs or 'srsName'})" if model_crs or not options.crs \
        else f"{crs} (from --crs)"
    if srs.latitude_first(crs):
        report.detected["axis order"] = "latitude, longitude (as the CRS defines it)"
    return build_layers(path, out, flat, vertices, crs=crs, version=version, fmt="CityGML", report=report,
                        progress=options.report_progress)


def surface_counts(out: Collected, flat) -> dict[str, dict[str, int]]:
    """Surfaces per LoD and semantic type: {"2": {"RoofSurface": 279, "WallSurface": 370, ...}}."""
    lod = np.asarray(out.geom_lod, dtype=object)[flat.owner] if len(flat.owner) else np.empty(0, object)
    counts: dict[str, dict[str, int]] = {}
    for (name, code), n in Counter(zip(lod.tolist(), flat.value.astype(np.int64).tolist())).items():
        counts.setdefault(name, {})[SURFACE_NAMES.get(code, "Unclassified")] = n
    return {k: dict(sorted(v.items(), key=lambda kv: -kv[1])) for k, v in sorted(counts.items())}


def _notes(walker: Walker, report: ImportReport, version: str) -> None:
    if walker.ade:
        report.detected["ADE elements skipped"] = dict(walker.ade.most_common())
        total = sum(walker.ade.values())
        names = ", ".join(walker.ade)
        report.note(f"{total} Application Domain Extension element(s) ({names}) were skipped")
    if walker.missing_images:
        shown = ", ".join(sorted(walker.missing_images)[:5])
        report.note(f"{len(walker.missing_images)} texture image(s) not found next to the file ({shown}); "
                    f"appearances are not imported")
    elif walker.images:
        report.note(f"{len(walker.images)} texture image(s) referenced; appearances are not imported")
    for crs in walker.kept_order:
        report.note(f"coordinates in {crs} are written longitude first although the CRS says latitude "
                    f"first; they were read as longitude, latitude")
    for name, why in walker.bad_srs.items():
        report.note(f"srsName {name!r} was not understood ({why})")
