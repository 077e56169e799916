"""Movie export benchmark: a tour of the sample district written to an H.264 MP4 at 1280x720.

In one process, on the same frames (a tour flying over the district: iso overview, a close-up of the
civic centre, the top view), it measures:

- **streamed** (``twin movie``'s path): each frame rendered off-screen, read from the render window and
  handed to a writer thread that feeds ffmpeg (imageio-ffmpeg) while the next frame renders (x264 preset
  veryfast; fast and medium for comparison);
- **render only**: the same frames rendered and read, not encoded (the floor of the streamed path);
- **naive PNG**: each frame saved as a PNG with pyvista's screenshot, then the PNG sequence encoded by
  the same ffmpeg (what one does by hand);
- **naive in memory**: all frames kept in a list, then encoded in one go (memory grows with the movie).

Usage: ``.venv/bin/python bench/bench_movie.py [--frames 90] [--size 1280x720] [--fps 30]``.
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import subprocess
import sys
import tempfile
import time


REPO = pathlib.Path(__file__).resolve().parents[1]


def scene_of(project, size):
    """An off-screen scene of a fresh model of ``project``, and the model: what ``twin movie`` draws."""
    from twin.model.twin import TwinModel
    from twin.render.movies import offscreen_scene
    from twin.store.reader import ProjectReader

    model = TwinModel(ProjectReader(project))
    return offscreen_scene(model, size), model


def build(folder: pathlib.Path) -> pathlib.Path:
    """The sample district with three bookmarks and a tour over them."""
    from twin.model.session import Session
    from twin.present.tours import Tour, TourStop
    from twin.render.movies import offscreen_scene
    from twin.model.twin import TwinModel
    from twin_datasets.sample_district import build_sample_project

    path = build_sample_project(folder / "sample.twin.duckdb")
    with Session.open(path) as session:
        model = session.bind(TwinModel())
        scene = offscreen_scene(model, (1280, 720))
        for name, target in (("Overview", "iso"), ("Civic centre", "치안·소방"), ("Plan", "top")):
            model.camera.look(target)
            mark = model.capture_bookmark(name, caption=f"{name} of the Sejong sample district")
            model.bookmarks.save(mark.replace(layers=None))
        scene.close()
        scene.plotter.close()
        model.tours.save(Tour("Bench", (TourStop("Overview", hold=0.5), TourStop("Civic centre", 2.0, 0.5),
                                        TourStop("Plan", 2.0, 0.5))))
    return path


def frames(project, count: int, fps: float):
    """The tour's first ``count`` frames at ``fps`` (the tour is stretched to hold them all)."""
    from twin.present.store import PresentStore
    from twin.present.tours import TourPlayer

    store = PresentStore(project)
    player = TourPlayer(store.tour("Bench"), {b.name: b for b in store.bookmarks()})
    span = player.duration
    return [player.state(span * k / max(count - 1, 1), k) for k in range(count)]


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def streamed(project, out, plan, size, fps, preset: str = "veryfast") -> dict:
    from twin.model.twin import TwinModel
    from twin.render.movies import render_frames
    from twin.store.reader import ProjectReader

    before = rss_mb()
    result = render_frames(TwinModel(ProjectReader(project)), out, lambda scene: plan, len(plan), size=size, fps=fps,
                           preset=preset)
    return {"seconds": result.seconds, "rss_growth_mb": rss_mb() - before, "mp4_mb": out.stat().st_size / 1e6}


def render_only(project, plan, size) -> dict:
    from twin.render.movies import grab
    from twin.model.presenter import Presenter

    started = time.perf_counter()
    scene, model = scene_of(project, size)
    presenter = Presenter(model)
    checksum = 0
    for frame in plan:
        presenter.apply(frame)
        checksum += int(grab(scene)[::97, ::97].sum())
    scene.plotter.close()
    return {"seconds": time.perf_counter() - started, "checksum": checksum}


