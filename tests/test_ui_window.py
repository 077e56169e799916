"""The real window under Xvfb (xcb, never offscreen: the 3D view needs GL): open a project, toggle a
layer, click a feature and read the inspector, run a query and select its rows, filter by stage, import a
shared file through the dialog, drag and drop, Save As / New / Open, and the start-up command line."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "ui"))  # ui_panel
from conftest import copy_project  # noqa: E402
from twin.model.session import Session  # noqa: E402
from twin.store.project import Project  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]


def _settings(folder: pathlib.Path):
    from twin_ui.settings import AppSettings

    return AppSettings(QtCore.QSettings(str(folder / "settings.ini"), QtCore.QSettings.Format.IniFormat))


def _plugins():
    """The installed plugins plus two test panels (one that works, one that fails to build)."""
    import ui_panel

    from twin.plugins.manifest import Manifest
    from twin.plugins.registry import PluginRegistry

    registry = PluginRegistry()
    registry.register_manifest(Manifest.from_toml(ui_panel.MANIFEST, source="tests"))
    return registry


def _open_window(folder: pathlib.Path, settings, plugins, ui_city_file):
    """The window on a fresh copy of the small UI project (tests/fixtures/ui/ui_projects.py) in ``folder``, drawn."""
    from twin_ui.fonts import install_fonts
    from twin_ui.window import QtMainWindow

    install_fonts(QtWidgets.QApplication.instance())
    session = Session.open(copy_project(ui_city_file, folder / "city.twin.duckdb"))
    win = QtMainWindow(session, settings=settings, plugins=plugins)
    win.resize(1280, 860)
    win.show()
    assert win.view.wait_until_ready(30), "the 3D view never rendered"
    return win


@pytest.fixture
def settings(tmp_path):
    return _settings(tmp_path)


@pytest.fixture
def plugins():
    return _plugins()


@pytest.fixture(scope="module")
def module_window(qapp, tmp_path_factory, ui_city_file):
    """One window for the module's ``shared_window`` tests, with the camera it opened with."""
    folder = tmp_path_factory.mktemp("ui-window")
    win = _open_window(folder, _settings(folder), _plugins(), ui_city_file)
    yield win, win.model.camera.pose
    win.close()


@pytest.fixture
def window(request, qtbot, tmp_path, ui_city_file):
    """The main window on the small UI project: a new one for each test, or, for a test marked
    ``shared_window`` (it reads, picks, queries and opens dialogs, and leaves the project and the layout as it
    found them), the module's window, its selection cleared, no stage lens and its first camera."""
    if request.node.get_closest_marker("shared_window"):
        win, pose = request.getfixturevalue("module_window")
        win.model.selection.clear()
        win.model.lens.stage = None
        win.model.camera.pose = pose
        win.view.render_now()
        yield win
        return
    win = _open_window(tmp_path, request.getfixturevalue("settings"), request.getfixturevalue("plugins"), ui_city_file)
    yield win
    win.close()


def screen_point(window, x: float, y: float, z: float) -> QtCore.QPoint:
    """Widget pixel of a project-CRS point in the 3D view."""
    viewer = window.view
    origin = viewer.origin
    ren = viewer.plotter.renderer
    ren.SetWorldPoint(x - origin.x, y - origin.y, z - origin.z, 1.0)
    ren.WorldToDisplay()
    dx, dy, _ = ren.GetDisplayPoint()
    ratio = viewer.plotter.interactor.devicePixelRatioF()
    height = viewer.plotter.render_window.GetSize()[1]
    return QtCore.QPoint(round(dx / ratio), round((height - 1 - dy) / ratio))


