"""``--screenshot PNG``: wait for the first complete render, optionally set a scene up (select a feature,
run a query, open a dialog), save a grab of the window (or of the dialog) and report the exit code."""

from __future__ import annotations

import pathlib
import sys
import time as clock

from PySide6 import QtCore, QtWidgets


def settle(seconds: float = 0.3) -> None:
    """Let pending events (layouts, repaints, queued signals) run for a moment."""
    app = QtWidgets.QApplication.instance()
    deadline = clock.monotonic() + seconds
    while clock.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)


def take_screenshot(window, path: pathlib.Path, *, select=None, query: str | None = None,
                    dialog: str | None = None, time: str | None = None, mode: str | None = None,
                    camera: str | None = None, timeout: float = 60.0) -> int:
    """Grab ``window`` once its 3D view has rendered the project; returns the process exit code."""
    if not window.view.wait_until_ready(timeout=timeout):
        print(f"twin-app: error: the 3D view did not render within {timeout:.0f} s", file=sys.stderr)
        return 1
    if camera:
        from twin_ui.app import look

        look(window, camera)
    if time:
        from twin_ui.app import seek_time

        if not seek_time(window, time, mode=mode):
            return 2
    if select:
        window.model.selection.select_feature(select[0], int(select[1]))
    if query:
        window.sql_console.set_sql(query)
        window.sql_console.run()
        window.sql_console.runner.wait()
        window.sql_console.table.selectRow(0)
    settle()
    target = window
    if dialog:
        target = open_dialog(window, dialog)
        if target is None:
            return 2
    window.view.render_now()
    settle()
    image = target.grab()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):
        print(f"twin-app: error: cannot write {path}", file=sys.stderr)
        return 1
    print(f"twin-app: saved {path} ({image.width()}x{image.height()})", file=sys.stderr)
    window.close()
    return 0


def open_dialog(window, what: str):
    """Open one of the app's dialogs for a picture: ``about``, ``style:LAYER`` or ``import:FILE``."""
    which, _, arg = what.partition(":")
    if which == "about":
        dialog = window.commands.show_about()
    elif which == "style" and arg:
        from twin_ui.dialogs.qt_style_dialog import QtStyleDialog

        dialog = QtStyleDialog(window.model, arg, window)
        dialog.show()
    elif which == "import" and arg:
        dialog = window.import_files([arg])[0]
        dialog.reader.wait(int(60_000))
    else:
        print(f"twin-app: error: --dialog {what!r}: give about, style:LAYER or import:FILE", file=sys.stderr)
        return None
    settle(0.5)
    return dialog
