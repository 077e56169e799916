"""Build the demo project: write the town's source files beside it, then import each through the one
import path (``Session.open(...).imports.plan(...)`` / ``.write(...)``) so the real importers read real
files; give every layer its stage, service and role; :func:`finish` computes the links and stores the tour.
"""

from __future__ import annotations

import pathlib
import time
from typing import Callable

from twin_datasets.common import clear_project
from twin_datasets.new_town.sources import FILES, TIMEZONE, write_sources

DEFAULT_SEED = 51
Progress = Callable[[float, str], None]


def sources_folder(project_path: str | pathlib.Path) -> pathlib.Path:
    """Where the source files of a demo project go: ``NAME_sources/`` beside ``NAME.twin.duckdb``."""
    path = pathlib.Path(project_path)
    stem = path.name.removesuffix(".twin.duckdb").removesuffix(".duckdb")
    return path.with_name(f"{stem}_sources")


def finish(session) -> dict:
    """The last step of the build, on the open session with every layer imported: the links between layers
    (an incident and the cameras that see it, an excavation and the gas mains near it) and the built-in tour
    (:mod:`twin_datasets.new_town.story`). Returns what it made."""
    from twin_datasets.new_town.story import tell

    return tell(session)


def build_new_town(path: str | pathlib.Path, *, seed: int = DEFAULT_SEED, overwrite: bool = False,
                   progress: Progress | None = None, timings: dict | None = None) -> pathlib.Path:
    """Write the town's source files beside ``path`` and import them into a new project there.

    Refuses an existing project unless ``overwrite``. ``timings`` (a dict) receives the seconds of each
    step (``generate and write sources``, then one entry per layer, ``finish``). Returns the project path.
    """
    from twin.io.options import ImportOptions
    from twin.model.session import Session

    report = progress or (lambda fraction, message: None)
    steps = timings if timings is not None else {}
    path = clear_project(path, overwrite=overwrite)
    started = time.perf_counter()
    report(0.0, "generating the town")
    folder = sources_folder(path)
    write_sources(folder, seed=seed)
    steps["generate and write sources"] = time.perf_counter() - started
    with Session.open(path, create=True, crs="EPSG:5186") as session:
        session.project.set_meta("timezone", TIMEZONE)
        for k, source in enumerate(FILES):
            t0 = time.perf_counter()
            report(0.1 + 0.85 * k / len(FILES), f"importing {source.file}")
            options = ImportOptions(layer=source.layer, stage=source.stage, service=source.service, crs=source.crs,
                                    timezone=TIMEZONE, extra=dict(source.extra))
            plan = session.imports.plan(folder / source.file, options, importer=source.importer)
            outcome = session.imports.write(plan, name=source.layer, stage=source.stage, service=source.service)
            for layer in outcome.layers:
                properties = {**layer.properties, "role": source.role, "demo": "new_town"}
                if source.join:
                    properties["join"] = {**properties.get("join", {}), "layer": source.join}
                session.project.set_properties(layer.name, properties)
                if source.style:
                    session.project.set_style(layer.name, {**layer.style, **dict(source.style)})
            steps[source.layer] = time.perf_counter() - t0
        t0 = time.perf_counter()
        finish(session)
        steps["finish"] = time.perf_counter() - t0
        session.save()
    report(1.0, "done")
    return path
