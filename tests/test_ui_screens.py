"""Every screen of the app at 1440x900 and 1920x1080: a PNG in tests/screens/out/ to look at, and the checks a
machine can make: no label or tree item cut, no docks overlapping each other or the 3D view, and the 3D view
holding at least 60% of the window (docs/app.md, "The default layout"). One window per size is opened on the
demo town for the module and put back in the layout it opened with before each test.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

QtCore = pytest.importorskip("PySide6.QtCore")
from PySide6 import QtGui, QtWidgets  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "ui"))
OUT = pathlib.Path(__file__).parent / "screens" / "out"
SIZES = [(1440, 900), (1920, 1080)]
VIEW_SHARE = 0.60


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_town) -> pathlib.Path:
    """A copy of the session's demo town (tests/conftest.py) for this module's windows."""
    from conftest import copy_project

    return copy_project(demo_town[0], tmp_path_factory.mktemp("screens") / "demo.twin.duckdb")


def wait_until(condition, timeout: float = 60.0) -> None:
    """Run Qt events until ``condition()`` holds (module fixtures have no qtbot)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the window"
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)


@pytest.fixture(scope="module")
def windows(qapp, tmp_path_factory, demo):
    """The main window on the demo town, one per screen size, opened (with fresh settings, drawn) when a test
    first asks for that size and kept for the module; remembers the layout and camera it opened with."""
    from twin.model.session import Session
    from twin_ui.fonts import install_fonts
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    folder = tmp_path_factory.mktemp("screens-settings")
    opened: dict[tuple[int, int], tuple[QtWidgets.QMainWindow, QtCore.QByteArray, object]] = {}

    def get(size):
        if size not in opened:
            install_fonts(QtWidgets.QApplication.instance())
            settings = AppSettings(QtCore.QSettings(str(folder / f"settings{len(opened)}.ini"),
                                                    QtCore.QSettings.Format.IniFormat))
            window = QtMainWindow(Session.open(demo), settings=settings)
            window.resize(*size)
            window.show()
            assert window.view.wait_until_ready(60), "the 3D view never rendered"
            wait_until(lambda: window.layer_list.model.rowCount() > 0)
            settle()
            opened[size] = (window, window.saveState(), window.model.camera.pose)
        return opened[size]

    yield get
    for window, _, _ in opened.values():
        window.close()


@pytest.fixture
def open_window(windows):
    """``open_window(size)``: the module's main window at ``size``, back in the layout, camera and (empty)
    selection it opened with, as a fresh window has them; drawn."""

    def make(size):
        window, state, pose = windows(size)
        if window.isFullScreen():
            window.showNormal()
        window.model.selection.clear()
        assert window.restoreState(state)
        window.resize(*size)
        window.model.camera.pose = pose
        window.activateWindow()
        window.view.render_now()
        settle()
        return window

    return make


def settle(seconds: float = 0.4) -> None:
    from twin_ui.screenshot import settle as run_events

    run_events(seconds)


def save(widget: QtWidgets.QWidget, name: str, size) -> pathlib.Path:
    """Grab ``widget`` into tests/screens/out/<name>_<W>x<H>.png."""
    window = widget.window()
    view = getattr(window, "view", None)
    if view is not None and hasattr(view, "render_now"):
        view.render_now()
    settle(0.2)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}_{size[0]}x{size[1]}.png"
    assert widget.grab().save(str(path)), f"cannot write {path}"
    return path


