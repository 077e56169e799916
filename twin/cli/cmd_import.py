"""``twin import PROJECT FILE...``: import files into a project (creating it when missing)."""

from __future__ import annotations

import argparse
import pathlib
import sys

from twin.cli.progress import ProgressLine
from twin.errors import ImportCancelled, InputError, TwinError
from twin.io.options import ImportOptions
from twin.store.dataset_manifest import is_dataset_folder
from twin.store.project import DEFAULT_TIMEZONE, Project

#: seconds an import waits for other commands reading the project before it says the project is busy
WRITE_WAIT = 10.0


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
    p.add_argument("--height-column", metavar="COL",
                   help="footprint column with the height in metres, instead of detection (docs/importers.md)")
    p.add_argument("--storeys-column", metavar="COL",
                   help="footprint column with the number of storeys above ground, instead of detection")
    p.add_argument("--net", help="SUMO network (.net.xml) that georeferences FCD x/y")
    p.add_argument("--date", help="service day of a GTFS feed (YYYY-MM-DD)")
    p.add_argument("--start", help="start time of SUMO FCD seconds (ISO 8601)")
    p.add_argument("--force", action="store_true",
                   help="import data lying far from the project's (another country) anyway")
    p.add_argument("--all-or-nothing", action="store_true",
                   help="several files: read them all first and write none unless every one can be imported; "
                        "a write that fails then removes the layers this command added")
    return p


def run(args: argparse.Namespace) -> int:
    from twin.io.service import ImportService, plan_file  # the importers: not for ``twin --help`` (docs/startup.md)

    project_path = pathlib.Path(args.project)
    existed = project_path.exists()
    tz = args.tz if args.tz is not None else (_project_timezone(project_path) if existed else DEFAULT_TIMEZONE)
    failures = 0
    imported_any = False
    done = ImportTally()
    try:
        if args.all_or_nothing and len(args.files) > 1:
            done = _all_or_nothing(project_path, args, tz)
            imported_any = bool(done.imported)
            return 0 if imported_any else 1
        for file in args.files:
            progress = ProgressLine(pathlib.Path(file).name)
            options = _options(args, tz, progress)
            try:  # read with the project closed (others may read it meanwhile), then a short write
                if is_dataset_folder(file):  # a partitioned dataset: referenced in place (docs/datasets.md)
                    outcome, project_crs, hint = *_import_dataset(project_path, pathlib.Path(file), args), None
                else:
                    plan = plan_file(file, options, importer=args.importer)
                    options.report_progress(0.95, "writing to the project")
                    with Project.open(project_path, create=True, crs=args.project_crs, timezone=args.tz,
                                      wait=WRITE_WAIT) as project:
                        outcome = ImportService(project).write(
                            plan, name=options.layer, stage=options.stage, service=options.service,
                            suggest=not args.no_suggest)
                        project_crs = project.crs
                        hint = _network_hint(project, args.net, outcome) if args.net else None
            except (InputError, ImportCancelled, TwinError) as exc:
                progress.finish()
                print(f"twin import: error: {exc}", file=sys.stderr)
                failures += 1
                done.failed.append(file)
                continue
            except Exception as exc:  # an importer bug must still name the file
                progress.finish()
                print(f"twin import: error: {file}: {type(exc).__name__}: {exc}", file=sys.stderr)
                failures += 1
                done.failed.append(file)
                continue
            progress.finish()
            imported_any = True
            done.imported.append((file, len(outcome.layers)))
            _print_outcome(outcome, project_crs)
            if hint:
                print(hint, file=sys.stderr)
    finally:
        if not existed and not imported_any:
            _remove_new_project(project_path)
        if len(args.files) > 1:
            print(done.summary(args.all_or_nothing), file=sys.stderr)
    return 1 if failures else 0


class ImportTally:
    """Which files of one ``twin import`` went in and which did not (the closing summary line)."""

    def __init__(self) -> None:
        self.imported: list[tuple[str, int]] = []  # (file, number of layers)
        self.failed: list[str] = []
        self.rolled_back: list[str] = []

    def summary(self, all_or_nothing: bool = False) -> str:
        """``twin import: imported 2 of 3 files: a.csv (1 layer), ...; not imported: c.csv (error above)``."""
        total = len(self.imported) + len(self.failed) + len(self.rolled_back)
        went = ", ".join(f"{pathlib.Path(f).name} ({n} layer{'s' if n != 1 else ''})" for f, n in self.imported)
        line = f"twin import: imported {len(self.imported)} of {total} files" + (f": {went}" if went else "")
        if self.failed:
            line += f"; not imported: {', '.join(pathlib.Path(f).name for f in self.failed)}"
        if self.rolled_back:
            line += f"; written, then removed again: {', '.join(pathlib.Path(f).name for f in self.rolled_back)}"
        if all_or_nothing and (self.failed or self.rolled_back):
            line += " (--all-or-nothing: the project is as it was)"
        elif self.failed:
            line += " (each file is its own transaction: the imported ones stay in the project)"
        return line


def _options(args: argparse.Namespace, tz: str, progress) -> ImportOptions:
    extra = {k: getattr(args, k) for k in ("net", "date", "start") if getattr(args, k)}
    return ImportOptions(
        crs=args.crs, x=args.x, y=args.y, layer=args.layer, stage=args.stage, service=args.service,
        strict=args.strict, timezone=tz, storey_height=args.storey_height,
        default_height=args.default_height, encoding=args.encoding, extra=extra, progress=progress,
        force=args.force, height_column=args.height_column, storeys_column=args.storeys_column,
    )


