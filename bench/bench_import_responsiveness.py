"""How responsive the window stays while a large file is imported.

A 10 ms QTimer (the benchmark's own, not the app's) records the gaps between its ticks while the real
window imports a file through the import dialog: read on a worker thread, write on a worker thread,
then the new layer drawn on the GUI thread. The longest gap is the longest the GUI thread stalled.
Baseline, in the same process: the same import run the naive way, ``import_file`` on the GUI thread.

    xvfb-run -a .venv/bin/python bench/bench_import_responsiveness.py [FILE ...]

Default files: the largest importable shared files (the national school-zone CSV in CP949, 15k rows,
and the Jamsil OSM buildings). Target: no stall over 100 ms.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEFAULT_FILES = [SHARED / "C" / "korea_school_zones_national_cp949.csv", SHARED / "B" / "seoul_jamsil_osm_buildings.osm"]


class TickRecorder:
    """A 10 ms timer; ``gaps()`` are the intervals between its ticks while recording."""

    def __init__(self) -> None:
        from PySide6 import QtCore

        self.timer = QtCore.QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.stamps: list[float] = []

    def _tick(self) -> None:
        self.stamps.append(time.perf_counter())

    def start(self) -> None:
        self.stamps = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        self.stamps.append(time.perf_counter())
        return [b - a for a, b in zip(self.stamps, self.stamps[1:])]


def spin(app, condition, timeout: float = 120.0) -> None:
    from PySide6 import QtCore

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the import did not finish in time")
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)


def import_with_dialog(app, window, path: pathlib.Path, recorder: TickRecorder) -> tuple[list[float], float]:
    """The app's way: the dialog reads and writes on worker threads; returns tick gaps and wall time."""
    recorder.start()
    start = time.perf_counter()
    dialog = window.import_files([path])[0]
    spin(app, lambda: dialog.read_result is not None or (not dialog.reader.busy and dialog.read_result is None))
    if dialog.read_result is None:
        raise RuntimeError(dialog.message.text())
    dialog.start_write()
    spin(app, lambda: dialog.write_result is not None)
    names = [layer.name for layer in dialog.write_result.layers]
    spin(app, lambda: all(n in window.view.visuals for n in names))
    _settle(app, 0.3)
    wall = time.perf_counter() - start
    dialog.close()
    return recorder.stop(), wall


def import_on_gui_thread(app, window, path: pathlib.Path, recorder: TickRecorder) -> tuple[list[float], float]:
    """The naive way: ``import_file`` called on the GUI thread, then the layer built and drawn there too."""
    from twin.io.service import import_file
    from twin.io.options import ImportOptions

    recorder.start()
    start = time.perf_counter()
    _settle(app, 0.05)
    outcome = import_file(window.session.project, path, ImportOptions(layer=f"{path.stem} (naive)"))
    names = [layer.name for layer in outcome.layers]
    scene = window.view.scene
    scene.deferred = None  # meshes built on the GUI thread, as the scene does without a worker
    try:
        window.model.add_layers(outcome.layers)
    finally:
        scene.deferred = window.view._build_later
    spin(app, lambda: all(n in window.view.visuals for n in names))
    _settle(app, 0.3)
    wall = time.perf_counter() - start
    return recorder.stop(), wall


def _settle(app, seconds: float) -> None:
    from PySide6 import QtCore

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)


def describe(gaps: list[float]) -> str:
    import numpy as np

    g = np.array(gaps) * 1000
    return f"max gap {g.max():7.1f} ms   p99 {np.percentile(g, 99):6.1f} ms   gaps > 100 ms: {int((g > 100).sum())}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=pathlib.Path, default=DEFAULT_FILES)
    args = parser.parse_args(argv)
    from twin_ui.app import create_application, preload

    preload()
    app = create_application([])
    from PySide6 import QtCore

    from twin_ui.demo import ensure_demo_project
    from twin_ui.project_files import open_session
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="twin-bench-"))
    demo = ensure_demo_project(tmp / "data")
    results = []
    for path in args.files:
        if not path.exists():
            print(f"skip {path}: not found")
            continue
        rows = {}
        for mode, run in (("app (worker threads)", import_with_dialog), ("naive (GUI thread)", import_on_gui_thread)):
            copy = tmp / f"run-{len(results)}-{len(rows)}.twin.duckdb"
            shutil.copyfile(demo, copy)
            settings = AppSettings(QtCore.QSettings(str(tmp / "settings.ini"), QtCore.QSettings.Format.IniFormat))
            window = QtMainWindow(open_session(copy), settings=settings)
            window.resize(1440, 900)
            window.show()
            window.viewer.wait_until_ready(60)
            _settle(app, 0.5)
            recorder = TickRecorder()
            gaps, wall = run(app, window, path, recorder)
            rows[mode] = (gaps, wall)
            window.close()
            _settle(app, 0.2)
        size = path.stat().st_size / 1e6
        print(f"\n{path.name} ({size:.1f} MB)")
        for mode, (gaps, wall) in rows.items():
            print(f"  {mode:22s} import {wall:5.2f} s   {describe(gaps)}")
        app_max = max(rows["app (worker threads)"][0])
        naive_max = max(rows["naive (GUI thread)"][0])
        print(f"  longest stall: app {app_max * 1000:.0f} ms vs naive {naive_max * 1000:.0f} ms "
              f"({naive_max / app_max:.1f}x shorter); target < 100 ms: {'met' if app_max < 0.1 else 'NOT met'}")
        results.append(app_max)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
