"""``twin links PROJECT LAYER [FEATURE_ID] [--json]`` and ``twin links PROJECT --compute [--linker ID]``.

Lists what a feature (or every feature of a layer) is linked to across layers: the cameras that see an
incident, the stations that answer it by road, the detectors on its route, the pipes an excavation
endangers. ``--json`` prints only a JSON list on stdout. ``--compute`` runs the linkers the plugins
contribute and stores their links in the project (docs/links.md).
"""

from __future__ import annotations

import argparse
import sys
from zoneinfo import ZoneInfo

from twin.cli.output import dump_json
from twin.errors import ProjectError


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("links", help="list (or --compute) the links between features of different layers")
    p.add_argument("project")
    p.add_argument("layer", nargs="?", help="the layer whose links to list")
    p.add_argument("fid", nargs="?", type=int, metavar="FEATURE_ID", help="one feature of the layer (its fid)")
    p.add_argument("--json", action="store_true", help="print only a JSON list on stdout")
    p.add_argument("--compute", action="store_true", help="run the linkers and store their links first")
    p.add_argument("--linker", action="append", metavar="ID", help="with --compute: only this linker (repeat)")
    return p


def rows_of(table, timezone: str) -> list[dict]:
    """The JSON objects of ``twin links --json``: one per link, layers by name, times in the project zone."""
    from twin.store.links import properties_of

    zone = ZoneInfo(timezone)
    out = []
    for row in table.drop_columns(["route"]).to_pylist():
        out.append({
            "from_layer": row["from_layer"], "from_id": row["from_fid"], "to_layer": row["to_layer"],
            "to_id": row["to_fid"], "relation": row["relation"],
            "distance_m": None if row["distance_m"] is None else round(row["distance_m"], 2),
            "travel_time_s": None if row["travel_time_s"] is None else round(row["travel_time_s"], 1),
            "active_from": row["t_start"].astimezone(zone).isoformat() if row["t_start"] else None,
            "active_to": row["t_end"].astimezone(zone).isoformat() if row["t_end"] else None,
            "linker": row["linker"], "properties": properties_of(row["properties"]),
        })
    return out


def run(args: argparse.Namespace) -> int:
    from twin.store.links import read_links
    from twin.store.project import Project

    if args.linker and not args.compute:
        raise ProjectError("--linker chooses what --compute runs: add --compute")
    if not args.compute and args.layer is None:
        raise ProjectError("give the LAYER whose links to list (see twin info), or --compute")
    with Project.open(args.project, read_only=not args.compute) as project:
        if args.compute:
            from twin.links.compute import compute_links

            failed = 0
            for run_ in compute_links(project, only=args.linker):
                state = run_.error or run_.skipped or f"{run_.links} link(s)"
                failed += run_.error is not None
                print(f"twin links: {run_.linker}: {state} ({run_.seconds:.2f} s)", file=sys.stderr)
            project.save()
            if args.layer is None:
                return 1 if failed else 0
        project.layer(args.layer)  # one clear line naming the known layers
        table = read_links(project, layer=args.layer, fids=None if args.fid is None else [args.fid])
        rows = rows_of(table, project.timezone)
    if args.json:
        dump_json(rows)  # strict JSON: NaN and infinities as null
        return 0
    if not rows:
        what = f"feature {args.fid} of {args.layer!r}" if args.fid is not None else f"layer {args.layer!r}"
        print(f"no links for {what} (compute them with: twin links {args.project} --compute)", file=sys.stderr)
        return 0
    for row in rows:
        extra = []
        if row["distance_m"] is not None:
            extra.append(f"{row['distance_m']:,.0f} m")
        if row["travel_time_s"] is not None:
            minutes, seconds = divmod(int(round(row["travel_time_s"])), 60)
            extra.append(f"{minutes}:{seconds:02d} by road")
        if row["active_from"]:
            extra.append(f"active {row['active_from'][11:19]}-{(row['active_to'] or '')[11:19]}")
        print(f"{row['from_layer']} #{row['from_id']} {row['relation']} {row['to_layer']} #{row['to_id']}"
              + (f" ({', '.join(extra)})" if extra else ""))
    return 0
