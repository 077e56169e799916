"""A CityJSON Building drawn by its BuildingParts: framing and highlighting it reach its parts."""

from __future__ import annotations

import numpy as np
import pytest

from twin.render.visual import HIGHLIGHT_COLOR
from twin.scene.style import SURFACE_COLORS
from twin.store.project import Project

ROOF = np.array([int(SURFACE_COLORS[3][i:i + 2], 16) for i in (1, 3, 5)])  # RoofSurface
HIGHLIGHT = np.array([int(HIGHLIGHT_COLOR[i:i + 2], 16) for i in (1, 3, 5)])


def near(image: np.ndarray, rgb: np.ndarray, tolerance: int) -> np.ndarray:
    """Pixels within ``tolerance`` of a colour in every channel."""
    return np.abs(image[..., :3].astype(int) - rgb).max(axis=2) < tolerance


@pytest.fixture
def zurich(shared_data, tmp_path):
    from twin.io.service import import_file

    project = Project.open(tmp_path / "zurich.twin.duckdb", create=True, crs="EPSG:2056")
    info = import_file(project, shared_data / "A" / "zurich_lod2_subset_v1.1.city.json").layers[0]
    yield project, info
    project.close()


def test_building_with_parts_is_framed_and_highlighted_through_them(zurich):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    project, info = zurich
    row = project.query(
        f'SELECT b.fid AS building, list(p.fid ORDER BY p.fid) AS parts FROM "{info.table_name}" b '
        f'JOIN "{info.table_name}" p ON p.parent_fid = b.fid '
        f'WHERE b.fid NOT IN (SELECT fid FROM "{info.mesh_table}") GROUP BY b.fid ORDER BY b.fid LIMIT 1'
    ).to_pylist()[0]
    plotter = offscreen_plotter((320, 240))
    model = TwinModel(ProjectReader(project))
    view = SceneView(model, plotter)
    visual = view.visual(info.name)
    assert list(visual.with_parts([row["building"]])) == sorted([row["building"], *row["parts"]])
    # the Building's box is the box around its parts
    parts = np.array([visual.bounds(fid) for fid in row["parts"]])
    envelope = np.ravel([[parts[:, 2 * i].min(), parts[:, 2 * i + 1].max()] for i in range(3)])
    np.testing.assert_allclose(visual.bounds(row["building"]), envelope, atol=1e-6)
    assert np.all(envelope[1::2] - envelope[::2] > 1.0)  # a real building, metres in each direction
    model.camera.look(info.name, fid=row["building"])  # used to fail: the Building row has no mesh of its own
    assert not near(view.screenshot(), HIGHLIGHT, 60).any()
    lit = {}
    for fid in (*row["parts"], row["building"]):
        model.selection.select_feature(info.name, fid)
        lit[fid] = near(view.screenshot(), HIGHLIGHT, 60)
    # selecting the Building highlights its parts: what each part shows when selected alone
    assert lit[row["building"]].mean() > 0.02
    of_parts = np.logical_or.reduce([lit[fid] for fid in row["parts"]])
    assert (of_parts & ~lit[row["building"]]).sum() <= 0.01 * of_parts.sum()
    model.selection.clear()
    assert not near(view.screenshot(), HIGHLIGHT, 60).any()
    view.close()
    plotter.close()


def test_render_cli_frames_a_building_made_of_parts(zurich, tmp_path):
    from twin.cli.main import main

    project, info = zurich
    building = project.query(
        f'SELECT min(parent_fid)::BIGINT AS b FROM "{info.table_name}" WHERE parent_fid IS NOT NULL').to_pylist()[0]["b"]
    project.close()
    from PIL import Image

    pictures = {}
    for camera in (["--camera", info.name, "--fid", str(building)], []):  # framed, and the whole tile
        out = tmp_path / f"b{len(camera)}.png"
        assert main(["render", str(project.path), "--out", str(out), "--size", "320x240", *camera]) == 0
        with Image.open(out) as picture:
            assert picture.size == (320, 240)
            pictures[bool(camera)] = near(np.asarray(picture.convert("RGB")), ROOF, 60)
    # framed, the building's roofs fill the middle of the picture; in the view of the whole tile they are specks
    roof = pictures[True]
    assert roof.mean() > 0.02 and pictures[False].mean() < 0.005
    ys, xs = np.nonzero(roof)
    assert 60 < ys.mean() < 180 and xs.mean() < 200  # around the middle, left of the legend


def test_a_long_legend_shrinks_to_stay_inside_the_view():
    """The demo's legend (about 36 rows) ran past the bottom of a 1440x900 window's view."""
    import pyvista as pv

    from twin.render.overlay import LegendBlock, Overlay, fitting_font_size

    assert fitting_font_size(13, 10, 700) == 13  # a short legend keeps its size
    assert fitting_font_size(13, 36, 700) < 13 and int(fitting_font_size(13, 36, 700) * 1.6) * 36 <= 700 - 48
    assert fitting_font_size(13, 500, 700) == 8  # never unreadably small
    plotter = pv.Plotter(off_screen=True, window_size=(1000, 700))
    try:
        blocks = [LegendBlock(title=f"layer {i}", swatches=[(f"kind {i}", "#3366cc")]) for i in range(18)]
        overlay = Overlay(plotter.renderer)
        overlay.set_legend(blocks)
        panel = overlay._actors[0].GetMapper().GetInput().GetBounds()  # the panel quad, in display pixels
        assert panel[2] >= 0 and panel[3] <= 700, panel
    finally:
        plotter.close()
