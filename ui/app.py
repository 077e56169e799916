"""Start the desktop app: ``twin-app [PROJECT] [--screenshot PNG]`` (also ``python main.py``).

Without a project the bundled demo opens (the sample district, built once into the user's data folder).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

APP_NAME = "Smart City Twin"


def build_parser() -> argparse.ArgumentParser:
    """The command line of the app."""
    p = argparse.ArgumentParser(prog="twin-app", description="Smart City Twin: the desktop app.")
    p.add_argument("project", nargs="?", help="project file (.twin.duckdb); default: the bundled demo")
    p.add_argument("--screenshot", metavar="PNG",
                   help="open, wait for the first complete render, save a grab of the window and exit")
    p.add_argument("--size", default="1440x900", metavar="WxH", help="window size for --screenshot (default 1440x900)")
    p.add_argument("--stage", type=int, choices=(1, 2, 3, 4), help="start with the stage filter at this stage")
    p.add_argument("--camera", metavar="VIEW", help="start with this view: iso, top, north, ... or a layer name")
    p.add_argument("--select", nargs=2, metavar=("LAYER", "FID"), help="pick this feature after opening")
    p.add_argument("--query", metavar="SQL", help="run this query in the SQL console after opening")
    p.add_argument("--time", metavar="ISO", help="move the timeline to this time (ISO 8601; naive = project zone)")
    p.add_argument("--window", choices=("point", "interval", "cumulative", "trail"),
                   help="timeline window mode (with --time)")
    p.add_argument("--dialog", metavar="WHAT",
                   help="with --screenshot, grab a dialog instead: about, style:LAYER or import:FILE")
    return p


def preload() -> None:
    """Import the heavy libraries before Qt: PySide6 inspects the source of every module imported after
    it (for ``from __feature__``), which made start-up about 0.4 s slower when these came later."""
    import duckdb  # noqa: F401
    import matplotlib.colors  # noqa: F401
    import pyarrow  # noqa: F401
    import pyproj  # noqa: F401
    import pyvista.plotting  # noqa: F401
    import shapely  # noqa: F401


def create_application(argv: list[str]) -> "QtWidgets.QApplication":  # noqa: F821
    """The QApplication with the app's names, the Fusion style and CJK-capable fonts."""
    from PySide6 import QtCore, QtWidgets

    QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("SmartCityTwin")
    from twin import __version__
    from twin_ui.fonts import install_fonts

    app.setApplicationVersion(__version__)
    app.setStyle("Fusion")
    install_fonts(app)
    return app


def open_start_project(path: str | None):
    """A session of the project named on the command line, else of the demo (built first when missing)."""
    from twin_ui.demo import ensure_demo_project
    from twin_ui.project_files import open_session

    if path:
        return open_session(path)
    return open_session(ensure_demo_project())


def _build_demo_with_splash(app) -> "Session":  # noqa: F821
    """First start: build the demo district (a few seconds) behind a splash screen, then open it."""
    from PySide6 import QtCore, QtGui, QtWidgets

    from twin_ui import icons

    pixmap = QtGui.QPixmap(460, 160)
    pixmap.fill(QtGui.QColor("#f4f6f8"))
    painter = QtGui.QPainter(pixmap)
    painter.drawPixmap(20, 48, icons.kind_icon("buildings").pixmap(64, 64))
    font = QtGui.QFont(app.font())
    font.setPointSizeF(font.pointSizeF() * 1.6)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(QtCore.QRect(100, 40, 340, 40), 0, APP_NAME)
    painter.end()
    splash = QtWidgets.QSplashScreen(pixmap)
    splash.show()
    splash.showMessage("Building the demo district (first start only)…",
                       QtCore.Qt.AlignmentFlag.AlignBottom | QtCore.Qt.AlignmentFlag.AlignHCenter)
    app.processEvents()
    try:
        return open_start_project(None)
    finally:
        splash.close()


def seek_time(window, text: str, *, mode: str | None = None) -> bool:
    """Move the window's timeline to ``text`` (ISO 8601, naive times in the project's zone)."""
    from twin.time.range import parse_instant

    timeline = window.model.time.timeline
    if timeline is None:
        print("twin-app: --time: the project has no time-based layer", file=sys.stderr)
        return False
    if mode:
        dock = window.timeline
        dock.window_mode.setCurrentIndex(dock.window_mode.findData(mode))
    try:
        timeline.seek(parse_instant(text, tz=window.model.timezone))
    except ValueError as exc:
        print(f"twin-app: --time {text!r}: {exc}", file=sys.stderr)
        return False
    return True


def look(window, target: str) -> None:
    """``--camera``: frame a preset or a layer (a one-line message when the layer is unknown)."""
    from twin.errors import TwinError

    try:
        window.model.camera.look(target)
    except TwinError as exc:
        print(f"twin-app: --camera {target!r}: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the app; returns the process exit code."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from twin_ui.demo import demo_is_built

    preload()
    app = create_application([])
    from PySide6 import QtCore, QtWidgets

    from twin.errors import TwinError
    from twin_ui.settings import AppSettings

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"twin-app: error: --size {args.size!r}: give WIDTHxHEIGHT, e.g. 1440x900", file=sys.stderr)
        return 2
    settings = AppSettings()
    if args.screenshot:  # reproducible pictures: fresh settings, never the user's
        tmp = tempfile.mkdtemp(prefix="twin-app-")
        settings = AppSettings(QtCore.QSettings(str(pathlib.Path(tmp) / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    try:
        if args.project or demo_is_built():
            session = open_start_project(args.project)
        else:
            session = _build_demo_with_splash(app)
    except (TwinError, OSError) as exc:
        print(f"twin-app: error: {exc}", file=sys.stderr)
        if not args.screenshot:
            QtWidgets.QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    from twin_ui.window import QtMainWindow

    window = QtMainWindow(session, settings=settings)
    if args.screenshot:
        window.resize(width, height)
    if args.stage:
        window.model.lens.stage = args.stage
    window.show()
    if args.screenshot:
        from twin_ui.screenshot import take_screenshot

        return take_screenshot(window, pathlib.Path(args.screenshot), select=args.select, query=args.query,
                               dialog=args.dialog, time=args.time, mode=args.window, camera=args.camera)
    window.view.wait_until_ready(timeout=60.0)
    if args.camera:
        look(window, args.camera)
    if args.time:
        seek_time(window, args.time, mode=args.window)
    if args.select:
        window.model.selection.select_feature(args.select[0], int(args.select[1]))
    if args.query:
        window.sql_console.set_sql(args.query)
        window.sql_console.run()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
