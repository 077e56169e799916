"""``twin info PROJECT [--json]``: the project CRS and its layers.

Text from the project (names, sources) is printed with control characters made visible; ``--json`` is strict
JSON; a layer whose catalogue entry is odd is listed with one line per problem (docs/security.md)."""

from __future__ import annotations

import argparse
import sys

from twin.cli.output import dump_json, visible
from twin.store.datasets import dataset_ref
from twin.store.project import Project


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("info", help="show the project CRS and its layers")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="print only JSON on stdout")
    return p


def project_summary(project: Project) -> dict:
    """The ``twin info --json`` document."""
    return {"crs": project.crs, "layers": [_with_dataset(project, layer, layer.summary(project.timezone))
                                           for layer in project.layers()]}


def _with_dataset(project: Project, layer, info: dict) -> dict:
    """An external layer's summary names its dataset folder and partitions (docs/datasets.md)."""
    ref = dataset_ref(layer.properties)
    if ref is not None:
        reached = project.external.layers.get(layer.id)
        count = len(reached.index) if reached is not None else ref.get("partitions")
        info["dataset"] = {"path": ref.get("path"), "partitions": count, "reachable": reached is not None}
    return info


def run(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=True) as project:
        summary = project_summary(project)
        if args.json:
            dump_json(summary)
            return 0
        print(f"project {visible(args.project)}", file=sys.stderr)
        print(f"CRS {crs_label(summary['crs']) if summary['crs'] else '(not set: no data yet)'}, "
              f"time zone {project.timezone}")
        for layer, info in zip(project.layers(), summary["layers"]):
            stage = f"stage {info['stage']}" if info["stage"] else "no stage"
            bbox = ", ".join(f"{v:.1f}" for v in info["bbox"]) if info["bbox"] else "no extent"
            span = (f", {info['time_span'][0]} .. {info['time_span'][1]} ({info['timezone']})"
                    if info["time_span"] else "")
            print(visible(f"- {layer.name}: {layer.kind}, {layer.feature_count} features, {stage}, "
                          f"{layer.service or 'no service'}, bbox [{bbox}]{span}"))
            source_crs = crs_label(layer.source_crs) if layer.source_crs else "no CRS"
            print(visible(f"    source {layer.source_file} ({source_crs}), table {layer.table_name}"))
            if "dataset" in info:
                print(visible(f"    external dataset: {info['dataset']['path']} ({info['dataset']['partitions']} partitions)"))
            for problem in info.get("problems", []):
                print(visible(f"    problem: {problem}"))
                print(f"twin info: warning: {visible(problem)}", file=sys.stderr)
    return 0


def crs_label(text: str) -> str:
    """``EPSG:5186`` as it is; a custom CRS (WKT, PROJ string) as its short name, the full text being in --json."""
    if text.upper().startswith("EPSG:") and len(text) < 20:
        return text
    try:
        from twin.crs import horizontal

        name = horizontal(text).name or "unnamed"
    except Exception:  # noqa: BLE001 - a label never fails the listing
        name = "unreadable"
    return f"custom CRS {name!r} (full definition in twin info --json)"
