"""Automatic point glyphs at every zoom: the city-scale size at a city view, pixels far out, and close in no
bigger than the street (a bus stop is never a 40 m column beside 15 m houses)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_pictures_readable import points_project

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyvista.*")


def test_glyph_sizes_hold_the_city_size_then_the_street_size():
    from twin.scene.glyphs import GLYPH_CLOSE_PX, GLYPH_STREET_M, GlyphSize, glyph_screen

    anchors = np.zeros((3, 3))
    screen = glyph_screen(anchors + 1.0, anchors, pixels=6.0, city_m=19.0)
    assert isinstance(screen, GlyphSize)
    assert screen.sizes(4.0) == pytest.approx(24.0)  # far out: 6 pixels
    assert screen.sizes(1.0) == pytest.approx(19.0)  # a city view: the city-scale metres
    assert screen.sizes(0.3) == pytest.approx(GLYPH_CLOSE_PX * 0.3)  # closer: no more than 32 pixels
    assert screen.sizes(0.02) == pytest.approx(GLYPH_STREET_M)  # street level: street furniture, not a building
    assert (np.diff([screen.sizes(m)[0] for m in (0.01, 0.05, 0.2, 0.6, 1.0, 3.0, 10.0)]) >= 0).all()  # monotone
    assert isinstance(screen.subset(np.array([0, 2])), GlyphSize) and len(screen.subset(np.array([1])).anchors) == 1
    pixels_only = glyph_screen(anchors + 1.0, anchors, pixels=12.0, city_m=0.0)  # size_units "px": pixels only
    assert pixels_only.sizes(0.02) == pytest.approx(0.24) and pixels_only.sizes(2.0) == pytest.approx(24.0)
    larger = glyph_screen(anchors + 1.0, anchors, pixels=7.5, city_m=23.75, scale=1.25)  # readings wrap the glyph
    assert larger.sizes(0.02) == pytest.approx(GLYPH_STREET_M * 1.25)


def town_stops(tmp_path):
    """Bus stops spread over a 3 km town (an automatic glyph of about 19 m at the city view)."""
    return points_project(tmp_path, "bus_stops", "정류장", 30, (127.05, 127.08), (37.14, 37.167), seed=3, digits=6,
                          project="town")


def test_a_glyph_at_street_level_is_street_sized(tmp_path):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.scene.glyphs import GLYPH_STREET_M, automatic_size
    from twin.scene.origin import project_extent
    from twin.store.project import Project
    from twin.store.reader import ProjectReader

    project = town_stops(tmp_path)
    with Project.open(project, read_only=True) as p:
        city = automatic_size(project_extent(p.layers()))
        assert city > 15.0  # what every glyph was at any closer view before
        plotter = offscreen_plotter((400, 300))
        scene = SceneView(TwinModel(ProjectReader(p)), plotter)
        try:
            part = scene.visual("bus_stops").parts["glyphs"]
            scene.screenshot()
            height = np.ptp(np.asarray(part.mesh.points)[:, 2])  # a post is twice its size tall
            assert height >= 2 * city * 0.99  # the default view: the city-scale size (or more), as before
            anchor = np.asarray(part.screen.anchors[0])
            plotter.camera.focal_point = tuple(anchor)
            plotter.camera.position = tuple(anchor + np.array([0.0, -20.0, 15.0]))  # 25 m away, at street level
            scene.screenshot()
            close = np.ptp(np.asarray(part.mesh.points)[:, 2])
            assert close == pytest.approx(2 * GLYPH_STREET_M, rel=0.1), close  # a 5 m post, not a 38 m column
        finally:
            scene.close()
            plotter.close()
