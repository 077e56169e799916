"""Picking: a screen point -> the layer and feature id under it, on any VTK renderer (headless too).

The ray through the pixel comes from the renderer (display -> world at the near and far planes,
so perspective and parallel views both work). Triangle meshes are searched with a small index
built with numpy once per mesh: the bounding box of every feature (a slab test over all of them
at once), then an exact ray/triangle test (Möller-Trumbore) on the triangles of the nearest
candidate features only. It costs a few milliseconds on a million triangles and about 30 bytes
per feature, where a VTK cell locator holds ~75 bytes per triangle. Other meshes (lines, points
of plugin visuals) go through VTK's ``vtkCellPicker``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin.scene.meshes import FID, point_fids

#: features whose triangles are tested together before looking at farther candidates
BATCH = 48
#: pixels around a missed click where features are still found
TOLERANCE_PX = 2.0
RING = [(0.0, 0.0)] + [(TOLERANCE_PX * np.cos(a), TOLERANCE_PX * np.sin(a)) for a in np.arange(8) * np.pi / 4]


@dataclasses.dataclass(frozen=True)
class Pick:
    """What is under a screen point: the layer, the feature id and the hit point."""

    layer: str
    fid: int
    local: tuple[float, float, float]
    position: tuple[float, float, float]  # project CRS (local + origin)


@dataclasses.dataclass
class PickTarget:
    """A pickable actor of a layer."""

    layer: str
    actor: object  # vtkActor (may be None with ``intersect``)
    #: instead of the actor's mesh: ``intersect(ray_origin, ray_dir) -> (t, fid) | None`` (tiled layers, whose
    #: features are found in the store whatever level of detail their tile is drawn at)
    intersect: object = None


class FeatureIndex:
    """Per-feature bounding boxes and the triangles of each feature of one triangle mesh."""

    def __init__(self, points: np.ndarray, faces: np.ndarray, cell_fids: np.ndarray,
                 point_fids: np.ndarray | None = None) -> None:
        self.points = np.asarray(points)
        self.faces = np.asarray(faces)
        fids = np.asarray(cell_fids)
        self.order = None if _is_sorted(fids) else np.argsort(fids, kind="stable")
        self.fids, self.starts = _runs(fids if self.order is None else fids[self.order])
        self.ends = np.append(self.starts[1:], len(fids))
        if point_fids is not None and _is_sorted(point_fids) and np.array_equal(_runs(point_fids)[0], self.fids):
            # features own contiguous vertices: their boxes come from the points, ten times fewer values
            starts = _runs(point_fids)[1]
            lo = np.minimum.reduceat(self.points, starts, axis=0)
            hi = np.maximum.reduceat(self.points, starts, axis=0)
        elif fids.size:
            corners = self.points[self.faces if self.order is None else self.faces[self.order]]
            lo = np.minimum.reduceat(corners.min(axis=1), self.starts, axis=0)
            hi = np.maximum.reduceat(corners.max(axis=1), self.starts, axis=0)
        else:
            lo = hi = np.empty((0, 3), dtype=np.float32)
        #: feature boxes, one contiguous row per axis (the slab test reads one axis at a time)
        self.lo, self.hi = np.ascontiguousarray(lo.T), np.ascontiguousarray(hi.T)

    def intersect(self, origin: np.ndarray, direction: np.ndarray) -> tuple[float, int] | None:
        """(t, cell id) of the nearest triangle the ray ``origin + t * direction`` (t >= 0) hits, or None."""
        if not len(self.fids):
            return None
        near, far = self.slabs(origin, direction)
        candidates = np.flatnonzero((far >= near) & (far >= 0))
        candidates = candidates[np.argsort(near[candidates], kind="stable")]
        best: tuple[float, int] | None = None
        for start in range(0, len(candidates), BATCH):
            batch = candidates[start:start + BATCH]
            if best is not None and best[0] < near[batch[0]]:
                break  # every remaining box starts beyond the hit
            cells = _ranges(self.starts[batch], self.ends[batch])
            if self.order is not None:
                cells = self.order[cells]
            t = ray_triangles(origin, direction, self.points[self.faces[cells]].astype(np.float64))
            if np.isfinite(t).any():
                k = int(np.argmin(t))
                if best is None or t[k] < best[0]:
                    best = (float(t[k]), int(cells[k]))
        return best

    def slabs(self, origin: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Entry and exit ray parameters of every feature box (entry > exit: missed), one axis at a time."""
        return box_slabs(self.lo, self.hi, origin, direction)


