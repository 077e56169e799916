"""Every picture readable (issue 11): glyphs and ribbons keep a size in pixels at regional scale, readings draw over
their network in the legend's colours, a picture at a time says which, CityJSON land cover in map colours
without triangulation seams."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from twin.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyvista.*")


def picture(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def near(image: np.ndarray, color: str, tolerance: int = 40) -> np.ndarray:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return np.abs(image - rgb).max(axis=2) < tolerance


def points_project(tmp_path, stem: str, label: str, count: int, lon: tuple[float, float], lat: tuple[float, float],
                   *, seed: int, digits: int = 5, project: str = "region"):
    """A CSV ``stem``.csv of ``count`` points named ``label``0.. at random in the ``lon`` x ``lat`` box, imported
    with ``twin import`` into a new project ``project``.twin.duckdb (the file name picks the facility kind)."""
    rng = np.random.default_rng(seed)
    lons, lats = rng.uniform(*lon, count), rng.uniform(*lat, count)
    csv = tmp_path / f"{stem}.csv"
    csv.write_text("name,lat,lon\n" + "".join(f"{label}{i},{a:.{digits}f},{o:.{digits}f}\n"
                                               for i, (a, o) in enumerate(zip(lats, lons))), encoding="utf-8")
    path = tmp_path / f"{project}.twin.duckdb"
    assert main(["import", str(path), str(csv)]) == 0
    return path


def regional_points(tmp_path, count: int = 60):
    """A CSV of ``count`` school zones spread over 400 km of Korea, imported into a new project."""
    return points_project(tmp_path, "school_zones", "학교", count, (126.5, 129.3), (34.8, 37.9), seed=7)


def test_points_over_a_region_stay_visible_at_the_default_view(tmp_path):
    from twin.scene.glyphs import FACILITY_COLORS

    project = regional_points(tmp_path)
    out = tmp_path / "region.png"
    assert main(["render", str(project), "--out", str(out), "--size", "640x400"]) == 0
    school = near(picture(out), FACILITY_COLORS["school"], 60)
    # 60 cubes of at least 6 px each: hundreds of pixels (sized in metres they covered about one pixel in all)
    assert school.sum() > 60 * 12, school.sum()
    fixed = tmp_path / "fixed.png"  # metres asked for: the old, invisible picture
    from twin.store.project import Project

    with Project.open(project) as p:
        p.set_style("school_zones", {"size": 50, "size_units": "m"})
    assert main(["render", str(project), "--out", str(fixed), "--size", "640x400"]) == 0
    assert near(picture(fixed), FACILITY_COLORS["school"], 60).sum() < school.sum() / 5


def test_pixel_sizes_follow_the_zoom(tmp_path):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader
    from twin.store.project import Project

    project = regional_points(tmp_path, count=5)
    with Project.open(project) as p:
        p.set_style("school_zones", {"size": 12, "size_units": "px"})
    with Project.open(project, read_only=True) as p:
        plotter = offscreen_plotter((400, 300))
        scene = SceneView(TwinModel(ProjectReader(p)), plotter)
        try:
            part = scene.visual("school_zones").parts["glyphs"]
            scene.screenshot()
            far = np.ptp(np.asarray(part.mesh.points)[:, 2])
            plotter.camera.zoom(8.0)
            scene.screenshot()
            close = np.ptp(np.asarray(part.mesh.points)[:, 2])
            assert close == pytest.approx(far / 8.0, rel=0.15)  # the same pixels: an eighth of the metres
            x, y = plotter.window_size[0] // 2, plotter.window_size[1] // 2
            scene.pick(x, y)  # the picking index follows the moved points without an error
        finally:
            scene.close()
            plotter.close()


def test_size_units_are_validated():
    from twin.scene.style import Style, StyleError

    assert Style.from_dict({"size": 8, "size_units": "px"}, kind="points").size_units == "px"
    with pytest.raises(StyleError, match="size_units must be"):
        Style.from_dict({"size_units": "inch"}, kind="points")


def test_a_picture_at_a_time_says_which(tmp_path):
    project = regional_points(tmp_path, count=5)
    out = tmp_path / "t.png"
    assert main(["render", str(project), "--out", str(out), "--size", "640x400", "--time", "2024-05-01T08:30"]) == 0
    from twin.model.twin import TwinModel
    from twin.render.offscreen import model_for
    from twin.store.project import Project
    from twin.store.reader import ProjectReader

    image = picture(out)
    band = image[14:28, 20:140].max(axis=2) < 120  # the clock's dark translucent band, top left
    assert band.mean() > 0.4
    plain = tmp_path / "plain.png"
    assert main(["render", str(project), "--out", str(plain), "--size", "640x400"]) == 0
    assert (picture(plain)[14:28, 20:140].max(axis=2) < 120).mean() < 0.05  # no time, no clock
    with Project.open(project, read_only=True) as p:
        import datetime as dt

        model, _ = model_for(ProjectReader(p), time=dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone.utc), clock=True)
        assert isinstance(model, TwinModel) and model.caption.clock


def test_speed_readings_draw_over_their_network(shared_data, tmp_path):
    data = shared_data / "D"
    project = tmp_path / "osan.twin.duckdb"
    assert main(["import", str(project), str(data / "osan_road_network_lv6.geojson"),
                 str(data / "osan_link_avg_speed_2018.csv")]) == 0
    both, alone = tmp_path / "both.png", tmp_path / "alone.png"
    common = ["--size", "800x500", "--camera", "top"]
    assert main(["render", str(project), "--out", str(both), "--layer", "osan_road_network_lv6",
                 "--layer", "osan_link_avg_speed_2018", *common]) == 0
    assert main(["render", str(project), "--out", str(alone), "--layer", "osan_link_avg_speed_2018", *common]) == 0

    def coloured(image):  # saturated pixels: the red-yellow-green of the speeds, not the grey network or ground
        return (image.max(axis=2) - image.min(axis=2)) > 80

    with_network, without = coloured(picture(both)).sum(), coloured(picture(alone)).sum()
    assert without > 3000  # ribbons of a few pixels, not faint 1-pixel lines
    assert with_network > 0.85 * without  # the network does not cover them


def test_delft_land_cover_in_map_colours_without_seams(shared_data, tmp_path):
    from twin.render.visuals import PolygonVisual
    from twin.scene.colors import CITY_OBJECT_COLORS
    from twin.scene.origin import project_origin
    from twin.scene.polygons import polygon_meshes, read_polygons
    from twin.store.project import Project

    path = tmp_path / "delft.twin.duckdb"
    assert main(["import", str(path), str(shared_data / "A" / "delft_bgt_lod1_v2.0.city.json")]) == 0
    with Project.open(path, read_only=True) as project:
        water = project.layer("delft_bgt_lod1_v2.0 WaterBody")
        origin = project_origin(project, project.layers())
        visual = PolygonVisual(project, water, origin)
        assert visual.style.color == CITY_OBJECT_COLORS["WaterBody"] and visual.style.opacity == 1.0
        plants = PolygonVisual(project, project.layer("delft_bgt_lod1_v2.0 PlantCover"), origin)
        assert plants.style.color == CITY_OBJECT_COLORS["PlantCover"]
        parts, _ = read_polygons(project, water)
        fill, outline = polygon_meshes(project, water, origin)
        edges = sum(len(shapely.get_coordinates(ring)) - 1 for ring in shapely.get_rings(parts))
        assert 0 < outline.n_cells <= edges
        normals = fill.compute_normals(cell_normals=True, point_normals=False, auto_orient_normals=False,
                                       consistent_normals=False, split_vertices=False).cell_data["Normals"]
        assert (normals[:, 2] > 0.99).all()  # every flat face up: one light over the whole lake


def test_outlines_leave_out_edges_that_parts_of_a_feature_share():
    """A square given as two triangles (as CityJSON surfaces often are) has a 4-edge outline, not 6."""
    from twin.scene.origin import LocalOrigin
    from twin.scene.polygons import _outline

    square = [shapely.Polygon([(0, 0), (10, 0), (10, 10)]), shapely.Polygon([(0, 0), (10, 10), (0, 10)])]
    other = shapely.Polygon([(20, 0), (30, 0), (30, 10)])  # another feature touching nothing
    rings, ring_part = shapely.get_rings(np.array(square + [other]), return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    fids = np.array([0, 0, 1])[ring_part]
    outline = _outline(LocalOrigin(), coords, ring_of, np.zeros(len(coords)), fids)
    assert outline.n_cells == 4 + 3
    assert np.bincount(outline.cell_data["fid"]).tolist() == [4, 3]
    # the same edge in two different features is kept in both (each feature keeps its own outline)
    split = _outline(LocalOrigin(), coords, ring_of, np.zeros(len(coords)), np.array([0, 1, 2])[ring_part])
    assert split.n_cells == 9
