"""The Bookmarks dock, the tours panel, presentation mode and the movie dialog in the real window on the
sample district (pytest-qt under pytest-xvfb: xcb, never offscreen, the 3D view needs GL)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "present"))
import present_projects  # noqa: E402

from twin.present.camera import capture_camera  # noqa: E402
from twin.present.movie import read_movie_info  # noqa: E402
from twin.model.session import Session  # noqa: E402
from twin.present.store import PresentStore  # noqa: E402
from twin.present.tours import Tour, TourStop  # noqa: E402


@pytest.fixture(scope="session")
def sample_cache(tmp_path_factory) -> pathlib.Path:
    return present_projects.sample_project(tmp_path_factory.mktemp("ui-sample"))


@pytest.fixture
def window(qtbot, tmp_path, sample_cache):
    from twin_ui.fonts import install_fonts
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    install_fonts(QtWidgets.QApplication.instance())
    settings = AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    session = Session.open(present_projects.sample_project(tmp_path, cache=sample_cache))
    win = QtMainWindow(session, settings=settings)  # the window installs the bookmarks dock and presentation mode
    assert win.bookmarks_dock is not None and win.findChild(QtWidgets.QDockWidget, "dock_bookmarks")
    win.resize(1100, 760)
    win.show()
    assert win.view.wait_until_ready(30), "the 3D view never rendered"
    yield win
    win.close()


def camera_of(window):
    """The 3D view's camera (project CRS); the model's camera holds the same pose."""
    pose = capture_camera(window.view.plotter, window.view.scene.origin)
    np.testing.assert_allclose(window.model.camera.pose.position, pose.position, atol=1e-3)
    return pose


def assert_camera(window, pose, tol=1e-3):
    now = camera_of(window)
    np.testing.assert_allclose(now.position, pose.position, atol=tol)
    np.testing.assert_allclose(now.focal_point, pose.focal_point, atol=tol)
    assert (now.parallel_scale is None) == (pose.parallel_scale is None)


def settle(qtbot, ms=150):
    qtbot.wait(ms)


def press(qtbot, window, key) -> None:
    """A key on the active window (shortcuts of the window context need it active, also under Xvfb)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window, timeout=5_000)
    qtbot.keyClick(QtWidgets.QApplication.focusWidget() or window, key)


def test_add_rename_caption_and_go_back_to_a_bookmark(qtbot, window):
    marks = window.bookmarks
    assert window.bookmarks_dock.objectName() == "dock_bookmarks"
    assert marks.list.count() == 0 and "No bookmarks yet" in marks.details.text()
    window.model.camera.look("top")
    window.model.layers["CCTV"].visible = False
    window.stage_lens.set_stage(2)
    settle(qtbot)
    top = camera_of(window)
    assert marks.add_current() == "View 1"
    stored = PresentStore(window.project).bookmark("View 1")
    np.testing.assert_allclose(stored.camera.position, top.position, atol=1e-6)
    assert stored.camera.parallel_scale is not None and stored.stage == 2
    assert "CCTV" not in stored.layers and "건물" in stored.layers and "치안·소방" in stored.layers  # check boxes
    item = marks.list.item(0)
    item.setText("도시 전경")
    assert PresentStore(window.project).names() == ["도시 전경"]
    marks.caption.setText("세종 스마트 신도시 계획")
    marks.caption.editingFinished.emit()
    assert PresentStore(window.project).bookmark("도시 전경").caption == "세종 스마트 신도시 계획"
    # move away and change the layers, then go back
    window.model.camera.look("iso")
    window.model.layers["CCTV"].visible = True
    window.stage_lens.set_stage(None)
    settle(qtbot)
    marks.go("도시 전경", seconds=0.4)
    qtbot.waitUntil(lambda: marks.flight is None, timeout=10_000)
    assert_camera(window, stored.camera)
    assert window.view.plotter.camera.GetParallelProjection() == 1
    assert window.model.lens.stage == 2 and window.stage_lens.combo.currentData() == 2
    assert not window.model.shown("CCTV")
    assert not window.view.scene.visual("치안·소방").visible  # stage 3: filtered out by the stage
    marks.remove_current(confirm=False)
    assert PresentStore(window.project).names() == [] and marks.list.count() == 0


def test_tours_panel_makes_and_edits_tours(qtbot, window):
    marks, tours = window.bookmarks, window.tours
    tours.new_tour()
    assert tours.combo.count() == 0  # no bookmarks: nothing to tour
    window.model.camera.look("iso")
    marks.add_current("Overview")
    window.model.camera.look("치안·소방")
    settle(qtbot)
    marks.add_current("Safety")
    assert tours.new_tour() == "Tour 1"
    tour = PresentStore(window.project).tour("Tour 1")
    assert [s.bookmark for s in tour.stops] == ["Overview", "Safety"]
    assert tours.table.rowCount() == 2 and not tours.table.cellWidget(0, 1).isEnabled()
    tours.table.cellWidget(1, 2).setValue(5.0)  # hold at Safety
    assert PresentStore(window.project).tour("Tour 1").stops[1].hold == 5.0
    marks.list.setCurrentRow(0)
    tours.add_stop()
    assert [s.bookmark for s in PresentStore(window.project).tour("Tour 1").stops] == ["Overview", "Safety", "Overview"]
    tours.table.selectRow(2)
    tours.remove_stop()
    tours.table.selectRow(1)
    tours.move_stop(-1)
    assert [s.bookmark for s in PresentStore(window.project).tour("Tour 1").stops] == ["Safety", "Overview"]
    marks.list.setCurrentRow(1)  # Safety
    marks.list.item(1).setText("Civic centre")  # a rename reaches the tour
    assert [s.bookmark for s in PresentStore(window.project).tour("Tour 1").stops] == ["Civic centre", "Overview"]
    assert tours.table.item(0, 0).text() == "Civic centre"


