"""``python -m twin_datasets.new_town OUT.twin.duckdb [--seed N] [--overwrite]``: build the demo town."""

from __future__ import annotations

import argparse
import sys
import time

from twin_datasets.new_town import DEFAULT_SEED, build_new_town, sources_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin_datasets.new_town",
                                     description="Build the demo town 미호누리 (EPSG:5186) as a project.")
    parser.add_argument("project", help="project file to create, e.g. mihonuri.twin.duckdb")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing project")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        path = build_new_town(args.project, seed=args.seed, overwrite=args.overwrite)
    except FileExistsError as exc:
        print(f"new_town: error: {exc}", file=sys.stderr)
        return 1
    print(f"built {path} in {time.perf_counter() - start:.1f} s (sources in {sources_folder(path)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
