"""Event glyphs keep a size on screen (issue 11: incidents vanished at regional scale, blobs at street level)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from twin.layerdata import ImportReport
from twin.store.project import Project
from twin.store.writer import write_layer
from twin.time.range import to_us
from twin.time.tracks import events_layer

T0 = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
X0, Y0 = 200_000.0, 450_000.0  # EPSG:5186
S = 1_000_000


@pytest.fixture
def scene(tmp_path):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    project = Project.open(tmp_path / "ev.twin.duckdb", create=True, crs="EPSG:5186")
    # two incidents 40 km apart: a regional layer, where glyphs sized in metres were sub-pixel
    events = events_layer(t_start_us=np.array([0, 60]) * S + to_us(T0), x=np.array([X0, X0 + 40_000]),
                          y=np.array([Y0, Y0 + 10_000]), attributes=pa.table({"what": ["crash", "fire"]}),
                          crs="EPSG:5186", report=ImportReport("events.csv"), duration_s=20)
    write_layer(project, events, name="incidents")
    plotter = offscreen_plotter((400, 300))
    model = TwinModel(ProjectReader(project))
    view = SceneView(model, plotter)
    yield view
    view.close()
    plotter.close()
    project.close()


def _widths(visual, part: str) -> np.ndarray:
    """Width in metres (x extent) of each glyph of one part of the event visual."""
    from twin.scene.meshes import FID

    mesh = visual.full[part]
    fids = np.asarray(mesh.cell_data[FID])
    out = []
    for fid in np.unique(fids):
        cell_points = mesh.extract_cells(np.flatnonzero(fids == fid)).points
        out.append(np.ptp(np.asarray(cell_points)[:, 0]))
    return np.array(out)


def test_events_are_sized_in_pixels_with_a_floor_in_metres(scene):
    from twin.render.events import EVENT_MIN_M, EVENT_PX, EVENT_SCALES

    visual = scene.visual("incidents")
    assert visual.set_scale(100.0)  # a regional view: 100 m a pixel
    past = _widths(visual, "past")
    unit = past / (EVENT_PX * 100.0)  # the width of the glyph built at 1 m (a tessellated sphere: a bit under 1)
    assert np.all((unit > 0.6) & (unit < 1.05)), unit
    assert _widths(visual, "now") == pytest.approx(past * EVENT_SCALES["now"], rel=1e-6)
    assert not visual.set_scale(103.0)  # small zoom steps do not move anything
    assert visual.set_scale(0.05)  # street level: never smaller than an incident's footprint
    assert _widths(visual, "past") == pytest.approx(EVENT_MIN_M * unit, rel=0.02)


def test_shown_events_follow_the_zoom_and_fixed_metres_do_not(scene):
    visual = scene.visual("incidents")
    scene.set_time(T0 + dt.timedelta(seconds=5), T0 + dt.timedelta(seconds=5))  # the first one is going on
    assert visual.counts["now"] > 0
    visual.set_scale(50.0)
    wide = np.ptp(np.asarray(visual.meshes["now"].points)[:, 0])
    visual.set_scale(5.0)
    assert np.ptp(np.asarray(visual.meshes["now"].points)[:, 0]) == pytest.approx(wide / 10, rel=0.05)
    visual.apply_style(visual.style.replace(size=30.0, size_units="m"))
    assert not visual.set_scale(500.0)
    assert _widths(visual, "past") == pytest.approx(30.0 * 0.85, rel=0.2)


def test_a_regional_render_shows_the_events(scene, tmp_path):
    scene.model.camera.look("top")
    image = scene.plotter.screenshot(return_img=True)
    ground = np.median(image.reshape(-1, 3), axis=0)
    differs = np.abs(image.astype(int) - ground.astype(int)).sum(axis=2) > 60
    assert differs[:, : int(image.shape[1] * 0.75)].sum() > 20  # both incidents are a few pixels, not sub-pixel
