"""``python -m twin_datasets.new_town OUT.twin.duckdb [--seed N] [--overwrite]``: build the demo town."""

from __future__ import annotations

import sys

from twin_datasets.common import build_command
from twin_datasets.new_town import DEFAULT_SEED, build_new_town, sources_folder


def main(argv: list[str] | None = None) -> int:
    return build_command("new_town", "Build the demo town 미호누리 (EPSG:5186) as a project.", "mihonuri.twin.duckdb",
                         DEFAULT_SEED, build_new_town, sources_folder, argv)


if __name__ == "__main__":
    sys.exit(main())
