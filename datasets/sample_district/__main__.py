"""``python -m twin_datasets.sample_district OUT.twin.duckdb``: build the sample district project."""

from __future__ import annotations

import sys

from twin_datasets.common import build_command
from twin_datasets.sample_district import build_sample_project, sources_folder


def main(argv: list[str] | None = None) -> int:
    return build_command("sample_district", "Build the sample district (Sejong, EPSG:5186) as a project.",
                         "sample.twin.duckdb", 51, build_sample_project, sources_folder, argv)


if __name__ == "__main__":
    sys.exit(main())
