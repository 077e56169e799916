"""Benchmark of the demo town's build (``twin demo``), step by step, against naive baselines in the same process.

    .venv/bin/python bench/bench_demo.py [--seed 51] [--keep DIR]

1. the whole build (``build_new_town``): generating and writing the source files, then each import through
   the import service, then ``finish``; the imports summed by what they hold;
2. the buildings' lots and footprints of the house blocks (vectorised shapely per block) against a Python
   loop of scalar shapely calls per lot (box, cut by the block, inset, cut by the lot), on the same blocks;
3. the link-speed CSV (one row per road link and 5 minutes: ~170k rows) written with numpy time formatting and
   pandas against ``csv.writer`` row by row with ``datetime`` formatting per row;
4. the vehicle samples (~1M rows) into DuckDB as one Arrow table (what the store's writer does) against
   ``executemany`` row by row on the first ``--rows`` rows, extrapolated linearly (and said so).
Prints the times and the ratios.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import pathlib
import sys
import tempfile
import time

import numpy as np
import shapely

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from twin_datasets.new_town import buildings, build_new_town, plan, sources  # noqa: E402
from twin_datasets.new_town import traffic  # noqa: E402


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def naive_small_lots(poly, rng: np.random.Generator, lot_w: float, lot_d: float, major) -> list:
    """The same job for one block with scalar shapely calls in a Python loop per lot (the baseline): the lot,
    whether it faces a main road (a shop-house), the house cut by its inset lot, and an annex clear of it."""
    x0, y0, x1, y1 = poly.bounds
    nx, ny = max(int((x1 - x0) // lot_w), 1), max(int((y1 - y0) // lot_d), 1)
    w, d = (x1 - x0) / nx, (y1 - y0) / ny
    out = []
    for i in range(nx):
        for j in range(ny):
            cell = shapely.box(x0 + i * w, y0 + j * d, x0 + (i + 1) * w, y0 + (j + 1) * d)
            lot = cell.intersection(poly)
            if lot.area < 0.6 * w * d:
                continue
            shop = lot.distance(major) < 18.0 and rng.random() < 0.8
            bw, bd = w * rng.uniform(0.6, 0.78), d * rng.uniform(0.55, 0.7)
            cx, cy = cell.centroid.x, cell.centroid.y
            house = shapely.box(cx - bw / 2, cy - bd / 2, cx + bw / 2, cy + bd / 2).intersection(lot.buffer(-1.2))
            if house.area > 45.0:
                out.append((house, "근린생활시설" if shop else "단독주택"))
                annex = shapely.box(x0 + i * w + 1, y0 + j * d + 1, x0 + i * w + 5.5, y0 + j * d + 5)
                if rng.random() < 0.2 and annex.within(lot) and not annex.intersects(house.buffer(0.8)):
                    out.append((annex, "부속건축물"))
    return out


def naive_link_csv(path: pathlib.Path) -> int:
    """The link-speed CSV written row by row (the baseline)."""
    import pyarrow.parquet as pq

    table = pq.read_table(traffic.LINK_SPEEDS).to_pylist()
    day = dt.datetime(sources.DAY.year, sources.DAY.month, sources.DAY.day)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["link_id", "수집일시", "평균속도", "교통량", "측정여부"])
        for row in table:
            when = (day + dt.timedelta(seconds=row["begin_s"])).strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([row["link_id"], when, row["speed_kmh"], row["volume"], "Y" if row["observed"] else "N"])
    return len(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=51)
    parser.add_argument("--keep", help="build into this folder (default: a temporary one)")
    parser.add_argument("--rows", type=int, default=5000, help="rows inserted one by one for the baseline of 4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        folder = pathlib.Path(args.keep or tmp)
        timings: dict = {}
        t_total, _ = timed(build_new_town, folder / "demo.twin.duckdb", seed=args.seed, overwrite=True, timings=timings)
        print(f"demo build: {t_total:.2f} s in total (seed {args.seed})")
        generate = timings.pop("generate and write sources")
        finish = timings.pop("finish")
        print(f"  generate and write {len(sources.FILES)} source files: {generate:.2f} s")
        print(f"  import {len(timings)} files through the import service: {sum(timings.values()):.2f} s")
        for name, seconds in sorted(timings.items(), key=lambda kv: -kv[1])[:6]:
            print(f"    {name}: {seconds:.2f} s")
        print(f"    the other {len(timings) - 6}: {sum(sorted(timings.values())[:-6]):.2f} s")
        print(f"  finish: {finish:.3f} s")

        blocks = plan.blocks()
        mask = blocks.use == "houses"
        houses = blocks.geometry[mask]
        major = shapely.union_all(plan.road_links().geometry[plan.road_links().rank != "국지도로"])
        rng = np.random.default_rng(1)
        t_vec, (chunk, _) = timed(buildings.small_lots, houses, blocks.stage[mask], rng, old=False, major=major)
        count = len(chunk.geometry)
        t_naive, naive = timed(lambda: [naive_small_lots(p, rng, 14.0, 18.5, major) for p in houses])
        print(f"house lots and footprints, {len(houses)} blocks: vectorised {t_vec:.3f} s ({count} buildings with "
              f"uses, storeys, annexes), naive loop of scalar shapely calls per lot {t_naive:.3f} s "
              f"({sum(map(len, naive))} buildings): {t_naive / t_vec:.1f}x")

        t_fast, _ = timed(sources._link_speeds_csv, folder / "fast.csv")
        t_slow, rows = timed(naive_link_csv, folder / "slow.csv")
        print(f"link-speed CSV, {rows:,} rows: numpy + pandas {t_fast:.2f} s, csv.writer row by row {t_slow:.2f} s: "
              f"{t_slow / t_fast:.1f}x")

        import duckdb
        import pyarrow.parquet as pq

        samples = pq.read_table(traffic.VEHICLES)
        con = duckdb.connect(str(folder / "insert.duckdb"))
        con.register("incoming", samples)
        t_arrow, _ = timed(con.execute, "CREATE TABLE fast AS SELECT * FROM incoming")
        con.execute("CREATE TABLE slow AS SELECT * FROM incoming LIMIT 0")
        rows = samples.slice(0, args.rows).to_pylist()
        values = [tuple(r.values()) for r in rows]
        t_rows, _ = timed(con.executemany, "INSERT INTO slow VALUES (?, ?, ?, ?, ?, ?, ?)", values)
        scale = samples.num_rows / len(values)
        con.close()
        print(f"vehicle samples into DuckDB, {samples.num_rows:,} rows: one Arrow table {t_arrow:.2f} s, executemany "
              f"row by row {t_rows:.2f} s for {len(values):,} -> {t_rows * scale:.0f} s for all (extrapolated): "
              f"{t_rows * scale / t_arrow:.0f}x")


if __name__ == "__main__":
    main()
