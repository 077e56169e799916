"""CCTV cameras drawn as what they watch: a translucent view sector from the camera down to the ground.

Each camera is a thin mast of ``CAMERA_HEIGHT`` metres (6 m, a usual Korean crime-prevention CCTV pole;
a ``height_m``/``설치높이`` column overrides it) with a head at its top. A camera with a view direction
gets a **view sector**: a fan of triangles from the head (its apex) to an arc on the ground at the
camera's range, spanning its field of view around the direction (compass degrees, 0 = north, clockwise),
so the sector covers the ground the camera watches, in real metres, tilted down from the camera. A camera
without a direction (or with an unusable one) is a **dome**: a hemisphere on its mast.

The dome size follows the style's size (metres), else a size read from the project's extent
(``twin.api.automatic_size``), so cameras without direction stay visible over a whole district; the head of
a camera with a sector is at most ``SECTOR_HEAD`` (1.5 m) so that it never hides its sector; sectors are
never scaled.
Every mesh is built for all cameras at once with numpy (template copies and broadcasting), never one mesh
per camera. Columns come from ``properties["camera"]`` written by the ``cctv-csv`` importer.
"""

from __future__ import annotations

import functools

import numpy as np

from twin.api import (FID, LegendBlock, MeshVisual, Part, automatic_size, find_named_column, merge_triangles,
                      numeric_column, project_extent, read_geometries)

CAMERA_HEIGHT = 6.0
DEFAULT_FOV = 60.0
DEFAULT_RANGE = 40.0
#: arc segments of a view sector
ARC_STEPS = 16
#: the sector's arc floats this high above the ground (m) so that it never flickers with it
ARC_LIFT = 0.3
SECTOR_OPACITY = 0.45
MAST_COLOR = "#5f6b73"
DEFAULT_COLOR = "#e53935"
#: head (dome) radius and mast width as fractions of the glyph size
HEAD_RADIUS = 0.35
MAST_WIDTH = 0.08
#: the largest head (m) of a camera drawn with a view sector: the sector shows it, the head must not hide it
SECTOR_HEAD = 1.5


@functools.cache
def _dome() -> tuple[np.ndarray, np.ndarray]:
    """A unit hemisphere (radius 1, flat side down at z = 0) as points and triangles."""
    import pyvista as pv

    sphere = pv.Sphere(radius=1.0, theta_resolution=16, phi_resolution=10, end_phi=90.0).triangulate().clean()
    return np.asarray(sphere.points, dtype=np.float64), sphere.regular_faces.astype(np.int64)


@functools.cache
def _box() -> tuple[np.ndarray, np.ndarray]:
    """A unit box (x, y from -0.5 to 0.5, z from 0 to 1) as points and triangles."""
    import pyvista as pv

    box = pv.Cube(center=(0, 0, 0.5), x_length=1.0, y_length=1.0, z_length=1.0).triangulate().clean()
    return np.asarray(box.points, dtype=np.float64), box.regular_faces.astype(np.int64)