def click(qtbot, window, point: QtCore.QPoint) -> None:
    widget = window.view.plotter.interactor
    qtbot.mousePress(widget, QtCore.Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseRelease(widget, QtCore.Qt.MouseButton.LeftButton, pos=point)


def test_opens_with_every_layer_drawn_and_grouped(qtbot, window):
    assert set(window.view.visuals) == {"Buildings", "CCTV", "Roads", "Parks"}
    assert window.windowTitle().startswith("city.twin.duckdb")
    assert window.status.crs_label.text() == "EPSG:5186"
    qtbot.waitUntil(lambda: window.layer_list.model.rowCount() == 4)  # stages 1, 2, 4 and "No stage"
    assert window.settings.recent_projects()[0].endswith("city.twin.duckdb")


@pytest.mark.shared_window  # turns CCTV off and on again
def test_toggling_a_layer_hides_it_in_3d_and_saves_it(qtbot, window):
    visual = window.view.visuals["CCTV"]
    assert all(a.GetVisibility() for a in visual.actors.values())
    window.layer_list.model.item_for("CCTV").setCheckState(QtCore.Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: not any(a.GetVisibility() for a in window.view.visuals["CCTV"].actors.values()))
    assert window.model.layers["CCTV"].visible is False  # the model is the truth
    assert window.project.layer("CCTV").style["visible"] is False  # and the project keeps it
    window.layer_list.model.item_for("CCTV").setCheckState(QtCore.Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: all(a.GetVisibility() for a in window.view.visuals["CCTV"].actors.values()))


@pytest.mark.shared_window
def test_clicking_a_building_highlights_it_and_fills_the_inspector(qtbot, window):
    point = screen_point(window, 200_000.0, 550_000.0, 40.0)  # the roof of the 40 m centre block
    click(qtbot, window, point)
    assert window.view.scene.selection == {("Buildings", 4)}
    assert window.model.selection.primary == ("Buildings", 4)
    inspector = window.inspector
    assert inspector.record is not None and inspector.record.fid == 4
    assert inspector.value("용도") == "업무시설"  # Korean keys and values
    assert inspector.value("층수") == "13"
    assert inspector.value("Layer") == "Buildings" and inspector.value("Stage") == "Stage 4"
    assert inspector.value("Service") == "infrastructure"
    lon, lat = (float(v) for v in inspector.value("Centroid (lon, lat)").split(","))
    assert 126.9 < lon < 127.1 and 37.4 < lat < 37.6
    x, y, z = (float(v) for v in inspector.value("Picked point (EPSG:5186)").replace(",", "").replace("z", "").split())
    assert abs(x - 200_000) < 2 and abs(y - 550_000) < 2 and abs(z - 40) < 0.5
    assert window.layer_list.current_layer() == "Buildings"
    click(qtbot, window, QtCore.QPoint(5, 5))  # the sky: nothing
    assert window.view.scene.selection == frozenset() and inspector.record is None and not window.model.selection


@pytest.mark.shared_window
def test_the_status_bar_follows_the_cursor_on_the_ground(window):
    point = screen_point(window, 199_990.0, 549_900.0, 0.0)
    widget = window.view.plotter.interactor
    event = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(point), QtCore.QPointF(widget.mapToGlobal(point)),
                              QtCore.Qt.MouseButton.NoButton, QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(widget, event)
    text = window.status.xy.text().replace(",", "").split()
    assert abs(float(text[1]) - 199_990) < 1.5 and abs(float(text[3]) - 549_900) < 1.5
    assert window.status.lonlat.text().endswith("E") and "° N" in window.status.lonlat.text()


@pytest.mark.shared_window
def test_a_query_fills_the_table_and_selected_rows_are_highlighted(qtbot, window):
    console = window.sql_console
    console.editor.setPlainText("SELECT fid, height, 용도, geom FROM lyr_1 WHERE height >= 24 ORDER BY fid")
    qtbot.keyClick(console.editor, QtCore.Qt.Key.Key_Return, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: console.results.rowCount() == 5, timeout=10000)
    assert "5 rows" in console.status.text()
    assert console.results.data(console.results.index(0, 3)).startswith("POLYGON")
    console.table.selectRow(1)
    qtbot.waitUntil(lambda: len(window.view.scene.selection) == 1)
    fid = console.results.row_values(1)["fid"]
    assert window.view.scene.selection == {("Buildings", fid)}
    assert window.inspector.record is not None and window.inspector.record.fid == fid  # linked: the inspector too
    assert window.settings.query_history()[0].startswith("SELECT fid, height")
    console.run("SELECT nonsense FROM nowhere")
    qtbot.waitUntil(lambda: "Error" in console.status.text(), timeout=10000)
    console.run("SELECT ST_Buffer(ST_Point(200000, 550000), 25) AS area")
    qtbot.waitUntil(lambda: console.results.rowCount() == 1, timeout=10000)
    console.table.selectRow(0)
    qtbot.waitUntil(lambda: len(window.model.selection.geometries) == 1)
    assert "twin:selected-geometries" in window.view.plotter.actors  # drawn as an outline
    console.run("DROP TABLE layers")  # the console is read-only
    qtbot.waitUntil(lambda: "not allowed" in console.status.text(), timeout=10000)
    assert window.project.has_table("layers")


@pytest.mark.shared_window
def test_stage_lens_shows_the_city_as_it_was(qtbot, window):
    window.stage_lens.set_stage(1)
    assert window.model.lens.stage == 1 and window.stage_lens.combo.currentData() == 1
    visuals = window.view.visuals
    qtbot.waitUntil(lambda: not visuals["Buildings"].visible and not visuals["CCTV"].visible)
    assert visuals["Roads"].visible and visuals["Parks"].visible
    assert window.stage_lens.changes.isEnabled()
    window.stage_lens.changes.trigger()  # what changed at stage 1
    assert window.model.lens.changes and window.model.lens.describe() == "what changed at stage 1"
    window.stage_lens.actions_by_stage[None].trigger()
    qtbot.waitUntil(lambda: visuals["Buildings"].visible and visuals["CCTV"].visible)
    assert not window.model.lens.changes and not window.stage_lens.changes.isChecked()
    assert not window.stage_lens.changes.isEnabled()


def test_import_a_shared_csv_through_the_dialog(qtbot, window, shared_data):
    dialog = window.import_files([shared_data / "C" / "osan_cctv.csv"])[0]
    qtbot.waitUntil(lambda: dialog.read_result is not None, timeout=60000)
    assert dialog.detected_text("encoding") == "UTF-8"
    assert dialog.detected_text("x column") == "설치위치_경도"
    assert dialog.detected_text("crs").startswith("EPSG:4326")
    assert dialog.detected_text("features") == "556" and dialog.detected_text("skipped") == "11"
    assert dialog.name_edit.text() == "osan_cctv"
    dialog.name_edit.setText("오산 CCTV")
    dialog.stage_combo.setCurrentIndex(dialog.stage_combo.findData(2))
    dialog.service_combo.setCurrentText("safety")
    qtbot.mouseClick(dialog.import_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.write_result is not None, timeout=30000)
    layer = window.project.layer("오산 CCTV")
    assert (layer.kind, layer.stage, layer.service, layer.feature_count) == ("cctv", 2, "safety", 556)  # twin-safety
    assert "skipped 11" in dialog.report.toPlainText()
    qtbot.waitUntil(lambda: "오산 CCTV" in window.view.visuals, timeout=10000)
    assert window.model.layers["오산 CCTV"].info.feature_count == 556
    qtbot.waitUntil(lambda: window.layer_list.model.item_for("오산 CCTV") is not None)
    dialog.cancel_button.click()  # now "Close"


@pytest.mark.shared_window
def test_import_errors_are_messages_and_the_source_can_be_fixed(qtbot, window, shared_data):
    dialog = window.import_files([shared_data / "E" / "osan_taas_2017_2019_attributes.csv"])[0]
    qtbot.waitUntil(lambda: not dialog.reader.busy, timeout=30000)
    assert dialog.read_result is None and not dialog.import_button.isEnabled()
    assert "osan_taas_2017_2019_attributes.csv" in dialog.message.text()
    dialog.reject()
    dialog = window.import_files([shared_data / "E" / "osan_taas_2017_2019_xy_epsg5181.csv"])[0]
    qtbot.waitUntil(lambda: not dialog.reader.busy, timeout=30000)
    assert "no coordinate columns" in dialog.message.text()
    dialog.crs_edit.setText("EPSG:5181")
    dialog.x_combo.setCurrentText("0")  # the columns are named column_1, 0, 1, 2
    dialog.y_combo.setCurrentText("1")
    qtbot.mouseClick(dialog.reread_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.reader.busy, timeout=30000)
    assert dialog.read_result is not None, dialog.message.text()
    assert dialog.read_result.datas[0].crs == "EPSG:5181" and dialog.read_result.feature_count == 172
    dialog.reject()


@pytest.mark.shared_window
def test_dropping_a_file_opens_the_import_dialog(qtbot, window, shared_data):
    from twin_ui.dialogs.qt_import_dialog import QtImportDialog

    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(shared_data / "C" / "osan_bus_stops.csv"))])
    pos = QtCore.QPointF(window.width() / 2, window.height() / 2)
    enter = QtGui.QDragEnterEvent(pos.toPoint(), QtCore.Qt.DropAction.CopyAction, mime,
                                  QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(pos, QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton,
                            QtCore.Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    dialogs = window.findChildren(QtImportDialog)
    assert dialogs and dialogs[-1].path.name == "osan_bus_stops.csv"
    qtbot.waitUntil(lambda: dialogs[-1].read_result is not None, timeout=30000)
    assert dialogs[-1].read_result.feature_count == 412
    dialogs[-1].reject()


def test_layer_style_rename_zoom_and_remove(qtbot, window):
    from twin_ui.dialogs.qt_style_dialog import QtStyleDialog

    dialog = QtStyleDialog(window.model, "Buildings", window)
    dialog.color_by.setCurrentIndex(dialog.color_by.findData("용도"))
    dialog.opacity.setValue(80)
    assert dialog.apply()
    stored = window.project.layer("Buildings").style
    assert stored["color_by"] == "용도" and stored["opacity"] == 0.8
    qtbot.waitUntil(lambda: window.view.visuals["Buildings"].style.color_by == "용도")
    legend = window.layer_list.model.item_for("Buildings")
    qtbot.waitUntil(lambda: legend.rowCount() >= 3)  # 용도 subtitle + 업무시설, 주거, 상업
    assert {legend.child(i).text() for i in range(legend.rowCount())} >= {"업무시설", "주거", "상업"}
    window.layer_list.select_layer("Parks")  # the park, 120 x 50 m south of the blocks
    before = window.model.camera.pose
    window.layer_list.zoom_action.trigger()
    after = window.model.camera.pose
    assert after.distance < 0.8 * before.distance  # the view closes in on the park
    corners = [screen_point(window, x, y, 0.0) for x in (199_940.0, 200_060.0) for y in (549_880.0, 549_930.0)]
    width, height = window.view.width(), window.view.height()
    assert all(0 <= c.x() < width and 0 <= c.y() < height for c in corners)  # the whole park in view
    assert max(c.x() for c in corners) - min(c.x() for c in corners) > 0.4 * width  # and filling it
    window.model.rename_layer("Roads", "도로")
    qtbot.waitUntil(lambda: "도로" in window.view.visuals and "Roads" not in window.view.visuals)
    assert window.project.has_layer("도로") and not window.project.has_layer("Roads")
    window.layer_list.select_layer("Parks")
    window.layer_list.remove_layer("Parks", confirm=False)
    qtbot.waitUntil(lambda: "Parks" not in window.view.visuals)
    assert not window.project.has_layer("Parks")


def test_save_as_new_and_open(qtbot, window, tmp_path):
    commands = window.commands
    assert commands.save_as_dialog(tmp_path / "copy")
    assert window.project.path == tmp_path / "copy.twin.duckdb"
    qtbot.waitUntil(lambda: window.view.is_ready, timeout=30000)
    window.model.layers["Parks"].visible = False  # saved in the copy, not in the original
    assert window.project.layer("Parks").style["visible"] is False
    assert set(window.view.visuals) == {"Buildings", "CCTV", "Roads", "Parks"}
    assert commands.new_project(tmp_path / "empty")
    assert window.project.layers() == [] and window.view.visuals == {}
    assert commands.open_path(tmp_path / "city.twin.duckdb")
    assert len(window.project.layers()) == 4 and window.model.layers["Parks"].visible
    assert [pathlib.Path(p).name for p in window.settings.recent_projects()[:3]] == [
        "city.twin.duckdb", "empty.twin.duckdb", "copy.twin.duckdb"]
    about = commands.show_about()
    assert about.table.rowCount() >= 10
    about.close()


def test_screenshot_command_line(tmp_path, ui_city_file):
    project = copy_project(ui_city_file, tmp_path / "shot.twin.duckdb")
    png = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, str(REPO / "main.py"), str(project), "--screenshot", str(png),
                             "--size", "1000x700", "--select", "Buildings", "4"],
                            capture_output=True, text=True, timeout=180, cwd=REPO)
    assert result.returncode == 0, result.stderr
    image = QtGui.QImage(str(png))
    assert (image.width(), image.height()) == (1000, 700)
    # the highlighted building is drawn (orange), so the 3D view really rendered
    pixels = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, 1000, 2)] for y in range(0, 700, 2)],
                      dtype=int)
    orange = (pixels[..., 0] > 150) & (pixels[..., 2] < 80) & (pixels[..., 0] - pixels[..., 2] > 100)
    assert orange.sum() > 100