def box_slabs(lo_axes: np.ndarray, hi_axes: np.ndarray, origin: np.ndarray,
              direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit ray parameters of boxes given as (3, n) rows of low and high corners (entry > exit: missed)."""
    near = np.full(lo_axes.shape[1], -np.inf)
    far = np.full(lo_axes.shape[1], np.inf)
    for axis in range(3):
        lo, hi = lo_axes[axis], hi_axes[axis]
        o, d = float(origin[axis]), float(direction[axis])
        if d == 0.0:  # parallel to this slab: inside it or missed
            outside = (o < lo) | (o > hi)
            near[outside], far[outside] = np.inf, -np.inf
            continue
        t1, t2 = (lo - o) / d, (hi - o) / d
        if d < 0:
            t1, t2 = t2, t1
        np.maximum(near, t1, out=near)
        np.minimum(far, t2, out=far)
    return near, far


def _is_sorted(values: np.ndarray) -> bool:
    return values.size < 2 or bool((values[1:] >= values[:-1]).all())


def _runs(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and where each run starts."""
    if not sorted_values.size:
        return sorted_values, np.empty(0, dtype=np.int64)
    starts = np.concatenate([[0], np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1])
    return sorted_values[starts], starts


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, e)`` for each pair, without a loop."""
    counts = ends - starts
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())


def ray_triangles(origin: np.ndarray, direction: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Möller-Trumbore for many triangles (m, 3, 3): the ray parameter t of each hit, inf where missed."""
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    p = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-12
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    s = origin - tri[:, 0]
    u = np.einsum("ij,ij->i", s, p) * inv
    q = np.cross(s, e1)
    v = (q @ direction) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0)
    return np.where(hit, t, np.inf)


