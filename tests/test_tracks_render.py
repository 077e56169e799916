"""Track visuals drawn at a time: moving points where the interpolation puts them, events, readings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main as twin_main
from twin.io.layerdata import ImportReport, LayerData
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
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView

    project = small_project(tmp_path / "small.twin.duckdb")
    plotter = offscreen_plotter((640, 480))
    view = SceneView(project, plotter).load(camera="top")
    yield view
    plotter.close()
    project.close()


def test_moving_points_are_where_the_interpolation_says(scene):
    assert not scene.problems
    moving = scene.visual("vehicles")
    assert scene.set_time(T0 + dt.timedelta(seconds=25), T0 + dt.timedelta(seconds=25))
    fid, xyz = moving.positions()
    assert fid.tolist() == [0, 1]
    np.testing.assert_allclose(xyz[:, :2], [[X0 + 250, Y0], [X0, Y0 + 325]], atol=1e-3)
    points_before = moving.points
    scene.set_time(T0 + dt.timedelta(seconds=50), T0 + dt.timedelta(seconds=50))
    assert moving.points is points_before  # updated in place, not rebuilt
    np.testing.assert_allclose(moving.positions()[1][:, :2], [[X0 + 500, Y0], [X0, Y0 + 450]], atol=1e-3)
    assert not scene.set_time(T0 + dt.timedelta(seconds=50), T0 + dt.timedelta(seconds=50))  # nothing changed
    scene.set_time(T0 + dt.timedelta(seconds=150), T0 + dt.timedelta(seconds=150))
    assert len(moving.positions()[0]) == 0 and not moving.actors["points"].GetVisibility()


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
    assert events.active_fids.tolist() == [0] and events.counts["past"] == 0 and events.counts["now"] > 0
    scene.set_time(T0 + dt.timedelta(seconds=0), T0 + dt.timedelta(seconds=65))  # cumulative: crash over, works on
    assert events.active_fids.tolist() == [1] and events.counts["past"] > 0
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


def test_twin_render_with_time(tmp_path, capsys):
    small_project(tmp_path / "cli.twin.duckdb").close()
    out = tmp_path / "at.png"
    code = twin_main(["render", str(tmp_path / "cli.twin.duckdb"), "--out", str(out), "--size", "320x240",
                      "--time", "2024-05-01T08:00:30"])
    assert code == 0 and out.stat().st_size > 1000
    assert "4 layer(s)" in capsys.readouterr().err
