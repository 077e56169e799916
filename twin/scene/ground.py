"""The ground under the scene: a plane around the data and a faint grid aligned to the project CRS.

The grid spacing is a round length (a tenth of the scene or so) and its lines fall on round
project coordinates (multiples of the spacing in the project CRS, not in local coordinates), so
the grid reads as a map grid as well as a sense of scale.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.scene.camera import nice_length
from twin.scene.meshes import polyline_cells
from twin.scene.origin import LocalOrigin

#: the ground reaches this many scene sizes beyond the data on each side
GROUND_MARGIN = 1.0
MIN_MARGIN = 300.0
#: the plane lies just below z = 0 so that building bases and ribbons are drawn over it
GROUND_Z = -0.05


def ground_extent(bounds: tuple[float, ...]) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of the ground for the local bounds of the scene."""
    x0, x1, y0, y1 = bounds[:4]
    margin = max(GROUND_MARGIN * max(x1 - x0, y1 - y0), MIN_MARGIN)
    return x0 - margin, x1 + margin, y0 - margin, y1 + margin


def ground_plane(bounds: tuple[float, ...]) -> pv.PolyData:
    """One quad under the scene."""
    x0, x1, y0, y1 = ground_extent(bounds)
    return pv.Plane(center=((x0 + x1) / 2, (y0 + y1) / 2, GROUND_Z), direction=(0, 0, 1),
                    i_size=x1 - x0, j_size=y1 - y0, i_resolution=1, j_resolution=1)


def grid_spacing(bounds: tuple[float, ...]) -> float:
    """A round grid spacing: about a tenth of the scene's larger side."""
    return nice_length(max(bounds[1] - bounds[0], bounds[3] - bounds[2], 10.0) / 10.0)


def ground_grid(bounds: tuple[float, ...], origin: LocalOrigin) -> tuple[pv.PolyData, float]:
    """Grid lines over the ground on round project coordinates, and their spacing in metres."""
    spacing = grid_spacing(bounds)
    x0, x1, y0, y1 = ground_extent(bounds)
    xs = np.arange(np.ceil((x0 + origin.x) / spacing), np.floor((x1 + origin.x) / spacing) + 1) * spacing - origin.x
    ys = np.arange(np.ceil((y0 + origin.y) / spacing), np.floor((y1 + origin.y) / spacing) + 1) * spacing - origin.y
    starts = np.concatenate([np.column_stack([xs, np.full_like(xs, y0)]), np.column_stack([np.full_like(ys, x0), ys])])
    ends = np.concatenate([np.column_stack([xs, np.full_like(xs, y1)]), np.column_stack([np.full_like(ys, x1), ys])])
    points = np.zeros((2 * len(starts), 3), dtype=np.float32)
    points[0::2, :2], points[1::2, :2] = starts, ends
    points[:, 2] = GROUND_Z
    count = len(starts)
    lines = polyline_cells(np.full(count, 2), np.arange(count) * 2)
    return pv.PolyData(points, lines=lines), spacing
