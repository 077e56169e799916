"""Soak benchmark: replay the demo town at 60x in the off-screen scene for an hour and report memory growth.

The timeline is advanced by the wall time each frame took, as the window's timer does (an hour of replay
at 60x covers 60 simulated hours, looping over the demo's day), and every frame is rendered by the same
``SceneView`` as the window, off-screen (EGL). The resident memory (RSS) is printed every ``--every``
minutes and at the end, with its growth since the warm-up; the target is under 50 MB. The baseline run in
the same process is the scene drawn without moving the time (the cost of a replay frame over a still one).

Usage: ``.venv/bin/python bench/soak_replay.py [--minutes 60] [--every 5] [--project demo.twin.duckdb]``
(without ``--project`` the demo town is built in a temporary folder first, as ``twin demo`` does).
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import statistics
import sys
import tempfile
import time

TARGET_MB = 50.0


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux ``/proc``; psutil elsewhere)."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def build_demo(folder: pathlib.Path) -> pathlib.Path:
    from twin_datasets.new_town import build_new_town

    path = folder / "demo.twin.duckdb"
    t = time.perf_counter()
    build_new_town(path)
    print(f"built the demo town in {time.perf_counter() - t:.0f} s: {path}", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="wall minutes of replay (default 60)")
    parser.add_argument("--every", type=float, default=5.0, help="report memory every N minutes (default 5)")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per wall second (default 60)")
    parser.add_argument("--fps", type=float, default=15.0, help="frames per second at most (default 15)")
    parser.add_argument("--size", default="960x540", help="picture size (default 960x540)")
    parser.add_argument("--project", type=pathlib.Path, help="project to replay (default: the demo, built first)")
    args = parser.parse_args(argv)
    from twin.render.movies import offscreen_scene
    from twin.render.offscreen import use_egl
    from twin.model.session import Session
    from twin.model.twin import TwinModel

    use_egl()
    path = args.project or build_demo(pathlib.Path(tempfile.mkdtemp(prefix="soak_replay_")))
    width, height = (int(v) for v in args.size.lower().split("x"))
    session = Session.open(path, read_only=True)
    model = TwinModel(session.reader)
    scene = offscreen_scene(model, (width, height))
    timeline = model.time.timeline
    if timeline is None:
        print(f"{path}: no temporal layer to replay", file=sys.stderr)
        return 1
    model.time.start()
    window = scene.plotter.render_window

    def draw() -> float:
        t = time.perf_counter()
        scene.plotter.renderer.ResetCameraClippingRange()
        window.Render()
        return time.perf_counter() - t

    # baseline in the same process: frames of a still scene (the time does not move)
    still = [draw() for _ in range(30)]
    timeline.set_speed(args.speed)
    timeline.play()
    frame_s = 1.0 / args.fps
    frames, frame_times = 0, []
    warmup_s = min(120.0, args.minutes * 60 * 0.2)  # caches and the first loop of the day fill up
    half_rss = None
    start = last = time.perf_counter()
    base_rss = start_rss = rss_mb()
    warmed = False
    next_report = args.every * 60
    sim_start = timeline.current
    simulated = 0.0
    print(f"replaying {path.name} at {args.speed:g}x, {width}x{height}, for {args.minutes:g} min; "
          f"RSS at start {start_rss:.0f} MB", flush=True)
    while True:
        now = time.perf_counter()
        elapsed = now - start
        if elapsed >= args.minutes * 60:
            break
        before = timeline.current
        timeline.advance(now - last)
        last = now
        moved = (timeline.current - before).total_seconds()
        simulated += moved if moved > 0 else args.speed * frame_s  # a loop back to the start counts forwards
        frame_times.append(draw())
        frames += 1
        if not warmed and elapsed >= warmup_s:
            gc.collect()
            base_rss, warmed = rss_mb(), True
            print(f"  warm-up done at {elapsed / 60:5.1f} min: RSS {base_rss:.0f} MB (growth measured from here)",
                  flush=True)
        if half_rss is None and elapsed >= args.minutes * 30:
            half_rss = rss_mb()
        if elapsed >= next_report:
            next_report += args.every * 60
            print(f"  {elapsed / 60:5.1f} min: {frames:6d} frames, {simulated / 3600:6.1f} simulated h, "
                  f"RSS {rss_mb():6.0f} MB, growth {rss_mb() - base_rss:+6.1f} MB", flush=True)
        spare = frame_s - (time.perf_counter() - now)
        if spare > 0:
            time.sleep(spare)
    gc.collect()
    end_rss = rss_mb()
    growth = end_rss - base_rss
    replay_ms, still_ms = statistics.median(frame_times) * 1000, statistics.median(still) * 1000
    print(f"end: {frames} frames in {args.minutes:g} min ({frames / (args.minutes * 60):.1f} fps), "
          f"{simulated / 3600:.1f} simulated hours from {sim_start.isoformat()}")
    print(f"RSS start {start_rss:.0f} MB, after warm-up {base_rss:.0f} MB, end {end_rss:.0f} MB: "
          f"growth {growth:+.1f} MB; over the second half {end_rss - (half_rss or base_rss):+.1f} MB (a leak keeps growing)")
    print(f"frame: replay median {replay_ms:.1f} ms, still scene (baseline) {still_ms:.1f} ms, "
          f"ratio {replay_ms / max(still_ms, 1e-9):.2f}")
    print(f"target: growth < {TARGET_MB:.0f} MB: {'met' if growth < TARGET_MB else 'MISSED'}")
    scene.close()
    scene.plotter.close()
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
