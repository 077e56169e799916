"""Point features as 3D glyphs chosen by facility type, built as one mesh with numpy broadcasting.

A CCTV camera is a view cone on a pole, turned to its view direction when the data has one
(``direction``, ``azimuth``, ``방향``, ``촬영방향``: compass degrees, clockwise from north); bus
stops are posts, sensors diamonds on a pole, and so on. A template glyph is copied to every point
in one step (``template[None] * size + position[:, None]``), never one mesh per feature.

Automatic sizes (:class:`GlyphSize`): the city-scale size of :func:`automatic_size` at a city view, never under
``POINT_PX`` pixels far out, and never more than :data:`GLYPH_CLOSE_PX` pixels close in, down to a street-furniture
size (:data:`GLYPH_STREET_M`), so that a glyph at street level is never bigger than the buildings around it.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pyvista as pv
import shapely

from twin.scene.features import attribute_types, find_column, numeric_attribute, read_geometries, text_column
from twin.scene.meshes import merge_triangles
from twin.scene.origin import LocalOrigin
from twin.scene.roofs import standing_z
from twin.scene.screen import ScreenSize, split
from twin.store.project import LayerInfo, Project

#: facility -> (glyph shape, drawn on a pole), matched by keywords in a type column or the layer name
FACILITIES: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "cctv": ("cone", True, ("cctv", "camera", "카메라", "단속", "감시")),
    "bus_stop": ("post", False, ("bus", "버스", "정류장", "정류소")),
    "bike": ("cube", False, ("bike", "bicycle", "자전거", "따릉이", "대여소")),
    "sensor": ("diamond", True, ("sensor", "센서", "iot", "s-dot", "측정")),
    "school": ("cube", False, ("school", "학교", "유치원", "어린이", "보호구역")),
    "incident": ("diamond", False, ("accident", "incident", "사고", "위험", "hazard")),
    "safety_centre": ("cube", False, ("police", "fire", "경찰", "소방", "치안", "파출소", "지구대")),
}
DEFAULT_FACILITY = "point"
#: default colour of a points layer by its facility (when the style sets none)
FACILITY_COLORS = {
    "cctv": "#e53935",
    "bus_stop": "#00897b",
    "bike": "#43a047",
    "sensor": "#8e24aa",
    "school": "#f9a825",
    "incident": "#d81b60",
    "safety_centre": "#3949ab",
}
DIRECTION_COLUMNS = ("direction", "azimuth", "bearing", "heading", "촬영방향", "방향각", "방위각", "방향")
TYPE_COLUMNS = ("facility_type", "type", "category", "kind", "class", "시설종류", "시설유형", "유형", "종류", "구분")
#: downward tilt of a CCTV view cone, degrees
CCTV_TILT = 25.0
#: pole height in glyph sizes
POLE_HEIGHT = 2.5
#: an automatic glyph keeps its city-scale metres only while they cover at most this many pixels; closer, it keeps
#: this many pixels (a view of a few streets) ...
GLYPH_CLOSE_PX = 32.0
#: ... but never shrinks under this many metres (a bus shelter, a camera; a pole 2.5 times that): street level
GLYPH_STREET_M = 2.5


@dataclasses.dataclass(frozen=True)
class Template:
    """A unit glyph: points around the origin (size 1), triangles, and where it sits."""

    points: np.ndarray  # (k, 3) float64
    triangles: np.ndarray  # (m, 3) int64


def _triangles(mesh: pv.PolyData) -> Template:
    mesh = mesh.triangulate().clean()
    return Template(np.asarray(mesh.points, dtype=np.float64), mesh.regular_faces.astype(np.int64))


@functools.cache
def template(shape: str) -> Template:
    """The unit template of a glyph shape, base on z = 0 (a cone: apex at the origin, opening north)."""
    if shape == "cone":
        # view cone: apex at the camera, axis to the north (+y), tilted down
        cone = pv.Cone(center=(0, 0.75, 0), direction=(0, -1, 0), height=1.5, radius=0.55, resolution=14)
        cone.rotate_x(-CCTV_TILT, point=(0, 0, 0), inplace=True)
        return _triangles(cone)
    if shape == "post":
        return _triangles(pv.Cylinder(center=(0, 0, 1.0), direction=(0, 0, 1), radius=0.28, height=2.0, resolution=12))
    if shape == "cube":
        return _triangles(pv.Cube(center=(0, 0, 0.5), x_length=1.0, y_length=1.0, z_length=1.0))
    if shape == "diamond":
        solid = pv.PlatonicSolid("octahedron", radius=0.6, center=(0, 0, 0.6))
        return _triangles(solid)
    if shape == "pole":
        return _triangles(pv.Cylinder(center=(0, 0, 0.5), direction=(0, 0, 1), radius=0.06, height=1.0, resolution=6))
    if shape == "sphere":
        return _triangles(pv.Icosphere(radius=0.5, center=(0, 0, 0.5), nsub=1))
    raise ValueError(f"unknown glyph shape {shape!r}")


def facility_of(text: str) -> str:
    """The facility a name or a type value speaks of (``"cctv"``, ``"bus_stop"``...), else ``"point"``."""
    low = str(text).lower()
    for facility, (_, _, words) in FACILITIES.items():
        if any(word in low for word in words):
            return facility
    return DEFAULT_FACILITY


def layer_facility(layer: LayerInfo) -> str:
    """The facility a layer's name or source file speaks of."""
    return facility_of(f"{layer.name} {layer.source_file or ''}")


