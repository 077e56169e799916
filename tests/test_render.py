"""Visuals on an off-screen plotter: registry, scene view, picking, selection, camera, images, ``twin render``.

Rendering goes through VTK's EGL window (no X server). Geometry is checked numerically first;
pictures are compared with cached images in tests/images (written when missing).
"""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import pytest
import shapely

from test_scene import E0, N0, layer, scene_project, wkb
from twin.errors import ProjectError
from twin.store.project import Project
from twin.store.writer import write_layer

IMAGES = pathlib.Path(__file__).resolve().parent / "images"
#: mean pixel error allowed against a cached image (pyvista's compare_images; its own suite fails above 500)
IMAGE_TOLERANCE = 25.0


@pytest.fixture
def scene(tmp_path):
    project = scene_project(tmp_path / "scene.twin.duckdb")
    yield project
    project.close()


@pytest.fixture
def plotter():
    from twin.render.offscreen import offscreen_plotter

    p = offscreen_plotter((640, 400))
    yield p
    p.close()


@pytest.fixture
def view(scene, plotter):
    from twin.render.view import SceneView

    v = SceneView(scene, plotter).load()
    yield v
    v.close()


def display_point(plotter, local_xyz) -> tuple[float, float]:
    """Pixel (from the top-left) where a local point is drawn."""
    renderer = plotter.renderer
    renderer.SetWorldPoint(*local_xyz, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    return x, plotter.window_size[1] - 1 - y


def check_image(image: np.ndarray, name: str) -> float:
    """Compare with tests/images/<name>.png, writing it when missing; returns the error."""
    import pyvista as pv
    from PIL import Image

    path = IMAGES / f"{name}.png"
    if not path.exists():
        IMAGES.mkdir(exist_ok=True)
        Image.fromarray(image).save(path)
        return 0.0
    cached = np.asarray(Image.open(path).convert("RGB"))
    assert cached.shape == image.shape, f"{name}: size {image.shape} differs from the cached {cached.shape}"
    error = pv.compare_images(image, cached, use_vtk=False)  # arrays, not pv.wrap (a one-channel volume)
    assert error < IMAGE_TOLERANCE, f"{name}: differs from tests/images/{name}.png by {error:.0f}"
    return error


# ----- registry ---------------------------------------------------------------------------------
class TimedVisual:
    """A minimal visual of a custom kind that wants to be re-rendered when the time changes."""

    seen: list = []

    def __init__(self, project, layer, origin):
        from twin.scene.style import Style

        self.layer, self.style, self.visible = layer, Style(), True

    def add_to(self, plotter):
        pass

    def remove_from(self, plotter):
        pass

    def set_time(self, start, end):
        TimedVisual.seen.append((start, end))
        return True

    def pick_targets(self):
        return []

    def highlight(self, fids):
        pass

    def bounds(self, fid=None):
        return None

    def legend(self):
        return None


def test_registry_builtins_registered_plugins_and_geometry_fallback(scene):
    from twin.plugins.manifest import Manifest
    from twin.plugins.registry import PluginError, PluginRegistry
    from twin.render.registry import create_visual, register_visual, unregister_visual, visual_class
    from twin.render.visuals import BuildingVisual, LineVisual, PointVisual, PolygonVisual
    from twin.scene.origin import project_origin

    assert [visual_class(k) for k in ("buildings", "points", "lines", "polygons")] == [
        BuildingVisual, PointVisual, LineVisual, PolygonVisual]
    plugins = PluginRegistry()
    plugins._discovered = True  # only the manifests registered below
    plugins.register_manifest(Manifest.from_dict({"name": "air", "layer_kinds": [
        {"id": "air_quality", "title": "Air quality", "visual": "test_render:TimedVisual"},
        {"id": "broken", "title": "Broken", "visual": "no_such_module_anywhere:Visual"}]}))
    assert visual_class("air_quality", plugins=plugins) is TimedVisual
    with pytest.raises(PluginError, match="broken"):
        visual_class("broken", plugins=plugins)
    assert not plugins.plugins["air"].enabled  # a failing plugin is disabled
    register_visual("weather", "test_render:TimedVisual")
    try:
        assert visual_class("weather") is TimedVisual
    finally:
        unregister_visual("weather")
    # a kind nobody declares is drawn by its geometry type
    info = write_layer(scene, layer("survey_marks", {"geometry": wkb(shapely.points([E0], [N0])), "serial": ["V02"]}),
                       name="survey marks")
    assert type(create_visual(scene, info, project_origin(scene), plugins=PluginRegistry())) is PointVisual


# ----- the scene view ---------------------------------------------------------------------------
def test_scene_view_draws_every_layer_with_feature_ids(view):
    assert list(view.visuals) == ["buildings", "CCTV", "roads", "상수관로", "parks"]
    assert view.problems == {}
    assert view.visual("buildings").feature_ids.tolist() == [0, 1, 2]
    assert view.visual("roads").feature_ids.tolist() == [0, 1]
    assert view.visual("상수관로").underground
    assert view._ground.GetProperty().GetOpacity() < 1.0  # see-through ground over the pipe
    blocks = [view.visual(n).legend() for n in view.visuals]
    assert blocks[0].swatches == [("buildings", "#e3ddd3")]  # LoD1 blocks: one colour, shaped by the light
    with pytest.raises(ProjectError, match="no layer named 'nope'"):
        view.visual("nope")


def test_style_changes_are_drawn_and_stored(view, scene):
    from twin.scene.style import Style

    style = Style.from_dict({"color_by": "height", "colormap": "plasma"}, kind="buildings")
    view.set_style("buildings", style)
    actor = view.visual("buildings").actors["mesh"]
    assert actor.mapper.scalar_range == pytest.approx((9.0, 80.0))
    assert scene.layer("buildings").style["color_by"] == "height"
    legend = view.visual("buildings").legend()
    assert legend.colormap == "plasma" and legend.clim == (9.0, 80.0)
    view.set_visible("CCTV", False)
    assert not view.visual("CCTV").actors["glyphs"].GetVisibility()
    # a style stored by someone else (the app's layer panel) is picked up by sync()
    scene.set_style("roads", {"color": "#aa0000"})
    view.sync()
    assert view.visual("roads").style.color == "#aa0000"
    assert view.visual("roads").actors["ribbons"].prop.color.hex_rgb == "#aa0000"


def test_sync_adds_and_removes_layers(view, scene):
    write_layer(scene, layer("points", {"geometry": wkb(shapely.points([E0 + 5], [N0 + 5]))}, source="bus.csv"),
                name="bus stops")
    view.sync()
    assert "bus stops" in view.visuals
    scene.remove_layer("bus stops")
    view.sync()
    assert "bus stops" not in view.visuals


def test_layers_without_a_colour_of_their_own_get_distinct_ones(view, scene):
    write_layer(scene, layer("points", {"geometry": wkb(shapely.points([E0 + 5], [N0 + 5]))}, source="cctv_2.csv"),
                name="more cameras")
    view.sync()
    colors = [v.style.color for v in view.visuals.values()]
    assert len(set(colors)) == len(colors)
    scene.set_style("more cameras", {"color": view.visual("CCTV").style.color})  # the user's choice wins
    view.sync()
    assert view.visual("more cameras").style.color == view.visual("CCTV").style.color


def test_time_reaches_every_visual(view, scene):
    from twin.render.registry import register_visual, unregister_visual

    register_visual("air_quality", TimedVisual)
    try:
        write_layer(scene, layer("air_quality", {"geometry": [None], "v": [1.0]}), name="air")
        view.sync()
        when = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone.utc)
        TimedVisual.seen.clear()
        assert view.set_time(when, when) is True
        assert TimedVisual.seen == [(when, when)]
        assert view.visual("buildings").set_time(when, when) is False  # static layers ignore time
    finally:
        unregister_visual("air_quality")