def copies(template: tuple[np.ndarray, np.ndarray], positions: np.ndarray, scale: np.ndarray | float,
           fids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copies of a template at ``positions`` (n, 3), each scaled by ``scale`` (scalar, (n,) or (n, 3))."""
    points, triangles = template
    scale = np.asarray(scale, dtype=np.float64)
    if scale.ndim == 0:
        scale = np.full((len(positions), 3), float(scale))
    elif scale.ndim == 1:
        scale = np.repeat(scale[:, None], 3, axis=1)
    pts = points[None, :, :] * scale[:, None, :] + positions[:, None, :]
    faces = triangles[None, :, :] + (np.arange(len(positions)) * len(points))[:, None, None]
    return pts.reshape(-1, 3), faces.reshape(-1, 3), np.repeat(fids, len(triangles))


def sectors(apex: np.ndarray, azimuth: np.ndarray, fov: np.ndarray, reach: np.ndarray, fids: np.ndarray,
            *, ground: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """View sectors: per camera a fan from ``apex`` (n, 3) to an arc on the ground at ``reach`` metres,
    ``fov`` degrees wide around the compass ``azimuth`` (degrees clockwise from north)."""
    n = len(apex)
    steps = np.linspace(-0.5, 0.5, ARC_STEPS + 1)
    angles = np.radians(azimuth[:, None] + fov[:, None] * steps[None, :])  # (n, k) compass radians
    arc = np.empty((n, ARC_STEPS + 1, 3))
    arc[:, :, 0] = apex[:, None, 0] + reach[:, None] * np.sin(angles)
    arc[:, :, 1] = apex[:, None, 1] + reach[:, None] * np.cos(angles)
    arc[:, :, 2] = (np.broadcast_to(ground, (n,)) + ARC_LIFT)[:, None]
    points = np.concatenate([apex[:, None, :], arc], axis=1)  # apex first, then the arc
    k = np.arange(ARC_STEPS)
    fan = np.column_stack([np.zeros(ARC_STEPS, dtype=np.int64), k + 1, k + 2])
    faces = fan[None, :, :] + (np.arange(n) * (ARC_STEPS + 2))[:, None, None]
    return points.reshape(-1, 3), faces.reshape(-1, 3), np.repeat(fids, ARC_STEPS)


class CctvVisual(MeshVisual):
    """View sectors, masts and heads of a ``cctv`` layer (see the module docstring)."""

    def suggested_color(self) -> str | None:
        return DEFAULT_COLOR

    def geometry_key(self, style) -> tuple:
        return (style.size, style.opacity)

    def camera(self) -> dict:
        """The camera columns and defaults recorded by the importer (names searched when absent)."""
        recorded = dict(self.layer.properties.get("camera") or {})
        if not recorded:  # a cctv layer written by other code: find the columns by name
            from twin_plugins.safety.cameras import HEIGHT_NAMES, camera_columns

            names = self.project.query(f"SELECT * EXCLUDE (geom) FROM {self.layer.ref()} LIMIT 0").schema.names
            recorded = {**camera_columns(names), "height": find_named_column(names, HEIGHT_NAMES)}
        return recorded

    def _column(self, name: str | None, count: int, default: float) -> np.ndarray:
        if not name:
            return np.full(count, default)
        values = numeric_column(self.project, self.layer, name)
        return np.where(np.isfinite(values), values, default)

    def build(self) -> dict[str, Part]:
        import shapely

        features = read_geometries(self.project, self.layer)
        parts, fids = features.parts()
        keep = shapely.get_type_id(parts) == 0
        parts, fids = parts[keep], fids[keep]
        coords = shapely.get_coordinates(parts, include_z=True)
        positions = self.origin.to_local(np.nan_to_num(coords)).astype(np.float64)
        camera = self.camera()
        count = max(self.layer.feature_count, int(fids.max()) + 1 if len(fids) else 0)
        azimuth = self._column(camera.get("direction"), count, np.nan)[fids]
        fov = np.clip(self._column(camera.get("fov"), count, camera.get("default_fov_deg", DEFAULT_FOV))[fids], 1, 360)
        reach = self._column(camera.get("range"), count, camera.get("default_range_m", DEFAULT_RANGE))[fids]
        height = self._column(camera.get("height"), count, CAMERA_HEIGHT)[fids]
        height = np.where((height > 0) & (height < 100), height, CAMERA_HEIGHT)
        size = float(self.style.size) if self.style.size else automatic_size(project_extent(self.project.layers()))
        ground = positions[:, 2]
        top = positions.copy()
        top[:, 2] = ground + height
        directed = np.isfinite(azimuth)
        # domes mark cameras without direction at the glyph size; a camera with a sector keeps a small head
        radius = np.where(directed, np.minimum(HEAD_RADIUS * size, SECTOR_HEAD), HEAD_RADIUS * size)
        masts = copies(_box(), positions, np.column_stack([np.full(len(fids), MAST_WIDTH * size),
                                                           np.full(len(fids), MAST_WIDTH * size), height]), fids)
        heads = copies(_dome(), top, radius, fids)
        cones = sectors(top[directed], azimuth[directed], fov[directed], reach[directed], fids[directed],
                        ground=ground[directed])
        opacity = min(float(self.style.opacity), SECTOR_OPACITY)
        return {
            "sectors": Part(merge_triangles([cones]), opacity=opacity, material=(0.6, 0.5, 0.0)),
            "heads": Part(merge_triangles([heads]), material=(0.35, 0.7, 0.15)),
            "masts": Part(merge_triangles([masts]), styled=False, color=MAST_COLOR, material=(0.35, 0.6, 0.05)),
        }

    def legend(self) -> LegendBlock | None:
        block = super().legend()
        parts = self.ensure_built()
        if block is None or len(block.swatches) != 1 or self.style.color_by is not None:
            return block
        color = block.swatches[0][1]
        swatches = []
        if parts["sectors"].mesh.n_cells:
            swatches.append(("view sector (direction, field of view, range)", color))
        domes = np.setdiff1d(self.feature_ids, np.unique(np.asarray(parts["sectors"].mesh.cell_data[FID])))
        if domes.size:
            swatches.append((f"camera without direction (dome): {domes.size}", color))
        return LegendBlock(self.name, swatches or block.swatches)
