"""Is this data in the same part of the world as the project? (issue 11: one city per project)

Data from another country imported into a project is reprojected into a CRS made for somewhere else and
lands thousands of kilometres from the rest: every picture is then empty. Before writing, the import
service compares the centre of the incoming data with the project:

- outside the project CRS's area of use (pyproj ``area_of_use``) widened by :data:`MARGIN_DEGREES` on
  every side, or
- more than :data:`MAX_DISTANCE_KM` (geodesic) from the extent of the project's layers

refuses the file with one line naming it and both places; ``--force`` imports it anyway. Busan into a
Seoul project (EPSG:5186 covers 126-128°E; Busan is at 129°E, 325 km away) is accepted.

The centre is the median of the features' bounding-box centres, so one impossible coordinate (a typo
the importer kept) cannot move it; coordinates impossible in themselves are the importers' and the
writer's to skip per feature, never a reason to refuse a file.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

from twin.crs import horizontal, transform_xy
from twin.errors import InputError
from twin.layerdata import LayerData

MARGIN_DEGREES = 5.0
MAX_DISTANCE_KM = 1000.0


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where incoming data lies compared with a project."""

    lon: float
    lat: float
    inside_area: bool | None  # None: the project CRS declares no area of use
    distance_km: float | None  # None: the project has no extent yet
    area: tuple[float, float, float, float] | None  # west, south, east, north (degrees), not widened

    @property
    def refused(self) -> bool:
        return self.inside_area is False or (self.distance_km is not None and self.distance_km > MAX_DISTANCE_KM)


def data_centre(datas: Iterable[LayerData]) -> tuple[float, float] | None:
    """Longitude/latitude of the median of the feature centres of ``datas`` (None: no coordinates)."""
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    for data in datas:
        if not data.crs:
            continue
        x, y = _centres(data)
        keep = np.isfinite(x) & np.isfinite(y)
        if not keep.any():
            continue
        lon, lat = transform_xy(x[keep], y[keep], data.crs, "EPSG:4326")
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        lons.append(lon[ok])
        lats.append(lat[ok])
    lon_all = np.concatenate(lons) if lons else np.empty(0)
    if lon_all.size == 0:
        return None
    return float(np.median(lon_all)), float(np.median(np.concatenate(lats)))


def place(lon: float, lat: float, project_crs: str,
          extent: Sequence[float] | None) -> Placement:
    """Compare a lon/lat centre with the area of use of ``project_crs`` and the project's ``extent``
    (xmin, ymin, xmax, ymax in the project CRS; None when the project holds no layer yet)."""
    area = _area_of_use(project_crs)
    inside = None
    if area is not None:
        west, south, east, north = area
        m = MARGIN_DEGREES
        inside = (south - m <= lat <= north + m) and _within_longitudes(lon, west - m, east + m)
    distance = None
    if extent is not None and inside is not False:
        distance = _distance_to_extent_km(lon, lat, project_crs, extent)
    return Placement(lon, lat, inside, distance, area)


def check_placement(path: object, datas: Sequence[LayerData], project_crs: str | None,
                    extent: Sequence[float] | None, *, force: bool = False) -> Placement | None:
    """Raise :class:`InputError` naming ``path`` when ``datas`` lie far from the project (see the module
    docstring); ``force`` skips the check. Returns the placement (None: nothing to compare)."""
    if force or not project_crs:
        return None
    centre = data_centre(datas)
    if centre is None:
        return None
    placement = place(*centre, project_crs, extent)
    if placement.refused:
        raise InputError(path, describe_refusal(placement, project_crs))
    return placement