# ----- the checks ---------------------------------------------------------------------------------
def shown(widget: QtWidgets.QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0


def clipped_labels(root: QtWidgets.QWidget) -> list[str]:
    """Visible one-line plain-text labels whose text is wider than the room the label has."""
    problems = []
    for label in root.findChildren(QtWidgets.QLabel):
        text = label.text()
        if not shown(label) or not text or label.wordWrap() or "\n" in text or Qt_rich(label, text):
            continue
        need = QtGui.QFontMetrics(label.font()).horizontalAdvance(text)
        room = label.contentsRect().width() - 2 * label.margin() - 2 * max(label.indent(), 0)
        if need > room + 1:
            problems.append(f"{label.objectName() or type(label.parent()).__name__}: {text!r} needs {need}px, has {room}px")
    return problems


def Qt_rich(label: QtWidgets.QLabel, text: str) -> bool:  # noqa: N802 - reads as "Qt rich text"
    fmt = label.textFormat()
    return fmt == QtCore.Qt.TextFormat.RichText or (fmt == QtCore.Qt.TextFormat.AutoText and QtCore.Qt.mightBeRichText(text))


def clipped_tree_items(tree: QtWidgets.QTreeView) -> list[str]:
    """Items of a tree whose text does not fit their cell (rows scrolled into view one by one)."""
    problems = []
    model = tree.model()
    metrics = QtGui.QFontMetrics(tree.font())

    def walk(parent):
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            rect = tree.visualRect(index)
            text = str(index.data() or "")
            if rect.isValid() and rect.height() and text:
                icon = tree.iconSize().width() + 6 if index.data(QtCore.Qt.ItemDataRole.DecorationRole) is not None else 0
                font = index.data(QtCore.Qt.ItemDataRole.FontRole)
                need = (QtGui.QFontMetrics(font) if font is not None else metrics).horizontalAdvance(text) + icon + 8
                room = tree.viewport().width() - rect.left()
                if need > room:
                    problems.append(f"{text!r} needs {need}px, has {room}px")
            if tree.isExpanded(index):
                walk(index)

    walk(QtCore.QModelIndex())
    return problems


def overlaps(window: QtWidgets.QMainWindow) -> list[str]:
    """Visible docks (not tabbed behind another) overlapping each other or the central widget."""
    boxes = [("3D view", window.centralWidget().geometry())]
    for dock in window.findChildren(QtWidgets.QDockWidget):
        if shown(dock) and not dock.isFloating() and not dock.visibleRegion().isEmpty():
            boxes.append((dock.windowTitle(), dock.geometry()))
    problems = []
    for i, (a, ra) in enumerate(boxes):
        for b, rb in boxes[i + 1:]:
            overlap = ra.intersected(rb)
            if overlap.width() > 1 and overlap.height() > 1:
                problems.append(f"{a} {ra.getRect()} overlaps {b} {rb.getRect()}")
    return problems


def view_share(window: QtWidgets.QMainWindow) -> float:
    view = window.centralWidget()
    return view.width() * view.height() / (window.width() * window.height())


def check_screen(window: QtWidgets.QWidget) -> None:
    problems = clipped_labels(window)
    for tree in window.findChildren(QtWidgets.QTreeView):
        if shown(tree) and not isinstance(tree, (QtWidgets.QTableView,)):
            problems += clipped_tree_items(tree)
    if isinstance(window, QtWidgets.QMainWindow):
        problems += overlaps(window)
    assert not problems, "\n".join(problems)


# ----- the screens --------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_window_gives_the_view_most_of_the_screen(open_window, size):
    window = open_window(size)
    assert (window.width(), window.height()) == size
    save(window, "main", size)
    check_screen(window)
    assert view_share(window) >= VIEW_SHARE, f"the 3D view has {view_share(window):.0%} of the window"
    assert window.timeline_dock.isVisible() and not window.sql_dock.isVisible()
    # the city is framed tightly: the drawn layers fill most of the view's width or height
    scene = window.view.scene
    bounds = scene.scene_bounds()
    renderer = scene.plotter.renderer
    xs, ys = [], []
    for x in bounds[:2]:
        for y in bounds[2:4]:
            renderer.SetWorldPoint(x, y, 0.0, 1.0)
            renderer.WorldToDisplay()
            dx, dy, _ = renderer.GetDisplayPoint()
            xs.append(dx)
            ys.append(dy)
    width, height = scene.plotter.window_size
    assert max((max(xs) - min(xs)) / width, (max(ys) - min(ys)) / height) > 0.6


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_each_dock_of_the_main_window(open_window, size):
    window = open_window(size)
    for dock in (window.links_dock, window.bookmarks_dock, window.inspector_dock):
        dock.show()
        dock.raise_()
        settle(0.2)
        save(window, f"dock_{dock.objectName().removeprefix('dock_')}", size)
        check_screen(window)
    buildings = next(layer for layer in window.project.layers() if layer.kind == "buildings")
    window.model.selection.select_feature(buildings.name, 0)
    settle(0.3)
    save(window, "selection", size)
    check_screen(window)
    assert view_share(window) >= VIEW_SHARE


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sql_console_with_a_result(open_window, size):
    window = open_window(size)
    window.sql_dock.show()
    settle(0.2)
    window.sql_console.set_sql("SELECT name, kind, feature_count FROM layers ORDER BY position")
    window.sql_console.run()
    window.sql_console.runner.wait()
    settle(0.5)
    assert window.sql_console.table.model().rowCount() > 3
    save(window, "sql_console", size)
    check_screen(window)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_import_dialog(open_window, size, fixtures):
    window = open_window(size)
    dialog = window.import_files([fixtures / "csv" / "facilities_cp949.csv"])[0]
    dialog.reader.wait(60_000)
    settle(0.5)
    assert dialog.isVisible()
    save(dialog, "import_dialog", size)
    check_screen(dialog)
    dialog.reject()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_presentation_mode(open_window, size, qtbot):
    window = open_window(size)
    model = window.model
    if not len(model.bookmarks):
        assert window.bookmarks.add_current("Overview") == "Overview"
    presentation = window.presenting.start()
    assert presentation is not None and presentation.active
    settle(0.6)
    presentation.player.pause()
    save(window, "presentation", size)
    assert not any(d.isVisible() for d in window.findChildren(QtWidgets.QDockWidget))
    assert view_share(window) > 0.95
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)
