"""The two steps of an import from the window, each run on a worker thread:

1. :func:`read_job` reads the file with its importer (nothing touches the project) and describes what
   was detected, so the dialog can show it before anything is written;
2. :func:`write_job` writes the data already read (never reading the file twice) in one transaction.

The project's DuckDB connection is shared, so the write goes through :func:`twin.store.writer.write_layers`,
which holds ``project.lock`` for the whole transaction; the GUI thread does not touch the project while
an import is being written.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

from twin.io.importing import layer_names, read_file, sha256_of
from twin.layerdata import LayerData
from twin.io.options import ImportOptions
from twin.plugins.manifest import Contribution
from twin.store.project import LayerInfo, Project
from twin.store.writer import describe, write_layers
from twin_ui.workers import Task


@dataclasses.dataclass
class ReadResult:
    """A file read into memory, ready to be written."""

    path: pathlib.Path
    importer: Contribution
    datas: list[LayerData]
    options: ImportOptions

    @property
    def feature_count(self) -> int:
        return sum(d.feature_count if d.feature_count is not None else d.features.num_rows for d in self.datas)

    @property
    def skipped_count(self) -> int:
        return sum(len(d.report.skipped) for d in self.datas)

    def detected(self) -> dict[str, Any]:
        """What the importer detected, merged over the file's layers (format first)."""
        out: dict[str, Any] = {"format": self.importer.title, "importer": self.importer.id}
        for data in self.datas:
            for key, value in describe(data).items():
                if key not in out:
                    out[key] = value
                elif out[key] != value and key == "rows":
                    out[key] = out[key] + value
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


@dataclasses.dataclass
class WriteResult:
    """Layers written by an import and the reports of the read."""

    layers: list[LayerInfo]
    reports: list


def read_job(task: Task, path: pathlib.Path, options: ImportOptions) -> ReadResult:
    """Read ``path`` with the chosen importer; progress and cancel come from the task."""
    options = dataclasses.replace(options, progress=task.progress, cancelled=task.cancelled)
    contribution, datas = read_file(path, options)
    return ReadResult(path=path, importer=contribution, datas=datas, options=options)


def write_job(task: Task, project: Project, read: ReadResult, *, name: str | None,
              stage: int | None, service: str | None) -> WriteResult:
    """Write what :func:`read_job` returned into ``project`` (one transaction for all its layers)."""
    task.progress(0.0, "hashing the source file")
    digest = sha256_of(read.path) if read.path.is_file() else None
    if task.cancelled():
        from twin.errors import ImportCancelled

        raise ImportCancelled("import cancelled; the project is unchanged")
    names = layer_names(project, read.path, read.datas, name or None)
    task.progress(0.3, "writing to the project")
    layers = write_layers(project, list(zip(read.datas, names)), stage=stage, service=service or None,
                          source_file=str(read.path.resolve()), source_sha256=digest)
    task.progress(1.0, "done")
    return WriteResult(layers=layers, reports=[d.report for d in read.datas])


def default_layer_name(path: pathlib.Path) -> str:
    """The layer name the CLI would choose for ``path`` (the file name without its format suffix)."""
    return layer_names(_NoLayers(), path, [None], None)[0]  # type: ignore[list-item]


class _NoLayers:
    """A stand-in project with no layers, to ask :func:`layer_names` for the plain default name."""

    @staticmethod
    def unique_layer_name(wanted: str) -> str:
        return wanted
