"""Sizes on the screen: glyphs and ribbons that keep a size in pixels at any zoom.

A screen-sized mesh is built once at unit size: every point is an *anchor* (where the feature
stands, or the centreline point of a ribbon) plus a unit *offset*. Before each frame the view's
metres per pixel give the size in metres of each point, ``max(pixels * metres_per_pixel, floor)``,
and the points are moved in place in one numpy step (``anchor + offset * size``), as the moving
objects' arrows do (``twin.render.moving.MovingVisual.set_scale``). ``floor`` keeps a glyph at
least its size in metres, so that an automatic size never shrinks a glyph below what the city
scale gives it and pixels only take over when the view is far out.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

#: ``Style.size_units`` values: fixed metres, fixed pixels, or automatic (metres, never under the pixel minimum)
UNITS = ("m", "px")
#: an automatic glyph is never smaller than this on screen
POINT_PX = 6.0
#: an automatic ribbon is never narrower than this on screen (wide roads up to ``LINE_PX * LINE_PX_SPREAD``)
LINE_PX = 2.5
LINE_PX_SPREAD = (0.75, 1.6)
#: points move again only when the wanted size changed by more than this fraction
RESIZE_STEP = 0.08


@dataclasses.dataclass
class ScreenSize:
    """Anchors and unit offsets of a mesh's points, and the pixel size and metre floor of each point."""

    anchors: np.ndarray  # (n, 3) float64, local
    offsets: np.ndarray  # (n, 3) float64: the point at size 1 m is anchor + offset
    pixels: np.ndarray  # (n,) wanted size on screen
    floor: np.ndarray  # (n,) smallest size in metres
    scale: float | None = None  # metres per pixel of the last resize

    def sizes(self, metres_per_pixel: float) -> np.ndarray:
        """Size in metres of every point at this scale."""
        return np.maximum(self.pixels * float(metres_per_pixel), self.floor)

    def subset(self, points: np.ndarray) -> "ScreenSize":
        """The sizes of some points only (e.g. ``np.unique`` of the faces kept by ``cells_subset``)."""
        return ScreenSize(self.anchors[points], self.offsets[points], self.pixels[points], self.floor[points])

    def resize(self, mesh, metres_per_pixel: float) -> bool:
        """Move ``mesh``'s points to the sizes of this scale; True when they moved (the picture changed)."""
        if not math.isfinite(metres_per_pixel) or metres_per_pixel <= 0 or not len(self.anchors):
            return False
        if self.scale is not None and abs(metres_per_pixel / self.scale - 1.0) < RESIZE_STEP:
            return False
        self.scale = float(metres_per_pixel)
        points = self.anchors + self.offsets * self.sizes(metres_per_pixel)[:, None]
        mesh.points[:] = points.astype(np.float32)
        mesh.GetPoints().Modified()  # the picking index sees the new geometry
        mesh.Modified()
        return True


def split(points: np.ndarray, anchors: np.ndarray, size: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(anchors, unit offsets) of points built at ``size`` metres around ``anchors``."""
    size = np.broadcast_to(np.asarray(size, dtype=np.float64), (len(points),))
    safe = np.where(size > 0, size, 1.0)
    return anchors.astype(np.float64), (points.astype(np.float64) - anchors) / safe[:, None]


def resolve_units(units: str | None, size: float | None) -> str | None:
    """The units a style asks for: ``"m"`` or ``"px"``, or None for automatic (a size given without units is metres)."""
    if units is not None:
        return units
    return "m" if size else None