def test_a_missing_project_is_an_error_not_a_crash(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "main.py"), str(tmp_path / "nope.twin.duckdb"),
                             "--screenshot", str(tmp_path / "x.png")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no such project" in result.stderr


def test_timeline_replays_imported_events(qtbot, window, shared_data):
    import datetime as dt
    from zoneinfo import ZoneInfo

    timeline = window.timeline
    assert timeline.timeline is None and not timeline.play_button.isEnabled()  # no temporal layer yet
    assert not window.timeline_dock.isVisible()
    dialog = window.import_files([shared_data / "E" / "osan_traffic_accidents_taas.csv"])[0]
    qtbot.waitUntil(lambda: dialog.read_result is not None, timeout=60000)
    assert dialog.read_result.datas[0].kind == "events"
    dialog.start_write()
    qtbot.waitUntil(lambda: "osan_traffic_accidents_taas" in window.view.visuals, timeout=60000)
    qtbot.waitUntil(lambda: timeline.timeline is not None)
    model = timeline.timeline
    assert model is window.model.time.timeline and window.timeline_dock.isVisible()
    seoul = ZoneInfo("Asia/Seoul")
    assert model.extent.start == dt.datetime(2007, 1, 14, 9, tzinfo=seoul)
    assert timeline.play_button.isEnabled() and "2019-12-28 17:00:00 KST" in timeline.extent_label.text()
    visual = window.view.visuals["osan_traffic_accidents_taas"]
    model.seek(dt.datetime(2017, 1, 28, 14, 30, tzinfo=seoul))  # an accident at 14:00, shown for an hour
    qtbot.waitUntil(lambda: visual.counts["now"] >= 1)
    assert timeline.time_label.text() == "2017-01-28 14:30:00 KST"
    model.seek(dt.datetime(2017, 1, 28, 16, 0, tzinfo=seoul))
    qtbot.waitUntil(lambda: visual.counts["now"] == 0)
    # scrubbing: many slider moves, only the newest range is drawn
    scene = window.view.scene
    before = scene.time_updates
    for value in range(0, 10_000, 250):
        timeline.slider.setValue(value)
    qtbot.waitUntil(lambda: scene.time_range == model.range)
    assert scene.time_updates - before < 5 and window.model.time.range == model.range
    # playing advances the time on the dock's timer; pausing stops it
    start = model.current
    timeline.toggle()
    assert timeline.timer.isActive()
    qtbot.waitUntil(lambda: model.current != start, timeout=5000)
    timeline.toggle()
    assert not timeline.timer.isActive() and not model.playing
    timeline.window_mode.setCurrentIndex(timeline.window_mode.findData("cumulative"))
    qtbot.waitUntil(lambda: scene.time_range is not None and scene.time_range.start == model.extent.start)
    assert "showing 2007-01-14" in timeline.range_label.text()


