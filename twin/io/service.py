"""The one import path: a file becomes a plan (read and understood, nothing written), then layers.

``twin import`` and the window's import dialog both go through :class:`ImportService`:

1. :meth:`ImportService.plan` chooses the importer (file pattern, then content), reads the file into
   plain :class:`~twin.layerdata.LayerData` and gathers what was detected (format, CRS, coordinate
   columns, encoding, counts, skipped rows, the suggested stage and service). The project is not
   touched, so a dialog can show the plan, let the user change the options and read again.
2. :meth:`ImportService.write` writes a plan in one transaction (all its layers or none) and returns
   the new catalogue entries with the reports.

Both steps may run on a worker thread: reading never touches the project, and the write holds the
project's lock for its whole transaction.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, Callable

from twin.errors import ImportCancelled, ProjectError
from twin.io.importing import layer_names, read_file, sha256_of
from twin.io.options import ImportOptions
from twin.io.placement import check_placement, project_extent
from twin.layerdata import ImportReport, LayerData
from twin.layerstream import LayerStream
from twin.plugins.manifest import Contribution
from twin.plugins.registry import PluginRegistry
from twin.stages import Suggestion, suggest_for_data
from twin.store.project import LayerInfo, Project
from twin.store.writer import write_layers

Progress = Callable[[float, str], None]


@dataclasses.dataclass
class ImportPlan:
    """A file read into memory and understood, ready to be written (nothing is in the project yet)."""

    path: pathlib.Path
    importer: Contribution
    datas: list[LayerData]
    options: ImportOptions
    suggestion: Suggestion
    #: sha256 of the source file, taken while reading (so that the write holds the project only briefly)
    sha256: str | None = None
    #: a streamed file: ``datas`` are the first chunks, the rest is read while writing (once: a streamed
    #: plan is written at most once; plan again to write again)
    stream: LayerStream | None = None
    consumed: bool = False  # its stream was taken by a write (that may have failed): plan again

    @property
    def feature_count(self) -> int:
        return sum(d.feature_count if d.feature_count is not None else d.features.num_rows for d in self.datas)

    @property
    def skipped_count(self) -> int:
        return sum(len(d.report.skipped) for d in self.datas)

    @property
    def writable(self) -> bool:
        """True when there is something to write (features or extra tables such as tracks)."""
        return self.feature_count > 0 or any(d.tables for d in self.datas)

    def detected(self) -> dict[str, Any]:
        """What the importer detected, merged over the file's layers (format first)."""
        out: dict[str, Any] = {"format": self.importer.title, "importer": self.importer.id}
        for data in self.datas:
            described = {"kind": data.kind, "crs": data.crs, "rows": data.features.num_rows, **data.report.detected}
            for key, value in described.items():
                if key not in out:
                    out[key] = value
                elif out[key] != value and key == "rows":
                    out[key] = out[key] + value
        if self.stream is not None:
            out["read"] = "in chunks (counts so far are of the first chunk)"
        out["layers"] = len(self.datas)
        out["features"] = self.feature_count
        out["skipped"] = self.skipped_count
        return out

    def columns(self) -> list[str]:
        """Attribute columns of the first layer (candidates for the x/y choice)."""
        detected = self.datas[0].report.detected.get("columns")
        if isinstance(detected, (list, tuple)):
            return [str(c) for c in detected]
        return [c for c in self.datas[0].features.column_names if c != "geometry"]

    def summary(self) -> str:
        """The reports of the read, one block per layer."""
        return "\n".join(d.report.summary() for d in self.datas)


@dataclasses.dataclass
class ImportOutcome:
    """What one file's import produced: its layers and reports."""

    path: pathlib.Path
    importer: str
    layers: list[LayerInfo]
    reports: list[ImportReport]


def default_layer_name(path: str | pathlib.Path) -> str:
    """The layer name an import of ``path`` gets by default (the file name without its format suffix)."""
    return layer_names(_NoLayers(), pathlib.Path(path), [None], None)[0]  # type: ignore[list-item]