def feature_facilities(project: Project, layer: LayerInfo) -> np.ndarray:
    """Facility of every feature (fid order): from a type column where its values say, else the layer's."""
    default = layer_facility(layer)
    column = find_column(attribute_types(project, layer), TYPE_COLUMNS)
    if column is None:
        count = project.query(f"SELECT count(*) AS n FROM {layer.ref()}").column("n")[0].as_py()
        return np.full(int(count), default, dtype=object)
    codes, texts = text_column(project, layer, column)
    per_text = np.array([facility_of(t) for t in texts] + [DEFAULT_FACILITY], dtype=object)  # one per distinct value
    found = per_text[np.where(codes < 0, len(texts), codes)]
    return np.where(found == DEFAULT_FACILITY, default, found)


def view_directions(project: Project, layer: LayerInfo) -> np.ndarray | None:
    """Compass view direction of every feature in degrees (NaN where unknown), or None without a column."""
    return numeric_attribute(project, layer, DIRECTION_COLUMNS)


def automatic_size(extent: float) -> float:
    """A glyph size (m) that reads in a view of ``extent`` metres: 1/180 of it, from 3 to 50 m."""
    return float(np.clip(extent / 180.0, 3.0, 50.0))


@dataclasses.dataclass
class GlyphSize(ScreenSize):
    """The screen sizes of automatic glyphs: ``floor`` is the city-scale size (m), held while it covers at most
    ``close_px`` pixels; closer in, glyphs keep ``close_px`` pixels but never under ``street`` metres (nor over the
    city size). Far out ``pixels`` takes over as in :class:`~twin.scene.screen.ScreenSize`. A zero floor (sizes in
    pixels) gives plain pixel sizes."""

    close_px: float = GLYPH_CLOSE_PX
    street: float = GLYPH_STREET_M

    def sizes(self, metres_per_pixel: float) -> np.ndarray:
        mpp = float(metres_per_pixel)
        city = np.minimum(self.floor, self.close_px * mpp)  # the city size, given up where it would swell on screen
        return np.maximum(np.maximum(self.pixels * mpp, city), np.minimum(self.floor, self.street))

    def subset(self, points: np.ndarray) -> "GlyphSize":
        return GlyphSize(self.anchors[points], self.offsets[points], self.pixels[points], self.floor[points],
                         close_px=self.close_px, street=self.street)


def glyph_screen(points: np.ndarray, anchors: np.ndarray, *, pixels: float, city_m: float | np.ndarray,
                 scale: float = 1.0) -> GlyphSize:
    """The :class:`GlyphSize` of a glyph mesh built at unit size around ``anchors``: ``pixels`` on screen at least,
    ``city_m`` metres at a city view (0: pixels only; one value, or one per mesh point); ``scale`` enlarges the
    close-in limits alike (a reading drawn a quarter larger around its facility's glyph)."""
    n = len(anchors)
    city = np.broadcast_to(np.asarray(city_m, dtype=np.float64), (n,)).copy()
    return GlyphSize(*split(points, anchors, 1.0), np.full(n, float(pixels)), city,
                     close_px=GLYPH_CLOSE_PX * scale, street=GLYPH_STREET_M * scale)


