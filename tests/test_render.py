"""Visuals on an off-screen plotter: registry, scene view, picking, selection, camera, images, ``twin render``.

Rendering goes through VTK's EGL window (no X server). Geometry is checked numerically first, then
pixels where the geometry puts them; whole pictures are compared with the baseline images in
tests/images (``IMAGE_TOLERANCE``).

A missing baseline is a test failure, never written silently. To write (or rewrite) the baselines
from this run's renders, run::

    pytest tests/test_render.py --regenerate-images      # or: TWIN_REGENERATE_IMAGES=1 pytest ...

Each image test then writes its file and is reported as skipped ("wrote tests/images/NAME.png"): a
regeneration run compares nothing. Look at the new images before committing them.
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
def model(scene):
    """The scene project's model, its changes written into the project as the window has it."""
    from conftest import bound_model

    m, sync = bound_model(scene)
    yield m
    sync.detach()


@pytest.fixture
def view(model, plotter):
    from twin.render.view import SceneView

    v = SceneView(model, plotter)
    yield v
    v.close()


def display_point(plotter, local_xyz) -> tuple[float, float]:
    """Pixel (from the top-left) where a local point is drawn."""
    renderer = plotter.renderer
    renderer.SetWorldPoint(*local_xyz, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    return x, plotter.window_size[1] - 1 - y


def rgb(color: str) -> np.ndarray:
    """``"#ffb300"`` -> array([255, 179, 0])."""
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])


def near(image: np.ndarray, color: str, tolerance: int) -> np.ndarray:
    """Pixels within ``tolerance`` of ``color`` in every channel."""
    return np.abs(image[..., :3].astype(int) - rgb(color)).max(axis=2) < tolerance


def compare_with_baseline(image: np.ndarray, name: str, *, regenerate: bool = False) -> float:
    """Compare with tests/images/<name>.png; returns the error.

    A missing baseline fails the test. With ``regenerate`` the image is written and the test skipped.
    """
    import pyvista as pv
    from PIL import Image

    path = IMAGES / f"{name}.png"
    if regenerate:
        IMAGES.mkdir(exist_ok=True)
        Image.fromarray(image).save(path)
        pytest.skip(f"wrote tests/images/{name}.png (--regenerate-images or TWIN_REGENERATE_IMAGES=1): look at it, "
                    f"commit it, and run the tests again without the option to compare")
    if not path.exists():
        pytest.fail(f"{name}: the baseline image tests/images/{name}.png is missing; write it with "
                    f"`pytest tests/test_render.py --regenerate-images` (or TWIN_REGENERATE_IMAGES=1), "
                    f"look at it and commit it", pytrace=False)
    with Image.open(path) as stored:
        cached = np.asarray(stored.convert("RGB"))
    assert cached.shape == image.shape, f"{name}: size {image.shape} differs from the cached {cached.shape}"
    error = pv.compare_images(image, cached, use_vtk=False)  # arrays, not pv.wrap (a one-channel volume)
    assert error < IMAGE_TOLERANCE, f"{name}: differs from tests/images/{name}.png by {error:.0f}"
    return error


@pytest.fixture
def check_image(regenerate_images):
    """``check_image(image, name)``: :func:`compare_with_baseline`, regenerating on ``--regenerate-images``."""
    return lambda image, name: compare_with_baseline(image, name, regenerate=regenerate_images)


# ----- registry ---------------------------------------------------------------------------------
from twin.api import Visual  # noqa: E402 - the base class a plugin's visual derives from


