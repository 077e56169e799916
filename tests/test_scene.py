"""The Qt-free scene: meshes from the store, local origin, glyphs, ribbons, tubes, polygons, styles, camera.

The small asymmetric scene built here (``scene_project``) is reused by tests/test_render.py.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.errors import ProjectError
from twin.layerdata import SURFACE_CODES, ImportReport, LayerData, MeshData
from twin.store.project import Project
from twin.store.writer import write_layer

E0, N0 = 200_000.0, 550_000.0  # EPSG:5186, Seoul-ish
ROOF, WALL, GROUND = SURFACE_CODES["RoofSurface"], SURFACE_CODES["WallSurface"], SURFACE_CODES["GroundSurface"]


def box_mesh(rects, *, lods=None, features=None) -> MeshData:
    """Boxes ``(x0, y0, width, depth, z0, height)`` as MeshData: 12 triangles each (2 ground, 2 roof, 8 wall)."""
    corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    tris = [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7]]
    for i in range(4):
        j = (i + 1) % 4
        tris += [[i, j, j + 4], [i, j + 4, i + 4]]
    surfaces = [GROUND, GROUND, ROOF, ROOF] + [WALL] * 8
    vertices = []
    for x0, y0, w, d, z0, h in rects:
        base = np.column_stack([x0 + corners[:, 0] * w, y0 + corners[:, 1] * d, np.full(4, z0)])
        vertices.append(np.vstack([base, base + [0, 0, h]]))
    k = len(rects)
    return MeshData(
        vertices=np.vstack(vertices),
        triangles=np.tile(np.array(tris, dtype=np.int32), (k, 1)),
        triangle_surface=np.tile(np.array(surfaces, dtype=np.uint8), k),
        part_vertex_offsets=np.arange(k + 1) * 8,
        part_triangle_offsets=np.arange(k + 1) * 12,
        part_feature=np.arange(k) if features is None else np.asarray(features),
        part_lod=np.array(lods or ["1"] * k, dtype=object),
    )


def layer(kind, columns, *, source="test", crs="EPSG:5186", mesh=None) -> LayerData:
    return LayerData(kind, pa.table(columns), crs, ImportReport(source, imported=len(next(iter(columns.values())))), mesh=mesh)


def wkb(geoms) -> list[bytes]:
    return list(shapely.to_wkb(np.asarray(geoms, dtype=object)))


#: an asymmetric scene around (E0, N0): a tall tower north-west, a long slab south, a small box east
BUILDINGS = [(E0 - 60, N0 + 20, 12, 12, 30, 80), (E0 - 40, N0 - 50, 60, 16, 30, 18), (E0 + 40, N0 - 5, 14, 10, 30, 9)]


def scene_project(path) -> Project:
    """A project with buildings (mesh), CCTV points with view directions, roads, a pipe and a park."""
    project = Project.open(path, create=True, crs="EPSG:5186")
    n = len(BUILDINGS)
    write_layer(project, layer("buildings", {
        "geometry": [None] * n, "height": [80.0, 18.0, 9.0], "용도": ["office", "housing", "office"],
    }, mesh=box_mesh(BUILDINGS)), name="buildings")
    write_layer(project, layer("points", {
        "geometry": wkb(shapely.points([E0 - 20, E0 + 30, E0 + 10], [N0 + 5, N0 + 30, N0 - 25])),
        "방향": [90.0, None, 0.0], "CCTV 유형코드": ["A", "B", "A"],
    }, source="osan_cctv.csv"), name="CCTV")
    write_layer(project, layer("lines", {
        "geometry": wkb([shapely.linestrings([[E0 - 90, N0 - 20], [E0 + 80, N0 - 20]]),
                         shapely.linestrings([[E0 + 25, N0 - 80], [E0 + 25, N0 + 60], [E0 + 70, N0 + 90]])]),
        "width": [12.0, None], "road_name": ["중앙로", "공원로"],
    }), name="roads")
    write_layer(project, layer("lines", {
        "geometry": wkb([shapely.linestrings([[E0 - 80, N0 + 5], [E0 + 80, N0 + 5]])]), "심도": [2.5],
    }), name="상수관로")
    write_layer(project, layer("polygons", {
        "geometry": wkb([shapely.Polygon([(E0 + 35, N0 + 20), (E0 + 85, N0 + 20), (E0 + 85, N0 + 60), (E0 + 35, N0 + 60)],
                                         [[(E0 + 50, N0 + 30), (E0 + 60, N0 + 30), (E0 + 60, N0 + 40), (E0 + 50, N0 + 40)]])]),
        "name": ["park"], "levels": [3],
    }), name="parks")
    return project


@pytest.fixture
def scene(tmp_path):
    project = scene_project(tmp_path / "scene.twin.duckdb")
    yield project
    project.close()


# ----- origin and precision ---------------------------------------------------------------------
def test_origin_is_the_project_centre_at_the_ground(scene):
    from twin.scene.origin import project_origin

    origin = project_origin(scene)
    assert (origin.x, origin.y) == (E0 - 2.0, N0 + 5.0)  # centre of all layer extents, whole metres
    assert origin.z == 30.0  # lowest building base: 2D roads and points lie on it


def test_building_mesh_from_the_store_is_local_with_fid_and_surfaces(scene):
    from twin.scene.meshes import FID, SURFACE, building_mesh
    from twin.scene.origin import project_origin

    origin = project_origin(scene)
    mesh = building_mesh(scene, scene.layer("buildings"), origin)
    assert mesh.n_cells == 36 and mesh.n_points == 24
    assert mesh.points.dtype == np.float32
    np.testing.assert_allclose(mesh.bounds, (-58.0, 56.0, -55.0, 27.0, 0.0, 80.0))
    assert np.bincount(mesh.cell_data[FID]).tolist() == [12, 12, 12]
    assert np.bincount(mesh.cell_data[SURFACE], minlength=4)[[GROUND, WALL, ROOF]].tolist() == [6, 24, 6]
    # the tower (fid 0) is the north-west one and 80 m tall
    tower = mesh.extract_cells(np.flatnonzero(mesh.cell_data[FID] == 0))
    np.testing.assert_allclose(tower.bounds, (-58.0, -46.0, 15.0, 27.0, 0.0, 80.0))


def test_zurich_coordinates_do_not_jitter_in_float32(shared_data, tmp_path):
    from twin.io.service import import_file
    from twin.scene.meshes import building_mesh, read_mesh_rows
    from twin.scene.origin import project_origin

    with Project.open(tmp_path / "zurich.twin.duckdb", create=True, crs="EPSG:2056") as project:
        outcome = import_file(project, shared_data / "A" / "zurich_lod2_subset_v1.1.city.json")
        buildings = next(lay for lay in outcome.layers if lay.kind == "buildings")
        assert project.crs == "EPSG:2056"
        origin = project_origin(project)
        assert origin.x > 2_600_000  # 7-digit eastings
        rows = read_mesh_rows(project, buildings)
        mesh = building_mesh(project, buildings, origin)
        assert mesh.points.dtype == np.float32
        assert mesh.n_points == len(rows.vertices)
        back = np.asarray(mesh.points, dtype=np.float64) + origin.xyz
        local_error = np.abs(back - rows.vertices).max()
        naive_error = np.abs(rows.vertices.astype(np.float32).astype(np.float64) - rows.vertices).max()
        assert local_error < 0.001  # under a millimetre
        assert naive_error > 0.02  # float32 of absolute eastings is off by centimetres
        assert np.abs(np.asarray(mesh.points)).max() < 10_000  # a few km around the centre
        surfaces = set(np.unique(mesh.cell_data["surface"]).tolist())
        assert {ROOF, WALL} <= surfaces  # LoD2 semantics reach the scene


# ----- LoDs and bad meshes ----------------------------------------------------------------------
def test_lod_choice_highest_default_property_and_fallback(project):
    from twin.scene.meshes import FID, building_mesh, chosen_lod, mesh_lods
    from twin.scene.origin import LocalOrigin

    # feature 0 has LoD 1.2 (10 m) and 2.2 (20 m); feature 1 only 1.2 (5 m)
    mesh = box_mesh([(E0, N0, 10, 10, 0, 10), (E0, N0, 10, 10, 0, 20), (E0 + 20, N0, 10, 10, 0, 5)],
                    lods=["1.2", "2.2", "1.2"], features=[0, 0, 1])
    info = write_layer(project, layer("buildings", {"geometry": [None, None]}, mesh=mesh), name="multi")
    assert mesh_lods(project, info) == ["1.2", "2.2"]
    assert chosen_lod(project, info) == "2.2"
    origin = LocalOrigin(E0, N0, 0.0)

    def heights(m):
        return {int(f): float(m.extract_cells(np.flatnonzero(m.cell_data[FID] == f)).bounds[5]) for f in np.unique(m.cell_data[FID])}

    assert heights(building_mesh(project, info, origin)) == {0: 20.0, 1: 5.0}  # highest, feature 1 falls back
    assert heights(building_mesh(project, info, origin, lod="1.2")) == {0: 10.0, 1: 5.0}
    project.set_properties("multi", {"default_lod": "1.2"})
    assert heights(building_mesh(project, project.layer("multi"), origin)) == {0: 10.0, 1: 5.0}
    with pytest.raises(ProjectError, match="no LoD 3"):
        building_mesh(project, info, origin, lod="3")


def test_a_mesh_with_bad_indices_is_refused_naming_the_feature(project):
    from twin.scene.meshes import building_mesh
    from twin.scene.origin import LocalOrigin

    mesh = box_mesh([(E0, N0, 10, 10, 0, 10), (E0 + 20, N0, 10, 10, 0, 10)])
    mesh.triangles[15] = [0, 1, 8]  # second box refers to a ninth vertex it does not have
    info = write_layer(project, layer("buildings", {"geometry": [None, None]}, mesh=mesh), name="bad")
    with pytest.raises(ProjectError, match="'bad': feature 1 has triangle indices outside its vertices"):
        building_mesh(project, info, LocalOrigin(E0, N0, 0))


# ----- points, lines, polygons ------------------------------------------------------------------
def test_cctv_cones_point_along_their_view_direction(scene):
    from twin.scene.glyphs import feature_facilities, point_glyphs
    from twin.scene.meshes import FID
    from twin.scene.origin import project_origin

    origin = project_origin(scene)
    info = scene.layer("CCTV")
    assert list(feature_facilities(scene, info)) == ["cctv"] * 3  # from the layer name and source file
    glyphs = point_glyphs(scene, info, origin, size=4.0)
    assert set(np.unique(glyphs.cell_data[FID])) == {0, 1, 2}
    positions = origin.to_local(np.array([[E0 - 20, N0 + 5], [E0 + 30, N0 + 30], [E0 + 10, N0 - 25]]))
    for fid, (dx, dy) in ((0, (1, 0)), (2, (0, 1))):  # 90 degrees: east; 0 degrees: north
        cells = glyphs.extract_cells(np.flatnonzero(glyphs.cell_data[FID] == fid))
        high = cells.points[cells.points[:, 2] > 8.0]  # the cone on top of its pole
        offset = high[:, :2].mean(axis=0) - positions[fid, :2]
        assert offset @ np.array([dx, dy]) > 1.5 and abs(offset @ np.array([dy, -dx])) < 0.5
    # no direction: a dome centred over its pole
    dome = glyphs.extract_cells(np.flatnonzero(glyphs.cell_data[FID] == 1))
    np.testing.assert_allclose(dome.points[:, :2].mean(axis=0), positions[1, :2], atol=0.5)


def test_facility_types_from_a_korean_type_column(project):
    from twin.scene.glyphs import feature_facilities

    info = write_layer(project, layer("points", {
        "geometry": wkb(shapely.points([E0, E0 + 1, E0 + 2], [N0, N0, N0])),
        "시설종류": ["버스정류장", "CCTV", "가로등"],
    }, source="facilities.csv"), name="시설물")
    assert list(feature_facilities(project, info)) == ["bus_stop", "cctv", "point"]


def test_roads_are_ribbons_on_the_ground_with_their_width(scene):
    from twin.scene.lines import RIBBON_LIFT, line_meshes
    from twin.scene.meshes import FID
    from twin.scene.origin import project_origin

    origin = project_origin(scene)
    ribbons, tubes, _ = line_meshes(scene, scene.layer("roads"), origin)
    assert tubes.n_cells == 0
    assert sorted(np.bincount(ribbons.cell_data[FID]).tolist()) == [2, 4]  # 1 and 2 segments
    straight = ribbons.extract_cells(np.flatnonzero(ribbons.cell_data[FID] == 0))
    x0, x1, y0, y1, z0, z1 = straight.bounds
    assert y1 - y0 == pytest.approx(12.0, abs=1e-4)  # the width attribute
    assert x1 - x0 == pytest.approx(170.0, abs=1e-4)
    assert z0 == z1 == pytest.approx(RIBBON_LIFT)
    bent = ribbons.extract_cells(np.flatnonzero(ribbons.cell_data[FID] == 1))
    assert bent.bounds[1] - bent.bounds[0] > 45  # follows the bend to the north-east


def test_pipes_with_a_depth_are_tubes_below_the_ground(scene):
    from twin.scene.lines import line_meshes
    from twin.scene.origin import project_origin

    origin = project_origin(scene)
    ribbons, tubes, _ = line_meshes(scene, scene.layer("상수관로"), origin, size=1.0)
    assert ribbons.n_cells == 0 and tubes.n_cells > 0
    z0, z1 = tubes.bounds[4:]
    assert (z0 + z1) / 2 == pytest.approx(-2.5, abs=1e-3) and z1 - z0 == pytest.approx(1.0, abs=1e-3)


def test_negative_z_lines_stay_at_their_depth(project):
    from twin.scene.lines import line_meshes
    from twin.scene.origin import LocalOrigin

    geom = shapely.linestrings([[E0, N0, -4.0], [E0 + 50, N0, -6.0]])
    info = write_layer(project, layer("lines", {"geometry": wkb([geom])}), name="tunnel")
    ribbons, tubes, _ = line_meshes(project, info, LocalOrigin(E0, N0, 0.0))
    assert ribbons.n_cells == 0
    assert tubes.bounds[4] == pytest.approx(-6.5, abs=1e-3) and tubes.bounds[5] == pytest.approx(-3.5, abs=1e-3)


def test_polygons_flat_with_hole_and_extruded_by_attribute(scene):
    from twin.scene.origin import project_origin
    from twin.scene.polygons import FLAT_LIFT, polygon_meshes

    origin = project_origin(scene)
    info = scene.layer("parks")
    fill, outline = polygon_meshes(scene, info, origin)
    assert fill.area == pytest.approx(50 * 40 - 10 * 10, rel=1e-6)  # the hole is left open
    assert fill.bounds[4] == fill.bounds[5] == pytest.approx(FLAT_LIFT)
    assert outline.n_cells == 8  # exterior and interior rings, 4 edges each
    blocks, _ = polygon_meshes(scene, info, origin, extrude="levels")
    assert blocks.bounds[5] == pytest.approx(3.0)
    walls = 2 * (4 + 4)
    assert blocks.n_cells == fill.n_cells + walls
    with pytest.raises(ProjectError, match="no attribute 'floors'"):
        polygon_meshes(scene, info, origin, extrude="floors")


# ----- styles and colours -----------------------------------------------------------------------
def test_style_defaults_validation_and_storage(scene):
    from twin.scene.style import BY_SURFACE, Style, StyleError, layer_style

    assert layer_style(scene.layer("buildings")).color_by == BY_SURFACE
    assert layer_style(scene.layer("parks")).opacity < 1.0
    for bad, message in [
        ({"colour": "red"}, "unknown key"),
        ({"color": "not-a-colour"}, "is not a colour"),
        ({"opacity": 1.5}, "opacity must be"),
        ({"colormap": "nope"}, "unknown colormap"),
        ({"clim": [5, 1]}, "clim must be"),
        ({"size": -2}, "size must be"),
        ({"visible": "yes"}, "visible must be"),
    ]:
        with pytest.raises(StyleError, match=message):
            Style.from_dict(bad, kind="points", layer="'CCTV'")
    style = Style.from_dict({"color_by": "height", "colormap": "plasma", "opacity": 0.5}, kind="buildings")
    scene.set_style("buildings", style.to_dict())
    assert layer_style(scene.layer("buildings")) == style


def test_colouring_numeric_categorical_and_surfaces(scene):
    from twin.scene.colors import attribute_values, style_coloring
    from twin.scene.style import Style

    info = scene.layer("buildings")
    fid_cells = np.repeat([0, 1, 2], 12)
    numeric = style_coloring(Style(color_by="height"), fid_cells, project=scene, layer=info)
    assert numeric.mode == "scalars" and numeric.clim == (9.0, 80.0)
    assert numeric.table.tolist() == [80.0, 18.0, 9.0]  # one value per feature, looked up by fid
    assert numeric.scalars[0] == 80.0 and numeric.scalars[-1] == 9.0
    categories = style_coloring(Style(color_by="용도", palette="Set1"), fid_cells, project=scene, layer=info)
    assert categories.mode == "rgb" and [label for label, _ in categories.legend] == ["office", "housing"]
    assert (categories.rgb[:12] == categories.rgb[-12:]).all() and (categories.rgb[0] != categories.rgb[12]).any()
    as_categories = attribute_values(scene, info, "height", categorical=True)
    assert sorted(as_categories.categories) == ["18.0", "80.0", "9.0"]
    present = np.array([GROUND, WALL, ROOF], dtype=np.uint8)
    surfaces = style_coloring(Style(color_by="surface"), project=scene, layer=info, surfaces=present)
    assert [label for label, _ in surfaces.legend] == ["roof", "wall", "ground"]  # LoD2: roof, wall, ground colours
    assert surfaces.key == "surface" and tuple(surfaces.table[ROOF]) != tuple(surfaces.table[WALL])
    lod1 = style_coloring(Style(color_by="surface"), project=scene, layer=info, surfaces=present, flat_roofs=True)
    assert lod1.mode == "constant"  # LoD1 blocks: one colour
    with pytest.raises(ProjectError, match="no attribute 'floors'.*height"):
        style_coloring(Style(color_by="floors"), fid_cells, project=scene, layer=info)


# ----- camera -----------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", ["iso", "top", "north", "east"])
def test_camera_presets_frame_the_whole_box(preset):
    from twin.scene.camera import fit_pose, preset_direction

    bounds = (-300.0, 200.0, -120.0, 80.0, 0.0, 90.0)
    azimuth, elevation = preset_direction(preset)
    pose = fit_pose(bounds, azimuth=azimuth, elevation=elevation, aspect=1.6)
    position, focal, up = (np.array(v) for v in (pose.position, pose.focal_point, pose.view_up))
    forward = (focal - position) / np.linalg.norm(focal - position)
    right = np.cross(forward, up)
    tan_v = np.tan(np.radians(pose.view_angle) / 2)
    corners = np.array([[x, y, z] for x in bounds[:2] for y in bounds[2:4] for z in bounds[4:]])
    rel = corners - position
    depth = rel @ forward
    assert (depth > 0).all()
    assert (np.abs(rel @ up) <= depth * tan_v + 1e-6).all()
    assert (np.abs(rel @ right) <= depth * tan_v * 1.6 + 1e-6).all()
    if preset == "top":
        np.testing.assert_allclose(up, [0, 1, 0], atol=1e-9)  # north up


def test_scale_lengths_are_round():
    from twin.scene.camera import format_length, nice_length

    assert [nice_length(v) for v in (137.0, 0.9, 0.6, 2400.0, 4000.0)] == [100.0, 1.0, 0.5, 2000.0, 5000.0]
    assert format_length(2000.0) == "2 km" and format_length(50.0) == "50 m"


# ----- picking index ----------------------------------------------------------------------------
def brute_force_hit(points, faces, origin, direction):
    """Nearest hit of a ray over all triangles, one by one (the reference)."""
    best = None
    for cell, (a, b, c) in enumerate(points[faces].astype(np.float64)):
        e1, e2 = b - a, c - a
        p = np.cross(direction, e2)
        det = e1 @ p
        if abs(det) < 1e-12:
            continue
        s = origin - a
        u, q = (s @ p) / det, np.cross(s, e1)
        v, t = (direction @ q) / det, (e2 @ q) / det
        if u >= 0 and v >= 0 and u + v <= 1 and t >= 0 and (best is None or t < best[0]):
            best = (t, cell)
    return best


@pytest.mark.parametrize("shuffle", [False, True])
def test_feature_index_finds_the_nearest_triangle_like_brute_force(shuffle):
    from twin.scene.picking import FeatureIndex

    rng = np.random.default_rng(5)
    n = 60  # features of 4 triangles each, scattered in a 100 m cube
    centres = rng.uniform(-50, 50, (n, 3))
    points = (np.repeat(centres, 6, axis=0) + rng.uniform(-6, 6, (n * 6, 3))).astype(np.float32)
    faces = (np.array([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])[None] + (np.arange(n) * 6)[:, None, None]).reshape(-1, 3)
    cell_fids = np.repeat(np.arange(n) * 10, 4)  # fids need not be 0..n-1
    point_fids = np.repeat(np.arange(n) * 10, 6)
    if shuffle:  # cells in any order: the index sorts them, boxes come from the triangles
        order = rng.permutation(len(faces))
        faces, cell_fids, point_fids = faces[order], cell_fids[order], None
    index = FeatureIndex(points, faces, cell_fids, point_fids)
    hits = 0
    for _ in range(200):
        origin = rng.uniform(-200, 200, 3)
        direction = (centres[rng.integers(n)] + rng.uniform(-4, 4, 3) - origin) * 1.5  # towards some feature
        expected = brute_force_hit(points, faces, origin, direction)
        found = index.intersect(origin, direction)
        assert (found is None) == (expected is None)
        if found is not None:
            hits += 1
            assert found[1] == expected[1] and found[0] == pytest.approx(expected[0])
    assert hits > 50
