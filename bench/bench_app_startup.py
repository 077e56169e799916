"""Start-up of the desktop app: from launching the process to the first rendered frame of the demo.

Each run is a fresh process (the parent times it from launch to the moment the child has rendered its
first complete frame). Three ways of starting, run one after the other by this script:

- ``app``: the real start-up (``twin_ui.app``): the heavy libraries imported before Qt, one merged mesh
  per layer (``twin.render.view.SceneView``);
- ``qt-first``: the same window, but Qt imported first (PySide6 then inspects every later import);
- ``naive``: a plain PyVista window drawing every feature as its own actor (an extruded footprint per
  building, a sphere per point, a polyline per line), as a first prototype would.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python bench/bench_app_startup.py [--runs 3]

Target: under 4 s for ``app`` once the demo project exists (it is built first, not timed).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]


def child_app(qt_first: bool) -> None:
    """The app's start-up (``qt_first``: PySide6 imported before the heavy libraries)."""
    if qt_first:
        from PySide6 import QtWidgets  # noqa: F401 - Qt first, as a plain script would

    from twin_ui.app import create_application, open_start_project, preload

    preload()
    app = create_application([])
    project = open_start_project(None)
    from PySide6 import QtCore

    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    settings = AppSettings(QtCore.QSettings(tempfile.mktemp(suffix=".ini"), QtCore.QSettings.Format.IniFormat))
    window = QtMainWindow(project, settings=settings)
    window.resize(1440, 900)
    window.show()
    if not window.view.wait_until_ready(120):
        raise SystemExit("no frame")
    print(f"READY {time.time():.6f} {len(window.view.visuals)} layers", flush=True)
    app.processEvents()


def child_naive() -> None:
    """One actor per feature in a plain pyvistaqt window."""
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication([])
    import numpy as np
    import pyvista as pv
    import shapely
    from pyvistaqt import QtInteractor

    from twin.store.project import Project
    from twin_ui.demo import demo_project_path

    project = Project.open(demo_project_path())
    window = QtWidgets.QMainWindow()
    plotter = QtInteractor(window, auto_update=False)
    window.setCentralWidget(plotter.interactor)
    layers = project.layers()
    boxes = np.array([la.bbox for la in layers if la.bbox])
    cx, cy = (boxes[:, 0].min() + boxes[:, 2].max()) / 2, (boxes[:, 1].min() + boxes[:, 3].max()) / 2
    actors = 0
    for layer in layers:
        table = project.query(f'SELECT * EXCLUDE (geom), ST_AsWKB(geom) AS wkb FROM "{layer.table_name}"')
        geoms = shapely.from_wkb(table.column("wkb").to_numpy(zero_copy_only=False))
        heights = table.column("height").to_pylist() if "height" in table.column_names else [None] * len(geoms)
        for geom, height in zip(geoms, heights):
            if geom is None:
                continue
            for part in shapely.get_parts(geom):
                kind = shapely.get_type_id(part)
                if kind == 3:
                    ring = np.asarray(part.exterior.coords)[:-1] - (cx, cy)
                    face = pv.PolyData(np.column_stack([ring, np.zeros(len(ring))]), faces=[len(ring), *range(len(ring))])
                    mesh = face.extrude((0, 0, float(height or 3.0)), capping=True) if layer.kind == "buildings" else face
                elif kind == 0:
                    mesh = pv.Sphere(radius=3.0, center=(part.x - cx, part.y - cy, 3.0))
                else:
                    xy = np.asarray(part.coords)[:, :2] - (cx, cy)
                    mesh = pv.lines_from_points(np.column_stack([xy, np.zeros(len(xy))]))
                plotter.add_mesh(mesh, color="tan", render=False, reset_camera=False)
                actors += 1
    plotter.view_isometric()
    plotter.reset_camera()
    frames = []
    plotter.render_window.AddObserver("EndEvent", lambda *_: frames.append(1))
    window.resize(1440, 900)
    window.show()
    while not frames:
        app.processEvents()
    print(f"READY {time.time():.6f} {actors} actors", flush=True)


def run_child(mode: str, env: dict) -> tuple[float, str]:
    start = time.time()
    proc = subprocess.run([sys.executable, __file__, "--child", mode], capture_output=True, text=True, env=env,
                          timeout=600, cwd=REPO)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("READY")), None)
    if line is None:
        raise RuntimeError(f"{mode} failed:\n{proc.stderr[-2000:]}")
    _, stamp, *rest = line.split()
    return float(stamp) - start, " ".join(rest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=("app", "qt-first", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        {"app": lambda: child_app(False), "qt-first": lambda: child_app(True), "naive": child_naive}[args.child]()
        return 0
    data = pathlib.Path(tempfile.mkdtemp(prefix="twin-startup-"))
    env = dict(os.environ, TWIN_DATA_DIR=str(data))
    os.environ["TWIN_DATA_DIR"] = str(data)
    from twin_ui.demo import ensure_demo_project

    started = time.perf_counter()
    ensure_demo_project()
    print(f"demo built once in {time.perf_counter() - started:.1f} s (not timed below)")
    results = {}
    for mode in ("app", "qt-first", "naive"):
        times = []
        for _ in range(args.runs if mode != "naive" else max(1, args.runs // 2)):
            seconds, what = run_child(mode, env)
            times.append(seconds)
        results[mode] = (statistics.median(times), min(times))
        print(f"{mode:9s} first frame after {statistics.median(times):5.2f} s (median of {len(times)}; "
              f"min {min(times):.2f}) - {what}")
    (app, app_min), (qt, qt_min), (naive, naive_min) = results["app"], results["qt-first"], results["naive"]
    print(f"app vs qt-first: {qt / app:.2f}x (min {qt_min / app_min:.2f}x); vs one actor per feature: "
          f"{naive / app:.1f}x (min {naive_min / app_min:.1f}x); target < 4 s: median {'met' if app < 4.0 else 'NOT met'}, "
          f"min {'met' if app_min < 4.0 else 'NOT met'}")
    print(f"load average during the runs: {os.getloadavg()[0]:.1f} (the machine is shared: other jobs slow the median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