class TimedVisual(Visual):
    """A minimal visual of a custom kind that wants to be re-rendered when the time changes."""

    seen: list = []

    def set_time(self, start, end):
        TimedVisual.seen.append((start, end))
        return True

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
    plugins = PluginRegistry.from_manifests(Manifest.from_dict({"name": "air", "layer_kinds": [  # only this plugin
        {"id": "air_quality", "title": "Air quality", "visual": "test_render:TimedVisual"},
        {"id": "broken", "title": "Broken", "visual": "no_such_module_anywhere:Visual"}]}))
    assert visual_class("air_quality", plugins=plugins) is TimedVisual
    error = ("layer kind 'broken': cannot load no_such_module_anywhere:Visual "
             "(ModuleNotFoundError: No module named 'no_such_module_anywhere')")
    with pytest.raises(PluginError) as info:
        visual_class("broken", plugins=plugins)
    assert str(info.value) == f"plugin air: {error}; the plugin is disabled"
    # a failing plugin is disabled, with the reason
    assert [(r.name, r.enabled, r.error) for r in plugins.records()] == [("air", False, error)]
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
def test_scene_view_draws_every_layer_with_feature_ids(view, model, plotter):
    assert list(view.visuals) == ["buildings", "CCTV", "roads", "상수관로", "parks"]
    assert view.problems == {}
    assert view.visual("buildings").feature_ids.tolist() == [0, 1, 2]
    assert view.visual("roads").feature_ids.tolist() == [0, 1]
    assert view.visual("상수관로").underground is True
    blocks = [view.visual(n).legend() for n in view.visuals]
    assert blocks[0].swatches == [("buildings", "#e3ddd3")]  # LoD1 blocks: one colour, shaped by the light
    with pytest.raises(ProjectError, match="no layer named 'nope'"):
        view.visual("nope")
    # the ground is see-through over the pipe: seen from the top, hiding the pipe changes the picture along it
    model.camera.look("top")
    with_pipe = view.screenshot()
    model.layers["상수관로"].visible = False
    scene_width = 640 - view.overlay.width - 5  # left of the legend, which loses the pipe's block
    changed = (np.abs(with_pipe.astype(int) - view.screenshot()).max(axis=2) > 10)[:, :scene_width]
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 300, "the pipe under the ground is not seen from the top"
    (x0, y0), (x1, _) = (display_point(plotter, (e, 0.0, -2.5)) for e in (-78.0, 82.0))  # E0-80 .. E0+80 at N0+5
    assert ys.min() >= y0 - 4 and ys.max() <= y0 + 4  # a line along the pipe, nothing elsewhere
    assert xs.min() == pytest.approx(x0, abs=6) and xs.max() == pytest.approx(min(x1, scene_width - 1), abs=6)


def test_style_changes_in_the_model_are_drawn_and_stored(view, model, scene):
    from twin.scene.style import Style

    model.layers["buildings"].style = Style.from_dict({"color_by": "height", "colormap": "plasma"}, kind="buildings")
    actor = view.visual("buildings").actors["mesh"]
    assert actor.mapper.scalar_range == pytest.approx((9.0, 80.0))
    assert scene.layer("buildings").style["color_by"] == "height"
    legend = view.visual("buildings").legend()
    assert legend.colormap == "plasma" and legend.clim == (9.0, 80.0)
    model.layers["CCTV"].visible = False
    assert not view.visual("CCTV").actors["glyphs"].GetVisibility()
    model.layers["roads"].update_style(color="#aa0000")
    assert view.visual("roads").style.color == "#aa0000"
    assert view.visual("roads").actors["ribbons"].prop.color.hex_rgb == "#aa0000"
    assert scene.layer("roads").style == {"color": "#aa0000"}


def test_layers_added_to_and_removed_from_the_model_are_drawn_and_dropped(view, model, scene):
    info = write_layer(scene, layer("points", {"geometry": wkb(shapely.points([E0 + 5], [N0 + 5]))}, source="bus.csv"),
                       name="bus stops")
    model.add_layers([info])
    assert list(view.visuals) == ["buildings", "CCTV", "roads", "상수관로", "parks", "bus stops"]
    assert view.visual("bus stops").feature_ids.tolist() == [0]
    model.remove_layer("bus stops")
    assert list(view.visuals) == ["buildings", "CCTV", "roads", "상수관로", "parks"]
    assert not scene.has_layer("bus stops")