class Picker:
    """Picks features among ``PickTarget`` actors; keeps one :class:`FeatureIndex` per triangle mesh."""

    def __init__(self) -> None:
        self._indexes: dict[int, tuple[object, tuple[int, int], FeatureIndex]] = {}
        self._vtk_picker = None

    def index(self, dataset) -> FeatureIndex | None:
        """The feature index of a triangle mesh with a ``fid`` cell array (built once; again only when
        its geometry changed: colour changes keep it). None for other meshes."""
        import pyvista as pv

        mesh = pv.wrap(dataset)
        points = dataset.GetPoints()
        stamp = (points.GetMTime() if points is not None else 0, dataset.GetNumberOfCells())
        cached = self._indexes.get(id(dataset))
        if cached is not None and cached[0] is dataset and cached[1] == stamp:
            return cached[2]
        if not mesh.n_cells or FID not in mesh.cell_data or not mesh.is_all_triangles:
            return None
        index = FeatureIndex(mesh.points, mesh.regular_faces, mesh.cell_data[FID], point_fids(mesh))
        self._indexes[id(dataset)] = (dataset, stamp, index)
        return index

    def prepare(self, targets: list[PickTarget]) -> None:
        """Build the indexes of all targets now (e.g. after loading), so that the first pick is fast."""
        for target in targets:
            if target.intersect is not None:
                continue
            dataset = target.actor.GetMapper().GetInput()
            if dataset is not None and dataset.GetNumberOfCells():
                self.index(dataset)

    def forget(self) -> None:
        """Drop all cached indexes (after the scene's meshes were replaced)."""
        self._indexes.clear()

    def pick(self, renderer, x: float, y: float, targets: list[PickTarget], origin=None) -> Pick | None:
        """The feature at pixel (``x``, ``y``) counted from the top-left of the window, or None.

        Only visible targets count; the nearest hit wins. When the ray through the pixel hits
        nothing, rays ``TOLERANCE_PX`` pixels around it are tried, so that far, tiny features
        can still be clicked.
        """
        height = renderer.GetRenderWindow().GetSize()[1]
        for dx, dy in RING:
            ray_origin, ray_dir = _ray(renderer, x + dx, height - 1 - (y + dy))
            best = self._nearest(renderer, x + dx, height - 1 - (y + dy), targets, ray_origin, ray_dir)
            if best is not None:
                break
        else:
            return None
        t, target, cell = best
        if target.intersect is not None:
            fid = cell  # custom targets give the feature id itself
        else:
            fid = int(target.actor.GetMapper().GetInput().GetCellData().GetArray(FID).GetValue(cell))
        local = tuple(float(v) for v in ray_origin + t * ray_dir)
        world = tuple(float(v) for v in (np.add(local, origin.xyz) if origin is not None else local))
        return Pick(target.layer, int(fid), local, world)

    def _nearest(self, renderer, x: float, y_vtk: float, targets: list[PickTarget], ray_origin, ray_dir):
        """(t, target, cell) of the nearest hit of one ray, or None."""
        best: tuple[float, PickTarget, int] | None = None
        others = []
        for target in targets:
            actor = target.actor
            if target.intersect is not None:
                hit = target.intersect(ray_origin, ray_dir) if actor is None or actor.GetVisibility() else None
                if hit is not None and (best is None or hit[0] < best[0]):
                    best = (float(hit[0]), target, int(hit[1]))
                continue
            dataset = actor.GetMapper().GetInput()
            if not actor.GetVisibility() or dataset is None or not dataset.GetNumberOfCells():
                continue
            index = self.index(dataset)
            if index is None:
                others.append(target)
                continue
            hit = index.intersect(ray_origin, ray_dir)
            if hit is not None and (best is None or hit[0] < best[0]):
                best = (hit[0], target, hit[1])
        if others:
            hit = self._vtk_pick(renderer, x, y_vtk, others, ray_origin, ray_dir)
            if hit is not None and (best is None or hit[0] < best[0]):
                best = hit
        return best

    def _vtk_pick(self, renderer, x: float, y_vtk: float, targets: list[PickTarget], ray_origin, ray_dir):
        from vtkmodules.vtkRenderingCore import vtkCellPicker

        if self._vtk_picker is None:
            self._vtk_picker = vtkCellPicker()
            self._vtk_picker.SetTolerance(0.0)
            self._vtk_picker.PickFromListOn()
        picker = self._vtk_picker
        picker.InitializePickList()
        for target in targets:
            picker.AddPickList(target.actor)
        if not picker.Pick(float(x), float(y_vtk), 0.0, renderer) or picker.GetCellId() < 0:
            return None
        target = next((t for t in targets if t.actor is picker.GetActor()), None)
        if target is None or target.actor.GetMapper().GetInput().GetCellData().GetArray(FID) is None:
            return None
        position = np.array(picker.GetPickPosition())
        t = float((position - ray_origin) @ ray_dir / (ray_dir @ ray_dir))
        return t, target, int(picker.GetCellId())


def _ray(renderer, x: float, y_vtk: float) -> tuple[np.ndarray, np.ndarray]:
    """The ray through a display point: from the near plane towards the far plane (world coordinates)."""
    ends = []
    for depth in (0.0, 1.0):
        renderer.SetDisplayPoint(float(x), float(y_vtk), depth)
        renderer.DisplayToWorld()
        wx, wy, wz, w = renderer.GetWorldPoint()
        ends.append(np.array([wx, wy, wz]) / (w if w else 1.0))
    return ends[0], ends[1] - ends[0]