def naive_png(project, folder: pathlib.Path, out, plan, size, fps) -> dict:
    import imageio_ffmpeg

        from twin.model.presenter import Presenter

    folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    scene, model = scene_of(project, size)
    presenter = Presenter(model)
    for frame in plan:
        presenter.apply(frame)
        scene.screenshot(str(folder / f"frame_{frame.index:05d}.png"))
    scene.plotter.close()
    rendered = time.perf_counter()
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate", str(fps),
                    "-i", str(folder / "frame_%05d.png"), "-c:v", "libx264", "-preset", "fast", "-crf", "20",
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    done = time.perf_counter()
    disk = sum(p.stat().st_size for p in folder.glob("*.png"))
    return {"seconds": done - started, "render_png_s": rendered - started, "encode_s": done - rendered,
            "png_mb": disk / 1e6}


def naive_memory(project, out, plan, size, fps) -> dict:
    from twin.render.movies import grab
    from twin.present.movie import MovieWriter
    from twin.model.presenter import Presenter

    before = rss_mb()
    started = time.perf_counter()
    scene, model = scene_of(project, size)
    presenter = Presenter(model)
    kept = []
    for frame in plan:
        presenter.apply(frame)
        kept.append(grab(scene))
    scene.plotter.close()
    peak = rss_mb() - before
    with MovieWriter(out, size, fps, queue_size=1) as writer:
        for image in kept:
            writer.write(image)
    return {"seconds": time.perf_counter() - started, "rss_growth_mb": peak}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args(argv)
    from twin.cli.cmd_render import parse_size
    from twin.present.movie import read_movie_info
    from twin.render.offscreen import use_egl
    from twin.store.project import Project

    use_egl()
    size = parse_size(args.size)
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        t = time.perf_counter()
        path = build(folder)
        print(f"sample district with a 3-stop tour built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        with Project.open(path, read_only=True) as project:
            plan = frames(project, args.frames, args.fps)
            results = {}
            for name, run in (
                ("render only (no encoding)", lambda: render_only(project, plan, size)),
                ("streamed (twin movie)", lambda: streamed(project, folder / "streamed.mp4", plan, size, args.fps)),
                ("streamed, x264 preset fast", lambda: streamed(project, folder / "vf.mp4", plan, size, args.fps,
                                                                "fast")),
                ("streamed, x264 preset medium", lambda: streamed(project, folder / "md.mp4", plan, size, args.fps,
                                                                  "medium")),
                ("naive: PNG files, then ffmpeg", lambda: naive_png(project, folder / "png", folder / "png.mp4", plan,
                                                                   size, args.fps)),
                ("naive: all frames in memory, then encode", lambda: naive_memory(project, folder / "memory.mp4", plan,
                                                                                  size, args.fps)),
            ):
                gc.collect()
                results[name] = run()
                print(f"  {name}: {results[name]['seconds']:.1f} s", file=sys.stderr)
            info = read_movie_info(folder / "streamed.mp4")
            assert info["frames"] == len(plan) and info["size"] == size, info
            mp4_mb = (folder / "streamed.mp4").stat().st_size / 1e6
    n = len(plan)
    base = results["streamed (twin movie)"]["seconds"]
    print(f"\nmovie export of the sample district, {n} frames at {size[0]}x{size[1]} "
          f"({n / args.fps:.1f} s of movie at {args.fps:g} fps; H.264 crf 20, {mp4_mb:.1f} MB)")
    print(f"{'approach':44s} {'seconds':>8s} {'frames/s':>9s} {'vs streamed':>12s}  notes")
    for name, r in results.items():
        notes = []
        if "rss_growth_mb" in r:
            notes.append(f"memory +{r['rss_growth_mb']:.0f} MB")
        if "mp4_mb" in r:
            notes.append(f"MP4 {r['mp4_mb']:.2f} MB")
        if "png_mb" in r:
            notes.append(f"PNG render {r['render_png_s']:.1f} s + encode {r['encode_s']:.1f} s, {r['png_mb']:.0f} MB of PNGs")
        print(f"{name:44s} {r['seconds']:8.1f} {n / r['seconds']:9.1f} {r['seconds'] / base:11.2f}x  {'; '.join(notes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
