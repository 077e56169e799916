"""Camera presets (iso, top, fit to a layer or a feature) and the scale at the focal point.

A pose is computed exactly from the corners of the box to show: for the chosen view direction,
the camera backs off until every corner is inside the view frustum. Poses are plain numbers in
local coordinates, applied to any VTK/pyvista camera.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

#: the default view: from the south-south-west, 38 degrees above the horizon
ISO_AZIMUTH = 200.0
ISO_ELEVATION = 38.0
VIEW_ANGLE = 30.0
PRESETS = ("iso", "top", "north", "south", "east", "west")


@dataclasses.dataclass(frozen=True)
class CameraPose:
    """Position, focal point and view-up vector in local coordinates, and the vertical view angle.

    ``parallel_scale`` (half the visible height in metres) makes it an orthographic view (the top preset).
    """

    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    view_angle: float = VIEW_ANGLE
    parallel_scale: float | None = None

    def apply(self, camera) -> None:
        """Set a ``vtkCamera`` (``plotter.camera``) to this pose."""
        camera.SetPosition(*self.position)
        camera.SetFocalPoint(*self.focal_point)
        camera.SetViewUp(*self.view_up)
        camera.SetViewAngle(self.view_angle)
        camera.SetParallelProjection(self.parallel_scale is not None)
        if self.parallel_scale is not None:
            camera.SetParallelScale(self.parallel_scale)

    @classmethod
    def of(cls, camera) -> "CameraPose":
        """The pose of a ``vtkCamera``."""
        scale = camera.GetParallelScale() if camera.GetParallelProjection() else None
        return cls(tuple(camera.GetPosition()), tuple(camera.GetFocalPoint()), tuple(camera.GetViewUp()),
                   camera.GetViewAngle(), scale)

    def metres_per_pixel(self, height_px: int) -> float:
        """Metres per screen pixel at the focal point."""
        if self.parallel_scale is not None:
            return 2.0 * self.parallel_scale / max(height_px, 1)
        return 2.0 * self.distance * math.tan(math.radians(self.view_angle) / 2.0) / max(height_px, 1)

    def panned(self, dx_px: float, dy_px: float, height_px: int) -> "CameraPose":
        """The pose moved sideways so that the scene shifts by (-dx, -dy) pixels on screen."""
        back = np.subtract(self.position, self.focal_point)
        up = np.asarray(self.view_up, dtype=np.float64)
        right = np.cross(up, back)
        right /= np.linalg.norm(right)
        shift = (right * dx_px + up * dy_px) * self.metres_per_pixel(height_px)
        return dataclasses.replace(self, position=tuple(np.add(self.position, shift)),
                                   focal_point=tuple(np.add(self.focal_point, shift)))

    @property
    def distance(self) -> float:
        return float(np.linalg.norm(np.subtract(self.position, self.focal_point)))


def direction(azimuth: float, elevation: float) -> np.ndarray:
    """Unit vector from the focal point to the camera: ``azimuth`` compass degrees, ``elevation`` above the horizon."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])


def preset_direction(name: str) -> tuple[float, float]:
    """(azimuth, elevation) of a named preset."""
    table = {
        "iso": (ISO_AZIMUTH, ISO_ELEVATION),
        "top": (180.0, 90.0),
        "south": (180.0, 30.0),
        "north": (0.0, 30.0),
        "east": (90.0, 30.0),
        "west": (270.0, 30.0),
    }
    if name not in table:
        raise ValueError(f"unknown camera preset {name!r} (known: {', '.join(PRESETS)})")
    return table[name]


def fit_pose(
    bounds: tuple[float, float, float, float, float, float] | np.ndarray,
    *,
    azimuth: float = ISO_AZIMUTH,
    elevation: float = ISO_ELEVATION,
    aspect: float = 1.6,
    view_angle: float = VIEW_ANGLE,
    margin: float = 1.05,
    min_size: float = 20.0,
) -> CameraPose:
    """The pose that shows the whole box ``(xmin, xmax, ymin, ymax, zmin, zmax)`` from a direction.

    ``aspect`` is the window's width / height; ``margin`` > 1 leaves room around the box; boxes
    smaller than ``min_size`` metres are grown to it (one small building still gets some context).
    """
    aspect = max(float(aspect), 0.1)  # a window not laid out yet has no width
    b = np.asarray(bounds, dtype=np.float64).reshape(3, 2)
    centre = b.mean(axis=1)
    half = np.maximum((b[:, 1] - b[:, 0]) / 2.0, [min_size / 2.0, min_size / 2.0, 0.0])
    corners = centre + half * np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    back = direction(azimuth, elevation)
    up = np.array([0.0, 1.0, 0.0]) if elevation >= 89.9 else np.array([0.0, 0.0, 1.0])
    right = np.cross(up, back)
    right /= np.linalg.norm(right)
    true_up = np.cross(back, right)
    tan_v = math.tan(math.radians(view_angle) / 2.0)
    tan_h = tan_v * aspect
    rel = corners - centre
    x, y, z = rel @ right, rel @ true_up, rel @ back
    distance = float(np.max(np.maximum(z + np.abs(x) * margin / tan_h, z + np.abs(y) * margin / tan_v)))
    distance = max(distance, 1.0)
    scale = None
    if elevation >= 89.9:  # straight down: orthographic, like a map
        scale = float(max(np.abs(y).max(), np.abs(x).max() / aspect) * margin)
    return CameraPose(tuple(centre + back * distance), tuple(centre), tuple(true_up), view_angle, scale)


def preset_pose(name: str, bounds, *, aspect: float = 1.6, margin: float = 1.05) -> CameraPose:
    """A named preset (``iso``, ``top``, ``north``...) fitted to ``bounds``."""
    azimuth, elevation = preset_direction(name)
    return fit_pose(bounds, azimuth=azimuth, elevation=elevation, aspect=aspect, margin=margin)


def nice_length(target: float) -> float:
    """The round length (1, 2 or 5 times a power of ten) nearest to ``target`` metres (on a log scale)."""
    if target <= 0 or not math.isfinite(target):
        return 1.0
    power = 10.0 ** math.floor(math.log10(target))
    candidates = [step * power for step in (1.0, 2.0, 5.0, 10.0)]
    return min(candidates, key=lambda c: abs(math.log(c / target)))


def format_length(metres: float) -> str:
    """``"100 m"``, ``"2 km"``."""
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