def place(tmpl: Template, positions: np.ndarray, size: float, angles: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Copies of a template at ``positions`` (n, 3), scaled and turned by ``angles`` (radians, counter-clockwise)."""
    pts = np.broadcast_to(tmpl.points * size, (len(positions), *tmpl.points.shape)).copy()
    if angles is not None:
        c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
        x, y = pts[:, :, 0].copy(), pts[:, :, 1].copy()
        pts[:, :, 0] = x * c - y * s
        pts[:, :, 1] = x * s + y * c
    pts += positions[:, None, :]
    faces = tmpl.triangles[None, :, :] + (np.arange(len(positions)) * len(tmpl.points))[:, None, None]
    return pts.reshape(-1, 3), faces.reshape(-1, 3)


def point_glyphs(
    project: Project, layer: LayerInfo, origin: LocalOrigin, *, size: float | None = None, extent: float = 1000.0
) -> pv.PolyData:
    """All point features of a layer as one glyph mesh with a ``fid`` cell array (local coordinates)."""
    return anchored_glyphs(project, layer, origin, size=size, extent=extent)[0]


def anchored_glyphs(
    project: Project, layer: LayerInfo, origin: LocalOrigin, *, size: float | None = None, extent: float = 1000.0,
    roofs: bool = True,
) -> tuple[pv.PolyData, np.ndarray]:
    """The glyph mesh of :func:`point_glyphs` and the anchor of every mesh point (where its feature stands):
    ``twin.scene.screen`` rescales glyphs around their anchors to keep a size in pixels. With ``roofs``, a point
    without a z of its own inside a building's footprint stands on its roof (:func:`twin.scene.roofs.standing_z`)."""
    features = read_geometries(project, layer)
    parts, fids = features.parts()
    keep = shapely.get_type_id(parts) == 0  # points only
    parts, fids = parts[keep], fids[keep]
    size = float(size) if size else automatic_size(extent)
    coords = shapely.get_coordinates(parts, include_z=True)
    if roofs and len(coords):
        coords[:, 2] = standing_z(project, layer, coords)
    positions = origin.to_local(coords).astype(np.float64)
    facilities = feature_facilities(project, layer)
    directions = view_directions(project, layer)
    kinds = facilities[fids] if len(facilities) else np.full(len(fids), DEFAULT_FACILITY, dtype=object)
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    anchors: list[np.ndarray] = []
    for facility in np.unique(kinds) if len(kinds) else []:  # one step per facility type, not per point
        mask = kinds == facility
        shape, on_pole, _ = FACILITIES.get(facility, ("sphere", False, ()))
        where, ids = positions[mask], fids[mask]
        lift = np.array([0.0, 0.0, POLE_HEIGHT * size if on_pole else 0.0])
        angles = None
        if shape == "cone":
            azimuth = directions[ids] if directions is not None else np.full(len(ids), np.nan)
            known = np.isfinite(azimuth)
            if (~known).any():  # a camera without a direction: a dome on its pole
                pieces.append(_piece(template("sphere"), where[~known] + lift, size, None, ids[~known]))
                anchors.append(np.repeat(where[~known], len(template("sphere").points), axis=0))
            where, ids, angles = where[known], ids[known], np.radians(-azimuth[known])
        if len(ids):
            pieces.append(_piece(template(shape), where + lift, size, angles, ids))
            anchors.append(np.repeat(where, len(template(shape).points), axis=0))
        if on_pole:
            pieces.append(_piece(template("pole"), positions[mask], size * POLE_HEIGHT, None, fids[mask]))
            anchors.append(np.repeat(positions[mask], len(template("pole").points), axis=0))
    mesh = merge_triangles(pieces)
    return mesh, (np.concatenate(anchors) if anchors else np.zeros((0, 3)))


def _piece(tmpl: Template, positions: np.ndarray, size: float, angles: np.ndarray | None, fids: np.ndarray):
    pts, faces = place(tmpl, positions, size, angles)
    return pts, faces, np.repeat(fids, len(tmpl.triangles))

