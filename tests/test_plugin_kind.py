"""A layer kind from a third-party plugin (tests/fixtures/plugins/packages/twin_fake_kind), installed as a
distribution: its importer, visual, icon and style control reach the core and the window through the
kinds registry, with no change to ``ui/``."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from twin.model.session import Session
from twin.model.twin import TwinModel
from twin.plugins.kinds import layer_kind
from twin.render.offscreen import render_model


@pytest.fixture
def heat_plugin(fake_site):
    """The plugin installed for the whole process (as pip would), forgotten afterwards."""
    from twin.plugins.registry import registry
    from twin_ui import icons

    fake_site.install("twin-fake-kind")
    registry.discover(force=True)
    icons.kind_icon.cache_clear()
    yield registry
    icons.kind_icon.cache_clear()


@pytest.fixture
def heat_project(tmp_path, heat_plugin) -> pathlib.Path:
    source = tmp_path / "hot.heat"
    source.write_text("x;y;temperature\n200000;550000;38.5\n200080;550020;41.0\n199950;549960;36.0\n", encoding="utf-8")
    with Session.open(tmp_path / "heat.twin.duckdb", create=True) as session:
        session.imports.write(session.imports.plan(source), name="hot spots", stage=4, service="environment")
    return tmp_path / "heat.twin.duckdb"


def test_the_kind_is_declared_with_its_icon_controls_and_style(heat_plugin):
    kind = layer_kind("heat", registry=heat_plugin)
    assert kind.plugin == "twin-fake-kind" and kind.title == "Heat spots"
    assert kind.icon.name == "heat.svg" and kind.icon.is_file()
    assert kind.style == ("opacity",) and kind.has_controls and kind.color == "#e4572e"
    assert heat_plugin.check()["twin-fake-kind"] == []  # visual, controls and importer all import


def test_the_kind_is_imported_and_drawn_off_screen(heat_project, tmp_path):
    from PIL import Image

    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView

    with Session.open(heat_project, read_only=True) as session:
        model = TwinModel(session.reader)
        layer = model.layers["hot spots"]
        assert (layer.kind, layer.info.feature_count) == ("heat", 3)
        plotter = offscreen_plotter((400, 300))
        scene = SceneView(model, plotter)
        visual = scene.visual("hot spots")
        assert type(visual).__name__ == "HeatVisual" and visual.feature_ids.tolist() == [0, 1, 2]
        x0, x1, y0, y1, _, _ = visual.bounds()
        assert (x1 - x0, y1 - y0) == (pytest.approx(130 + 20, abs=0.5), pytest.approx(60 + 20, abs=0.5))
        scene.close()
        plotter.close()
        result = render_model(model, tmp_path / "heat.png", size=(400, 300))
    assert result.layers == ["hot spots"] and result.problems == {}
    with Image.open(result.path) as picture:
        image = np.asarray(picture.convert("RGB")).astype(int)
    drawn = (np.abs(image[:, :260] - image[5, 5]).max(axis=2) > 60).mean()  # left of the legend
    assert drawn > 0.01  # the discs are there


def test_the_window_shows_the_kind_icon_and_its_style_control(qtbot, heat_project, tmp_path):
    from twin_ui import icons
    from twin_ui.dialogs.qt_style_dialog import QtStyleDialog
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    settings = AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    window = QtMainWindow(Session.open(heat_project), settings=settings)
    window.resize(1100, 760)
    window.show()
    try:
        assert window.view.wait_until_ready(30)
        qtbot.waitUntil(lambda: window.layer_list.model.item_for("hot spots") is not None)
        image = icons.kind_icon("heat", "#e4572e").pixmap(32, 32).toImage()
        centre, ring = image.pixelColor(16, 16), image.pixelColor(16, 6)
        assert centre.name() == "#ffffff" and ring.name() == "#e4572e"  # the plugin's SVG, in the kind's colour
        fallback = icons.svg_icon(icons.FALLBACK_SVG.replace("currentColor", "#e4572e")).pixmap(32, 32).toImage()
        assert fallback.pixelColor(16, 16).name() != "#ffffff"  # (the generic icon would look different)
        dialog = QtStyleDialog(window.model, "hot spots", window)
        controls = dialog.kind_controls
        assert type(controls).__name__ == "HeatControls"
        assert dialog.opacity.isVisibleTo(dialog) and not dialog.colour_button.isVisibleTo(dialog)  # style = opacity
        visual = window.view.visuals["hot spots"]
        before = visual.bounds()
        controls.radius.setValue(40.0)
        assert dialog.apply()
        assert window.model.layers["hot spots"].style.params == {"radius": 40.0}
        assert window.project.layer("hot spots").style["params"] == {"radius": 40.0}  # kept in the project
        after = window.view.visuals["hot spots"].bounds()
        assert (after[1] - after[0]) - (before[1] - before[0]) == pytest.approx(2 * (40.0 - 10.0), abs=0.5)
        dialog.close()
        assert isinstance(controls, QtWidgets.QWidget)
    finally:
        window.close()
