"""Cost of `twin batch buildings` vs data size (1x, 4x, 16x) and workers (1, 2), against `twin import`.

Generated district (rectangles with heights/storeys, EPSG:5186, GeoPackage); the baseline is the
single-process import of the same file into a fresh project (read, extrude, write into DuckDB).
Prints buildings/s, peak RSS per worker process, output size and the ratio against the baseline.

    .venv/bin/python bench/bench_batch.py [--base 20000] [--sizes 1,4,16] [--workers 1,2] [--skip-import-over 320000]
"""

from __future__ import annotations

import argparse
import pathlib
import multiprocessing
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from twin.batch.buildings import batch_buildings  # noqa: E402
from twin.batch.cluster import open_client  # noqa: E402
from twin.batch.synthetic import write_district  # noqa: E402
from twin.io.options import ImportOptions  # noqa: E402
from twin.io.service import import_file  # noqa: E402
from twin.store.project import Project  # noqa: E402


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would include the parent's memory from before exec)."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _size(path: pathlib.Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def run_batch(src: pathlib.Path, out: pathlib.Path, workers: int, chunk_rows: int) -> dict:
    with open_client(workers=workers, processes=True) as client:
        t0 = time.perf_counter()
        result = batch_buildings(client, [src], out, crs="EPSG:5186", chunk_rows=chunk_rows)
        seconds = time.perf_counter() - t0
        peaks = client.run(_peak_mb)
    return {"seconds": seconds, "n": result.manifest["feature_count"], "files": len(result.manifest["partitions"]),
            "peak_mb": max(peaks.values()), "out_mb": _size(out)}


def run_import(src: pathlib.Path, folder: pathlib.Path) -> dict:
    """The baseline in a fresh process (its peak memory is its own)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_import, (src, folder))


def _import(src: pathlib.Path, folder: pathlib.Path) -> dict:
    t0 = time.perf_counter()
    project = Project.open(folder / "base.twin.duckdb", create=True, crs="EPSG:5186")
    outcome = import_file(project, src, ImportOptions())
    seconds = time.perf_counter() - t0
    n = outcome.layers[0].feature_count
    project.close() if hasattr(project, "close") else None
    return {"seconds": seconds, "n": n, "out_mb": (folder / "base.twin.duckdb").stat().st_size / 1e6,
            "peak_mb": _peak_mb()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=20_000)
    ap.add_argument("--sizes", default="1,4,16")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--chunk-rows", type=int, default=20_000)
    ap.add_argument("--skip-import-over", type=int, default=10**9, help="no baseline above this many buildings")
    args = ap.parse_args()
    free = shutil.disk_usage(tempfile.gettempdir()).free / 1e9
    print(f"free disk in {tempfile.gettempdir()}: {free:.0f} GB")
    if free < 5:
        sys.exit("less than 5 GB free: not running")
    sizes = [int(s) for s in args.sizes.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        tmp = pathlib.Path(tmp)
        print(f"{'buildings':>10} {'workers':>7} {'batch s':>8} {'bld/s':>8} {'peak MB/worker':>14} {'files':>6} "
              f"{'out MB':>7} | {'import s':>8} {'bld/s':>8} {'peak MB':>8} {'project MB':>10} | {'speed-up':>8}")
        for size in sizes:
            n = args.base * size
            src = write_district(tmp / f"d{n}.gpkg", n, seed=size)
            base = None
            if n <= args.skip_import_over:
                folder = tmp / f"import{n}"
                folder.mkdir()
                base = run_import(src, folder)
                shutil.rmtree(folder)
            for w in workers:
                r = run_batch(src, tmp / f"out{n}_{w}", w, args.chunk_rows)
                shutil.rmtree(tmp / f"out{n}_{w}")
                line = (f"{r['n']:>10} {w:>7} {r['seconds']:>8.1f} {r['n'] / r['seconds']:>8.0f} {r['peak_mb']:>14.0f} "
                        f"{r['files']:>6} {r['out_mb']:>7.1f} | ")
                if base:
                    line += (f"{base['seconds']:>8.1f} {base['n'] / base['seconds']:>8.0f} {base['peak_mb']:>8.0f} {base['out_mb']:>10.1f} | "
                             f"{base['seconds'] / r['seconds']:>7.2f}x")
                print(line, flush=True)
            src.unlink()


if __name__ == "__main__":
    main()
