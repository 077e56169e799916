"""Camera state: captured from and restored to any ``pyvista.BasePlotter``, kept in the project CRS.

A scene draws everything relative to a local origin (:mod:`twin.scene.origin`) that moves when layers
are added, so a saved view keeps its camera in project coordinates and is converted on the way in and
out. Orientation is also described as compass azimuth, elevation and roll, which is what a flight
interpolates (the horizon stays level; a top view keeps its north).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from twin.scene.camera import CameraPose
from twin.scene.origin import LocalOrigin

#: elevations closer than this to +-90 degrees are straight up or down: the azimuth comes from the view-up
VERTICAL_EPSILON = 1e-6


def to_project(pose: CameraPose, origin: LocalOrigin) -> CameraPose:
    """A pose in local scene coordinates -> the same pose in the project CRS."""
    shift = origin.xyz
    return dataclasses.replace(pose, position=_tuple(np.add(pose.position, shift)),
                               focal_point=_tuple(np.add(pose.focal_point, shift)))


def to_local(pose: CameraPose, origin: LocalOrigin) -> CameraPose:
    """A pose in the project CRS -> local scene coordinates."""
    shift = origin.xyz
    return dataclasses.replace(pose, position=_tuple(np.subtract(pose.position, shift)),
                               focal_point=_tuple(np.subtract(pose.focal_point, shift)))


def capture_camera(plotter, origin: LocalOrigin) -> CameraPose:
    """The camera of ``plotter`` (a ``pyvista.BasePlotter``) as a pose in the project CRS."""
    return to_project(CameraPose.of(plotter.renderer.GetActiveCamera()), origin)


def restore_camera(plotter, pose: CameraPose, origin: LocalOrigin) -> None:
    """Point ``plotter``'s camera at ``pose`` (project CRS); the near/far planes follow the scene."""
    renderer = plotter.renderer
    renderer.camera_set = True  # pyvista must not reset it at the first render
    to_local(pose, origin).apply(renderer.GetActiveCamera())
    renderer.ResetCameraClippingRange()


def pose_to_dict(pose: CameraPose) -> dict:
    """The JSON form of a pose (lists of floats; ``parallel_scale`` null for a perspective view)."""
    return {"position": list(pose.position), "focal_point": list(pose.focal_point), "view_up": list(pose.view_up),
            "view_angle": pose.view_angle, "parallel_scale": pose.parallel_scale}


def pose_from_dict(data: dict) -> CameraPose:
    """A pose from :func:`pose_to_dict`'s form; ValueError naming the bad field."""
    try:
        position, focal, up = (_vector(data[key], key) for key in ("position", "focal_point", "view_up"))
        angle = float(data.get("view_angle", 30.0))
        scale = data.get("parallel_scale")
        scale = None if scale is None else float(scale)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"camera: missing or bad field ({exc})") from exc
    return checked(CameraPose(position, focal, up, angle, scale))


def checked(pose: CameraPose) -> CameraPose:
    """``pose`` when it can be drawn (finite, camera away from its focal point, view-up not along the view, a
    view angle in (0, 180), a positive parallel scale); ValueError naming the problem otherwise."""
    values = np.array([*pose.position, *pose.focal_point, *pose.view_up, pose.view_angle,
                       pose.parallel_scale if pose.parallel_scale is not None else 1.0])
    if not np.isfinite(values).all():
        raise ValueError("camera: the numbers must be finite")
    back = np.subtract(pose.position, pose.focal_point)
    if np.linalg.norm(back) <= 1e-9:
        raise ValueError("camera: the position equals the focal point")
    up = np.asarray(pose.view_up, dtype=np.float64)
    if np.linalg.norm(np.cross(up, back)) <= 1e-9 * max(np.linalg.norm(up) * np.linalg.norm(back), 1e-300):
        raise ValueError("camera: the view-up vector is zero or along the view direction")
    if not 0.0 < pose.view_angle < 180.0:
        raise ValueError(f"camera: view angle {pose.view_angle} is not between 0 and 180 degrees")
    if pose.parallel_scale is not None and pose.parallel_scale <= 0:
        raise ValueError(f"camera: parallel scale {pose.parallel_scale} must be positive")
    return pose


@dataclasses.dataclass(frozen=True)
class Orientation:
    """Where a camera looks from: compass azimuth of the camera seen from its focal point (degrees,
    0 = north), elevation above the horizon (degrees) and roll of the view-up about the view (degrees)."""

    azimuth: float
    elevation: float
    roll: float = 0.0

    def back(self) -> np.ndarray:
        """Unit vector from the focal point to the camera."""
        az, el = math.radians(self.azimuth), math.radians(self.elevation)
        return np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])

    def up(self) -> np.ndarray:
        """The view-up vector: level (in the vertical plane of the view) turned by the roll."""
        back, level = self.back(), level_up(self.azimuth, self.elevation)
        roll = math.radians(self.roll)
        return level * math.cos(roll) + np.cross(back, level) * math.sin(roll)


def level_up(azimuth: float, elevation: float) -> np.ndarray:
    """The view-up of a camera without roll. Continuous through the zenith: looking straight down from the
    south (azimuth 180), up points north, like a map."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([-math.sin(el) * math.sin(az), -math.sin(el) * math.cos(az), math.cos(el)])


def orientation(pose: CameraPose) -> Orientation:
    """Azimuth, elevation and roll of a pose."""
    back = np.subtract(pose.position, pose.focal_point)
    back = back / np.linalg.norm(back)
    up = np.asarray(pose.view_up, dtype=np.float64)
    up = up - back * float(up @ back)  # VTK keeps view-up orthogonal; a stored one may not be exactly
    up /= np.linalg.norm(up)
    elevation = math.degrees(math.asin(min(max(float(back[2]), -1.0), 1.0)))
    if math.cos(math.radians(elevation)) > VERTICAL_EPSILON:
        azimuth = math.degrees(math.atan2(back[0], back[1]))
    else:  # straight down (or up): the view-up tells the heading
        sign = 1.0 if back[2] > 0 else -1.0
        azimuth = math.degrees(math.atan2(-sign * up[0], -sign * up[1]))
    level = level_up(azimuth, elevation)
    roll = math.degrees(math.atan2(float(np.cross(level, up) @ back), float(level @ up)))
    return Orientation(azimuth % 360.0, elevation, roll)


def pose_from(focal_point, distance: float, turn: Orientation, *, view_angle: float,
              parallel_scale: float | None = None) -> CameraPose:
    """The pose ``distance`` metres from ``focal_point`` in the direction ``turn``."""
    focal = np.asarray(focal_point, dtype=np.float64)
    return CameraPose(_tuple(focal + turn.back() * distance), _tuple(focal), _tuple(turn.up()), float(view_angle),
                      parallel_scale)


def visible_height(pose: CameraPose) -> float:
    """Metres of the scene the view spans vertically at the focal point."""
    if pose.parallel_scale is not None:
        return 2.0 * pose.parallel_scale
    return 2.0 * pose.distance * math.tan(math.radians(pose.view_angle) / 2.0)


def _vector(value, name: str) -> tuple[float, float, float]:
    out = tuple(float(v) for v in value)
    if len(out) != 3:
        raise ValueError(f"camera: {name} needs 3 numbers, not {len(out)}")
    return out


def _tuple(values) -> tuple[float, float, float]:
    return tuple(float(v) for v in values)
