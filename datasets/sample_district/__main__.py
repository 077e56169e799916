"""``python -m twin_datasets.sample_district OUT.twin.duckdb``: build the sample district project."""

from __future__ import annotations

import argparse
import sys
import time

from twin_datasets.sample_district import build_sample_project, sources_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin_datasets.sample_district",
                                     description="Build the sample district (Sejong, EPSG:5186) as a project.")
    parser.add_argument("project", help="project file to create, e.g. sample.twin.duckdb")
    parser.add_argument("--seed", type=int, default=51, help="random seed (default 51)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing project")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        path = build_sample_project(args.project, seed=args.seed, overwrite=args.overwrite)
    except FileExistsError as exc:
        print(f"sample_district: error: {exc}", file=sys.stderr)
        return 1
    print(f"built {path} in {time.perf_counter() - start:.1f} s (sources in {sources_folder(path)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
