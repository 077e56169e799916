"""``twin bookmark PROJECT add|list|remove|rename``: named views for presenters, stored in the project.

``add NAME --camera iso|top|north|...|LAYER [--fid N]`` frames the view the same way as ``twin render``
(off-screen, no display needed) and stores its camera in the project CRS with the visible layers
(``--layer`` repeated, default all), an optional ``--stage`` filter (``--changes``: what changed at it),
``--time``, ``--caption`` and features to select (``--select LAYER FID``, repeated: their links are drawn).
"""

from __future__ import annotations

import argparse
import math
import sys

from twin.cli.output import dump_json
from twin.errors import ProjectError
from twin.scene.camera import PRESETS


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("bookmark", help="add, list, rename or remove the project's bookmarks (saved views)")
    p.add_argument("project")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="save a view as a bookmark")
    add.add_argument("name")
    add.add_argument("--camera", default="iso", help=f"a preset ({', '.join(PRESETS)}) or a layer name to frame (default iso)")
    add.add_argument("--fid", type=int, help="with --camera LAYER: frame this feature of the layer")
    add.add_argument("--time", help="the moment to show (ISO 8601; without an offset, in the project's time zone)")
    add.add_argument("--caption", default="", help="text shown when the bookmark is presented")
    add.add_argument("--layer", action="append", dest="layers", metavar="NAME",
                     help="show only this layer (repeat for several; default all)")
    add.add_argument("--stage", type=int, choices=(1, 2, 3, 4), help="hide layers of later stages")
    add.add_argument("--changes", action="store_true", help="with --stage: what changed at that stage (the rest grey)")
    add.add_argument("--select", nargs=2, action="append", metavar=("LAYER", "FID"), default=[],
                     help="select this feature when the bookmark is shown: its links are drawn (repeat)")
    add.add_argument("--size", default="1280x720", help="the picture size the view is framed for (default 1280x720)")
    add.add_argument("--replace", action="store_true", help="overwrite a bookmark of the same name")
    lst = actions.add_parser("list", help="list the bookmarks")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    rm = actions.add_parser("remove", help="delete a bookmark")
    rm.add_argument("name")
    rm.add_argument("--force", action="store_true", help="also drop it from the tours that stop there")
    mv = actions.add_parser("rename", help="rename a bookmark (tours follow)")
    mv.add_argument("name")
    mv.add_argument("new_name")
    return p


def run(args: argparse.Namespace) -> int:
    from twin.present.store import PresentStore
    from twin.store.project import Project

    read_only = args.action == "list"
    with Project.open(args.project, read_only=read_only) as project:
        store = PresentStore(project)
        if args.action == "list":
            return _list(store, project.timezone, as_json=args.json)
        if args.action == "remove":
            store.remove_bookmark(args.name, force=args.force)
            print(f"removed bookmark {args.name!r}", file=sys.stderr)
            return 0
        if args.action == "rename":
            store.rename_bookmark(args.name, args.new_name)
            print(f"renamed bookmark {args.name!r} to {args.new_name!r}", file=sys.stderr)
            return 0
        return _add(project, store, args)


def _add(project, store, args: argparse.Namespace) -> int:
    """The view the flags describe, framed off-screen in a model of the project, saved as a bookmark."""
    from twin.cli.cmd_render import check_view, parse_size, parse_time
    from twin.render.movies import offscreen_scene
    from twin.render.offscreen import model_for
    from twin.store.reader import ProjectReader

    size = parse_size(args.size)
    when = parse_time(args.time, project.timezone) if args.time else None
    check_view(project, args.camera, args.fid, args.layers)
    if store.has_bookmark(args.name) and not args.replace:
        raise ProjectError(f"a bookmark named {args.name!r} already exists (use --replace to overwrite it)")
    if args.changes and args.stage is None:
        raise ProjectError("--changes shows what changed at a stage: give the stage with --stage N")
    selection = []
    for layer, fid in args.select:
        project.layer(layer)  # one-line error naming the known layers
        if not fid.isdigit():
            raise ProjectError(f"--select {layer} {fid}: the feature id is a number (its fid)")
        selection.append((layer, int(fid)))
    model, (target, fid) = model_for(ProjectReader(project), layers=args.layers, stage=args.stage,
                                     changes=args.changes)
    scene = offscreen_scene(model, size)
    try:
        model.camera.look(target=args.camera, fid=args.fid)
        mark = model.capture_bookmark(args.name, caption=args.caption, with_time=False)
    finally:
        scene.close()
        scene.plotter.close()
    try:
        mark = mark.replace(time=when, layers=tuple(args.layers) if args.layers else None, selection=tuple(selection))
    except ValueError as exc:
        raise ProjectError(str(exc)) from None
    store.save_bookmark(mark, replace=args.replace)
    print(f"saved bookmark {mark.name!r} ({args.camera} view)", file=sys.stderr)
    return 0


def _list(store, tz: str, *, as_json: bool) -> int:
    marks = store.bookmarks()
    if as_json:
        dump_json([m.summary(tz) for m in marks], indent=2)  # strict JSON: NaN and infinities as null
        return 0
    if not marks:
        print("no bookmarks (add one with: twin bookmark PROJECT add NAME --camera iso)", file=sys.stderr)
        return 0
    for m in marks:
        s = m.summary(tz)
        cam = m.camera
        view = "top (orthographic)" if cam.parallel_scale is not None else f"{cam.distance:,.0f} m away"
        fx, fy, _ = (float(v) for v in cam.focal_point)
        parts = [f"looking at {fx:,.1f}, {fy:,.1f} from {view}"]
        if s["time"]:
            parts.append(f"at {s['time']}")
        if m.layers is not None:
            parts.append(f"{len(m.layers)} layer(s)")
        if m.stage is not None:
            parts.append(f"what changed at stage {m.stage}" if m.changes else f"up to stage {m.stage}")
        if m.selection:
            parts.append(f"{len(m.selection)} feature(s) selected")
        print(f"- {m.name}: {', '.join(parts)}")
        if m.caption:
            print(f"    \u201c{m.caption}\u201d")
    tours = store.tours()
    for tour in tours:
        minutes, seconds = divmod(int(math.ceil(tour.duration)), 60)
        print(f"tour {tour.name}: {' -> '.join(s.bookmark for s in tour.stops)} ({minutes}:{seconds:02d})")
    return 0
