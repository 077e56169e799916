"""Every building's box of an external dataset layer (``DatasetTiles.boxes()``, what the far blocks and the picks
need) and the rows of a few picked buildings (``feature_rows``), against naive baselines in the same process.

- boxes: DuckDB list functions over the ``vertices`` lists (one query, two columns read), against reading the
  lists into Python and taking each row's min/max in a loop;
- feature_rows of 32 buildings: the partitions that hold them only, against reading every partition.

    .venv/bin/python bench/bench_dataset_boxes.py --buildings 200000
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    from bench.bench_dataset_seek import write_buildings
    from twin.cli.main import main as twin
    from twin.scene.meshes import _flatten
    from twin.scene.tilesource import tile_source
    from twin.store import datasets
    from twin.store.project import Project

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--buildings", type=int, default=200_000)
    ap.add_argument("--naive-rows", type=int, default=50_000, help="rows of the Python-loop baseline (scaled up)")
    args = ap.parse_args(argv)
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-boxes-"))
    try:
        write_buildings(work / "city", args.buildings)
        assert twin(["import", str(work / "p.twin.duckdb"), str(work / "city")]) == 0
        with Project.open(work / "p.twin.duckdb", read_only=True) as p:
            layer = p.layers()[0]
            src = tile_source(p, layer)
            tiles = src.tiles()

            def boxes():
                src._boxes = None
                return src.boxes()

            t_boxes = _best(boxes)
            n = len(src.boxes()["fid"])

            def naive():
                table = datasets.read(p, layer, list(range(len(tiles))), ("fid", "vertices"))
                rows = table.column("vertices").to_pylist()[: args.naive_rows]
                return [(min(v[0::3]), min(v[1::3]), min(v[2::3]), max(v[0::3]), max(v[1::3]), max(v[2::3]))
                        for v in rows]

            t_naive = _best(naive, 1) * n / min(n, args.naive_rows)
            rng = np.random.default_rng(1)
            picks = [rng.choice(src.boxes()["fid"], 32, replace=False).tolist() for _ in range(10)]
            t_rows = statistics.median([_best(lambda f=f: src.feature_rows(f), 1) for f in picks])
            every = list(range(len(p.external.get(layer).index)))
            t_all = _best(lambda: _flatten(datasets.read(p, layer, every, datasets.MESH_COLUMNS, fids=picks[0]),
                                           layer), 1)
        print(f"dataset: {n:,} buildings in {len(tiles)} tiles")
        print(f"boxes(): {t_boxes * 1e3:,.0f} ms; Python loop per row (scaled from {args.naive_rows:,} rows): "
              f"{t_naive * 1e3:,.0f} ms -> {t_naive / t_boxes:.1f}x")
        print(f"feature_rows(32 random buildings): median {t_rows * 1e3:.1f} ms; reading every partition: "
              f"{t_all * 1e3:.1f} ms -> {t_all / t_rows:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