def _print_outcome(outcome, crs: str | None) -> None:
    for layer, report in zip(outcome.layers, outcome.reports):
        print(report.summary(), file=sys.stderr)
        track = layer.properties.get("track") if isinstance(layer.properties, dict) else None
        samples = track.get("samples") if isinstance(track, dict) else None
        counts = (f"{layer.feature_count} objects, {samples} samples" if isinstance(samples, int)
                  else f"{layer.feature_count} features")
        print(f"  -> layer {layer.name!r} ({layer.kind}, {counts}) in {crs}", file=sys.stderr)


def _network_hint(project: Project, net: str, outcome) -> str | None:
    """A hint (never a prompt) when ``--net`` georeferenced the vehicles but its roads are not a layer yet."""
    wanted = str(pathlib.Path(net).resolve())
    if any(layer.source_file == wanted for layer in project.layers()):
        return None
    return (f"twin import: hint: the roads of {pathlib.Path(net).name} are not in the project; "
            f"`twin import {project.path} {net}` adds them as a road layer under the vehicles")


def _all_or_nothing(project_path: pathlib.Path, args: argparse.Namespace, tz: str) -> ImportTally:
    """``--all-or-nothing``: read every file first (nothing written); write them only when all were read, in
    one opening of the project, and remove the layers of this command again when one write fails."""
    from twin.io.service import ImportService, plan_file

    tally = ImportTally()
    plans = []
    for file in args.files:
        progress = ProgressLine(pathlib.Path(file).name)
        try:
            if is_dataset_folder(file):  # checked now like the files; referenced in the same opening below
                plans.append(_DatasetPlan(pathlib.Path(file)))
            else:
                plans.append(plan_file(file, _options(args, tz, progress), importer=args.importer))
        except Exception as exc:  # noqa: BLE001 - every failure is reported; nothing is written
            print(f"twin import: error: {_reason(file, exc)}", file=sys.stderr)
            tally.failed.append(file)
        finally:
            progress.finish()
    if tally.failed:
        tally.failed += [str(plan.path) for plan in plans]  # read fine, not written
        return tally
    written: list[tuple[str, list[str]]] = []
    with Project.open(project_path, create=True, crs=args.project_crs, timezone=args.tz,
                      wait=WRITE_WAIT) as project:
        service = ImportService(project)
        for plan in plans:
            try:
                if isinstance(plan, _DatasetPlan):
                    outcome = plan.write(project, args)
                else:
                    outcome = service.write(plan, name=args.layer, stage=args.stage, service=args.service,
                                            suggest=not args.no_suggest)
            except Exception as exc:  # noqa: BLE001 - the layers written so far are removed again
                print(f"twin import: error: {_reason(plan.path, exc)}", file=sys.stderr)
                for file, names in reversed(written):
                    for name in names:
                        project.remove_layer(name)
                    tally.rolled_back.append(file)
                tally.failed += [str(p.path) for p in plans[len(written):]]
                return tally
            written.append((str(plan.path), [layer.name for layer in outcome.layers]))
            _print_outcome(outcome, project.crs)
    tally.imported = [(file, len(names)) for file, names in written]
    return tally


class _DatasetPlan:
    """A dataset folder read and checked for ``--all-or-nothing`` (nothing written yet)."""

    def __init__(self, folder: pathlib.Path) -> None:
        from twin.io.dataset_import import plan_dataset

        self.path = folder
        self.plan = plan_dataset(folder)

    def write(self, project: Project, args: argparse.Namespace):
        """Reference the dataset as one layer of the open ``project`` (removed again like any layer)."""
        from twin.io.dataset_import import write_dataset
        from twin.io.service import ImportOutcome

        layer = write_dataset(project, self.plan, name=args.layer, stage=args.stage, service=args.service,
                              force=args.force)
        return ImportOutcome(path=self.path, importer="dataset", layers=[layer], reports=[self.plan.report])


def _import_dataset(project_path: pathlib.Path, folder: pathlib.Path, args: argparse.Namespace):
    """Reference a dataset folder as one layer: checked with the project closed, then one short write."""
    from twin.io.dataset_import import plan_dataset, write_dataset
    from twin.io.service import ImportOutcome

    plan = plan_dataset(folder)
    with Project.open(project_path, create=True, crs=args.project_crs, timezone=args.tz, wait=WRITE_WAIT) as project:
        layer = write_dataset(project, plan, name=args.layer, stage=args.stage, service=args.service,
                              force=args.force)
        crs = project.crs
    return ImportOutcome(path=folder, importer="dataset", layers=[layer], reports=[plan.report]), crs


def _reason(file, exc: Exception) -> str:
    return str(exc) if isinstance(exc, TwinError) else f"{file}: {type(exc).__name__}: {exc}"


def _project_timezone(path: pathlib.Path) -> str:
    """The time zone of an existing project (a short read-only open; a bad file fails here, before reading)."""
    with Project.open(path, read_only=True, wait=WRITE_WAIT) as project:
        return project.timezone


def _remove_new_project(path: pathlib.Path) -> None:
    """A project created by a failed import is removed: the failed command leaves nothing behind."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)