def make_tour(window, qtbot) -> dict:
    model = window.model
    model.camera.look("iso")
    settle(qtbot)
    window.bookmarks.add_current("Overview")
    model.bookmarks.save(model.bookmarks["Overview"].replace(caption="세종 스마트 신도시"), replace=True)
    model.camera.look("치안·소방")
    settle(qtbot)
    model.layers["CCTV"].visible = False
    window.bookmarks.add_current("Safety")
    model.layers["CCTV"].visible = True
    model.bookmarks.save(model.bookmarks["Safety"].replace(caption="Police and fire"), replace=True)
    model.tours.save(Tour("Demo", (TourStop("Overview", hold=0.6), TourStop("Safety", transition=0.8, hold=0.6))))
    window.tours.refresh(select="Demo")
    store = PresentStore(window.project)  # the model wrote them into the project
    assert store.tour("Demo").stops[1].bookmark == "Safety" and store.bookmark("Safety").caption == "Police and fire"
    return {b.name: b for b in model.bookmarks}


def test_presentation_plays_a_tour_full_screen_and_esc_restores(qtbot, window):
    marks = make_tour(window, qtbot)
    docks_before = {d.objectName(): d.isVisible() for d in window.findChildren(QtWidgets.QDockWidget)}
    assert window.view.scene.visual("CCTV").visible
    presentation = window.presenting.start()
    assert presentation is not None and presentation.active
    assert window.isFullScreen() and not window.menuBar().isVisible() and not window.statusBar().isVisible()
    assert not any(d.isVisible() for d in window.findChildren(QtWidgets.QDockWidget))
    player = presentation.player
    player.pause()
    player.seek(0.5)
    assert_camera(window, marks["Overview"].camera)
    overlay = window.view.scene.captions
    assert overlay.text == "세종 스마트 신도시" and overlay.caption.GetVisibility()
    assert window.model.caption.text == "세종 스마트 신도시"
    player.seek(player.player.arrival(1) + 0.5)
    assert_camera(window, marks["Safety"].camera)
    assert overlay.text == "Police and fire"
    assert not window.view.scene.visual("CCTV").visible  # the Safety bookmark hides CCTV, for the view only
    assert window.project.layer("CCTV").style.get("visible", True)  # nothing is saved
    player.seek(0.0)
    press(qtbot, window, QtCore.Qt.Key.Key_Right)  # holding at the first stop: fly on
    assert player.stop == 1 and player.playing
    with qtbot.waitSignal(player.finished, timeout=15_000):
        pass
    assert_camera(window, marks["Safety"].camera)
    press(qtbot, window, QtCore.Qt.Key.Key_Escape)
    assert not presentation.active
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    assert {d.objectName(): d.isVisible() for d in window.findChildren(QtWidgets.QDockWidget)} == docks_before
    assert window.view.scene.visual("CCTV").visible and window.model.layers["CCTV"].visible  # the layers are back
    assert not overlay.caption.GetVisibility() and window.model.caption.text == ""


def test_presenting_bookmarks_by_hand_waits_at_each_stop(qtbot, window):
    marks = make_tour(window, qtbot)
    window.tours.combo.setCurrentIndex(-1)  # no tour chosen: F5 presents the bookmarks one by one
    press(qtbot, window, QtCore.Qt.Key.Key_F5)
    presentation = window.presenting.presentation
    assert presentation is not None and presentation.active and presentation.player.manual
    player = presentation.player
    qtbot.waitUntil(lambda: not player.playing, timeout=10_000)  # waits at the end of the first stop
    assert player.stop == 0 and player.seconds == pytest.approx(player.player.hold_end(0), abs=0.002)
    assert_camera(window, marks["Overview"].camera)
    press(qtbot, window, QtCore.Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: player.stop == 1 and not player.playing, timeout=15_000)
    assert_camera(window, marks["Safety"].camera)
    press(qtbot, window, QtCore.Qt.Key.Key_Left)
    press(qtbot, window, QtCore.Qt.Key.Key_Left)
    assert player.stop == 0
    press(qtbot, window, QtCore.Qt.Key.Key_Escape)
    assert not presentation.active


def test_present_without_bookmarks_says_so(qtbot, window):
    assert window.presenting.start() is None
    assert "Bookmarks panel" in window.statusBar().currentMessage()
    assert not window.isFullScreen()


def test_movie_dialog_writes_the_tour_and_cancel_removes_the_file(qtbot, window, tmp_path):
    make_tour(window, qtbot)
    from twin_ui.dialogs.qt_movie_dialog import QtMovieDialog

    out = tmp_path / "demo.mp4"
    before = window.model.camera.pose
    dialog = QtMovieDialog(window.model, tour="Demo", out=out, parent=window)
    qtbot.addWidget(dialog)
    assert dialog.tour_radio.isChecked() and not dialog.replay_radio.isEnabled()  # no temporal layers
    dialog.size_combo.setCurrentIndex(2)  # 854 x 480
    dialog.fps_combo.setCurrentIndex(dialog.fps_combo.findData(24))
    assert dialog.export()
    info = read_movie_info(out)
    assert info["size"] == (854, 480) and info["frames"] == int(2.0 * 24) + 1
    assert "Wrote" in dialog.status.text()
    assert window.model.camera.pose == before  # the movie was filmed from a copy: the window did not move
    QtCore.QTimer.singleShot(0, dialog.close_button.click)  # Cancel, taken while the first frame is reported
    again = tmp_path / "cancelled.mp4"
    dialog.path_edit.setText(str(again))
    assert not dialog.export()
    assert "cancelled" in dialog.status.text() and not again.exists()
    window.presenting.export_movie("Demo").close()  # the menu action opens the same dialog
