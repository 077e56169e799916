"""Which tiles a camera sees and at what level of detail, and the merged blocks that stand for far tiles.

All of it is numpy over every tile (or every feature) at once: no Python loop per tile on the frame path.

- :func:`frustum_planes` / :func:`in_frustum`: the camera's six planes, and which tile boxes touch the frustum;
- :func:`choose_levels`: per tile, ``FULL`` (its mesh rows) when its buildings are :data:`FULL_PX` pixels apart
  on screen, else the finest block grid whose cells are at least :data:`CELL_PX` pixels; the nearest full
  tiles only, up to a triangle budget;
- :class:`Blocks`: per tile, the buildings grouped on a G x G grid, each group drawn as one box (the union of
  its footprints shrunk to their total area, as high as their mean height): ``G = 16, 8, 2``;
- :func:`box_mesh`: boxes as one triangle mesh (roof and four walls) with ``fid`` and ``surface`` cells.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from twin.layerdata import SURFACE_CODES

#: a tile is drawn from its own mesh rows when its buildings lie this many pixels apart on screen
FULL_PX = 6.0
#: a block grid is used for a tile when its cells are at least this many pixels on screen
CELL_PX = 4.0
#: block grids per tile side, finest first (level 1, 2, 3; level 0 is the full mesh)
BLOCK_GRIDS = (16, 8, 2)  # each grid's cells are unions of the finer grid's cells
FULL = 0
CULLED = -1

_BOX_TRIANGLES = np.array([[4, 5, 6], [4, 6, 7]]  # roof (corners 4-7 on top)
                          + [[i, (i + 1) % 4, (i + 1) % 4 + 4] for i in range(4)]
                          + [[i, (i + 1) % 4 + 4, i + 4] for i in range(4)], dtype=np.int64)
_BOX_SURFACES = np.array([SURFACE_CODES["RoofSurface"]] * 2 + [SURFACE_CODES["WallSurface"]] * 8, dtype=np.uint8)


def frustum_planes(camera, aspect: float) -> np.ndarray:
    """The (6, 4) planes ``a x + b y + c z + d >= 0`` inside the view of a ``vtkCamera`` (local coordinates)."""
    planes = [0.0] * 24
    camera.GetFrustumPlanes(float(aspect), planes)
    return np.asarray(planes, dtype=np.float64).reshape(6, 4)


def in_frustum(planes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """True for every box (``lo``, ``hi``: (n, 3)) that is not wholly outside one of the planes."""
    inside = np.ones(len(lo), dtype=bool)
    for a, b, c, d in planes:
        normal = np.array([a, b, c])
        corner = np.where(normal > 0, hi, lo)  # the box corner farthest along the plane's normal
        inside &= corner @ normal + d >= 0
    return inside


def box_distance(position: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Distance from a point to every box (0 inside)."""
    nearest = np.clip(position, lo, hi)
    return np.linalg.norm(nearest - position, axis=1)


@dataclasses.dataclass(frozen=True)
class ViewState:
    """What the level choice needs of a camera: position, planes, metres per pixel at unit distance."""

    position: np.ndarray
    planes: np.ndarray
    #: perspective: metres per pixel at 1 m (2 tan(fov / 2) / height); parallel: None
    per_metre: float | None
    #: parallel views: metres per pixel everywhere
    parallel_mpp: float | None = None

    @classmethod
    def of(cls, camera, width: int, height: int) -> "ViewState":
        height = max(int(height), 1)
        planes = frustum_planes(camera, max(width, 1) / height)
        position = np.asarray(camera.GetPosition(), dtype=np.float64)
        if camera.GetParallelProjection():
            return cls(position, planes, None, 2.0 * camera.GetParallelScale() / height)
        return cls(position, planes, 2.0 * math.tan(math.radians(camera.GetViewAngle()) / 2.0) / height)

    def metres_per_pixel(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        if self.per_metre is None:
            return np.full(len(lo), float(self.parallel_mpp))
        return np.maximum(box_distance(self.position, lo, hi), 1.0) * self.per_metre


def choose_levels(view: ViewState, lo: np.ndarray, hi: np.ndarray, counts: np.ndarray, triangles: np.ndarray,
                  *, budget: int) -> np.ndarray:
    """Per tile: :data:`CULLED`, :data:`FULL` or the block level 1..len(BLOCK_GRIDS) (see the module docstring).

    ``triangles`` is the (estimated) full triangle count of each tile; full tiles are granted nearest first
    while their sum stays within ``budget``."""
    visible = in_frustum(view.planes, lo, hi)
    mpp = view.metres_per_pixel(lo, hi)
    side = np.maximum(np.maximum(hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1]), 1.0)
    pitch_px = np.sqrt((hi[:, 0] - lo[:, 0]).clip(1.0) * (hi[:, 1] - lo[:, 1]).clip(1.0) / np.maximum(counts, 1)) / mpp
    levels = np.full(len(lo), len(BLOCK_GRIDS), dtype=np.int64)
    for level in range(len(BLOCK_GRIDS), 0, -1):  # the finest grid whose cells are still CELL_PX on screen
        levels[side / BLOCK_GRIDS[level - 1] / mpp >= CELL_PX] = level
    full = visible & (pitch_px >= FULL_PX)
    if full.any():
        order = np.flatnonzero(full)[np.argsort(mpp[full], kind="stable")]
        granted = order[np.cumsum(triangles[order]) <= budget]
        levels[granted] = FULL
    levels[~visible] = CULLED
    return levels


