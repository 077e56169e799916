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
