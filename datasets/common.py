"""What the generated data sets share: moving geometries into the project CRS, replacing a project file, the
``python -m`` command that builds one."""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
from collections.abc import Callable

import numpy as np
import shapely


def move_xy(geometries, to_project: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Geometries with ``to_project`` ((n, 2) -> (n, 2)) applied to their x, y, z kept where they have one."""
    def move(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        out[:, :2] = to_project(coords[:, :2])
        return out

    geometries = np.asarray(geometries, dtype=object)
    has_z = shapely.has_z(geometries)
    out = geometries.copy()
    for mask, z in ((has_z, True), (~has_z, False)):
        if mask.any():
            out[mask] = shapely.transform(geometries[mask], move, include_z=z)
    return out


def clear_project(path: str | pathlib.Path, *, overwrite: bool) -> pathlib.Path:
    """``path`` ready to be created: refused (FileExistsError) when it exists and not ``overwrite``, else removed
    with its write-ahead log."""
    path = pathlib.Path(path)
    if path.exists():
        if not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True (or --overwrite) to rebuild it")
        path.unlink()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    return path


def build_command(name: str, description: str, example: str, default_seed: int,
                  build: Callable[..., pathlib.Path], sources: Callable[[pathlib.Path], pathlib.Path],
                  argv: list[str] | None = None) -> int:
    """``python -m twin_datasets.NAME OUT.twin.duckdb [--seed N] [--overwrite]``: build a data set as a project."""
    parser = argparse.ArgumentParser(prog=f"python -m twin_datasets.{name}", description=description)
    parser.add_argument("project", help=f"project file to create, e.g. {example}")
    parser.add_argument("--seed", type=int, default=default_seed, help=f"random seed (default {default_seed})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing project")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        path = build(args.project, seed=args.seed, overwrite=args.overwrite)
    except FileExistsError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 1
    print(f"built {path} in {time.perf_counter() - start:.1f} s (sources in {sources(path)})", file=sys.stderr)
    return 0