def test_plugin_panels_are_built_when_shown_and_follow_the_selection(qtbot, window):
    panels = window.plugin_panels
    dock = panels.docks["ui-test-panels/selection"]
    assert not dock.isVisible() and not dock.property("built")  # built only when first shown
    titles = [a.text() for a in window.commands.panels_menu.actions()]
    assert "Selection (test panel)" in titles
    dock.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: dock.property("built"))
    panel = dock.widget()
    assert panel.text() == "nothing selected"
    click(qtbot, window, screen_point(window, 200_000.0, 550_000.0, 40.0))
    assert panel.text() == "Buildings:[4]"
    assert window.panel_context.project is window.project and window.panel_context.model is window.model
    window.panel_context.set_selection("CCTV", [2])  # a panel drives the linked selection
    assert window.view.scene.selection == {("CCTV", 2)} and window.inspector.record.fid == 2
    broken = panels.docks["ui-test-panels/broken"]
    broken.show()
    qtbot.waitUntil(lambda: broken.property("built"))
    assert "broken on purpose" in broken.widget().text()
    # a panel that fails to build is an error for that panel; the plugin stays on (disabled only when it cannot load)
    assert window.panel_context.registry.plugins["ui-test-panels"].enabled
    assert dock.widget() is panel and panel.text() == "CCTV:[2]"


