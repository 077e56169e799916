"""``twin export PROJECT LAYER OUT``: write a layer to GeoPackage, GeoParquet or GeoJSON."""

from __future__ import annotations

import argparse
import sys

from twin.io.export import export_layer
from twin.store.project import Project


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="export a layer to .gpkg, .parquet or .geojson")
    p.add_argument("project")
    p.add_argument("layer")
    p.add_argument("out")
    return p


def run(args: argparse.Namespace) -> int:
    with Project.open(args.project, read_only=True) as project:
        count = export_layer(project, args.layer, args.out)
    print(f"wrote {count} features of {args.layer!r} to {args.out}", file=sys.stderr)
    return 0
