"""``twin export PROJECT LAYER OUT``: write a layer to GeoPackage, GeoParquet, GeoJSON, CityJSON 2.0 or
CityJSONSeq (by the suffix of OUT); ``twin export PROJECT --3dtiles DIR``: the 3D layers as OGC 3D Tiles 1.1."""

from __future__ import annotations

import argparse
import sys

from twin.cli import export_3dtiles
from twin.errors import TwinError


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="export a layer to .gpkg, .parquet, .geojson, .city.json or .city.jsonl, or 3D layers as 3D Tiles")
    p.add_argument("project")
    p.add_argument("layer", nargs="?")  # both omitted with --3dtiles DIR
    p.add_argument("out", nargs="?")
    export_3dtiles.add_arguments(p)
    return p


def run(args: argparse.Namespace) -> int:
    if args.tiles3d:
        return export_3dtiles.run(args)
    if not (args.layer and args.out):
        raise TwinError("give LAYER OUT, or --3dtiles DIR")
    from twin.io.export import export_layer  # geopandas: only when exporting (start-up, docs/startup.md)
    from twin.store.project import Project

    with Project.open(args.project, read_only=True) as project:
        count = export_layer(project, args.layer, args.out)
    print(f"wrote {count} features of {args.layer!r} to {args.out}", file=sys.stderr)
    return 0