def test_no_argument_opens_the_demo_built_once(tmp_path):
    import os

    env = dict(os.environ, TWIN_DATA_DIR=str(tmp_path / "data"))
    demo = tmp_path / "data" / "demo.twin.duckdb"
    marker = tmp_path / "data" / ".demo-complete"
    stamps = []
    for run in range(2):  # the first run builds the demo town, the second reuses it
        png = tmp_path / f"demo{run}.png"
        result = subprocess.run([sys.executable, str(REPO / "main.py"), "--screenshot", str(png), "--size", "1200x800"],
                                capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
        assert result.returncode == 0, result.stderr
        assert QtGui.QImage(str(png)).width() == 1200
        stamps.append(marker.stat().st_mtime_ns)
    assert stamps[0] == stamps[1]  # not built again
    with Project.open(demo) as project:
        assert len(project.layers()) >= 6 and project.crs == "EPSG:5186"


def test_the_real_demo_in_the_window(qtbot, tmp_path, settings, demo_town):
    """The demo town (a copy of the session's, tests/conftest.py): toggle a layer, colour by an attribute from
    the context menu, pick the tallest tower and read its Korean attributes."""
    from twin_ui.docks.layer_list_model import LEVEL_ROLE
    from twin_ui.window import QtMainWindow

    session = Session.open(copy_project(demo_town[0], tmp_path / "data" / "demo.twin.duckdb"))
    project = session.reader
    window = QtMainWindow(session, settings=settings)
    window.resize(1280, 860)
    window.show()
    try:
        assert window.view.wait_until_ready(60)
        qtbot.waitUntil(lambda: window.layer_list.model.rowCount() > 0)
        buildings = next(la for la in project.layers() if la.kind == "buildings")
        table = project.query(
            f'SELECT fid, "건물명" AS name, ST_X(ST_Centroid(geom)) AS x, ST_Y(ST_Centroid(geom)) AS y, height '
            f'FROM "{buildings.table_name}" ORDER BY height DESC LIMIT 1').to_pylist()[0]
        item = window.layer_list.model.item_for(buildings.name)
        assert item.data(LEVEL_ROLE) == "layer" and item.parent().parent().text().startswith("Stage 1")
        window.layer_list.select_layer(buildings.name)
        menu = window.layer_list.build_menu(item.index())
        colour_by = next(a.menu() for a in menu.actions() if a.menu() and a.text() == "&Colour By")
        next(a for a in colour_by.actions() if a.text() == "용도").trigger()
        qtbot.waitUntil(lambda: window.view.visuals[buildings.name].style.color_by == "용도")
        assert project.layer(buildings.name).style["color_by"] == "용도"
        window.model.camera.look("top")
        window.view.render_now()
        click(qtbot, window, screen_point(window, table["x"], table["y"], table["height"]))
        assert window.view.scene.selection == {(buildings.name, table["fid"])}
        assert window.inspector.value("건물명") == table["name"]
        cctv = next(la for la in project.layers() if la.name == "CCTV")
        window.layer_list.model.item_for("CCTV").setCheckState(QtCore.Qt.CheckState.Unchecked)
        qtbot.waitUntil(lambda: not window.view.visuals["CCTV"].style.visible or
                        not any(a.GetVisibility() for a in window.view.visuals["CCTV"].actors.values()))
        assert project.layer(cctv.name).style["visible"] is False
    finally:
        window.close()


def test_the_window_and_the_off_screen_renderer_draw_the_same_model_state(qtbot, window, tmp_path):
    """One model state (lens, a hidden layer, a selection, a camera), shown in the window and rendered
    off-screen as ``twin render`` does: the same picture within the image tolerance of the render tests."""
    import pyvista as pv
    from PIL import Image

    from test_render import IMAGE_TOLERANCE
    from twin.render.offscreen import render_model

    model = window.model
    model.lens.stage = 2  # the Buildings (stage 4) are hidden by the lens
    model.layers["Parks"].visible = False
    model.selection.select({"CCTV": [1, 3]})
    model.camera.look("top")
    model.camera.look("CCTV")
    window.view.render_now()
    qtbot.wait(200)
    shown = window.view.plotter.screenshot(return_img=True)[..., :3]
    height, width = shown.shape[:2]
    result = render_model(model.copy(), tmp_path / "same.png", size=(width, height))
    with Image.open(result.path) as picture:
        rendered = np.asarray(picture.convert("RGB"))
    assert set(result.layers) == {"CCTV", "Roads"}  # what the model shows, nothing else
    error = pv.compare_images(shown, rendered, use_vtk=False)
    assert error < IMAGE_TOLERANCE, f"the window and the off-screen render differ by {error:.1f}"
    highlight = [(np.abs(image.astype(int) - [255, 179, 0]).max(axis=2) < 40).sum() for image in (shown, rendered)]
    assert highlight[0] > 20 and abs(highlight[0] - highlight[1]) < 0.1 * highlight[0]  # both highlight CCTV 1, 3
    # a different state gives a different picture: the comparison can tell
    model.lens.stage = None
    window.view.render_now()
    qtbot.wait(200)
    other = window.view.plotter.screenshot(return_img=True)[..., :3]
    assert pv.compare_images(other, rendered, use_vtk=False) > 2 * error + 5
