"""Line features: roads as flat ribbons on the ground, underground utilities as tubes at their depth.

A feature is underground when it has a depth attribute (``depth``, ``심도``, ``매설심도``: metres
below the ground) or a negative z in its geometry; those are drawn as tubes (VTK's tube filter)
and the scene makes the ground translucent. Everything else lies on the ground as a ribbon whose
width is the ``width`` attribute, else lanes x 3.3 m, else the style size. Ribbons are built
with numpy over all vertices at once: a mitred offset to each side of every vertex.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyvista as pv
import shapely

from twin.scene.features import numeric_attribute, read_geometries
from twin.scene.meshes import FID, empty_mesh, offsets, polyline_cells
from twin.scene.origin import LocalOrigin
from twin.store.project import LayerInfo, Project

DEPTH_COLUMNS = ("depth", "심도", "매설심도", "depth_m", "burial_depth")
WIDTH_COLUMNS = ("width", "도로폭", "폭", "road_width")
LANE_COLUMNS = ("lanes", "차로수", "차선수", "up_lanes")
#: default colour of a lines layer by the utility its name speaks of (when the style sets none)
UTILITY_COLORS = (
    (("water", "상수", "급수"), "#1e88e5"),
    (("sewer", "하수", "오수", "우수", "drain"), "#8d6e63"),
    (("gas", "가스"), "#fbc02d"),
    (("power", "electric", "전력", "전기"), "#e53935"),
    (("telecom", "통신", "fiber", "광"), "#43a047"),
    (("heat", "난방", "열수송"), "#fb8c00"),
)
LANE_WIDTH = 3.3
RIBBON_WIDTH = 6.0
TUBE_DIAMETER = 1.0
#: ribbons float this far above the ground so that they never flicker with it
RIBBON_LIFT = 0.15
#: mitre joins are limited to this factor of the half width
MITRE_LIMIT = 3.0


@dataclasses.dataclass(frozen=True)
class Polylines:
    """Line parts as flat vertex arrays: local coordinates, the part of each vertex, the fid of each part."""

    points: np.ndarray  # (n, 3) float64, local
    part: np.ndarray  # (n,) int64, non-decreasing
    part_fid: np.ndarray  # (parts,) int64

    @property
    def vertex_fid(self) -> np.ndarray:
        return self.part_fid[self.part]


def utility_color(name: str) -> str | None:
    """The conventional colour of the utility a layer name speaks of (water blue, gas yellow...), or None."""
    low = name.lower()
    for words, color in UTILITY_COLORS:
        if any(word in low for word in words):
            return color
    return None


def read_polylines(project: Project, layer: LayerInfo, origin: LocalOrigin) -> tuple[Polylines, np.ndarray]:
    """The line parts of a layer (polygon rings included as closed lines) and which vertices had a z."""
    features = read_geometries(project, layer)
    parts, fids = features.parts()
    polygons = shapely.get_type_id(parts) == 3
    if polygons.any():  # outline of polygons in a lines layer
        rings, ring_index = shapely.get_rings(parts[polygons], return_index=True)
        parts = np.concatenate([parts[~polygons], rings])
        fids = np.concatenate([fids[~polygons], fids[polygons][ring_index]])
    keep = np.isin(shapely.get_type_id(parts), (1, 2)) & (shapely.get_num_coordinates(parts) >= 2)
    parts, fids = parts[keep], fids[keep]
    coords, index = shapely.get_coordinates(parts, include_z=True, return_index=True)
    has_z = np.isfinite(coords[:, 2])
    local = origin.to_local(coords).astype(np.float64)
    return Polylines(local, index.astype(np.int64), fids.astype(np.int64)), has_z


def underground_depths(project: Project, layer: LayerInfo, lines: Polylines, has_z: np.ndarray) -> np.ndarray:
    """Per vertex: z below the ground for underground features (from depth or negative z), else NaN."""
    z = np.where(has_z, lines.points[:, 2], np.nan)
    depth = numeric_attribute(project, layer, DEPTH_COLUMNS)
    out = np.full(len(z), np.nan)
    if depth is not None:
        d = np.abs(depth[lines.vertex_fid])
        out = np.where(np.isfinite(d) & (d > 0) & ~(z < 0), -d, out)
    below = np.isfinite(z) & (z < -0.05)
    feature_below = np.zeros(len(lines.part_fid), dtype=bool)
    np.logical_or.at(feature_below, lines.part, below)
    return np.where(feature_below[lines.part] & np.isfinite(z), z, out)


def feature_widths(project: Project, layer: LayerInfo, lines: Polylines, default: float) -> np.ndarray:
    """Per vertex: the ribbon width of its feature (width attribute, lanes x 3.3 m, else ``default``)."""
    width = numeric_attribute(project, layer, WIDTH_COLUMNS)
    lanes = numeric_attribute(project, layer, LANE_COLUMNS)
    out = np.full(len(lines.part), float(default))
    fid = lines.vertex_fid
    if lanes is not None:
        lanes_width = lanes[fid] * LANE_WIDTH
        out = np.where(np.isfinite(lanes_width) & (lanes_width > 0), lanes_width, out)
    if width is not None:
        w = width[fid]
        out = np.where(np.isfinite(w) & (w > 0) & (w < 200), w, out)
    return out


def ribbons(lines: Polylines, widths: np.ndarray, *, z: float | np.ndarray = RIBBON_LIFT) -> pv.PolyData:
    """Flat ribbons along the lines (two triangles per segment) with a ``fid`` cell array."""
    p = lines.points[:, :2]
    n = len(p)
    if n < 2:
        return empty_mesh()
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = lines.part[1:] == lines.part[:-1]
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = same_next[:-1]
    idx = np.arange(n)
    nxt = np.where(same_next, idx + 1, idx)
    prv = np.where(same_prev, idx - 1, idx)
    seg_in = _unit(p - p[prv])  # direction of the segment arriving at each vertex
    seg_out = _unit(p[nxt] - p)  # direction of the segment leaving it
    seg_in = np.where(same_prev[:, None], seg_in, seg_out)
    seg_out = np.where(same_next[:, None], seg_out, seg_in)
    tangent = _unit(seg_in + seg_out)
    tangent = np.where((np.linalg.norm(tangent, axis=1) > 0)[:, None], tangent, seg_out)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    seg_normal = np.column_stack([-seg_out[:, 1], seg_out[:, 0]])
    cos_half = np.abs(np.sum(normal * seg_normal, axis=1))
    mitre = 1.0 / np.clip(cos_half, 1.0 / MITRE_LIMIT, 1.0)
    offset = normal * (widths * 0.5 * mitre)[:, None]
    zz = np.broadcast_to(np.asarray(z, dtype=np.float64), (n,))
    left = np.column_stack([p + offset, zz])
    right = np.column_stack([p - offset, zz])
    points = np.empty((2 * n, 3))
    points[0::2], points[1::2] = left, right
    seg = np.flatnonzero(same_next)
    a, b = 2 * seg, 2 * seg + 2
    faces = np.concatenate([np.column_stack([a, a + 1, b + 1]), np.column_stack([a, b + 1, b])])
    fids = np.tile(lines.vertex_fid[seg], 2)
    mesh = pv.PolyData.from_regular_faces(points.astype(np.float32), faces)
    mesh.cell_data[FID] = fids
    return mesh


def tubes(lines: Polylines, z: np.ndarray, radius: float, *, sides: int = 10) -> pv.PolyData:
    """Round tubes along the lines at the given z (VTK tube filter, triangles) with a ``fid`` cell array."""
    if len(lines.points) < 2:
        return empty_mesh()
    tube = centrelines(lines, z).tube(radius=float(radius), n_sides=sides, capping=True).triangulate()
    return tube


def _unit(v: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, length, out=np.zeros_like(v), where=length > 0)


def centrelines(lines: Polylines, z: np.ndarray) -> pv.PolyData:
    """The lines themselves as VTK polylines at ``z`` (drawn a few pixels wide at any zoom), with ``fid`` cells."""
    if len(lines.points) < 2:
        return empty_mesh()
    points = lines.points.copy()
    points[:, 2] = z
    counts = np.bincount(lines.part, minlength=len(lines.part_fid))
    present = np.flatnonzero(counts >= 2)
    poly = pv.PolyData(points.astype(np.float32), lines=polyline_cells(counts[present], offsets(counts)[present]))
    poly.cell_data[FID] = lines.part_fid[present]
    return poly


@dataclasses.dataclass
class LineMeshes:
    """The meshes of a lines layer, and for the ribbons the centre point (anchor) and width (m) of every point."""

    ribbons: pv.PolyData
    tubes: pv.PolyData
    centrelines: pv.PolyData
    anchors: np.ndarray  # (ribbon points, 3) float64
    widths: np.ndarray  # (ribbon points,) metres


def line_meshes(
    project: Project, layer: LayerInfo, origin: LocalOrigin, *, size: float | None = None
) -> tuple[pv.PolyData, pv.PolyData, pv.PolyData]:
    """(ribbons on the ground, tubes underground, centrelines of both) for a lines layer, with ``fid`` cells.

    ``size`` is the ribbon width where the data gives none, and the tube diameter, in metres. The
    centrelines keep thin roads and pipes visible when the whole city is in view.
    """
    parts = line_parts(project, layer, origin, size=size)
    return parts.ribbons, parts.tubes, parts.centrelines


def line_parts(project: Project, layer: LayerInfo, origin: LocalOrigin, *, size: float | None = None) -> LineMeshes:
    """:func:`line_meshes` with the ribbons' anchors and widths (``twin.scene.screen`` resizes them in pixels)."""
    lines, has_z = read_polylines(project, layer, origin)
    depth = underground_depths(project, layer, lines, has_z)
    under_part = np.zeros(len(lines.part_fid), dtype=bool)
    np.logical_or.at(under_part, lines.part, np.isfinite(depth))
    under = under_part[lines.part]
    ground = _subset(lines, ~under)
    widths = feature_widths(project, layer, ground, size or RIBBON_WIDTH)
    z_ground = np.where(has_z[~under], ground.points[:, 2], 0.0) + RIBBON_LIFT
    pipes = _subset(lines, under)
    z_all = np.where(under, np.nan_to_num(depth), np.where(has_z, lines.points[:, 2], 0.0) + RIBBON_LIFT + 0.05)
    anchors = np.empty((2 * len(ground.points), 3))
    anchors[0::2] = anchors[1::2] = np.column_stack([ground.points[:, :2], z_ground])
    return LineMeshes(ribbons(ground, widths, z=z_ground), tubes(pipes, depth[under], (size or TUBE_DIAMETER) / 2.0),
                      centrelines(lines, z_all), anchors, np.repeat(widths, 2))


def _subset(lines: Polylines, mask: np.ndarray) -> Polylines:
    """The vertices in ``mask`` (whole parts), renumbered."""
    parts = np.unique(lines.part[mask])
    remap = np.full(len(lines.part_fid), -1, dtype=np.int64)
    remap[parts] = np.arange(len(parts))
    return Polylines(lines.points[mask], remap[lines.part[mask]], lines.part_fid[parts])
