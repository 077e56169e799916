"""Footprints -> LoD1 blocks (twin.geometry): closed, outward-facing meshes with the right volume."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from twin.geometry import extrude_footprints, footprint_base_z, polygon_rings, resolve_heights, triangulate_rings
from twin.layerdata import SURFACE_CODES


def _parts(mesh):
    for i in range(mesh.part_count):
        v = mesh.vertices[mesh.part_vertex_offsets[i]:mesh.part_vertex_offsets[i + 1]]
        t = mesh.triangles[mesh.part_triangle_offsets[i]:mesh.part_triangle_offsets[i + 1]]
        s = mesh.triangle_surface[mesh.part_triangle_offsets[i]:mesh.part_triangle_offsets[i + 1]]
        yield int(mesh.part_feature[i]), v, t, s


def _signed_volume(v, t):
    a, b, c = v[t[:, 0]], v[t[:, 1]], v[t[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def _is_closed(t):
    """Every edge used exactly twice, once in each direction (closed and consistently oriented)."""
    edges = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    forward = {tuple(e) for e in edges.tolist()}
    return len(forward) == len(edges) and all((b, a) in forward for a, b in forward)


SHAPES = [
    shapely.box(0, 0, 10, 5),  # convex: numpy fan
    shapely.Polygon([(0, 0), (10, 0), (10, 10), (5, 4), (0, 10)]),  # concave: earcut
    shapely.box(0, 0, 10, 10).difference(shapely.box(3, 3, 6, 6)),  # courtyard
    shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 4, 3)]),
    shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)]),  # clockwise input
]


def test_blocks_are_closed_outward_and_have_the_footprint_volume():
    heights = np.array([5.0, 6.0, 7.0, 3.0, 2.5])
    extrusion = extrude_footprints(np.array(SHAPES, dtype=object), heights)
    mesh = extrusion.mesh
    assert extrusion.has_mesh.all() and mesh.part_count == len(SHAPES)
    assert list(mesh.part_lod) == ["1"] * len(SHAPES)
    for feature, v, t, s in _parts(mesh):
        expected = shapely.area(SHAPES[feature]) * heights[feature]
        assert _signed_volume(v, t) == pytest.approx(expected)  # positive: normals point outwards
        assert _is_closed(t)
        roof = t[s == SURFACE_CODES["RoofSurface"]]
        ground = t[s == SURFACE_CODES["GroundSurface"]]
        assert np.allclose(v[roof][:, :, 2], heights[feature]) and np.allclose(v[ground][:, :, 2], 0)
        assert (s == SURFACE_CODES["WallSurface"]).sum() == 2 * len(v) // 2  # two triangles per ring edge


def test_base_from_footprint_z_and_explicit_base():
    square = shapely.Polygon([(0, 0, 186.9), (4, 0, 187.5), (4, 4, 187.0), (0, 4, 186.9)])
    flat = shapely.box(10, 10, 12, 12)
    geoms = np.array([square, flat], dtype=object)
    assert footprint_base_z(geoms).tolist() == [186.9, 0.0]
    mesh = extrude_footprints(geoms, np.array([19.0, 3.0])).mesh
    z = mesh.vertices[:, 2]
    assert z.min() == pytest.approx(0.0) and z.max() == pytest.approx(186.9 + 19.0)
    lifted = extrude_footprints(geoms, 3.0, base=np.array([100.0, 50.0])).mesh.vertices[:, 2]
    assert sorted(set(np.round(lifted, 6))) == [50.0, 53.0, 100.0, 103.0]


def test_missing_empty_and_degenerate_footprints_get_no_block():
    geoms = np.array([None, shapely.Polygon(), shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)]),
                      shapely.Polygon([(0, 0), (1, 1), (2, 2)])], dtype=object)
    extrusion = extrude_footprints(geoms, 3.0)
    assert extrusion.has_mesh.tolist() == [False, False, True, False, False]
    assert extrusion.without_mesh.tolist() == [0, 1, 3, 4]
    assert extrusion.mesh.part_feature.tolist() == [2]


def test_resolve_heights_prefers_height_then_storeys_then_default():
    height = np.array([12.0, np.nan, 0.0, np.nan, -3.0])
    storeys = np.array([4.0, 5.0, np.nan, np.nan, 2.0])
    h, source = resolve_heights(height, storeys, count=5, storey_height=3.0, default_height=10.0)
    assert h.tolist() == [12.0, 15.0, 10.0, 10.0, 6.0]
    assert source.tolist() == [0, 1, 2, 2, 1]
    h, source = resolve_heights(None, None, count=2, default_height=7.5)
    assert h.tolist() == [7.5, 7.5] and source.tolist() == [2, 2]


def test_fan_and_earcut_cover_the_polygon_area():
    rng = np.random.default_rng(3)
    shapes = [shapely.box(x, y, x + w, y + d) for x, y, w, d in rng.uniform(1, 50, size=(50, 4))]
    shapes += [shapely.Point(x, y).buffer(5).difference(shapely.Point(x, y).buffer(2)) for x, y in rng.uniform(0, 99, (5, 2))]
    shapes += [shapely.Polygon([(0, 0), (8, 0), (8, 2), (2, 2), (2, 8), (0, 8)])]  # L-shaped
    rings = polygon_rings(np.array(shapes, dtype=object))
    triangles, polygon = triangulate_rings(rings)
    a, b, c = (rings.xy[triangles[:, i]] for i in range(3))
    area = 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))
    assert (area >= -1e-9).all()  # counter-clockwise seen from above
    per_polygon = np.bincount(polygon, weights=area, minlength=len(shapes))
    assert np.allclose(per_polygon, shapely.area(np.array(shapes, dtype=object)))


def test_many_footprints_in_one_call_keep_feature_order():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 10_000, size=(2_000, 2))
    geoms = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 12, xy[:, 1] + 8)
    geoms[::10] = None
    heights = rng.uniform(3, 90, size=len(geoms))
    mesh = extrude_footprints(geoms, heights).mesh
    assert mesh.part_count == 1_800
    assert (np.diff(mesh.part_feature) > 0).all()
    for feature, v, _, _ in list(_parts(mesh))[:20]:
        assert v[:, 0].min() == pytest.approx(xy[feature, 0]) and v[:, 2].max() == pytest.approx(heights[feature])


def test_invalid_footprints_are_repaired_not_dropped():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # self-intersecting: area 0 as given
    extrusion = extrude_footprints(np.array([bowtie], dtype=object), 4.0)
    assert extrusion.repaired == 1 and extrusion.has_mesh.all()
    (_, v, t, _), = _parts(extrusion.mesh)
    assert _signed_volume(v, t) == pytest.approx(50.0 * 4.0)  # two triangles of 25 m2
