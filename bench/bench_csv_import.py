"""Benchmark of the CSV points importer on a 1M-row Korean facility CSV, against a csv.reader row loop.

    .venv/bin/python bench/bench_csv_import.py [--rows 1000000] [--encoding utf-8|cp949] [--keep]

Generates ``bench/out/facilities_<rows>_<encoding>.csv`` (kept between runs): an ID with leading
zeros, Korean names and types, an ISO date, 위도/경도 with the usual faults (0.1 % swapped, 0.05 %
empty, 0.01 % typos such as 172 for 127) and a "합계" total row at the end. Then, in one process:

1. ``read_csv_points`` (decode, pyarrow parse, detection, coordinate checks, types, WKB);
2. the same through ``import_file`` into a new project (reprojection, DuckDB write, R-tree);
3. the naive baseline: ``csv.reader`` over the decoded text, a Python loop per row doing the same
   checks (float(), ranges, swapped, total row) and packing a WKB point per row.
Prints times, rows/s, MB/s, the ratio, and the RSS growth of step 1.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import pathlib
import struct
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twin.io.service import import_file  # noqa: E402
from twin.io.options import ImportOptions  # noqa: E402
from twin.store.project import Project  # noqa: E402
from twin_plugins.formats.csv_points import read_csv_points  # noqa: E402

TYPES = np.array(["CCTV", "IoT센서", "가로등", "버스정류장", "어린이보호구역", "무인단속카메라"])
DISTRICTS = np.array(["세종시 한솔동", "세종시 새롬동", "세종시 다정동", "화성시 동탄1동", "성남시 판교동", "수원시 광교동"])


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def generate(path: pathlib.Path, rows: int, encoding: str, seed: int = 5) -> None:
    """Write the benchmark CSV with numpy string operations (a few seconds for 1M rows)."""
    rng = np.random.default_rng(seed)
    lat = np.round(36.3 + rng.uniform(0, 1.0, rows), 7)
    lon = np.round(126.9 + rng.uniform(0, 0.5, rows), 7)
    lat_s, lon_s = lat.astype(str).astype(object), lon.astype(str).astype(object)
    swapped = rng.random(rows) < 0.001
    lat_s[swapped], lon_s[swapped] = lon_s[swapped], lat_s[swapped]
    empty = rng.random(rows) < 0.0005
    lat_s[empty], lon_s[empty] = "", ""
    typo = rng.random(rows) < 0.0001
    lon_s[typo] = (lon[typo] + 45).astype(str)
    ids = np.char.zfill(np.arange(1, rows + 1).astype(str), 8).astype(object)
    kind = TYPES[rng.integers(0, len(TYPES), rows)].astype(object)
    place = DISTRICTS[rng.integers(0, len(DISTRICTS), rows)].astype(object)
    names = place + " " + kind + " " + np.arange(1, rows + 1).astype(str).astype(object) + "호"
    day = (np.datetime64("2015-01-01") + rng.integers(0, 3000, rows)).astype(str).astype(object)
    count = rng.integers(0, 8, rows).astype(str).astype(object)
    lines = ids + "," + names + "," + kind + "," + day + "," + lat_s + "," + lon_s + "," + count + ",\n"
    header = "관리번호,시설명,시설유형,설치일자,위도,경도,카메라대수,비고\n"
    text = header + "".join(lines.tolist()) + f"합계,,,,,,{int(count.astype(int).sum())},\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def naive(path: pathlib.Path, encoding: str) -> tuple[int, int]:
    """csv.reader and a Python loop per row: what a straightforward importer does."""
    text = path.read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    ilat, ilon = header.index("위도"), header.index("경도")
    good, bad = [], []
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        try:
            lat, lon = float(row[ilat]), float(row[ilon])
        except ValueError:
            bad.append((line, "summary row" if row[0] == "합계" else "missing or not a number"))
            continue
        if 33 <= lon <= 39 and 124 <= lat <= 132:
            bad.append((line, "swapped"))
        elif not (124 <= lon <= 132 and 33 <= lat <= 39):
            bad.append((line, "out of range"))
        else:
            good.append((row, struct.pack("<BIdd", 1, 1, lon, lat)))
    return len(good), len(bad)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", default="utf-8", choices=("utf-8", "cp949"))
    args = parser.parse_args()
    path = ROOT / "bench" / "out" / f"facilities_{args.rows}_{args.encoding}.csv"
    if not path.exists():
        t, _ = timed(generate, path, args.rows, args.encoding)
        print(f"generated {path.name} in {t:.1f} s")
    mb = path.stat().st_size / 2**20
    print(f"file: {path.name}, {mb:.1f} MB, {args.rows:,} rows + header + total row, {args.encoding}")
    before = rss_mb()
    t_ours, layer = timed(read_csv_points, path, ImportOptions())
    grown = rss_mb() - before
    report = layer.report
    print(f"read_csv_points: {t_ours:.2f} s, {report.imported / t_ours:,.0f} rows/s, {mb / t_ours:.1f} MB/s; "
          f"imported {report.imported:,}, skipped {len(report.skipped):,}; RSS growth {grown:.0f} MB "
          f"({grown / mb:.1f}x the file)")
    for reason, places in report.skipped_by_reason().items():
        print(f"  skipped {len(places):,}: {reason} (first: {places[0]})")
    del layer
    with tempfile.TemporaryDirectory() as tmp:
        with Project.open(pathlib.Path(tmp) / "bench.twin.duckdb", create=True) as project:
            t_import, _ = timed(import_file, project, path, ImportOptions(), importer="csv-points")
    print(f"import_file into a new project (read + reproject + DuckDB + R-tree): {t_import:.2f} s, "
          f"{args.rows / t_import:,.0f} rows/s")
    t_naive, (good, bad) = timed(naive, path, args.encoding)
    print(f"naive csv.reader row loop: {t_naive:.2f} s ({good:,} kept, {bad:,} bad), "
          f"ratio {t_naive / t_ours:.1f}x slower than read_csv_points")


if __name__ == "__main__":
    main()