def describe_refusal(placement: Placement, project_crs: str) -> str:
    """The reason of a refusal, in one line."""
    where = f"the data lies around {_lonlat(placement.lon, placement.lat)}"
    name = horizontal(project_crs).name
    if placement.inside_area is False and placement.area is not None:
        west, south, east, north = placement.area
        why = (f"outside the area of the project CRS {project_crs} ({name}: {_lon(west)} to {_lon(east)}, "
               f"{_lat(south)} to {_lat(north)}, widened by {MARGIN_DEGREES:g}°)")
    else:
        why = f"{placement.distance_km:,.0f} km from the project's layers (more than {MAX_DISTANCE_KM:,.0f} km)"
    return (f"{where}, {why}: it would be drawn far from the rest of the project. Import it into a project "
            f"of its own, or give --force to import it anyway")


def project_extent(layers: Iterable) -> tuple[float, float, float, float] | None:
    """Union of the bounding boxes of catalogue entries (``LayerInfo.bbox``), or None."""
    boxes = np.array([layer.bbox for layer in layers if getattr(layer, "bbox", None)], dtype=float)
    boxes = boxes[np.isfinite(boxes).all(axis=1)] if boxes.size else boxes
    if boxes.size == 0:
        return None
    return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()), float(boxes[:, 3].max()))


# ----- helpers -----------------------------------------------------------------------------------
def _centres(data: LayerData) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the features' bounding boxes (or of mesh vertices / track samples), in ``data.crs``."""
    if "geometry" in data.features.column_names and data.features.num_rows:
        x, y = _geometry_centres(data.features.column("geometry").combine_chunks())
        if x.size:
            return x, y
    if data.mesh is not None and len(data.mesh.vertices):
        return np.asarray(data.mesh.vertices[:, 0], float), np.asarray(data.mesh.vertices[:, 1], float)
    for suffix, (xcol, ycol) in data.table_xy.items():
        table = data.tables[suffix]
        return (np.asarray(table.column(xcol).to_numpy(zero_copy_only=False), dtype=float),
                np.asarray(table.column(ycol).to_numpy(zero_copy_only=False), dtype=float))
    return np.empty(0), np.empty(0)


def _geometry_centres(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    import shapely

    from twin.store.writer import point_xy_from_wkb

    points = point_xy_from_wkb(column)
    if points is not None:
        return points.x, points.y
    geoms = shapely.from_wkb(column.to_numpy(zero_copy_only=False))
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    bounds = shapely.bounds(geoms)
    return (bounds[:, 0] + bounds[:, 2]) / 2.0, (bounds[:, 1] + bounds[:, 3]) / 2.0


def _area_of_use(crs: str) -> tuple[float, float, float, float] | None:
    area = horizontal(crs).area_of_use
    if area is None:
        return None
    return (area.west, area.south, area.east, area.north)


def _within_longitudes(lon: float, west: float, east: float) -> bool:
    if east - west >= 360.0:
        return True
    span = (east - west) % 360.0  # an area across the antimeridian has west > east
    return (lon - west) % 360.0 <= span


def _distance_to_extent_km(lon: float, lat: float, crs: str, extent: Sequence[float]) -> float | None:
    import pyproj

    x, y = transform_xy(np.array([lon]), np.array([lat]), "EPSG:4326", crs)
    if not (np.isfinite(x[0]) and np.isfinite(y[0])):
        return math.inf
    xmin, ymin, xmax, ymax = extent
    nx, ny = min(max(x[0], xmin), xmax), min(max(y[0], ymin), ymax)  # nearest point of the extent
    nlon, nlat = transform_xy(np.array([nx]), np.array([ny]), crs, "EPSG:4326")
    _, _, metres = pyproj.Geod(ellps="WGS84").inv(lon, lat, float(nlon[0]), float(nlat[0]))
    return abs(metres) / 1000.0


def _lon(value: float) -> str:
    return f"{abs(value):.2f}°{'E' if value >= 0 else 'W'}"


def _lat(value: float) -> str:
    return f"{abs(value):.2f}°{'N' if value >= 0 else 'S'}"


def _lonlat(lon: float, lat: float) -> str:
    return f"{_lon(lon)}, {_lat(lat)}"
