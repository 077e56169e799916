"""The two steps of an import from the window, each run on a worker thread through the core's
:class:`twin.io.service.ImportService` (the same path as ``twin import``):

1. :func:`read_job` plans the import (reads the file; nothing touches the project), so the dialog can
   show what was detected before anything is written;
2. :func:`write_job` writes the plan (never reading the file twice) in one transaction.
"""

from __future__ import annotations

import pathlib

from twin.io.options import ImportOptions
from twin.io.service import ImportOutcome, ImportPlan, ImportService
from twin_ui.workers import Task


def read_job(task: Task, service: ImportService, path: pathlib.Path, options: ImportOptions) -> ImportPlan:
    """Plan the import of ``path``; progress and cancel come from the task."""
    import dataclasses

    options = dataclasses.replace(options, progress=task.progress, cancelled=task.cancelled)
    return service.plan(path, options)


def write_job(task: Task, service: ImportService, plan: ImportPlan, *, name: str | None,
              stage: int | None, service_name: str | None) -> ImportOutcome:
    """Write what :func:`read_job` planned (one transaction for all its layers)."""
    return service.write(plan, name=name or None, stage=stage, service=service_name or None,
                         progress=task.progress, cancelled=task.cancelled)


# ----- partitioned datasets (docs/datasets.md): referenced in place, as `twin import PROJECT DATASET_DIR` ----------
def dataset_folder(path: str | pathlib.Path) -> pathlib.Path | None:
    """The dataset folder ``path`` names (the folder, or its ``twin-dataset.json``), else None."""
    from twin.io.dataset_import import dataset_folder as named

    return named(path)


class DatasetReading:
    """A dataset read and checked (:func:`twin.io.dataset_import.plan_dataset`), shown like a file's plan."""

    writable = True
    skipped_count = 0

    def __init__(self, plan) -> None:
        self.plan = plan
        self.feature_count = plan.manifest.feature_count

    def detected(self) -> dict:
        return dict(self.plan.report.detected)

    def summary(self) -> str:
        return self.plan.report.summary()


def read_dataset_job(task: Task, service: ImportService, folder: pathlib.Path, options: ImportOptions) -> DatasetReading:
    """Check a dataset folder (its manifest and every partition's footer); the project is not touched."""
    from twin.io.dataset_import import plan_dataset

    task.progress(0.1, "checking the dataset")
    return DatasetReading(plan_dataset(folder))


def write_dataset_job(task: Task, service: ImportService, reading: DatasetReading, *, name: str | None,
                      stage: int | None, service_name: str | None) -> ImportOutcome:
    """Reference the dataset as one layer (one short transaction, as ``twin import`` does)."""
    from twin.io.dataset_import import write_dataset

    task.progress(0.3, "referencing the dataset")
    layer = write_dataset(service.project, reading.plan, name=name or None, stage=stage,
                          service=service_name or None)
    task.progress(1.0, "done")
    return ImportOutcome(path=reading.plan.folder, importer="dataset", layers=[layer], reports=[reading.plan.report])
