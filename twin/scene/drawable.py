"""Features the scene cannot draw are left out and reported, never the end of the whole picture.

A project written before import checks existed (or by another tool) may hold ``POINT (inf inf)`` or
a bow-tie polygon on which GEOS's triangulation fails ("Unable to find a convex corner"). The scene
drops such features, logs one warning line per layer with the count and the first fids
(``twin render`` prints it on stderr), and draws the rest.
"""

from __future__ import annotations

import logging

import numpy as np
import shapely
from shapely.errors import GEOSException

from twin.geometry.validity import finite_rows, repair_polygons

log = logging.getLogger("twin.scene")


def report_not_drawn(layer: str, fids: np.ndarray, reason: str) -> None:
    """One warning line: how many features of ``layer`` are not drawn, why, and the first fids."""
    fids = np.unique(np.asarray(fids, dtype=np.int64))
    if not len(fids):
        return
    shown = ", ".join(map(str, fids[:10].tolist())) + (", ..." if len(fids) > 10 else "")
    log.warning("layer %r: %d feature(s) not drawn: %s (fid %s)", layer, len(fids), reason, shown)


def finite_only(layer: str, geoms: np.ndarray, fids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geometries (and their fids) whose coordinates are all finite; the others are reported."""
    ok = finite_rows(geoms)
    if ok.all():
        return geoms, fids
    report_not_drawn(layer, fids[~ok], "coordinates are infinite or NaN")
    return geoms[ok], fids[ok]


def drawable_polygons(layer: str, parts: np.ndarray,
                      fids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Polygon ``parts`` that can be drawn, their fids, their constrained Delaunay triangles and the part of each.

    Invalid polygons are made valid first (all at once; a bow-tie becomes its two lobes); when GEOS
    still fails, the failing polygons are found by halving the array (a few calls, no loop per polygon)
    and left out with a warning, as are polygons with no area left.
    """
    fixed, repaired, failed = repair_polygons(parts)
    if failed.any():
        report_not_drawn(layer, fids[failed], "invalid polygons with no area left after make_valid")
    if repaired.any() or failed.any():
        fixed, index = shapely.get_parts(fixed[~failed], return_index=True)
        fids = fids[~failed][index]
        polygon = shapely.get_type_id(fixed) == 3
        fixed, fids = fixed[polygon], fids[polygon]
    try:
        whole = shapely.constrained_delaunay_triangles(fixed)
    except GEOSException:
        whole = np.full(len(fixed), None, dtype=object)
        keep = np.ones(len(fixed), dtype=bool)
        errors: list[str] = []
        _halve(fixed, np.arange(len(fixed)), whole, keep, errors)
        report_not_drawn(layer, fids[~keep], f"GEOS cannot triangulate them ({errors[0]})")
        fixed, fids, whole = fixed[keep], fids[keep], whole[keep]
    triangles, tri_index = shapely.get_parts(whole, return_index=True)
    return fixed, fids, triangles, tri_index


def _halve(parts: np.ndarray, index: np.ndarray, out: np.ndarray, keep: np.ndarray, errors: list[str]) -> None:
    try:
        out[index] = shapely.constrained_delaunay_triangles(parts[index])
    except GEOSException as exc:
        if len(index) == 1:
            keep[index] = False
            errors.append(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            return
        mid = len(index) // 2
        _halve(parts, index[:mid], out, keep, errors)
        _halve(parts, index[mid:], out, keep, errors)
