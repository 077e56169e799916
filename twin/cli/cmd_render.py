"""``twin render PROJECT --out PNG [--size WxH] [--camera iso|top|LAYER [--fid N] | --bookmark NAME] [--time ISO]
[--stage N [--changes]]``.

Renders without any X server (VTK's EGL window; Mesa's llvmpipe when there is no GPU), with the
legend and a scale hint. ``--time`` without an offset is read in the time zone of the time-based layers
shown (:mod:`twin.time.zones`; the project's zone when they differ).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from zoneinfo import ZoneInfo

from twin.errors import ProjectError
from twin.printable import visible
from twin.scene.camera import PRESETS

MAX_SIDE = 8192


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("render", help="render the project's 3D scene to a PNG (no display needed)")
    p.add_argument("project")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--size", default="1280x800", help="image size WxH in pixels (default 1280x800)")
    p.add_argument("--camera", default="iso",
                   help=f"a preset ({', '.join(PRESETS)}) or a layer name to frame (default iso)")
    p.add_argument("--fid", type=int, help="with --camera LAYER: frame this feature of the layer")
    p.add_argument("--time", help="the instant to show (ISO 8601; without an offset, in the time zone of the "
                                  "time-based layers shown, see twin info)")
    p.add_argument("--layer", action="append", dest="layers", metavar="NAME",
                   help="draw only this layer (repeat for several; default all)")
    p.add_argument("--bookmark", help="the view of a bookmark (camera, layers, time, caption; see twin bookmark)")
    p.add_argument("--stage", type=int, choices=(1, 2, 3, 4),
                   help="the city as it stood at this stage: later layers and buildings completed later hidden")
    p.add_argument("--changes", action="store_true",
                   help="with --stage: what changed at that stage in colour, what stood before as grey context")
    return p


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x800"`` -> (1280, 800); ProjectError with the reason otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not match:
        raise ProjectError(f"--size {text!r}: give WIDTHxHEIGHT in pixels, e.g. 1280x800")
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE):
        raise ProjectError(f"--size {text!r}: each side must be from 16 to {MAX_SIDE} pixels")
    return width, height


def parse_time(text: str, timezone: str) -> dt.datetime:
    """An ISO 8601 time; without an offset it is read in ``timezone``. ProjectError naming the text otherwise."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ProjectError(f"--time {text!r}: not an ISO 8601 time such as 2024-05-01T08:30 ({exc})") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value


def _typed_zone(project, shown: list[str] | None) -> str:
    """The zone a ``--time`` without offset is read in: that of the time-based layers shown (docs/timeline.md)."""
    from twin.time.zones import viewing_zone

    tz, note = viewing_zone(project.layers(), project.timezone, shown=shown)
    if note:
        print(f"twin: note: {note}", file=sys.stderr)
    return tz


def check_view(project, camera: str, fid: int | None, layers: list[str] | None) -> None:
    """One-line errors for ``--camera``/``--fid``/``--layer`` naming what the project holds."""
    if camera not in PRESETS:
        project.layer(camera)  # one-line error naming the known layers
    elif fid is not None:
        raise ProjectError("--fid frames a feature of a layer: give the layer with --camera LAYER")
    for name in layers or []:
        project.layer(name)


def run(args: argparse.Namespace) -> int:
    from twin.model.session import Session

    size = parse_size(args.size)
    if not str(args.out).lower().endswith(".png"):
        raise ProjectError(f"--out {args.out}: the picture is written as PNG; give a file ending in .png")
    with Session.open(args.project, read_only=True) as session:
        project = session.reader
        when = parse_time(args.time, _typed_zone(project, args.layers)) if args.time else None
        check_view(project, args.camera, args.fid, args.layers)
        if args.changes and args.stage is None:
            raise ProjectError("--changes shows what changed at a stage: give the stage with --stage N")
        if args.bookmark:
            if args.camera != "iso" or args.fid is not None or args.stage is not None:
                raise ProjectError("--bookmark brings its own camera and stage: leave out --camera, --fid and --stage")
            from twin.model.twin import TwinModel
            from twin.render.movies import bookmark_picture

            result = bookmark_picture(TwinModel(project), args.out, args.bookmark, size=size, time=when,
                                      layers=args.layers)
        else:
            from twin.render.offscreen import render_project

            result = render_project(project, args.out, size=size, camera=args.camera, fid=args.fid, time=when,
                                    layers=args.layers, stage=args.stage, changes=args.changes)
    for name, reason in result.problems.items():
        print(visible(f"twin render: warning: layer {name!r} not drawn: {reason}"), file=sys.stderr)
    print(f"wrote {result.path} ({size[0]}x{size[1]}, {len(result.layers)} layer(s))", file=sys.stderr)
    return 0
