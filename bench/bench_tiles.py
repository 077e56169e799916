"""Benchmark of tiled buildings (culling, levels of detail, background loading) against one merged mesh.

    .venv/bin/python bench/bench_tiles.py [--buildings 100000] [--size 1280x800] [--project FILE]

Generated LoD1 blocks (bench/bench_scene.py's generator) written with write_layer (tiles built at import),
then, each in a fresh process that opens the project as ``twin render`` and the app do (so that its memory
is the scene's): the tiled scene and today's way (the whole layer as one merged mesh), software rendering
(EGL/llvmpipe), MSAA off. Measured: first frame (tiled: coarse blocks while tiles load in the background, then
complete), frame time of a city-wide view (iso over the layer) and of a street-level view, pick time, peak
memory. ``--project`` reuses a file written before (it is created when missing).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from bench_scene import frame_times, lod1_mesh, rss_mb, timed  # noqa: E402


def write_project(path: pathlib.Path, n: int) -> None:
    from twin.layerdata import ImportReport, LayerData
    from twin.store.project import Project
    from twin.store.writer import write_layer

    (mesh, heights), t_gen = timed(lod1_mesh, n)
    with Project.open(path, create=True, crs="EPSG:5186") as project:
        data = LayerData("buildings", pa.table({"geometry": pa.nulls(n, pa.binary()), "height": heights}),
                         "EPSG:5186", ImportReport("bench", imported=n), mesh=mesh)
        _, t_write = timed(write_layer, project, data, name="city")
        tiles = project.query("SELECT count(DISTINCT tile) AS n FROM lyr_1_mesh").column("n")[0].as_py()
    print(f"generate {n} LoD1 blocks {t_gen * 1000:.0f} ms; write_layer with tiles {t_write * 1000:.0f} ms "
          f"({tiles} tiles)")


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, not inherited from the parent that
    spawned it after generating the data)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def street_pose(view):
    """A camera 40 m above the street in the middle of the city, looking north-north-east 600 m ahead."""
    from twin.scene.camera import CameraPose

    b = view.scene_bounds()
    cx, cy = (b[0] + b[1]) / 2.0, (b[2] + b[3]) / 2.0
    return CameraPose((cx - 150.0, cy - 500.0, 40.0), (cx, cy + 100.0, 10.0), (0.0, 0.0, 1.0))


def scene_phase(path: str, mode: str, width: int, height: int, frames: int, queue) -> None:
    """Open the project and measure one way of drawing it (``tiled`` or ``merged``)."""
    import twin.render.tiled as tiled
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.project import Project
    from twin.store.reader import ProjectReader

    start_rss = rss_mb()
    if mode == "merged":
        tiled.TILED_MIN = 1 << 62
    plotter = offscreen_plotter((width, height))
    delivered: list = []
    if mode == "tiled":  # as in the window: tiles load on a worker thread, results wait for the main thread
        tiled.set_main_thread(plotter, delivered.append)
    t0 = time.perf_counter()
    project = Project.open(path, read_only=True)
    model = TwinModel(ProjectReader(project))
    view = SceneView(model, plotter)
    view.screenshot()
    t_first = time.perf_counter() - t0
    out = {"first": t_first}
    visual = view.visuals["city"]
    if mode == "tiled":
        while visual.loader.busy or delivered:  # the background loads, applied as the window applies them
            while delivered:
                delivered.pop(0)()
            time.sleep(0.01)
            view.screenshot()
        out["complete"] = time.perf_counter() - t0
        tiled.set_main_thread(plotter, None)
        visual.loader.deliver = None  # from now on: synchronous, each view complete before it is timed
    pathlib.Path("bench/out").mkdir(parents=True, exist_ok=True)
    view.screenshot(f"bench/out/tiles-{mode}-city.png")
    out["city"] = frame_times(plotter, frames)
    out["city_tris"] = drawn_triangles(plotter)
    rng = np.random.default_rng(3)
    picks = []
    for x, y in zip(rng.uniform(0.2, 0.7, 15) * width, rng.uniform(0.3, 0.8, 15) * height):
        hit, t = timed(view.pick, x, y)
        picks.append((t, hit is not None))
    street_pose(view).apply(plotter.renderer.GetActiveCamera())
    view.screenshot(f"bench/out/tiles-{mode}-street.png")
    out["street"] = frame_times(plotter, frames)
    out["street_tris"] = drawn_triangles(plotter)
    culled = [a for a in plotter.renderer.GetActors() if a.GetProperty().GetBackfaceCulling()]
    if mode == "tiled":  # what culling the back faces of closed solids buys, in the same process
        both = {"culled": [], "drawn": []}
        for _ in range(3):  # interleaved, so that a change of load hits both
            for name, cull in (("drawn", False), ("culled", True)):
                for actor in culled:
                    actor.GetProperty().SetBackfaceCulling(cull)
                both[name] += frame_times(plotter, frames)
        out["street_culled"], out["street_backfaces"] = both["culled"], both["drawn"]
        out["culled_tris"] = sum(a.GetMapper().GetInput().GetNumberOfCells() for a in culled)
    for x, y in zip(rng.uniform(0.3, 0.7, 10) * width, rng.uniform(0.4, 0.7, 10) * height):
        hit, t = timed(view.pick, x, y)
        picks.append((t, hit is not None))
    out["picks"] = picks
    out["peak_mb"], out["start_mb"] = peak_mb(), start_rss
    view.close()
    plotter.close()
    project.close()
    queue.put(out)


def drawn_triangles(plotter) -> int:
    return int(sum(a.GetMapper().GetInput().GetNumberOfCells() for a in plotter.renderer.GetActors()
                   if a.GetVisibility() and a.GetMapper() is not None and a.GetMapper().GetInput() is not None))


def run(path: str, mode: str, width: int, height: int, frames: int) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=scene_phase, args=(path, mode, width, height, frames, queue))
    child.start()
    out = queue.get()
    child.join()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--project", help="project file to reuse (written when missing)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    path = pathlib.Path(args.project or f"/tmp/bench_tiles_{args.buildings}.twin.duckdb")
    if not path.exists():
        write_project(path, args.buildings)
    print(f"bench_tiles: {args.buildings} LoD1 buildings ({path}), {width}x{height}, software GL (EGL), MSAA off")
    results = {mode: run(str(path), mode, width, height, args.frames) for mode in ("tiled", "merged")}
    t, m = results["tiled"], results["merged"]
    med = statistics.median
    print(f"first frame: tiled {t['first'] * 1000:.0f} ms (coarse; complete after background loads "
          f"{t['complete'] * 1000:.0f} ms), merged {m['first'] * 1000:.0f} ms   ratio {m['first'] / t['first']:.1f}x")
    for name in ("city", "street"):
        print(f"{name}-wide frame:".replace("street-wide", "street-level") + f" tiled {med(t[name]) * 1000:.0f} ms "
              f"({t[name + '_tris']} triangles), merged {med(m[name]) * 1000:.0f} ms ({m[name + '_tris']} triangles)"
              f"   ratio {med(m[name]) / med(t[name]):.1f}x")
    print(f"street-level frame, tiled, interleaved runs: back faces of closed solids culled "
          f"{med(t['street_culled']) * 1000:.0f} ms ({t['culled_tris']} triangles culled-capable), all faces drawn "
          f"{med(t['street_backfaces']) * 1000:.0f} ms   ratio {med(t['street_backfaces']) / med(t['street_culled']):.2f}x")
    for mode, r in results.items():
        times = [p[0] for p in r["picks"]]
        print(f"pick ({mode}): median {med(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms, "
              f"{sum(p[1] for p in r['picks'])}/{len(times)} hits")
    print(f"memory of the scene process (peak): tiled {t['peak_mb']:.0f} MB, merged {m['peak_mb']:.0f} MB "
          f"(of which imports {t['start_mb']:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