# ----- picking and selection --------------------------------------------------------------------
def test_pick_returns_layer_and_feature_under_the_pixel(view, plotter):
    view.view("top")
    plotter.render()
    tower_top = (-52.0, 21.0, 80.0)  # local centre of the tower's roof
    pick = view.pick(*display_point(plotter, tower_top))
    assert (pick.layer, pick.fid) == ("buildings", 0)
    assert pick.position[2] == pytest.approx(30.0 + 80.0, abs=0.5)  # project z: ground 30 m + 80 m
    assert pick.position[0] == pytest.approx(E0 - 2.0 - 52.0, abs=3.0)
    road = view.pick(*display_point(plotter, (-80.0, -25.0, 0.15)))
    assert (road.layer, road.fid) == ("roads", 0)
    assert view.pick(2, 2) is None  # the sky in a corner... or the ground, which is not pickable
    view.set_visible("buildings", False)
    hidden = view.pick(*display_point(plotter, tower_top))
    assert hidden is None or hidden.layer != "buildings"


def test_selection_is_highlighted(view, plotter):
    from twin.render.visual import HIGHLIGHT_COLOR

    view.view("top")
    view.select([("buildings", 2), ("roads", 1)])
    buildings = view.visual("buildings")
    assert buildings._highlight_actor is not None
    assert buildings._highlight_actor.mapper.dataset.n_cells == 12
    image = view.screenshot()
    x, y = display_point(plotter, (49.0, -5.0, 9.0))  # the small box's roof
    highlight = np.array([int(HIGHLIGHT_COLOR[i:i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(image[int(y), int(x)].astype(int) - highlight).max() < 90
    view.select([])
    assert buildings._highlight_actor is None


def test_camera_presets_and_fit_to_layer_or_feature(view, plotter):
    top = view.view("top")
    assert top.parallel_scale is not None and plotter.camera.GetParallelProjection()  # a map: orthographic
    assert top.position[2] > 100 and abs(top.position[0] - top.focal_point[0]) < 1e-6
    whole = view.view("iso")
    assert whole.parallel_scale is None
    tower = view.view("buildings", fid=0)
    assert tower.distance < whole.distance
    # the tower is centred in the part of the window the legend leaves free
    x, y = display_point(plotter, (-52.0, 21.0, 40.0))
    assert view.overlay.width > 100
    assert x == pytest.approx((640 - view.overlay.width) / 2, abs=3) and y == pytest.approx(200, abs=3)
    with pytest.raises(ProjectError, match="no layer named 'nope'"):
        view.view("nope")


# ----- pictures ---------------------------------------------------------------------------------
def test_iso_picture_matches_the_cache(view, plotter):
    # the geometry first: what is drawn, where, with which feature ids
    np.testing.assert_allclose(view.scene_bounds()[:4], (-88.0, 87.0, -85.0, 87.5), atol=0.5)
    cells = {name: {key: part.mesh.n_cells for key, part in v.parts.items()} for name, v in view.visuals.items()}
    assert cells["buildings"] == {"mesh": 36}
    assert cells["roads"]["ribbons"] == 6 and cells["roads"]["lines"] == 2 and cells["roads"]["tubes"] == 0
    assert cells["parks"]["outline"] == 2
    assert view.visual("CCTV").feature_ids.tolist() == [0, 1, 2]
    view.view("iso")
    image = view.screenshot()
    assert image.shape == (400, 640, 3)
    background = image[5, 5].astype(int)
    assert (np.abs(image.astype(int) - background).sum(axis=2) > 30).mean() > 0.3  # the scene fills the view
    check_image(image, "scene_iso")


def test_top_picture_with_colour_by_attribute_matches_the_cache(view):
    from twin.scene.style import Style

    view.set_style("buildings", Style.from_dict({"color_by": "용도", "palette": "Set1"}, kind="buildings"), save=False)
    view.view("top")
    image = view.screenshot()
    check_image(image, "scene_top_by_use")


def test_zurich_lod2_building_is_drawn_by_surface(shared_data, tmp_path, plotter):
    from twin.io.importing import import_file
    from twin.render.view import SceneView
    from twin.scene.style import SURFACE_COLORS

    with Project.open(tmp_path / "zurich.twin.duckdb", create=True, crs="EPSG:2056") as project:
        info = import_file(project, shared_data / "A" / "zurich_lod2_subset_v1.1.city.json").layers[0]
        view = SceneView(project, plotter).load()
        legend = view.visual(info.name).legend()
        assert [label for label, _ in legend.swatches][:2] == ["roof", "wall"]
        largest = project.query(f'SELECT fid FROM "{info.mesh_table}" ORDER BY len(triangles) DESC LIMIT 1')
        view.view(info.name, fid=largest.column("fid")[0].as_py())  # the most detailed building
        image = view.screenshot()
        roof = np.array([int(SURFACE_COLORS[3][i:i + 2], 16) for i in (1, 3, 5)])
        reddish = (np.abs(image.astype(int) - roof).max(axis=2) < 60).mean()
        assert reddish > 0.01  # roofs in their colour, lit
        check_image(image, "zurich_lod2_largest")
        view.close()


# ----- twin render ------------------------------------------------------------------------------
def test_cli_render_writes_a_png(tmp_path, scene):
    from PIL import Image

    from twin.cli.main import main

    path = scene.path
    scene.close()
    out = tmp_path / "out" / "city.png"
    assert main(["render", str(path), "--out", str(out), "--size", "400x300", "--camera", "top"]) == 0
    with Image.open(out) as image:
        assert image.size == (400, 300)
    assert main(["render", str(path), "--out", str(out), "--size", "400x300", "--camera", "parks"]) == 0
    assert main(["render", str(path), "--out", str(out), "--size", "400x300", "--camera", "buildings", "--fid", "1"]) == 0


def test_cli_render_errors_are_one_line(tmp_path, scene, capsys):
    from twin.cli.main import main

    path = scene.path
    scene.close()
    out = str(tmp_path / "x.png")
    assert main(["render", str(path), "--out", out, "--camera", "nope"]) == 1
    assert main(["render", str(tmp_path / "missing.twin.duckdb"), "--out", out]) == 1
    assert main(["render", str(path), "--out", out, "--time", "yesterday"]) == 1
    assert main(["render", str(path), "--out", out, "--size", "big"]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 4 and all(line.startswith("twin render: error: ") for line in errors)
    assert "'nope'" in errors[0] and "buildings" in errors[0] and "no such project" in errors[1]


def test_cli_time_is_read_in_the_project_zone_and_reaches_visuals(tmp_path, scene):
    from twin.cli.cmd_render import parse_time
    from twin.cli.main import main
    from twin.render.registry import register_visual, unregister_visual

    assert parse_time("2024-05-01T08:30", "Asia/Seoul").utcoffset() == dt.timedelta(hours=9)
    assert parse_time("2024-05-01T08:30Z", "Asia/Seoul").utcoffset() == dt.timedelta(0)
    write_layer(scene, layer("air_quality", {"geometry": [None], "v": [1.0]}), name="air")
    path = scene.path
    scene.close()
    register_visual("air_quality", TimedVisual)
    TimedVisual.seen.clear()
    try:
        assert main(["render", str(path), "--out", str(tmp_path / "t.png"), "--size", "320x200",
                     "--time", "2024-05-01T08:30"]) == 0
    finally:
        unregister_visual("air_quality")
    expected = dt.datetime(2024, 4, 30, 23, 30, tzinfo=dt.timezone.utc)
    assert TimedVisual.seen == [(expected, expected)]
