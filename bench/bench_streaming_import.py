"""Streamed imports of big files: peak memory above the process and throughput, against the whole-file import.

Generates on /tmp (checking free disk first) a CityJSONSeq of LoD1 buildings of about ``--seq-mb`` MB (the
50k-building file of bench/gen_cityjson.py repeated with new ids), a CSV of points and a GeoParquet of
points of ``--rows`` rows, then imports each in a fresh child process twice: streamed in chunks
(``chunk_rows``) and whole (today's way, ``extra={"stream": False}``), the baseline of the same run. The
whole-file CityJSONSeq import is skipped above ``--whole-max-mb`` (it needs many times the file in memory).

    .venv/bin/python bench/bench_streaming_import.py --seq-mb 500 --rows 2000000
    .venv/bin/python bench/bench_streaming_import.py --seq-mb 2000 --whole-max-mb 600   # the issue's 2 GB case
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import memory

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "out"
BASE_BUILDINGS = 50_000


def child(mode: str, path: pathlib.Path, chunk: int) -> dict:
    """One import in this fresh process: seconds, peak memory above the process before it, counts."""
    import twin_plugins.formats.cityjson.reader  # noqa: F401  (libraries loaded before the baseline)
    import twin_plugins.formats.csv_points  # noqa: F401
    import twin_plugins.formats.vector  # noqa: F401
    from twin.api import ImportOptions
    from twin.io.service import import_file
    from twin.store.project import Project

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        project = Project.open(pathlib.Path(tmp) / "bench.twin.duckdb", create=True)
        before = memory.rss()
        start = time.perf_counter()
        options = ImportOptions(extra={"stream": mode == "stream", "chunk_rows": chunk})
        outcome = import_file(project, path, options)
        seconds = time.perf_counter() - start
        peak = memory.peak() - before
        layer = outcome.layers[0]
        size = (pathlib.Path(tmp) / "bench.twin.duckdb").stat().st_size
        project.close()
    return {"seconds": seconds, "peak": peak, "features": layer.feature_count,
            "skipped": len(outcome.reports[0].skipped), "project_bytes": size}


def run_child(mode: str, path: pathlib.Path, chunk: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(chunk)],
                          capture_output=True, text=True)
    if done.returncode:
        tail = done.stderr.strip().splitlines()
        return {"error": tail[-1] if tail else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_seq(folder: pathlib.Path, mb: int) -> pathlib.Path:
    """A CityJSONSeq of about ``mb`` MB: the generated 50k-building file repeated with new ids."""
    path = folder / f"seq_{mb}mb.city.jsonl"
    if path.exists():
        return path
    base = OUT / f"seq_base_{BASE_BUILDINGS}.city.jsonl"
    if not base.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "gen_cityjson.py"), str(base), "--buildings", str(BASE_BUILDINGS)],
                       check=True)
    header, *lines = base.read_bytes().splitlines(keepends=True)
    body = b"".join(lines)
    copies = max(1, round(mb * 1e6 / len(body)))
    with open(path, "wb") as fh:
        fh.write(header)
        for k in range(copies):  # ids B00nnnnn -> Bkkkknnnnn: unique over the copies
            fh.write(body.replace(b'"B00', b'"B%04d' % k))
    return path


def make_points(folder: pathlib.Path, rows: int) -> tuple[pathlib.Path, pathlib.Path]:
    """A CSV (name, lat, lon, kind, value) and a GeoParquet of the same ``rows`` points around Osan."""
    import geopandas as gpd
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import shapely

    csv, parquet = folder / f"points_{rows}.csv", folder / f"points_{rows}.parquet"
    if csv.exists() and parquet.exists():
        return csv, parquet
    rng = np.random.default_rng(3)
    lat, lon = 37.10 + rng.uniform(0, 0.1, rows), 127.0 + rng.uniform(0, 0.1, rows)
    table = pa.table({"name": pa.array(np.char.add("p", np.arange(rows).astype(str))), "lat": lat, "lon": lon,
                      "kind": pa.array(np.array(["cctv", "light", "sensor"])[np.arange(rows) % 3]),
                      "value": rng.normal(size=rows)})
    pcsv.write_csv(table, csv)
    frame = gpd.GeoDataFrame(table.drop_columns(["lat", "lon"]).to_pandas(), geometry=shapely.points(lon, lat),
                             crs="EPSG:4326")
    frame.to_parquet(parquet, row_group_size=50_000)
    return csv, parquet


def report(name: str, path: pathlib.Path, results: dict) -> None:
    mb = path.stat().st_size / 1e6
    print(f"\n== {name}: {path.name}, {mb:.0f} MB ==")
    print(f"{'case':12s} {'time s':>8s} {'MB/s':>7s} {'features/s':>11s} {'peak MB':>8s} {'x file':>7s} {'features':>10s}")
    for case, r in results.items():
        if "error" in r:
            print(f"{case:12s} {r['error']}")
            continue
        print(f"{case:12s} {r['seconds']:8.1f} {mb / r['seconds']:7.1f} {r['features'] / r['seconds']:11.0f} "
              f"{r['peak'] / 1e6:8.0f} {r['peak'] / 1e6 / mb:7.2f} {r['features']:10d}")
    s, w = results.get("streamed"), results.get("whole")
    if s and w and "error" not in s and "error" not in w:
        print(f"streamed / whole: time x{s['seconds'] / w['seconds']:.2f}, peak memory x{s['peak'] / w['peak']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq-mb", type=int, default=500)
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the CSV and GeoParquet (0: skip them)")
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--whole-max-mb", type=int, default=600, help="largest CityJSONSeq also imported whole")
    parser.add_argument("--folder", type=pathlib.Path, default=pathlib.Path("/tmp/twin_bench_stream"))
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "CHUNK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], pathlib.Path(args.child[1]), int(args.child[2]))))
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.folder).free
    need = (args.seq_mb * 1e6) * 2.5 + args.rows * 150  # the files and the projects written from them
    print(f"free disk on {args.folder}: {free / 1e9:.1f} GB, this run needs about {need / 1e9:.1f} GB")
    if free < need:
        sys.exit(f"not enough free disk for --seq-mb {args.seq_mb} --rows {args.rows}: choose smaller sizes")
    saved = {}
    cases = [("CityJSONSeq", make_seq(args.folder, args.seq_mb))]
    if args.rows:
        csv, parquet = make_points(args.folder, args.rows)
        cases += [("CSV points", csv), ("GeoParquet points", parquet)]
    for name, path in cases:
        results = {"streamed": run_child("stream", path, args.chunk)}
        if name != "CityJSONSeq" or path.stat().st_size / 1e6 <= args.whole_max_mb:
            results["whole"] = run_child("whole", path, args.chunk)
        else:
            results["whole"] = {"error": f"not run above --whole-max-mb {args.whole_max_mb} (needs many GB)"}
        report(name, path, results)
        saved[path.name] = {"bytes": path.stat().st_size, **results}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "streaming_results.json").write_text(json.dumps(saved, indent=1))


if __name__ == "__main__":
    main()
