"""Project files from the window: file dialogs filters, opening, creating and Save As (a project is
one DuckDB file, so Save As checkpoints it and copies the file)."""

from __future__ import annotations

import pathlib
import shutil

from twin.errors import ProjectError
from twin.plugins.registry import registry
from twin.store.project import PROJECT_SUFFIX, Project

PROJECT_FILTER = f"Smart City Twin projects (*{PROJECT_SUFFIX});;DuckDB files (*.duckdb *.db);;All files (*)"


def with_project_suffix(path: str | pathlib.Path) -> pathlib.Path:
    """``city`` -> ``city.twin.duckdb``; names that already end in ``.duckdb`` are kept."""
    path = pathlib.Path(path)
    if path.name.endswith(".duckdb") or path.suffix.lower() == ".db":
        return path
    return path.with_name(path.name + PROJECT_SUFFIX)


def import_filter() -> str:
    """File dialog filter of every file pattern the enabled importers declare."""
    rows = []
    every: list[str] = []
    for contribution in registry.contributions("importers"):
        patterns = [p for p in contribution.fields.get("patterns", []) if p not in every]
        every.extend(patterns)
        if contribution.fields.get("patterns"):
            rows.append(f"{contribution.title} ({' '.join(contribution.fields['patterns'])})")
    head = f"All importable files ({' '.join(every)})" if every else "All files (*)"
    return ";;".join([head, *rows, "All files (*)"])


def importable(path: str | pathlib.Path) -> bool:
    """True when some enabled importer declares a pattern matching the file name."""
    return bool(registry.importers_for(path))


def save_project_as(project: Project, target: str | pathlib.Path) -> pathlib.Path:
    """Write a copy of ``project`` to ``target`` (checkpointed first, so the copy is complete)."""
    target = with_project_suffix(target)
    if project.path is not None and target.resolve() == project.path.resolve():
        raise ProjectError(f"{target}: this is the open project; choose another file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    with project.lock:
        if project.path is not None:
            project.con.execute("CHECKPOINT")
            shutil.copyfile(project.path, tmp)
        else:  # an in-memory project: let DuckDB write the copy
            tmp.unlink(missing_ok=True)
            project.con.execute(f"ATTACH '{tmp.as_posix()}' AS twin_copy")
            try:
                project.con.execute("COPY FROM DATABASE memory TO twin_copy")
            finally:
                project.con.execute("DETACH twin_copy")
    tmp.replace(target)
    return target


def open_project(path: str | pathlib.Path, *, create: bool = False) -> Project:
    """Open (or create) a project file; :class:`ProjectError` with one clear line when it cannot."""
    path = pathlib.Path(path)
    if path.exists() and not create and path.is_file():
        with open(path, "rb") as fh:
            head = fh.read(16)
        if len(head) >= 12 and head[8:12] != b"DUCK":
            raise ProjectError(f"{path}: not a DuckDB file, so not a Smart City Twin project")
    return Project.open(path, create=create)
