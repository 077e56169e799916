"""``twin import PROJECT FILE...``: import files into a project (creating it when missing)."""

from __future__ import annotations

import argparse
import pathlib
import sys

from twin.cli.progress import ProgressLine
from twin.errors import ImportCancelled, InputError, TwinError
from twin.io.service import import_file
from twin.io.options import ImportOptions
from twin.store.project import DEFAULT_TIMEZONE, Project


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("import", help="import files into a project (created when missing)",
                       description="Import files into a project; each file is one transaction.")
    p.add_argument("project", help="project file (.twin.duckdb), created when missing")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--layer", help="layer name (default: the file name)")
    p.add_argument("--stage", type=int, choices=(1, 2, 3, 4), help="smart-city stage 1-4")
    p.add_argument("--service", help="service: infrastructure, traffic, safety, environment, ...")
    p.add_argument("--no-suggest", action="store_true",
                   help="leave stage/service empty instead of suggesting them from the file (see 'twin plugins list')")
    p.add_argument("--crs", help="source CRS when the file lacks one, e.g. EPSG:5181")
    p.add_argument("--x", help="column holding x / longitude, when detection cannot find it")
    p.add_argument("--y", help="column holding y / latitude")
    p.add_argument("--project-crs", help="CRS of a new project (default: EPSG:5186 in Korea, else UTM)")
    p.add_argument("--tz", default=None, help=f"time zone of source times without offset (default {DEFAULT_TIMEZONE})")
    p.add_argument("--strict", action="store_true", help="fail instead of skipping bad rows")
    p.add_argument("--importer", help="importer id to use instead of detection (see 'twin plugins list')")
    p.add_argument("--encoding", help="text encoding of a CSV instead of detection (utf-8, cp949, ...)")
    p.add_argument("--storey-height", type=float, default=3.0, help="metres per storey for footprints (default 3)")
    p.add_argument("--default-height", type=float, default=10.0,
                   help="height of footprints with neither height nor storeys (default 10 m)")
    p.add_argument("--net", help="SUMO network (.net.xml) that georeferences FCD x/y")
    p.add_argument("--date", help="service day of a GTFS feed (YYYY-MM-DD)")
    p.add_argument("--start", help="start time of SUMO FCD seconds (ISO 8601)")
    return p


def run(args: argparse.Namespace) -> int:
    project_path = pathlib.Path(args.project)
    existed = project_path.exists()
    project = Project.open(project_path, create=True, crs=args.project_crs, timezone=args.tz)
    tz = project.timezone if args.tz is None else args.tz
    failures = 0
    imported_any = False
    try:
        for file in args.files:
            progress = ProgressLine(pathlib.Path(file).name)
            extra = {k: getattr(args, k) for k in ("net", "date", "start") if getattr(args, k)}
            options = ImportOptions(
                crs=args.crs, x=args.x, y=args.y, layer=args.layer, stage=args.stage, service=args.service,
                strict=args.strict, timezone=tz, storey_height=args.storey_height,
                default_height=args.default_height, encoding=args.encoding, extra=extra, progress=progress,
            )
            try:
                outcome = import_file(project, file, options, importer=args.importer, suggest=not args.no_suggest)
            except (InputError, ImportCancelled, TwinError) as exc:
                progress.finish()
                print(f"twin import: error: {exc}", file=sys.stderr)
                failures += 1
                continue
            except Exception as exc:  # an importer bug must still name the file
                progress.finish()
                print(f"twin import: error: {file}: {type(exc).__name__}: {exc}", file=sys.stderr)
                failures += 1
                continue
            progress.finish()
            imported_any = True
            for layer, report in zip(outcome.layers, outcome.reports):
                print(report.summary(), file=sys.stderr)
                print(f"  -> layer {layer.name!r} ({layer.kind}, {layer.feature_count} features) in {project.crs}",
                      file=sys.stderr)
    finally:
        project.close()
        if not existed and not imported_any:
            _remove_new_project(project_path)
    return 1 if failures else 0


def _remove_new_project(path: pathlib.Path) -> None:
    """A project created by a failed import is removed: the failed command leaves nothing behind."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)
