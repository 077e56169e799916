"""The window adds a partitioned dataset: a drop of its folder (or File > Import of its twin-dataset.json) opens
the import dialog, which checks and references it as `twin import` does, in a short read-write session of the
window's read-only project (docs/app.md, docs/datasets.md)."""

from __future__ import annotations

import pathlib

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from tests.test_datasets import write_buildings  # noqa: E402
from twin.store.project import Project  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path):
    from twin_ui.project_files import open_session
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    path = tmp_path / "seoul.twin.duckdb"
    Project.open(path, create=True, crs="EPSG:5186").close()
    settings = AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    win = QtMainWindow(open_session(path), settings=settings)
    win.resize(900, 600)
    win.show()
    assert win.view.wait_until_ready(30), "the 3D view never rendered"
    yield win
    win.close()


def _drop(window, path: pathlib.Path) -> None:
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    pos = QtCore.QPointF(window.width() / 2, window.height() / 2)
    enter = QtGui.QDragEnterEvent(pos.toPoint(), QtCore.Qt.DropAction.CopyAction, mime,
                                  QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(QtGui.QDropEvent(pos, QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton,
                                      QtCore.Qt.KeyboardModifier.NoModifier))


def test_dropping_a_dataset_folder_references_it(qtbot, window, tmp_path):
    from twin_ui.dialogs.qt_import_dialog import QtImportDialog

    write_buildings(tmp_path / "district")
    _drop(window, tmp_path / "district")
    dialog = window.findChildren(QtImportDialog)[-1]
    qtbot.waitUntil(lambda: dialog.read_result is not None or not dialog.reader.busy, timeout=30000)
    assert dialog.read_result is not None, dialog.message.text()
    assert dialog.detected_text("partitions") == "9" and dialog.detected_text("kind") == "buildings"
    assert dialog.path == tmp_path / "district" and dialog.name_edit.text() == "district"
    dialog.stage_combo.setCurrentIndex(dialog.stage_combo.findData(3))
    qtbot.mouseClick(dialog.import_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.write_result is not None or not dialog.writer.busy, timeout=30000)
    assert dialog.write_result is not None, dialog.message.text()
    layer = window.session.project.layer("district")
    assert layer.stage == 3 and layer.properties["dataset"]["partitions"] == 9 and not layer.broken
    qtbot.waitUntil(lambda: "district" in window.view.visuals, timeout=10000)
    assert type(window.view.visuals["district"]).__name__ == "TiledBuildingVisual"
    from twin.store import schema

    project = window.session.project  # a short read-write session, then the file is read-only again
    qtbot.waitUntil(lambda: schema.is_read_only(project.con), timeout=10000)
    assert window.session.project.rows(f"SELECT count(*) FROM {layer.ref()}")[0][0] == 144  # still reachable
    dialog.cancel_button.click()


def test_the_manifest_file_names_its_folder(qtbot, window, tmp_path):
    from twin_ui.dialogs.qt_import_dialog import QtImportDialog
    from twin_ui.project_files import import_filter

    assert "twin-dataset.json" in import_filter().split(";;")[0]  # File > Import offers it
    write_buildings(tmp_path / "district")
    dialog = window.import_files([tmp_path / "district" / "twin-dataset.json"])[0]
    assert isinstance(dialog, QtImportDialog) and dialog.dataset == tmp_path / "district"
    qtbot.waitUntil(lambda: not dialog.reader.busy, timeout=30000)
    assert dialog.read_result is not None and dialog.import_button.isEnabled()
    dialog.reject()
    assert isinstance(window, QtWidgets.QMainWindow)
