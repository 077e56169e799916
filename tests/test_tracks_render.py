"""Track visuals drawn at a time: moving points where the interpolation puts them, events, readings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main as twin_main
from twin.layerdata import ImportReport, LayerData
from twin.store.project import Project
from twin.store.writer import write_layer
from twin.time.range import to_us
from twin.time.tracks import events_layer, moving_layer, readings_layer

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
X0, Y0 = 200_000.0, 450_000.0  # EPSG:5186, Seoul
S = 1_000_000


def us(seconds: float) -> int:
    return to_us(T0) + int(seconds * S)


def small_project(path) -> Project:
    """A bus driving east 10 m/s and a car driving north 5 m/s for 100 s; two events; two sensors on poles."""
    project = Project.open(path, create=True, crs="EPSG:5186")
    t = np.array([0, 100, 0, 100]) * S + to_us(T0)
    data = moving_layer(object_ids=["bus", "bus", "car", "car"], t_us=t, x=np.array([X0, X0 + 1000, X0, X0]),
                        y=np.array([Y0, Y0, Y0 + 200, Y0 + 700]), crs="EPSG:5186", report=ImportReport("small.csv"))
    write_layer(project, data, name="vehicles")
    project.set_style("vehicles", {"color": "#ff0000"})
    events = events_layer(t_start_us=np.array([us(10), us(60)]), x=np.array([X0 + 300, X0 + 600]),
                          y=np.array([Y0 + 300, Y0 + 300]), attributes=pa.table({"what": ["crash", "works"]}),
                          crs="EPSG:5186", report=ImportReport("events.csv"), duration_s=20)
    write_layer(project, events, name="events")
    poles = shapely.to_wkb(shapely.points([X0 - 100, X0 - 200], [Y0, Y0]))
    write_layer(project, LayerData("points", pa.table({"geometry": poles, "station": ["s1", "s2"]}), "EPSG:5186",
                                   ImportReport("poles.csv")), name="poles")
    readings = readings_layer("sensors", keys=["s1", "s2", "s1"], t_us=np.array([us(0), us(0), us(50)]),
                              values=pa.table({"pm10": [10.0, 80.0, 40.0]}), value="pm10", key_column="station",
                              report=ImportReport("air.csv"), hold_s=60)
    write_layer(project, readings, name="air")
    return project


@pytest.fixture
def scene(tmp_path):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    project = small_project(tmp_path / "small.twin.duckdb")
    plotter = offscreen_plotter((640, 480))
    model = TwinModel(ProjectReader(project))
    view = SceneView(model, plotter)
    model.camera.look("top")
    yield view
    view.close()
    plotter.close()
    project.close()


def test_moving_points_are_where_the_interpolation_says(scene):
    assert not scene.problems
    moving = scene.visual("vehicles")
    assert scene.set_time(T0 + dt.timedelta(seconds=25), T0 + dt.timedelta(seconds=25)) is True
    fid, xyz = moving.positions()
    assert fid.tolist() == [0, 1]
    np.testing.assert_allclose(xyz[:, :2], [[X0 + 250, Y0], [X0, Y0 + 325]], atol=1e-3)
    points_before = moving.points
    scene.set_time(T0 + dt.timedelta(seconds=50), T0 + dt.timedelta(seconds=50))
    assert moving.points is points_before  # updated in place, not rebuilt
    np.testing.assert_allclose(moving.positions()[1][:, :2], [[X0 + 500, Y0], [X0, Y0 + 450]], atol=1e-3)
    assert scene.set_time(T0 + dt.timedelta(seconds=50), T0 + dt.timedelta(seconds=50)) is False  # nothing changed
    scene.set_time(T0 + dt.timedelta(seconds=150), T0 + dt.timedelta(seconds=150))
    assert len(moving.positions()[0]) == 0 and not moving.actors["points"].GetVisibility()


def test_moving_objects_are_arrows_along_their_way_that_keep_their_size_on_screen(scene):
    from twin.render.moving import ARROW_MIN_M, ARROW_PX

    moving = scene.visual("vehicles")
    scene.set_time(T0 + dt.timedelta(seconds=25), T0 + dt.timedelta(seconds=25))
    assert moving.points.n_cells == 2 * 2 and moving.points.is_all_triangles  # two triangles per object
    tips = np.asarray(moving.points.points).reshape(2, 4, 3)[:, 0, :2]
    centres = np.asarray(moving.centres)[:, :2]
    way = (tips - centres) / np.linalg.norm(tips - centres, axis=1)[:, None]
    np.testing.assert_allclose(way, [[1.0, 0.0], [0.0, 1.0]], atol=1e-6)  # one drives east, the other north
    assert moving.set_scale(3.0) and moving.arrow_length == pytest.approx(ARROW_PX * 3.0)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(moving.points.points).reshape(2, 4, 3)[:, 0, :2] - centres,
                                              axis=1), ARROW_PX * 3.0 / 2, rtol=1e-5)
    assert not moving.set_scale(3.1)  # small zoom steps do not rebuild
    moving.set_scale(0.01)
    assert moving.arrow_length == ARROW_MIN_M  # never shorter than a car
    scene.plotter.camera.zoom(4.0)
    scene.screenshot()  # a render rescales them to the view
    assert moving.arrow_length != ARROW_MIN_M


def test_the_red_bus_is_drawn_at_its_pixel(scene):
    scene.set_time(T0 + dt.timedelta(seconds=40), T0 + dt.timedelta(seconds=40))
    image = scene.plotter.screenshot(return_img=True)
    renderer = scene.plotter.renderer
    local = np.array([X0 + 400, Y0, 1.5]) - scene.origin.xyz
    renderer.SetWorldPoint(*local, 1.0)
    renderer.WorldToDisplay()
    px, py, _ = renderer.GetDisplayPoint()
    row, col = image.shape[0] - 1 - int(round(py)), int(round(px))
    patch = image[row - 1:row + 2, col - 1:col + 2, :3].reshape(-1, 3).astype(int)
    assert ((patch[:, 0] > 150) & (patch[:, 1] < 90) & (patch[:, 2] < 90)).any(), patch


def test_trails_in_a_trail_window(scene):
    moving = scene.visual("vehicles")
    scene.set_time(T0 + dt.timedelta(seconds=20), T0 + dt.timedelta(seconds=80))
    assert moving.trails.n_cells == 2
    bus = moving.trails.extract_cells(0).points + scene.origin.xyz
    np.testing.assert_allclose(bus[[0, -1], 0], [X0 + 200, X0 + 800], atol=1e-3)


def test_events_visible_when_active_and_highlighted(scene):
    events = scene.visual("events")
    scene.set_time(T0 + dt.timedelta(seconds=15), T0 + dt.timedelta(seconds=15))
    one = events.counts["now"]  # the cells of one event's glyph
    assert events.active_fids.tolist() == [0] and one > 0 and events.counts == {"past": 0, "now": one, "glow": one}
    scene.set_time(T0 + dt.timedelta(seconds=0), T0 + dt.timedelta(seconds=65))  # cumulative: crash over, works on
    assert events.active_fids.tolist() == [1] and events.counts == {"past": one, "now": one, "glow": one}
    scene.set_time(T0 + dt.timedelta(seconds=90), T0 + dt.timedelta(seconds=90))
    assert events.active_fids.tolist() == [] and not events.actors["now"].GetVisibility()


def test_sensors_colour_their_facilities(scene):
    air = scene.visual("air")
    assert air.target.name == "poles"
    scene.set_time(T0 + dt.timedelta(seconds=10), T0 + dt.timedelta(seconds=10))
    values = {float(v) for v in air.cell_values}
    assert values == {10.0, 80.0}
    scene.set_time(T0 + dt.timedelta(seconds=70), T0 + dt.timedelta(seconds=70))  # s2's reading is over an hold old
    v = air.cell_values
    assert np.nanmax(v) == 40.0 and np.isnan(v).any()
    assert air.legend().clim == (10.0, 80.0)


def red(image: np.ndarray) -> np.ndarray:
    """Pixels of the vehicles' colour (#ff0000, lit)."""
    rgb = image.astype(int)
    return (rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)


