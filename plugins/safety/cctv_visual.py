"""CCTV cameras drawn as what they watch: a translucent view sector from the camera down to the ground.

Each camera is a thin mast of ``CAMERA_HEIGHT`` metres (6 m, a usual Korean crime-prevention CCTV pole;
a ``height_m``/``설치높이`` column overrides it) with a head at its top. A camera with a view direction
gets a **view sector**: a fan of triangles from the head (its apex) to an arc on the ground at the
camera's range, spanning its field of view around the direction (compass degrees, 0 = north, clockwise),
so the sector covers the ground the camera watches, in real metres, tilted down from the camera. A camera
without a direction (or with an unusable one) is a **dome**: a hemisphere on its mast.

Heads and mast widths follow the point glyphs' screen sizing (``twin.api.glyph_screen``): automatic, the glyph
size is never under ``POINT_PX`` pixels far out, the project extent's size (``twin.api.automatic_size``) at a
city view, and street furniture close in, so a dome neither swells into a ball over a street nor vanishes over
a region; ``size_units`` ``"px"`` keeps pixels, ``"m"`` (or a size without units) fixed metres. The head of a
camera with a sector is at most ``SECTOR_HEAD`` (1.5 m) at a city view so that it never hides its sector;
mast heights and sectors are metres, never scaled. A camera with no z inside a building's footprint stands on
its roof (``twin.api.standing_z``); its sector still reaches down to the street.
Every mesh is built for all cameras at once with numpy (template copies and broadcasting), never one mesh
per camera. Columns come from ``properties["camera"]`` written by the ``cctv-csv`` importer.
"""

from __future__ import annotations

import functools

import numpy as np

from twin.api import (FID, POINT_PX, LegendBlock, MeshVisual, Part, automatic_size, find_named_column, glyph_screen,
                      merge_triangles, numeric_column, project_extent, read_geometries, standing_z)

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
#: the largest glyph size of a camera with a sector (its head is HEAD_RADIUS of it)
_HEAD_CAP = SECTOR_HEAD / HEAD_RADIUS


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


def _dome_anchors(top: np.ndarray) -> np.ndarray:
    """The anchor of every point of :func:`copies` of the dome at ``top``: the head's centre."""
    return np.repeat(top, len(_dome()[0]), axis=0)


def _mast_anchors(foot: np.ndarray, height: np.ndarray) -> np.ndarray:
    """The anchor of every point of :func:`copies` of the box as masts: on the mast's axis at the point's height
    (a mast widens on screen, its height stays in metres)."""
    unit_z = _box()[0][:, 2]
    anchors = np.repeat(foot, len(unit_z), axis=0)
    anchors[:, 2] += (height[:, None] * unit_z[None, :]).ravel()
    return anchors


def _scale_about(points: np.ndarray, anchors: np.ndarray, size: np.ndarray | float) -> None:
    """Scale points built at unit size about their anchors, in place."""
    size = np.broadcast_to(np.asarray(size, dtype=np.float64), (len(points),))
    points[:] = anchors + (points - anchors) * size[:, None]


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
        return (style.size, style.size_units, style.opacity)

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
        ground = positions[:, 2].copy()  # where the sector's arc lies: the street, also under a roof camera
        foot = positions.copy()  # where the mast stands: its own z, else the roof it is inside, else the ground
        lifted = np.column_stack([coords[:, :2], standing_z(self.project, self.layer, coords)])
        foot[:, 2] = self.origin.to_local(np.nan_to_num(lifted))[:, 2]
        top = foot.copy()
        top[:, 2] = foot[:, 2] + height
        directed = np.isfinite(azimuth)
        masts = copies(_box(), foot, np.column_stack([np.full(len(fids), MAST_WIDTH), np.full(len(fids), MAST_WIDTH),
                                                      height]), fids)
        heads = copies(_dome(), top, HEAD_RADIUS, fids)
        fixed, pixels, city = self.sizes()
        if fixed is not None:  # metres: every head and mast at that size (a sector's head at most SECTOR_HEAD)
            _scale_about(heads[0], _dome_anchors(top), np.repeat(np.where(directed, np.minimum(fixed, _HEAD_CAP),
                                                                          fixed), len(_dome()[0])))
            _scale_about(masts[0], _mast_anchors(foot, height), fixed)
            screens = {"heads": None, "masts": None}
        else:  # sized on screen as the point glyphs are; a sector's head never over SECTOR_HEAD at a city view
            head_city = np.repeat(np.where(directed, np.minimum(city, _HEAD_CAP), city), len(_dome()[0]))
            screens = {"heads": glyph_screen(heads[0], _dome_anchors(top), pixels=pixels, city_m=head_city),
                       "masts": glyph_screen(masts[0], _mast_anchors(foot, height), pixels=pixels, city_m=city)}
        cones = sectors(top[directed], azimuth[directed], fov[directed], reach[directed], fids[directed],
                        ground=ground[directed])
        opacity = min(float(self.style.opacity), SECTOR_OPACITY)
        return {
            "sectors": Part(merge_triangles([cones]), opacity=opacity, material=(0.6, 0.5, 0.0)),
            "heads": Part(merge_triangles([heads]), material=(0.35, 0.7, 0.15), screen=screens["heads"]),
            "masts": Part(merge_triangles([masts]), styled=False, color=MAST_COLOR, material=(0.35, 0.6, 0.05),
                          screen=screens["masts"]),
        }

    def sizes(self) -> tuple[float | None, float, float]:
        """(fixed size in metres or None, pixels, city-scale metres) of the glyph size heads and masts follow:
        ``size_units`` ``m`` (or a size without units) fixed in the scene, ``px`` fixed on screen, automatic
        (no size) :data:`POINT_PX` pixels at least and the project extent's size at a city view, as point glyphs."""
        units, size = self.style.size_units, self.style.size
        if units == "m" or (units is None and size):
            return float(size or automatic_size(project_extent(self.project.layers()))), 0.0, 0.0
        if units == "px" and size:
            return None, float(size), 0.0
        return None, float(POINT_PX), automatic_size(project_extent(self.project.layers()))

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
