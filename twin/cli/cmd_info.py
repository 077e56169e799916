"""``twin info PROJECT [--json]``: the project CRS and its layers."""

from __future__ import annotations

import argparse
import json
import sys

from twin.store.project import Project


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("info", help="show the project CRS and its layers")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="print only JSON on stdout")
    return p


def project_summary(project: Project) -> dict:
    """The ``twin info --json`` document."""
    return {"crs": project.crs, "layers": [layer.summary(project.timezone) for layer in project.layers()]}


def run(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=True) as project:
        summary = project_summary(project)
        if args.json:
            json.dump(summary, sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
        print(f"project {args.project}", file=sys.stderr)
        print(f"CRS {summary['crs'] or '(not set: no data yet)'}, time zone {project.timezone}")
        for layer, info in zip(project.layers(), summary["layers"]):
            stage = f"stage {info['stage']}" if info["stage"] else "no stage"
            bbox = ", ".join(f"{v:.1f}" for v in info["bbox"]) if info["bbox"] else "no extent"
            span = f", {info['time_span'][0]} .. {info['time_span'][1]}" if info["time_span"] else ""
            print(f"- {layer.name}: {layer.kind}, {layer.feature_count} features, {stage}, "
                  f"{layer.service or 'no service'}, bbox [{bbox}]{span}")
            print(f"    source {layer.source_file} ({layer.source_crs}), table {layer.table_name}")
    return 0
