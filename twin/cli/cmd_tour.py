"""``twin tour PROJECT add|list|remove``: guided tours over bookmarks, stored in the project.

``add NAME BOOKMARK [BOOKMARK ...] [--transition S] [--hold S] [--speed X]`` makes a tour that flies
from bookmark to bookmark; play it in the app (F5) or write it with ``twin movie --tour NAME``.
"""

from __future__ import annotations

import argparse
import sys

from twin.cli.output import dump_json


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("tour", help="add, list or remove guided tours over bookmarks")
    p.add_argument("project")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="make a tour that visits bookmarks in order")
    add.add_argument("name")
    add.add_argument("bookmarks", nargs="+", metavar="BOOKMARK")
    add.add_argument("--transition", type=float, default=3.0, help="seconds of flight to each stop (default 3)")
    add.add_argument("--hold", type=float, default=3.0, help="seconds at each stop (default 3)")
    add.add_argument("--speed", type=float, default=0.0,
                     help="simulated seconds per second while holding (default 0: time stands still)")
    add.add_argument("--description", default="")
    add.add_argument("--replace", action="store_true", help="overwrite a tour of the same name")
    lst = actions.add_parser("list", help="list the tours")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    rm = actions.add_parser("remove", help="delete a tour (its bookmarks stay)")
    rm.add_argument("name")
    return p


def run(args: argparse.Namespace) -> int:
    from twin.errors import ProjectError
    from twin.present.store import PresentStore
    from twin.present.tours import Tour, TourStop
    from twin.store.project import Project

    with Project.open(args.project, read_only=args.action == "list") as project:
        store = PresentStore(project)
        if args.action == "list":
            tours = store.tours()
            if args.json:
                data = [{"name": t.name, "description": t.description, "duration": t.duration,
                         "stops": [s.to_dict() for s in t.stops]} for t in tours]
                dump_json(data, indent=2)  # strict JSON: NaN and infinities as null
            elif not tours:
                print("no tours (add one with: twin tour PROJECT add NAME BOOKMARK BOOKMARK ...)", file=sys.stderr)
            for tour in tours if not args.json else []:
                print(f"- {tour.name}: {' -> '.join(s.bookmark for s in tour.stops)} ({tour.duration:g} s)")
            return 0
        if args.action == "remove":
            store.remove_tour(args.name)
            print(f"removed tour {args.name!r}", file=sys.stderr)
            return 0
        try:
            stops = tuple(TourStop(name, args.transition, args.hold, args.speed) for name in args.bookmarks)
            tour = Tour(args.name, stops, args.description)
        except ValueError as exc:
            raise ProjectError(str(exc)) from None
        tour = store.save_tour(tour, replace=args.replace)
        print(f"saved tour {tour.name!r}: {len(tour.stops)} stop(s), {tour.duration:g} s", file=sys.stderr)
        return 0
