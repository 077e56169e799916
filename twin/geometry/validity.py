"""Geometry checks done once per import, vectorised: finite coordinates, places on the globe, repair.

A point at lon 500, lat 900 reprojects to ``inf``; a bow-tie polygon makes GEOS's triangulation
fail later. These functions find such features in whole shapely arrays (no Python loop per
feature) so the writer can skip or repair them and say so in the import report.
"""

from __future__ import annotations

import numpy as np
import shapely

POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def finite_rows(geometries: np.ndarray) -> np.ndarray:
    """True for each geometry whose x/y (and z when present) are all finite; missing geometries are True."""
    n = len(geometries)
    ok = np.ones(n, dtype=bool)
    if n == 0:
        return ok
    coords, index = shapely.get_coordinates(geometries, include_z=True, return_index=True)
    xy_bad = ~np.isfinite(coords[:, :2]).all(axis=1)
    has_z = shapely.has_z(geometries)
    z_bad = np.isinf(coords[:, 2]) | (np.isnan(coords[:, 2]) & has_z[index])
    ok[index[xy_bad | z_bad]] = False
    return ok


def lonlat_rows(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) is a place on the globe: finite, -180..180 and -90..90 degrees."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)


def repair_polygons(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Invalid polygons repaired with ``shapely.make_valid`` (the "structure" method: areas stay areas).

    Returns (geometries, repaired, unrepairable): a bow-tie becomes a MultiPolygon of its two lobes
    (``repaired``); a ring without area (all points on a line) has nothing left (``unrepairable``).
    Non-polygonal and valid geometries are returned as they are.
    """
    n = len(geometries)
    repaired = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    if n == 0:
        return geometries, repaired, failed
    polygonal = np.isin(shapely.get_type_id(geometries), POLYGONAL)
    invalid = np.flatnonzero(polygonal & ~shapely.is_valid(geometries))
    if not len(invalid):
        return geometries, repaired, failed
    out = geometries.copy()
    fixed = shapely.make_valid(geometries[invalid], method="structure", keep_collapsed=False)
    empty = shapely.is_empty(fixed) | shapely.is_missing(fixed)
    out[invalid] = fixed
    repaired[invalid[~empty]] = True
    failed[invalid[empty]] = True
    return out, repaired, failed
