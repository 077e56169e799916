"""A smooth camera flight from one pose to another.

Position: the focal point moves along the straight line between the two focal points while the view
zooms out and in along van Wijk and Nuij's optimal path ("Smooth and efficient zooming and panning",
IEEE InfoVis 2003; the same path as d3's ``interpolateZoom``): far apart close-ups rise to show both
places on the way instead of sliding across the city at street level. Progress along the path is
eased (slow start, slow arrival). Orientation: azimuth (the short way round), elevation and roll are
interpolated with the same eased progress, so the horizon stays level. A flight to or from an
orthographic (top) view flies in perspective with the same scale at the focal point and becomes
orthographic on arrival.
"""

from __future__ import annotations

import math

import numpy as np

from twin.present.camera import Orientation, orientation, pose_from, visible_height
from twin.scene.camera import CameraPose

#: van Wijk and Nuij's trade-off between zooming and panning (their user study: about 1.4; d3 uses sqrt 2)
RHO = math.sqrt(2.0)


def ease(t: float) -> float:
    """Smoothstep: 0 at 0, 1 at 1, zero speed at both ends, monotone in between."""
    t = min(max(float(t), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def turn_angle(a: float, b: float, t: float) -> float:
    """The angle ``t`` of the way from ``a`` to ``b`` degrees, the short way round."""
    return a + ((b - a + 180.0) % 360.0 - 180.0) * t


class Flight:
    """The camera on its way from ``start`` to ``end`` (poses in the same coordinates): :meth:`at`."""

    def __init__(self, start: CameraPose, end: CameraPose, *, rho: float = RHO) -> None:
        self.start, self.end, self.rho = start, end, rho
        self._f0 = np.asarray(start.focal_point, dtype=np.float64)
        offset = np.asarray(end.focal_point, dtype=np.float64) - self._f0
        self.distance = float(np.linalg.norm(offset))
        self._dir = offset / self.distance if self.distance > 0 else np.zeros(3)
        self._w0, self._w1 = visible_height(start), visible_height(end)
        self._o0, self._o1 = orientation(start), orientation(end)
        self._parallel = start.parallel_scale is not None and end.parallel_scale is not None
        w0, w1, u1, r = self._w0, self._w1, self.distance, rho
        # self.length is S of the paper: the path length in units of view widths (equal S feels equally long)
        if u1 < 1e-9 * max(w0, w1):  # (almost) no panning: zoom exponentially
            self._straight = True
            self.length = abs(math.log(w1 / w0)) / r
        else:
            self._straight = False
            b0 = (w1 * w1 - w0 * w0 + r ** 4 * u1 * u1) / (2.0 * w0 * r * r * u1)
            b1 = (w1 * w1 - w0 * w0 - r ** 4 * u1 * u1) / (2.0 * w1 * r * r * u1)
            self._r0 = -math.asinh(b0)  # ln(-b + sqrt(b^2 + 1)), without its cancellation for large b
            self.length = (-math.asinh(b1) - self._r0) / r

    def zoom_pan(self, progress: float) -> tuple[float, float]:
        """(metres the focal point moved, visible height in metres) at ``progress`` 0..1 of the path (not eased)."""
        p = min(max(float(progress), 0.0), 1.0)
        w0, r, s = self._w0, self.rho, p * self.length
        if self._straight:
            if self.length == 0.0:
                return self.distance * p, w0
            return self.distance * p, w0 * math.exp(math.copysign(r * s, self._w1 - w0))
        r0 = self._r0
        u = w0 / (r * r) * (math.cosh(r0) * math.tanh(r * s + r0) - math.sinh(r0))
        w = w0 * math.cosh(r0) / math.cosh(r * s + r0)
        return u, w

    def at(self, fraction: float) -> CameraPose:
        """The pose at ``fraction`` 0..1 of the flight's time (eased): exactly ``start`` at 0 and ``end`` at 1."""
        if fraction <= 0.0:
            return self.start
        if fraction >= 1.0:
            return self.end
        e = ease(fraction)
        moved, height = self.zoom_pan(e)
        focal = self._f0 + self._dir * moved
        angle = self.start.view_angle + (self.end.view_angle - self.start.view_angle) * e
        o0, o1 = self._o0, self._o1
        turn = Orientation(turn_angle(o0.azimuth, o1.azimuth, e), o0.elevation + (o1.elevation - o0.elevation) * e,
                           turn_angle(o0.roll, o1.roll, e))
        if self._parallel:  # both orthographic: stay orthographic; the distance only keeps the camera clear
            d0, d1 = self.start.distance, self.end.distance
            distance = d0 * (d1 / d0) ** e
            return pose_from(focal, distance, turn, view_angle=angle, parallel_scale=height / 2.0)
        distance = height / (2.0 * math.tan(math.radians(angle) / 2.0))
        return pose_from(focal, distance, turn, view_angle=angle)