def test_layers_without_a_colour_of_their_own_get_distinct_ones(view, model, scene):
    info = write_layer(scene, layer("points", {"geometry": wkb(shapely.points([E0 + 5], [N0 + 5]))},
                                    source="cctv_2.csv"), name="more cameras")
    model.add_layers([info])
    colors = [v.style.color.lower() for v in view.visuals.values()]
    assert len(colors) == 6 and len(set(colors)) == 6
    model.layers["more cameras"].update_style(color=view.visual("CCTV").style.color)  # the user's choice wins
    assert view.visual("more cameras").style.color == view.visual("CCTV").style.color


def test_time_reaches_every_visual(view, model, scene):
    from twin.render.registry import register_visual, unregister_visual
    from twin.time.range import TimeRange

    register_visual("air_quality", TimedVisual)
    try:
        model.add_layers([write_layer(scene, layer("air_quality", {"geometry": [None], "v": [1.0]}), name="air")])
        when = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone.utc)
        TimedVisual.seen.clear()
        model.time.range = TimeRange.instant(when)
        assert TimedVisual.seen == [(when, when)] and view.time_range == TimeRange.instant(when)
        assert view.set_time(when, when) is True  # a visual that changed says so
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
    view.model.layers["buildings"].visible = False
    hidden = view.pick(*display_point(plotter, tower_top))
    assert hidden is None or hidden.layer != "buildings"


def test_selection_is_highlighted(view, plotter):
    from twin.render.visual import HIGHLIGHT_COLOR

    view.view("top")
    before = view.screenshot()
    assert not near(before, HIGHLIGHT_COLOR, 40).any()  # nothing of the highlight colour yet
    view.model.selection.select({"buildings": [2], "roads": [1]})
    lit = near(view.screenshot(), HIGHLIGHT_COLOR, 40)

    def box(x0, y0, x1, y1, z):  # the pixels of a local rectangle seen from the top, 2 px inside its edges
        (ax, ay), (bx, by) = display_point(plotter, (x0, y0, z)), display_point(plotter, (x1, y1, z))
        return lit[int(min(ay, by)) + 2:int(max(ay, by)) - 1, int(min(ax, bx)) + 2:int(max(ax, bx)) - 1]

    assert box(42.0, -10.0, 56.0, 0.0, 9.0).all()  # the small box's roof (fid 2), the whole of it
    assert not box(-58.0, 15.0, -46.0, 27.0, 80.0).any()  # the tower (fid 0) is not selected
    assert not box(-38.0, -55.0, 22.0, -39.0, 18.0).any()  # nor the slab (fid 1)

    def around(x, y, z):  # 7 x 11 pixels around a local point
        px, py = (int(v) for v in display_point(plotter, (x, y, z)))
        return lit[py - 3:py + 4, px - 5:px + 6]

    assert around(27.0, 35.0, 0.15).mean() > 0.6  # road 1's ribbon, north of the pipe (its centre line stays dark)
    assert not around(-70.0, -25.0, 0.15).any()  # road 0 is not selected
    view.model.selection.clear()
    after = view.screenshot()
    assert not near(after, HIGHLIGHT_COLOR, 40).any()
    assert np.abs(after.astype(int) - before).max() <= 2  # back to the picture before the selection


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
def test_iso_picture_matches_the_cache(view, plotter, check_image):
    # the geometry first: what is drawn, where, with which feature ids
    np.testing.assert_allclose(view.scene_bounds()[:4], (-88.0, 87.0, -85.0, 87.5), atol=0.5)
    cells = {name: {key: part.mesh.n_cells for key, part in v.parts.items()} for name, v in view.visuals.items()}
    assert cells["buildings"] == {"mesh": 36}
    # ribbons sized on screen read at any zoom: no centrelines over them (those stay for pipes only)
    assert cells["roads"]["ribbons"] == 6 and cells["roads"]["lines"] == 0 and cells["roads"]["tubes"] == 0
    assert cells["parks"]["outline"] == 8  # the outer ring and the hole, 4 edges each
    assert view.visual("CCTV").feature_ids.tolist() == [0, 1, 2]
    view.view("iso")
    image = view.screenshot()
    assert image.shape == (400, 640, 3)
    background = image[5, 5].astype(int)
    assert (np.abs(image.astype(int) - background).sum(axis=2) > 30).mean() > 0.3  # the scene fills the view
    check_image(image, "scene_iso")