def vehicle_blobs(image: np.ndarray, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centroids (x, y) of the car (west) and the bus (east): red pixels that a picture without vehicles lacks."""
    ys, xs = np.nonzero(red(image) & ~red(empty))
    assert xs.size, "no vehicle drawn"
    west = xs < (xs.min() + xs.max()) / 2
    return np.array([xs[west].mean(), ys[west].mean()]), np.array([xs[~west].mean(), ys[~west].mean()])


def test_twin_render_with_time(tmp_path, capsys):
    from PIL import Image

    small_project(tmp_path / "cli.twin.duckdb").close()
    images = {}
    for clock in ("08:00:30", "08:00:50", "08:05:00"):  # read in the project's zone (+09:00); 08:05 is after the drive
        out = tmp_path / f"at {clock}.png"
        code = twin_main(["render", str(tmp_path / "cli.twin.duckdb"), "--out", str(out), "--size", "320x240",
                          "--camera", "top", "--time", f"2024-05-01T{clock}"])
        assert code == 0
        assert capsys.readouterr().err == f"wrote {out} (320x240, 4 layer(s))\n"
        with Image.open(out) as picture:
            assert picture.size == (320, 240)
            images[clock] = np.asarray(picture.convert("RGB"))
    car30, bus30 = vehicle_blobs(images["08:00:30"], images["08:05:00"])
    car50, bus50 = vehicle_blobs(images["08:00:50"], images["08:05:00"])
    # a map seen from the top: east is +x, north is -y. In 20 s the car drives 100 m north, the bus 200 m east
    pixels_per_metre = (car30[1] - car50[1]) / 100.0
    assert pixels_per_metre > 0.05
    assert car50[0] == pytest.approx(car30[0], abs=1.5) and bus50[1] == pytest.approx(bus30[1], abs=1.5)
    assert bus50[0] - bus30[0] == pytest.approx(200 * pixels_per_metre, rel=0.1)
    # at 30 s the bus is 300 m east and 350 m south of the car
    np.testing.assert_allclose(bus30 - car30, np.array([300, 350]) * pixels_per_metre, rtol=0.1)
