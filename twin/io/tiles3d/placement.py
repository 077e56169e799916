"""Where a tileset stands on the Earth: project coordinates -> ECEF (EPSG:4978) -> a local east-north-up frame.

Every vertex is reprojected with pyproj from the project CRS (its z taken as the height above the
ellipsoid: no geoid grid is fetched offline, see docs/export.md) to geocentric ECEF, in float64. The
tileset's root ``transform`` is the east-north-up frame at the centre of the exported layers, so the
vertices written to the glTF files are small local offsets (metres from the centre) that float32 holds
to well under a millimetre, and the curvature of the Earth is kept exactly (no flat-earth offset).

glTF is y-up; 3D Tiles 1.1 turns glTF content to z-up by a rotation of +90 degrees about x. A local
east-north-up point ``(e, n, u)`` is therefore written to glTF as ``(e, u, -n)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyproj

from twin.crs import horizontal


@dataclasses.dataclass(frozen=True)
class EnuFrame:
    """An east-north-up frame: its origin in ECEF (metres) and its rotation (columns: east, north, up)."""

    origin: np.ndarray  # (3,) float64
    rotation: np.ndarray  # (3, 3) float64

    def transform(self) -> list[float]:
        """The 4x4 local-to-ECEF matrix in column-major order, as a tileset ``transform``."""
        matrix = np.eye(4)
        matrix[:3, :3] = self.rotation
        matrix[:3, 3] = self.origin
        return [float(v) for v in matrix.T.ravel()]

    def to_local(self, ecef: np.ndarray) -> np.ndarray:
        """ECEF points (n, 3) -> east, north, up (n, 3) float64 in this frame."""
        return (np.asarray(ecef, dtype=np.float64) - self.origin) @ self.rotation


def enu_frame(lon_deg: float, lat_deg: float, height: float = 0.0) -> EnuFrame:
    """The east-north-up frame at a geodetic point of the WGS 84 ellipsoid."""
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    origin = geodetic_to_ecef(np.array([[lon_deg, lat_deg, height]]))[0]
    return EnuFrame(origin=origin, rotation=np.column_stack([east, north, up]))


def geodetic_to_ecef(lonlath: np.ndarray) -> np.ndarray:
    """WGS 84 longitude, latitude (degrees) and ellipsoidal height (n, 3) -> ECEF (n, 3)."""
    tr = _transformer("EPSG:4979")
    x, y, z = tr.transform(lonlath[:, 0], lonlath[:, 1], lonlath[:, 2])
    return np.column_stack([x, y, z])


def project_to_ecef(xyz: np.ndarray, crs: str) -> np.ndarray:
    """Project coordinates (n, 3), z the ellipsoidal height, -> ECEF (n, 3) float64."""
    xyz = np.asarray(xyz, dtype=np.float64)
    tr = _transformer(horizontal(crs).to_3d().to_wkt())
    x, y, z = tr.transform(xyz[:, 0], xyz[:, 1], np.nan_to_num(xyz[:, 2]))
    out = np.column_stack([x, y, z])
    if not np.isfinite(out).all():
        raise ValueError(f"some coordinates cannot be placed on the Earth from {crs}")
    return out


def project_to_lonlat(xy: np.ndarray, crs: str) -> np.ndarray:
    """Project x, y (n, 2) -> longitude, latitude (n, 2) in degrees."""
    tr = pyproj.Transformer.from_crs(horizontal(crs), "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(np.asarray(xy)[:, 0], np.asarray(xy)[:, 1])
    return np.column_stack([lon, lat])


def frame_for(xyz_min: np.ndarray, xyz_max: np.ndarray, crs: str) -> EnuFrame:
    """The east-north-up frame at the centre of a bounding box given in the project CRS (ground at its lowest z)."""
    centre = (np.asarray(xyz_min, dtype=np.float64) + np.asarray(xyz_max, dtype=np.float64)) / 2.0
    lon, lat = project_to_lonlat(centre[None, :2], crs)[0]
    return enu_frame(float(lon), float(lat), float(xyz_min[2]))


def enu_to_gltf(enu: np.ndarray) -> np.ndarray:
    """East, north, up (n, 3) -> glTF's y-up axes ``(e, u, -n)`` (float64; cast at write time)."""
    enu = np.asarray(enu)
    return np.column_stack([enu[:, 0], enu[:, 2], -enu[:, 1]])


def _transformer(source: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, "EPSG:4978", always_xy=True)
