"""The spatial relations links are made of, vectorised over all pairs at once (numpy, scipy, shapely 2).

- :func:`cameras_seeing`: which cameras see which points: within range, inside the camera's field of view
  around its heading, and not behind a building taller than the line of sight where it crosses it;
- :func:`pairs_within`: pairs of geometries closer than a distance (an excavation and the pipes near it);
- :func:`points_along`: points within a distance of a line (the detectors along a route), in route order.

Angles are compass bearings in degrees: 0 = north, clockwise (``방향`` in Korean CCTV registers).
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import cKDTree

#: mast height of a camera and the height of what it looks at, metres (for the line of sight)
CAMERA_HEIGHT_M = 8.0
TARGET_HEIGHT_M = 1.5


def bearing_deg(from_xy: np.ndarray, to_xy: np.ndarray) -> np.ndarray:
    """Compass bearing (0 = north, clockwise) from each ``from_xy`` to each ``to_xy`` (same shapes)."""
    d = np.asarray(to_xy, dtype=np.float64) - np.asarray(from_xy, dtype=np.float64)
    return np.degrees(np.arctan2(d[..., 0], d[..., 1])) % 360.0


def angle_off(bearing: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """The absolute difference of two bearings, 0..180 degrees."""
    return np.abs((np.asarray(bearing) - np.asarray(heading) + 180.0) % 360.0 - 180.0)


def cameras_seeing(targets_xy: np.ndarray, cameras_xy: np.ndarray, heading_deg: np.ndarray, fov_deg: np.ndarray,
                   range_m: np.ndarray, *, obstacles=None, obstacle_heights=None,
                   camera_height: float = CAMERA_HEIGHT_M,
                   target_height: float = TARGET_HEIGHT_M) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target index, camera index, distance m) of every camera that sees a target.

    A camera sees a target within its ``range_m`` whose bearing lies within half its ``fov_deg`` of its
    ``heading_deg`` (a camera without a heading, NaN, or a field of view of 360 looks all around), unless a
    footprint of ``obstacles`` (shapely polygons) taller than the line of sight where the sight line
    crosses it stands between them. Footprints that contain the camera or the target do not count.
    """
    targets = np.asarray(targets_xy, dtype=np.float64).reshape(-1, 2)
    cams = np.asarray(cameras_xy, dtype=np.float64).reshape(-1, 2)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if not len(targets) or not len(cams):
        return empty
    ranges = np.broadcast_to(np.asarray(range_m, dtype=np.float64), (len(cams),))
    heading = np.broadcast_to(np.asarray(heading_deg, dtype=np.float64), (len(cams),))
    fov = np.broadcast_to(np.asarray(fov_deg, dtype=np.float64), (len(cams),))
    near = cKDTree(targets).query_ball_point(cams, r=ranges)  # per camera, the targets in range
    cam_index = np.repeat(np.arange(len(cams)), [len(n) for n in near])
    if not len(cam_index):
        return empty
    target_index = np.concatenate([np.asarray(n, dtype=np.int64) for n in near])
    offsets = targets[target_index] - cams[cam_index]
    distance = np.hypot(offsets[:, 0], offsets[:, 1])
    omni = ~np.isfinite(heading[cam_index]) | (fov[cam_index] >= 360.0)
    in_view = omni | (angle_off(bearing_deg(cams[cam_index], targets[target_index]), heading[cam_index])
                      <= fov[cam_index] / 2.0)
    keep = in_view & (distance > 0) | (distance == 0)
    target_index, cam_index, distance = target_index[keep], cam_index[keep], distance[keep]
    if obstacles is not None and len(target_index):
        blocked = _occluded(targets[target_index], cams[cam_index], np.asarray(obstacles, dtype=object),
                            None if obstacle_heights is None else np.asarray(obstacle_heights, dtype=np.float64),
                            camera_height, target_height)
        target_index, cam_index, distance = target_index[~blocked], cam_index[~blocked], distance[~blocked]
    order = np.lexsort((distance, target_index))
    return target_index[order], cam_index[order], distance[order]


def _occluded(target_xy, camera_xy, footprints, heights, camera_height, target_height) -> np.ndarray:
    """Per sight line (camera -> target), whether a footprint taller than the line where it crosses blocks it."""
    sights = shapely.linestrings(np.stack([camera_xy, target_xy], axis=1))
    tree = shapely.STRtree(footprints)
    line_idx, foot_idx = tree.query(sights, predicate="intersects")
    blocked = np.zeros(len(sights), dtype=bool)
    if not len(line_idx):
        return blocked
    cam_pt, tgt_pt = shapely.points(camera_xy[line_idx]), shapely.points(target_xy[line_idx])
    own = shapely.contains(footprints[foot_idx], cam_pt) | shapely.contains(footprints[foot_idx], tgt_pt)
    line_idx, foot_idx, cam_pt = line_idx[~own], foot_idx[~own], cam_pt[~own]
    if not len(line_idx):
        return blocked
    crossing = shapely.intersection(sights[line_idx], footprints[foot_idx])
    length = np.maximum(shapely.length(sights[line_idx]), 1e-9)
    fraction = np.clip(shapely.distance(cam_pt, crossing) / length, 0.0, 1.0)  # where the sight enters it
    sight_height = camera_height + (target_height - camera_height) * fraction
    tall = np.full(len(foot_idx), np.inf) if heights is None else heights[foot_idx]
    np.logical_or.at(blocked, line_idx, tall > sight_height)
    return blocked


def pairs_within(geoms_a, geoms_b, distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index in a, index in b, distance m) of every pair closer than ``distance``, nearest first per a."""
    a = np.asarray(geoms_a, dtype=object)
    b = np.asarray(geoms_b, dtype=object)
    if not len(a) or not len(b):
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    ia, ib = shapely.STRtree(b).query(a, predicate="dwithin", distance=float(distance))
    gap = shapely.distance(a[ia], b[ib])
    order = np.lexsort((gap, ia))
    return ia[order].astype(np.int64), ib[order].astype(np.int64), gap[order]


def points_along(points_xy: np.ndarray, line, distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point index, distance from the line, position along it in m) of the points within ``distance`` of
    ``line``, in the order a traveller along the line meets them."""
    pts = shapely.points(np.asarray(points_xy, dtype=np.float64).reshape(-1, 2))
    if line is None or not len(pts):
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    gap = shapely.distance(pts, line)
    index = np.flatnonzero(gap <= distance)
    along = shapely.line_locate_point(line, pts[index])
    order = np.argsort(along, kind="stable")
    return index[order].astype(np.int64), gap[index][order], along[order]
