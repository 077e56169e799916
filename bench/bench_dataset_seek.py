"""Seeking in a month-long track dataset, and a district's buildings out of a city's (issue 13, docs/datasets.md).

Generates, in the partitioned dataset format (docs/datasets.md):
- tracks: ``--objects`` objects sampled every ``--every`` seconds for ``--days`` UTC days, one file per day,
  sorted by (t, fid), row groups of ``--row-group`` rows;
- buildings: ``--buildings`` LoD1 boxes spread over a square city in 1 km tiles.
Imports both with ``twin import`` (references, no copy), then times:
- a seek: ``MovingTrack.positions`` at random minutes (median, p95; target < 100 ms), against the same query
  over every file of the month (no partition pruning: the naive baseline), and one full read of the month;
- a district view (2 km x 2 km): choosing its tiles and reading their mesh rows, against reading all tiles.

    .venv/bin/python bench/bench_dataset_seek.py                    # 1,000 objects / 60 s / 30 days, 200k buildings
    .venv/bin/python bench/bench_dataset_seek.py --days 3 --buildings 20000   # a quick run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import shutil
import statistics
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

CRS = "EPSG:5186"
X0, Y0 = 190_000.0, 545_000.0
DAY0 = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
US = 1_000_000


def _iso(us: int) -> str:
    return dt.datetime.fromtimestamp(us / US, dt.timezone.utc).isoformat()


def _manifest(kind: str, columns: dict, parts: list, **fields) -> dict:
    return {"format": "smart-city-twin-dataset", "version": 1, "kind": kind, "crs": CRS,
            "partitioning": "tile" if kind == "buildings" else "date", "columns": columns,
            "sources": [{"path": "generated", "sha256": None, "rows": None}],
            "created_by": "bench/bench_dataset_seek.py", "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "partitions": parts, **fields}


def write_tracks(folder: pathlib.Path, objects: int, every: int, days: int, row_group: int) -> dict:
    rng = np.random.default_rng(7)
    cx, cy = X0 + rng.uniform(0, 10_000, objects), Y0 + rng.uniform(0, 10_000, objects)
    radius, phase = rng.uniform(200, 2_000, objects), rng.uniform(0, 2 * np.pi, objects)
    omega = rng.uniform(5, 15, objects) / radius  # 5-15 m/s
    names = pa.array([f"veh-{i:05d}" for i in range(objects)])
    steps = 86_400 // every
    parts, columns = [], None
    for d in range(days):
        start = int((DAY0 + dt.timedelta(days=d)).timestamp()) * US
        t = np.repeat(start + np.arange(steps, dtype=np.int64) * every * US, objects)
        fid = np.tile(np.arange(objects, dtype=np.int32), steps)
        angle = omega[fid] * (t - int(DAY0.timestamp()) * US) / US + phase[fid]
        x, y = cx[fid] + radius[fid] * np.cos(angle), cy[fid] + radius[fid] * np.sin(angle)
        table = pa.table({"fid": fid, "object_id": names.take(pa.array(fid)),
                          "t": pa.array(t).cast(pa.timestamp("us", tz="UTC")), "x": x, "y": y,
                          "z": np.zeros(len(t)), "speed": (omega * radius)[fid]})
        rel = f"date={(DAY0 + dt.timedelta(days=d)).date().isoformat()}/part-0.parquet"
        (folder / rel).parent.mkdir(parents=True)
        pq.write_table(table, folder / rel, row_group_size=row_group)
        columns = {f.name: str(f.type) for f in table.schema}
        parts.append({"path": rel, "rows": len(t), "bbox": [x.min(), y.min(), x.max(), y.max()],
                      "zrange": [0.0, 0.0], "t_start": _iso(int(t[0])), "t_end": _iso(int(t[-1]))})
    bbox = [min(p["bbox"][0] for p in parts), min(p["bbox"][1] for p in parts),
            max(p["bbox"][2] for p in parts), max(p["bbox"][3] for p in parts)]
    doc = _manifest("moving", columns, parts, feature_count=objects, sample_count=sum(p["rows"] for p in parts),
                    bbox=bbox, zrange=[0.0, 0.0], time_span=[parts[0]["t_start"], parts[-1]["t_end"]])
    (folder / "twin-dataset.json").write_text(json.dumps(doc))
    return doc


def _lists(values, per_row: int, n: int, typ) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32) * per_row), pa.array(values, type=typ))


TRI = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5],
                [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]], dtype=np.int32)
SURF = np.array([1, 1, 3, 3] + [2] * 8, dtype=np.uint8)


def write_buildings(folder: pathlib.Path, count: int, tile: float = 1000.0) -> dict:
    rng = np.random.default_rng(3)
    side = max(1, int(np.ceil(np.sqrt(count / 500.0))))  # about 500 buildings a tile
    x, y = X0 + rng.uniform(0, side * tile, count), Y0 + rng.uniform(0, side * tile, count)
    w, h = rng.uniform(8, 30, count), rng.uniform(6, 60, count)
    ix, iy = np.floor((x + w / 2) / tile).astype(np.int64), np.floor((y + w / 2) / tile).astype(np.int64)
    order = np.lexsort((np.arange(count), iy, ix))
    x, y, w, h, ix, iy = x[order], y[order], w[order], h[order], ix[order], iy[order]
    fid = np.arange(count)
    keys = ix * 1_000_000 + iy
    bounds = np.flatnonzero(np.diff(keys)) + 1
    parts, columns = [], None
    geo = json.dumps({"version": "1.1.0", "primary_column": "geometry",
                      "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon"]}}})
    for rows in np.split(np.arange(count), bounds):
        n = len(rows)
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
        xy = np.stack([x[rows], y[rows]], axis=1)[:, None, :] + corners[None] * w[rows][:, None, None]
        v = np.zeros((n, 8, 3))
        v[:, :4, :2], v[:, 4:, :2], v[:, 4:, 2] = xy, xy, h[rows][:, None]
        table = pa.table({
            "fid": pa.array(fid[rows]), "id": pa.array(fid[rows].astype(str)), "height": h[rows],
            "zmin": np.zeros(n), "storeys": pa.array((h[rows] // 3).astype(np.int32)),
            "vertices": _lists(v.ravel(), 24, n, pa.float64()),
            "triangles": _lists(np.tile(TRI.ravel(), n), 36, n, pa.int32()),
            "surfaces": _lists(np.tile(SURF, n), 12, n, pa.uint8()),
            "geometry": pa.array(shapely.to_wkb(shapely.polygons(xy)), type=pa.binary()),
        }).replace_schema_metadata({"geo": geo})
        rel = f"tile={ix[rows[0]]}_{iy[rows[0]]}/part-0.parquet"
        (folder / rel).parent.mkdir(parents=True)
        pq.write_table(table, folder / rel)
        columns = {f.name: str(f.type) for f in table.schema}
        parts.append({"path": rel, "rows": n, "bbox": [xy[..., 0].min(), xy[..., 1].min(), xy[..., 0].max(),
                                                      xy[..., 1].max()], "zrange": [0.0, float(h[rows].max())],
                      "t_start": None, "t_end": None})
    doc = _manifest("buildings", columns, parts, tile_size_m=tile, feature_count=count, sample_count=0,
                    bbox=[min(p["bbox"][0] for p in parts), min(p["bbox"][1] for p in parts),
                          max(p["bbox"][2] for p in parts), max(p["bbox"][3] for p in parts)],
                    zrange=[0.0, float(h.max())], time_span=None)
    (folder / "twin-dataset.json").write_text(json.dumps(doc))
    return doc


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _stats(ms: list[float]) -> str:
    p95 = float(np.percentile(ms, 95))
    return f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms (n={len(ms)})"


def bench_tracks(args, out: pathlib.Path) -> None:
    from twin.cli.main import main
    from twin.store.project import Project
    from twin.time.slicing import MovingTrack, interpolate

    folder = out / "tracks"
    project = out / "tracks.twin.duckdb"
    if not (args.reuse and project.exists()):
        t0 = time.perf_counter()
        doc = write_tracks(folder, args.objects, args.every, args.days, args.row_group)
        size = sum(f.stat().st_size for f in folder.rglob("*.parquet"))
        print(f"tracks: {args.objects:,} objects every {args.every} s for {args.days} days = {doc['sample_count']:,} "
              f"samples, {size / 2**20:,.0f} MiB in {len(doc['partitions'])} files, written in "
              f"{time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        assert main(["import", str(project), str(folder)]) == 0
        print(f"tracks: twin import (checks, one row per object) {time.perf_counter() - t0:.1f} s; project file "
              f"{project.stat().st_size / 2**20:.1f} MiB")
    rng = np.random.default_rng(11)
    start = int(DAY0.timestamp()) * US
    minutes = start + rng.integers(0, args.days * 1440, args.seeks) * 60 * US
    with Project.open(project, read_only=True) as p:
        track = MovingTrack(p, p.layers()[0])
        print(f"tracks: max gap {track.max_gap_us / US:.0f} s (sampled from 3 partitions)")
        it = iter(minutes.tolist())
        t0 = time.perf_counter()
        track.positions(int(minutes[0]))  # the first seek after opening
        print(f"tracks: first seek after opening {(time.perf_counter() - t0) * 1000:.1f} ms")
        seek = _timed(lambda: track.positions(next(it)), args.seeks)
        files = track.source.dataset.files()
        gap = track.max_gap_us

        def naive(at: int) -> None:  # every file of the month: no partition pruning
            s = p.numpy("SELECT fid, epoch_us(t) AS t, x, y, z FROM read_parquet(?, hive_partitioning = false) "
                        "WHERE t >= make_timestamptz(?) AND t <= make_timestamptz(?)", [files, at - gap, at + gap])
            interpolate(s["fid"], s["t"], np.column_stack([s["x"], s["y"], s["z"]]), at)

        it2 = iter(minutes.tolist())
        base = _timed(lambda: naive(next(it2)), min(args.seeks, 20))
        t0 = time.perf_counter()
        whole = p.rows("SELECT count(*), avg(x) FROM read_parquet(?, hive_partitioning = false)", [files])[0]
        full_ms = (time.perf_counter() - t0) * 1000
    print(f"seek to a random minute (positions of {args.objects:,} objects): {_stats(seek)}; target < 100 ms")
    print(f"  naive, every file of the month: {_stats(base)}; ratio {statistics.median(base) / statistics.median(seek):.1f}x")
    print(f"  reading the whole month once (count {whole[0]:,}, x decoded): {full_ms:,.0f} ms; ratio "
          f"{full_ms / statistics.median(seek):.0f}x")


def bench_buildings(args, out: pathlib.Path) -> None:
    from twin.cli.main import main
    from twin.scene.tilesource import tile_source
    from twin.store.project import Project

    folder = out / "buildings"
    project = out / "buildings.twin.duckdb"
    if args.reuse and project.exists():
        doc = json.loads((folder / "twin-dataset.json").read_text())
    else:
        t0 = time.perf_counter()
        doc = write_buildings(folder, args.buildings)
        size = sum(f.stat().st_size for f in folder.rglob("*.parquet"))
        print(f"buildings: {args.buildings:,} LoD1 blocks in {len(doc['partitions'])} tiles of 1 km, "
              f"{size / 2**20:,.0f} MiB, written in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        assert main(["import", str(project), str(folder)]) == 0
        print(f"buildings: twin import {time.perf_counter() - t0:.1f} s")
    with Project.open(project, read_only=True) as p:
        source = tile_source(p, p.layers()[0])
        x0, y0 = doc["bbox"][0] + 2_500, doc["bbox"][1] + 2_500
        view = (x0, y0, x0 + 2_000, y0 + 2_000)
        keys = source.keys_in(*view)
        rows = source.mesh_rows(keys)
        district = _timed(lambda: source.mesh_rows(source.keys_in(*view)), args.repeat)
        every = [t.key for t in source.tiles()]
        whole = _timed(lambda: source.mesh_rows(every), max(2, args.repeat // 3))
    print(f"district view 2 km x 2 km: {len(keys)} tiles, {len(rows.fids):,} buildings: choose + read {_stats(district)}")
    print(f"  all {len(every)} tiles ({args.buildings:,} buildings): {_stats(whole)}; "
          f"ratio {statistics.median(whole) / statistics.median(district):.1f}x")


def main_(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=1000)
    ap.add_argument("--every", type=int, default=60, help="seconds between samples (default 60)")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--row-group", type=int, default=100_000, help="rows per Parquet row group (default 100k)")
    ap.add_argument("--seeks", type=int, default=50)
    ap.add_argument("--buildings", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--out", default="/tmp/twin-bench-datasets")
    ap.add_argument("--reuse", action="store_true", help="time the datasets and projects of a previous run in --out")
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    if not args.reuse:
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    need = args.objects * (86_400 // args.every) * args.days * 30 + args.buildings * 700  # bytes, roughly
    free = shutil.disk_usage(out).free
    print(f"disk: {free / 2**30:.0f} GiB free at {out}; this run needs about {need / 2**30:.1f} GiB")
    if need * 2 > free:
        print("not enough free disk for this size: give smaller --days/--objects/--buildings")
        return 1
    bench_tracks(args, out)
    bench_buildings(args, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main_())
