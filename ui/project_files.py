"""Project files from the window: file-dialog filters and opening, creating and copying projects through
:class:`twin.model.session.Session` (a project is one DuckDB file; the store checks what it opens)."""

from __future__ import annotations

import pathlib

from twin.model.session import PROJECT_SUFFIX, Session, with_project_suffix
from twin.plugins.registry import registry

PROJECT_FILTER = f"Smart City Twin projects (*{PROJECT_SUFFIX});;DuckDB files (*.duckdb *.db);;All files (*)"

__all__ = ["PROJECT_FILTER", "import_filter", "importable", "open_session", "with_project_suffix"]


def import_filter() -> str:
    """File dialog filter of every file pattern the enabled importers declare."""
    rows = []
    every: list[str] = []
    for contribution in registry.contributions("importers"):
        patterns = [p for p in contribution.fields.get("patterns", []) if p not in every]
        every.extend(patterns)
        if contribution.fields.get("patterns"):
            rows.append(f"{contribution.title} ({' '.join(contribution.fields['patterns'])})")
    dataset = "twin-dataset.json"  # a partitioned dataset: its manifest names the folder (docs/datasets.md)
    rows.append(f"Partitioned dataset ({dataset})")
    head = f"All importable files ({' '.join([*every, dataset])})"
    return ";;".join([head, *rows, "All files (*)"])


def importable(path: str | pathlib.Path) -> bool:
    """True when some enabled importer declares a pattern matching the file name."""
    return bool(registry.importers_for(path))


def open_session(path: str | pathlib.Path, *, create: bool = False) -> Session:
    """Open (or create) a project file; :class:`ProjectError` with one clear line when it cannot. The window
    holds it read-only between its writes, so ``twin info`` and other readers work while it is open."""
    return Session.open(pathlib.Path(path), create=create, shared=True)
