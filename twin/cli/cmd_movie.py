"""``twin movie PROJECT --out MP4 [--tour NAME | --from ISO --to ISO --speed N] [--size WxH] [--fps N]``.

Writes an H.264 MP4 off-screen (no display needed), frames streamed to ffmpeg, progress on stderr:

- ``--tour NAME``: the stored tour, flying between its bookmarks with their captions and times;
- otherwise a timeline replay from ``--from`` to ``--to`` (default: the time span of the project's
  temporal layers) at ``--speed`` simulated seconds per second, from a fixed ``--camera`` (preset or
  layer) or ``--bookmark``; ``--window trail --width 5`` draws the last five minutes as trails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from twin.errors import ProjectError
from twin.printable import visible
from twin.scene.camera import PRESETS

DEFAULT_REPLAY_SECONDS = 20.0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("movie", help="write an MP4 of a tour or a timeline replay (no display needed)")
    p.add_argument("project")
    p.add_argument("--out", required=True, help="MP4 file to write")
    p.add_argument("--tour", help="the tour to film (see twin tour)")
    p.add_argument("--from", dest="start", help="replay start (ISO 8601, without an offset in the zone of the "
                                                "time-based layers; default: their start)")
    p.add_argument("--to", dest="end", help="replay end (ISO 8601; default: their end)")
    p.add_argument("--speed", type=float,
                   help=f"simulated seconds per movie second (default: the replay lasts {DEFAULT_REPLAY_SECONDS:g} s)")
    p.add_argument("--camera", default="iso", help=f"replay camera: a preset ({', '.join(PRESETS)}) or a layer name")
    p.add_argument("--bookmark", help="replay from this bookmark's view and layers")
    p.add_argument("--window", default="point", choices=("point", "trail", "cumulative", "interval"),
                   help="what each frame shows: the instant, the last --width minutes as trails, everything so far...")
    p.add_argument("--width", type=float, default=10.0, help="minutes of the trail/interval windows (default 10)")
    p.add_argument("--trail", type=float, default=0.0, help="tour: minutes of trails behind moving objects")
    p.add_argument("--size", default="1280x720", help="picture size WxH, even numbers (default 1280x720)")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    p.add_argument("--crf", type=int, default=20, help="H.264 quality, 0-51, lower is better (default 20)")
    return p


def run(args: argparse.Namespace) -> int:
    from twin.cli.cmd_render import parse_size
    from twin.cli.progress import ProgressLine
    from twin.model.session import Session
    from twin.model.twin import TwinModel
    from twin.present.movie import check_movie_size
    from twin.render.movies import replay_movie, tour_movie

    size = check_movie_size(parse_size(args.size))
    if not str(args.out).lower().endswith((".mp4", ".m4v")):
        raise ProjectError(f"--out {args.out}: the movie is written as H.264 MP4; give a file ending in .mp4")
    if not 1 <= args.fps <= 120:
        raise ProjectError(f"--fps {args.fps:g}: give 1 to 120 frames per second")
    if not 0 <= args.crf <= 51:
        raise ProjectError(f"--crf {args.crf}: x264 quality goes from 0 (lossless) to 51")
    if args.tour and (args.start or args.end or args.speed or args.bookmark):
        raise ProjectError("--tour films a stored tour: --from/--to/--speed/--bookmark are for timeline replays")
    progress = ProgressLine("twin movie", every=2.0)  # frames, frames/s and time left (twin/cli/progress.py)
    with Session.open(args.project, read_only=True) as session:
        project = session.reader
        model = TwinModel(project)
        if args.tour:
            result = tour_movie(model, args.out, args.tour, size=size, fps=args.fps, trail=args.trail * 60.0,
                                crf=args.crf, progress=progress)
        else:
            start, end = _span(project, args)
            speed = args.speed or max((end - start).total_seconds() / DEFAULT_REPLAY_SECONDS, 1.0)
            if speed <= 0:
                raise ProjectError(f"--speed {speed:g}: must be positive")
            if args.camera not in PRESETS and not args.bookmark:
                project.layer(args.camera)
            result = replay_movie(model, args.out, start=start, end=end, speed=speed, size=size, fps=args.fps,
                                  camera=args.camera, bookmark=args.bookmark, window=args.window,
                                  width=dt.timedelta(minutes=args.width), crf=args.crf, progress=progress)
    progress.finish()
    for name, reason in result.problems.items():
        print(visible(f"twin movie: warning: layer {name!r} not drawn: {reason}"), file=sys.stderr)
    print(f"wrote {result.path} ({size[0]}x{size[1]}, {result.frames} frames at {args.fps:g} fps, "
          f"{result.frames / args.fps:.1f} s; {result.frames_per_second:.1f} frames/s)", file=sys.stderr)
    return 0


def _instant(flag: str, text: str, tz: str) -> dt.datetime:
    from twin.time.range import parse_instant

    try:
        return parse_instant(text, tz=tz)
    except ValueError as exc:
        raise ProjectError(f"{flag} {text!r}: {exc}") from None


def _span(project, args) -> tuple[dt.datetime, dt.datetime]:
    from twin.time.timeline import extent_of

    from twin.time.zones import viewing_zone

    extent = extent_of(layer.time_span for layer in project.layers())
    if (args.start is None or args.end is None) and extent is None:
        raise ProjectError(f"{project.path}: no time-based layers to replay; give --tour NAME, or --from and --to")
    tz, note = viewing_zone(project.layers(), project.timezone)  # typed times: the zone of the data shown
    if note and (args.start or args.end):
        print(f"twin movie: note: {note}", file=sys.stderr)
    start = _instant("--from", args.start, tz) if args.start else extent.start
    end = _instant("--to", args.end, tz) if args.end else extent.end
    if end <= start:
        raise ProjectError(f"--from {start.isoformat()} is not before --to {end.isoformat()}")
    return start, end