class Blocks:
    """Per-tile merged blocks of a layer's features at each grid of :data:`BLOCK_GRIDS` (built lazily).

    ``fid``, ``tile`` (index into the tile list) and ``lo``, ``hi`` ((n, 3) local box corners) describe one row
    per feature. The finest grid is grouped from the features (one sort); the coarser ones, whose cells are
    unions of finer cells, from the finest blocks."""

    def __init__(self, fid: np.ndarray, tile: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 tile_lo: np.ndarray, tile_hi: np.ndarray) -> None:
        self.fid, self.tile, self.lo, self.hi = fid, tile, lo, hi
        self.tile_lo, self.tile_hi = tile_lo, tile_hi
        self._levels: dict[int, tuple[np.ndarray, ...]] = {}
        self._base: tuple[np.ndarray, ...] | None = None

    def level(self, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(tile, lo, hi, fid) of the blocks of one level (1..): tile index, box corners, a representative fid
        (one feature of the block: colours by attribute and the stage lens use it)."""
        if level not in self._levels:
            self._levels[level] = self._boxes(BLOCK_GRIDS[level - 1], *self._group(level))
        return self._levels[level]

    def _group(self, level: int) -> tuple[np.ndarray, ...]:
        """Raw aggregates of a level: key, union lo, union hi, footprint area, area x top, fid, top of the fid."""
        fine = BLOCK_GRIDS[0]
        if self._base is None:
            if not len(self.fid):
                e = np.empty(0)
                self._base = (e.astype(np.int64), np.empty((0, 3)), np.empty((0, 3)), e, e, e.astype(np.int64), e)
            else:
                centre = (self.lo[:, :2] + self.hi[:, :2]) / 2.0
                t_lo, t_hi = self.tile_lo[self.tile, :2], self.tile_hi[self.tile, :2]
                cell = np.clip(((centre - t_lo) / np.maximum(t_hi - t_lo, 1e-6) * fine).astype(np.int64), 0, fine - 1)
                key = (self.tile * fine + cell[:, 1]) * fine + cell[:, 0]
                size = np.clip(self.hi[:, :2] - self.lo[:, :2], 0.0, None)
                self._base = _reduce(key, self.lo, self.hi, size[:, 0] * size[:, 1],
                                     size[:, 0] * size[:, 1] * self.hi[:, 2], self.fid, self.hi[:, 2])
        if level == 1:
            return self._base
        key, lo, hi, area, weighted, fid, top = self._base
        f = fine // BLOCK_GRIDS[level - 1]
        tile, rest = np.divmod(key, fine * fine)
        cy, cx = np.divmod(rest, fine)
        g = fine // f
        return _reduce((tile * g + cy // f) * g + cx // f, lo, hi, area, weighted, fid, top)

    @staticmethod
    def _boxes(g: int, key, lo, hi, area, weighted, fid, top) -> tuple[np.ndarray, ...]:
        """The drawn boxes of grouped blocks: the union of the footprints shrunk to their total area, as high as
        their area-weighted mean top."""
        lo, hi = lo.copy(), hi.copy()
        union = np.clip(hi[:, :2] - lo[:, :2], 1e-9, None)
        shrink = np.sqrt(np.clip(area / (union[:, 0] * union[:, 1]), 0.0, 1.0))[:, None]
        middle = (lo[:, :2] + hi[:, :2]) / 2.0
        lo[:, :2], hi[:, :2] = middle - union * shrink / 2.0, middle + union * shrink / 2.0
        hi[:, 2] = np.where(area > 0, weighted / np.maximum(area, 1e-9), hi[:, 2])
        return key // (g * g), lo, hi, fid


def _reduce(key, lo, hi, area, weighted, fid, top) -> tuple[np.ndarray, ...]:
    """Group rows by ``key``: union box, summed area and area x top, the first row's fid and top."""
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1])
    first = order[starts]
    return (key[starts], np.minimum.reduceat(lo[order], starts, axis=0), np.maximum.reduceat(hi[order], starts, axis=0),
            np.add.reduceat(area[order], starts), np.add.reduceat(weighted[order], starts), fid[first], top[first])


def box_mesh(lo: np.ndarray, hi: np.ndarray, fids: np.ndarray):
    """Boxes (roof and walls, no floor) as one PolyData with ``fid`` and ``surface`` cell arrays."""
    import pyvista as pv

    from twin.scene.meshes import FID, SURFACE, empty_mesh

    n = len(lo)
    if n == 0:
        return empty_mesh()
    corners = np.empty((n, 8, 3), dtype=np.float32)
    xs = np.stack([lo[:, 0], hi[:, 0], hi[:, 0], lo[:, 0]], axis=1)
    ys = np.stack([lo[:, 1], lo[:, 1], hi[:, 1], hi[:, 1]], axis=1)
    corners[:, :4, 0] = corners[:, 4:, 0] = xs
    corners[:, :4, 1] = corners[:, 4:, 1] = ys
    corners[:, :4, 2] = lo[:, 2:3]
    corners[:, 4:, 2] = hi[:, 2:3]
    faces = (_BOX_TRIANGLES[None] + (np.arange(n) * 8)[:, None, None]).reshape(-1, 3)
    mesh = pv.PolyData.from_regular_faces(corners.reshape(-1, 3), faces)
    mesh.cell_data[FID] = np.repeat(np.asarray(fids, dtype=np.int64), len(_BOX_TRIANGLES))
    mesh.cell_data[SURFACE] = np.tile(_BOX_SURFACES, n)
    return mesh
