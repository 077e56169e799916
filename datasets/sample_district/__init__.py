"""The sample district: a small planned new town in Sejong (EPSG:5186), generated deterministically.

A few hundred buildings with storeys (apartment complexes, houses, shops, two landmark towers,
schools, a civic block), road links, parks, water mains at their depth, and smart-city facilities
(CCTV with view direction, bus stops, a police box and a fire station, IoT sensors). The source
files are written first and then imported through the real importers, each layer with its stage
and service::

    python -m twin_datasets.sample_district sample.twin.duckdb

The place names are real Sejong names; the plan itself is invented.
"""

from __future__ import annotations

import pathlib

from twin_datasets.common import clear_project
from twin_datasets.sample_district.sources import FILES, write_sources

__all__ = ["FILES", "build_sample_project", "sources_folder", "write_sources"]


def sources_folder(project_path: str | pathlib.Path) -> pathlib.Path:
    """Where the source files of a sample project go: ``NAME_sources/`` beside ``NAME.twin.duckdb``."""
    path = pathlib.Path(project_path)
    stem = path.name.removesuffix(".twin.duckdb").removesuffix(".duckdb")
    return path.with_name(f"{stem}_sources")


def build_sample_project(path: str | pathlib.Path, *, seed: int = 51, overwrite: bool = False) -> pathlib.Path:
    """Write the district's source files beside ``path`` and import them into a new project there.

    Refuses an existing project unless ``overwrite``. Returns the project path.
    """
    from twin.io.service import import_file
    from twin.io.options import ImportOptions
    from twin.store.project import Project

    path = clear_project(path, overwrite=overwrite)
    paths = write_sources(sources_folder(path), seed=seed)
    with Project.open(path, create=True, crs="EPSG:5186") as project:
        for name, (layer, stage, service) in FILES.items():
            importer = "csv-points" if name.endswith(".csv") else None
            options = ImportOptions(layer=layer, stage=stage, service=service)
            import_file(project, paths[name], options, importer=importer)
    return path
