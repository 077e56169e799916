"""Benchmark of the 3D scene: 100k LoD1 buildings from the store to a frame, against the naive ways.

    .venv/bin/python bench/bench_scene.py [--buildings 100000] [--naive 2000] [--size 1280x800]

Steps (all in one process, software rendering through EGL/llvmpipe, MSAA off):
1. generate N LoD1 blocks with numpy straight into MeshData and write them with write_layer;
2. build the merged mesh from the store (Arrow list offsets, no Python loop per building);
3. draw the project's model with a SceneView (visual, colours, ground, legend) and time frames at the given size;
4. pick features under random pixels (cell locator built once at load);
5. the naive baselines on a subset (``--naive``), extrapolated linearly to N and said so:
   one ``pv.Box`` per building merged, and one actor per building.
Prints one line per measure, and the peak memory of the process that draws the scene (it opens
the project file in a fresh process, as ``twin render`` and the app do).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pathlib
import resource
import statistics
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

from twin.layerdata import SURFACE_CODES, ImportReport, LayerData, MeshData  # noqa: E402
from twin.store.project import Project  # noqa: E402
from twin.store.writer import write_layer  # noqa: E402

E0, N0 = 200_000.0, 550_000.0  # EPSG:5186
CORNERS = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)
TRIANGLES = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7]]
                     + [[i, (i + 1) % 4, (i + 1) % 4 + 4] for i in range(4)]
                     + [[i, (i + 1) % 4 + 4, i + 4] for i in range(4)], dtype=np.int32)
SURFACES = np.array([SURFACE_CODES["GroundSurface"]] * 2 + [SURFACE_CODES["RoofSurface"]] * 2
                    + [SURFACE_CODES["WallSurface"]] * 8, dtype=np.uint8)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def blocks(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centres (n, 2), half sizes (n, 2), angles (n,) and heights (n,) of a city of blocks on a street grid."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    gx, gy = np.divmod(np.arange(n), side)
    pitch = 32.0
    centres = np.column_stack([E0 + (gx - side / 2) * pitch, N0 + (gy - side / 2) * pitch])
    centres += rng.uniform(-3, 3, (n, 2))
    half = rng.uniform(5, 12, (n, 2))
    angles = rng.normal(0, 0.08, n)
    distance = np.hypot(gx - side / 2, gy - side / 2) / (side / 2)
    heights = np.clip(rng.lognormal(2.4, 0.6, n) * (1.8 - distance), 3, 180)
    return centres, half, angles, heights


def lod1_mesh(n: int) -> tuple[MeshData, np.ndarray]:
    """N boxes as MeshData built with numpy (8 vertices, 12 triangles each) and their heights."""
    centres, half, angles, heights = blocks(n)
    c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
    local = CORNERS[None] * half[:, None, :]
    xy = np.stack([local[..., 0] * c - local[..., 1] * s, local[..., 0] * s + local[..., 1] * c], axis=-1) + centres[:, None]
    vertices = np.empty((n, 8, 3))
    vertices[:, :4, :2] = xy
    vertices[:, 4:, :2] = xy
    vertices[:, :4, 2] = 20.0
    vertices[:, 4:, 2] = 20.0 + heights[:, None]
    mesh = MeshData(
        vertices=vertices.reshape(-1, 3),
        triangles=np.tile(TRIANGLES, (n, 1)),
        triangle_surface=np.tile(SURFACES, n),
        part_vertex_offsets=np.arange(n + 1, dtype=np.int64) * 8,
        part_triangle_offsets=np.arange(n + 1, dtype=np.int64) * 12,
        part_feature=np.arange(n, dtype=np.int64),
        part_lod=np.full(n, "1", dtype=object),
    )
    return mesh, heights


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def frame_times(plotter, count: int) -> list[float]:
    """Seconds per frame: turn the camera a little, render, wait for the GPU (glFinish)."""
    times = []
    for _ in range(count):
        plotter.camera.Azimuth(0.5)
        start = time.perf_counter()
        plotter.ren_win.Render()
        plotter.ren_win.WaitForCompletion()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=2_000, help="buildings in the naive baselines (extrapolated)")
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--frames", type=int, default=7)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    n = args.buildings

    print(f"bench_scene: {n} LoD1 buildings, frame {width}x{height}, software GL (EGL), MSAA off")
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "bench.twin.duckdb"
        (mesh, heights), t_gen = timed(lod1_mesh, n)
        print(f"generate MeshData (numpy)              {t_gen * 1000:8.0f} ms  ({mesh.part_count} parts, {len(mesh.triangles)} triangles)")
        with Project.open(path, create=True, crs="EPSG:5186") as project:
            data = LayerData("buildings", pa.table({"geometry": pa.nulls(n, pa.binary()), "height": heights}),
                             "EPSG:5186", ImportReport("bench", imported=n), mesh=mesh)
            _, t_write = timed(write_layer, project, data, name="city")
        print(f"write_layer (one transaction)          {t_write * 1000:8.0f} ms")
        del mesh, data
        # the scene runs in a fresh process that opens the project, as `twin render` and the app do,
        # so that its memory is the scene's and not the generator's
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=scene_phase, args=(str(path), width, height, args.frames, queue))
        child.start()
        t_mesh, frame = queue.get()
        child.join()
    naive(args.naive, n, width, height, t_mesh, frame)
    return 0


def scene_phase(path: str, width: int, height: int, frames: int, queue) -> None:
    """Open the project, build the mesh, draw, time frames and picks; report the peak memory."""
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.scene.meshes import building_mesh, read_mesh_rows
    from twin.store.reader import ProjectReader
    from twin.scene.origin import project_origin
    from twin.scene.style import Style

    start_rss = rss_mb()
    project = Project.open(path, read_only=True)
    info = project.layer("city")
    origin = project_origin(project)
    _, t_rows = timed(read_mesh_rows, project, info)
    scene_mesh, t_mesh = timed(building_mesh, project, info, origin)
    print(f"read mesh rows from the store          {t_rows * 1000:8.0f} ms")
    print(f"mesh built from the store              {t_mesh * 1000:8.0f} ms  ({scene_mesh.n_cells} cells, "
          f"{scene_mesh.n_points} points)   target < 500 ms")
    del scene_mesh
    plotter = offscreen_plotter((width, height))
    model = TwinModel(ProjectReader(project))
    view, t_load = timed(lambda: SceneView(model, plotter))
    print(f"SceneView of the model (mesh, colours, ground, legend, pick index) {t_load * 1000:6.0f} ms")
    _, t_first = timed(view.screenshot)
    print(f"first frame (upload to GL + read back) {t_first * 1000:8.0f} ms")
    times = frame_times(plotter, frames)
    frame = statistics.median(times)
    print(f"frame {width}x{height} (median of {len(times)})        {frame * 1000:8.0f} ms   target < 350 ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")
    plotter.camera.Azimuth(0.5)
    _, t_shot = timed(view.screenshot)
    print(f"frame + read back to numpy (screenshot) {t_shot * 1000:7.0f} ms")
    def restyle() -> None:
        model.layers["city"].style = Style.from_dict({"color_by": "height"}, kind="buildings")

    _, t_style = timed(restyle)
    by_height = statistics.median(frame_times(plotter, frames))
    print(f"restyle: colour by height (colormap)   {t_style * 1000:8.0f} ms; frame {by_height * 1000:.0f} ms")
    rng = np.random.default_rng(3)
    picks, hits = [], 0
    for x, y in zip(rng.uniform(0.05, 0.65, 25) * width, rng.uniform(0.2, 0.9, 25) * height):
        hit, t = timed(view.pick, x, y)
        picks.append(t)
        hits += hit is not None and hit.layer == "city"
    print(f"pick a feature (median of {len(picks)}, {hits} hits)   {statistics.median(picks) * 1000:8.1f} ms   "
          f"target < 50 ms (max {max(picks) * 1000:.1f} ms)")
    print(f"memory of the scene process: peak {peak_mb():.0f} MB (of which {start_rss:.0f} MB imports)   target < 1024 MB")
    view.close()
    plotter.close()
    project.close()
    queue.put((t_mesh, frame))


def naive(k: int, n: int, width: int, height: int, t_mesh: float, frame: float) -> None:
    """One pv.Box per building merged, and one actor per building, on k buildings; extrapolated to n."""
    import pyvista as pv

    from twin.render.offscreen import offscreen_plotter

    centres, half, _, heights = blocks(k)
    start = time.perf_counter()
    boxes = [pv.Box((cx - hx, cx + hx, cy - hy, cy + hy, 0.0, h)) for (cx, cy), (hx, hy), h in zip(centres - (E0, N0), half, heights)]
    merged = boxes[0].merge(boxes[1:])
    t_boxes = time.perf_counter() - start
    scale = n / k
    print(f"naive: one pv.Box per building + merge, {k} buildings {t_boxes * 1000:8.0f} ms -> x{scale:.0f} = "
          f"{t_boxes * scale:.1f} s for {n} (extrapolated)   ratio {t_boxes * scale / t_mesh:.0f}x slower")
    del merged
    plotter = offscreen_plotter((width, height))
    start = time.perf_counter()
    for box in boxes:
        plotter.add_mesh(box, color="#e3ddd3", reset_camera=False, render=False)
    t_actors = time.perf_counter() - start
    plotter.reset_camera()
    plotter.render()
    frames = frame_times(plotter, 3)
    per_frame = statistics.median(frames)
    print(f"naive: one actor per building, {k} buildings: add {t_actors * 1000:.0f} ms, frame {per_frame * 1000:.0f} ms "
          f"-> x{scale:.0f} = {per_frame * scale:.1f} s a frame for {n} (extrapolated)   ratio {per_frame * scale / frame:.0f}x slower")
    plotter.close()


if __name__ == "__main__":
    sys.exit(main())
