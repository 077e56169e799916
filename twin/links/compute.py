"""Running the linkers that plugins contribute (``[[linkers]]``) and storing what they find.

A linker is ``link(project: ProjectReader) -> pyarrow.Table | None``: the links it finds between the
project's layers (the columns of :data:`twin.store.links.LINK_SCHEMA`: relation, from/to layer name and
fid, distance, travel time, active span, route WKB, JSON properties), or ``None`` when the project lacks
the layers it needs. :func:`compute_links` runs them in the order their ``after`` keys ask for and replaces
each one's links in one transaction; a linker that fails is reported and the others still run.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from twin.errors import TwinError
from twin.plugins.registry import PluginError, PluginRegistry, registry as default_registry
from twin.store.links import write_links
from twin.store.project import Project
from twin.store.reader import ProjectReader

log = logging.getLogger(__name__)


@dataclasses.dataclass
class LinkerRun:
    """What one linker did: links written (or why none), and how long it took."""

    linker: str
    title: str
    links: int = 0
    seconds: float = 0.0
    skipped: str | None = None  # the project lacks what it needs
    error: str | None = None


def linkers(registry: PluginRegistry | None = None) -> list:
    """The linker contributions of the enabled plugins, ordered so that each runs after those it names in
    ``after`` (e.g. the detectors on a route after the routes)."""
    items = (registry or default_registry).contributions("linkers")
    by_id = {c.id: c for c in items}
    ordered, seen = [], set()

    def visit(c, path=()) -> None:
        if c.id in seen or c.id in path:
            return
        for dep in c.fields.get("after", []):
            if dep in by_id:
                visit(by_id[dep], (*path, c.id))
        seen.add(c.id)
        ordered.append(c)

    for c in items:
        visit(c)
    return ordered


def compute_links(project: Project, *, only: list[str] | None = None, registry: PluginRegistry | None = None,
                  progress=None) -> list[LinkerRun]:
    """Run the linkers (``only`` these ids) on ``project`` and store their links; returns one run per linker."""
    reg = registry or default_registry
    reader = ProjectReader(project)
    chosen = [c for c in linkers(reg) if only is None or c.id in only]
    if only:
        known = {c.id for c in linkers(reg)}
        missing = [name for name in only if name not in known]
        if missing:
            raise TwinError(f"no linker {missing[0]!r} (linkers: {', '.join(sorted(known)) or 'none'})")
    runs = []
    for k, contribution in enumerate(chosen):
        run = LinkerRun(contribution.id, contribution.title)
        start = time.perf_counter()
        if progress is not None:
            progress(k / max(len(chosen), 1), contribution.title)
        try:
            table = reg.call(contribution, reader)
            if table is None:
                run.skipped = "the project lacks the layers it needs"
            else:
                run.links = write_links(project, contribution.id, table)
        except (TwinError, PluginError) as exc:
            run.error = str(exc)
            log.warning("linker %s failed: %s", contribution.id, exc)
        run.seconds = time.perf_counter() - start
        runs.append(run)
    if progress is not None:
        progress(1.0, "links stored")
    return runs