def test_top_picture_with_colour_by_attribute_matches_the_cache(view, check_image):
    from twin.scene.style import Style

    with view.model.transient():  # drawn, not saved
        view.model.layers["buildings"].style = Style.from_dict({"color_by": "용도", "palette": "Set1"}, kind="buildings")
    legend = view.visual("buildings").legend()
    assert (legend.swatches, legend.subtitle) == ([("office", "#e41a1c"), ("housing", "#377eb8")], "용도")
    view.view("top")
    image = view.screenshot()
    colors = dict(legend.swatches)
    for use, roof in (("office", (-52.0, 21.0, 80.0)), ("housing", (-8.0, -47.0, 18.0)), ("office", (49.0, -5.0, 9.0))):
        x, y = display_point(view.plotter, roof)  # tower, slab, small box: the roofs, lit from above
        assert near(image[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2], colors[use], 40).all(), (use, roof)
    check_image(image, "scene_top_by_use")


def test_zurich_lod2_building_is_drawn_by_surface(shared_data, tmp_path, plotter, check_image):
    from twin.io.service import import_file
    from twin.model.twin import TwinModel
    from twin.render.view import SceneView
    from twin.scene.style import SURFACE_COLORS
    from twin.store.reader import ProjectReader

    with Project.open(tmp_path / "zurich.twin.duckdb", create=True, crs="EPSG:2056") as project:
        info = import_file(project, shared_data / "A" / "zurich_lod2_subset_v1.1.city.json").layers[0]
        view = SceneView(TwinModel(ProjectReader(project)), plotter)
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
def test_cli_render_writes_a_png(tmp_path, scene, check_image):
    from PIL import Image

    from twin.cli.main import main

    scene.set_style("buildings", {"color_by": "용도", "palette": "Set1"})  # office red, housing blue
    path = scene.path
    scene.close()

    def render(*args: str, size: str = "400x300") -> np.ndarray:
        out = tmp_path / "out" / "city.png"  # the folder is made
        assert main(["render", str(path), "--out", str(out), "--size", size, *args]) == 0
        with Image.open(out) as picture:
            assert picture.size == tuple(int(v) for v in size.split("x"))
            return np.asarray(picture.convert("RGB"))

    def hues(camera_args) -> tuple[float, float]:
        """Shares of red (office) and blue (housing) pixels in the middle of the part the legend leaves free."""
        patch = render(*camera_args)[140:161, 125:156].reshape(-1, 3).astype(int)
        return ((patch[:, 0] - patch[:, 1]) > 100).mean(), ((patch[:, 2] - patch[:, 0]) > 60).mean()

    red, blue = hues(["--camera", "buildings", "--fid", "1"])  # the slab, housing
    assert blue > 0.9 and red == 0.0
    red, blue = hues(["--camera", "buildings", "--fid", "0"])  # the tower, office
    assert red > 0.5 and blue == 0.0
    parks = render("--camera", "parks")
    assert len(np.unique(parks.reshape(-1, 3), axis=0)) > 100  # a scene, not a blank picture
    assert np.abs(parks.astype(int) - render("--camera", "top")).mean() > 5  # the camera is the one asked for
    # the same scene as the pictures above, through the command line
    check_image(render("--camera", "top", size="640x400"), "scene_top_by_use")


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
    assert errors[0] == f"twin render: error: no layer named 'nope' in {path} (layers: buildings, CCTV, roads, 상수관로, parks)"
    assert errors[1] == f"twin render: error: {tmp_path / 'missing.twin.duckdb'}: no such project"
    assert errors[2] == ("twin render: error: --time 'yesterday': not an ISO 8601 time such as 2024-05-01T08:30 "
                         "(Invalid isoformat string: 'yesterday')")
    assert errors[3] == "twin render: error: --size 'big': give WIDTHxHEIGHT in pixels, e.g. 1280x800"
    assert not (tmp_path / "x.png").exists()


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