class ImportService:
    """Imports into one project: :meth:`plan` reads a file, :meth:`write` stores a plan."""

    def __init__(self, project: Project, *, registry: PluginRegistry | None = None) -> None:
        self.project = project
        self.registry = registry

    def plan(self, path: str | pathlib.Path, options: ImportOptions | None = None, *,
             importer: str | None = None) -> ImportPlan:
        """Read ``path`` with its importer (``importer`` id forces one); the project is not touched."""
        options = options or ImportOptions(timezone=self.project.timezone)
        return plan_file(path, options, registry=self.registry, importer=importer)

    def write(self, plan: ImportPlan, *, name: str | None = None, stage: int | None = None,
              service: str | None = None, suggest: bool = False, progress: Progress | None = None,
              cancelled: Callable[[], bool] | None = None) -> ImportOutcome:
        """Write ``plan`` in one transaction. ``suggest`` fills a stage or service left empty from the
        plan's suggestion and says so in each report. Cancelling is possible until the write starts."""
        report = progress or (lambda fraction, message: None)
        if plan.consumed:
            raise ProjectError("this file was read in chunks and written already: plan it again to write it again")
        report(0.0, "hashing the source file")
        digest = plan.sha256 or (sha256_of(plan.path) if plan.path.is_file() else None)
        if cancelled is not None and cancelled():
            raise ImportCancelled("import cancelled; the project is unchanged")
        places = None  # (stage, service) per layer: each layer's suggestion reads its own kind and columns
        if suggest and (stage is None or service is None):
            places = [_apply_suggestion(plan, data, stage, service, self.registry) for data in plan.datas]
        names = layer_names(self.project, plan.path, plan.datas, name or None)
        check_placement(plan.path, plan.datas, self.project.crs, project_extent(self.project.layers()),
                        force=plan.options.force)  # another country: refused (docs/importers.md)
        for data in plan.datas:  # the zone its naive times were read in, unless the data names its own
            if data.time_span and not data.properties.get("timezone"):
                data.properties["timezone"] = plan.options.timezone
        report(0.3, "writing to the project")
        more = None
        if plan.stream is not None:
            more, plan.stream = plan.stream.chunks(), None  # read while writing, in the same transaction
            plan.consumed = True
        layers = write_layers(self.project, list(zip(plan.datas, names)), stage=stage, service=service or None,
                              source_file=str(plan.path.resolve()), source_sha256=digest, places=places, more=more)
        self.project.save()  # checkpoint now: a crash later leaves no log to replay (docs/security.md)
        report(1.0, "done")
        return ImportOutcome(path=plan.path, importer=plan.importer.id, layers=layers,
                             reports=[d.report for d in plan.datas])


def plan_file(path: str | pathlib.Path, options: ImportOptions, *, registry: PluginRegistry | None = None,
              importer: str | None = None) -> ImportPlan:
    """Read ``path`` into a plan with no project open (``twin import`` reads before it takes the write lock)."""
    path = pathlib.Path(path)
    contribution, datas, stream = read_file(path, options, registry=registry, importer=importer, stream=True)
    suggestion = suggest_for_data(path, datas, registry=registry)
    digest = sha256_of(path) if path.is_file() else None
    return ImportPlan(path=path, importer=contribution, datas=datas, options=options, suggestion=suggestion,
                      sha256=digest, stream=stream)


def import_file(
    project: Project,
    path: str | pathlib.Path,
    options: ImportOptions | None = None,
    *,
    registry: PluginRegistry | None = None,
    importer: str | None = None,
    suggest: bool = False,
) -> ImportOutcome:
    """Plan and write one file (what ``twin import`` does for each file): ``options.layer``, ``stage`` and
    ``service`` name the layer and its place; ``suggest`` fills a missing stage/service from the rules."""
    options = options or ImportOptions(timezone=project.timezone)
    service = ImportService(project, registry=registry)
    plan = service.plan(path, options, importer=importer)
    options.report_progress(0.95, "writing to the project")
    outcome = service.write(plan, name=options.layer, stage=options.stage, service=options.service, suggest=suggest)
    options.report_progress(1.0, "done")
    return outcome


def _apply_suggestion(plan: ImportPlan, data: LayerData, stage: int | None, service: str | None,
                      registry: PluginRegistry | None) -> tuple[int | None, str | None]:
    """Fill a missing stage/service of one layer from its own suggestion (its kind, its columns: a polygons
    layer of a CityJSON file is not told it is 'buildings'); say so in its report."""
    suggestion = plan.suggestion if len(plan.datas) == 1 else suggest_for_data(plan.path, [data], registry=registry)
    picked = Suggestion(
        stage=suggestion.stage if stage is None else None, service=suggestion.service if service is None else None,
        stage_reason=suggestion.stage_reason, service_reason=suggestion.service_reason,
    )
    if picked:
        data.report.note(f"suggested {picked.describe()}; choose with --stage/--service")
    return (stage if stage is not None else picked.stage), (service if service is not None else picked.service)


class _NoLayers:
    """A stand-in project with no layers, to ask :func:`layer_names` for the plain default name."""

    @staticmethod
    def unique_layer_name(wanted: str) -> str:
        return wanted
