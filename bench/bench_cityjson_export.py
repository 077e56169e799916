"""CityJSON export throughput: ``twin.io.export_cityjson`` against a naive writer in the same process.

N LoD1 blocks (footprints extruded by the footprint importer) are exported as CityJSON and CityJSONSeq.
The naive baseline reads the same mesh rows and builds the document with a Python loop per building and
per triangle (vertices rounded and shared through a dict), then ``json.dump``: what one writes first.

    python bench/bench_cityjson_export.py [N]
"""

from __future__ import annotations

import json
import pathlib
import sys
import tempfile
import time

import geopandas as gpd
import numpy as np
import shapely

from twin.io.export_cityjson import export_cityjson
from twin.io.service import import_file
from twin.layerdata import SURFACE_NAMES
from twin.store.project import Project


def make_project(folder: pathlib.Path, n: int) -> tuple[Project, str]:
    rng = np.random.default_rng(7)
    side = int(np.ceil(np.sqrt(n)))
    x0, y0 = 200_000 + (np.arange(n) % side) * 25.0, 440_000 + (np.arange(n) // side) * 25.0
    w, d = rng.uniform(8, 20, n), rng.uniform(8, 20, n)
    frame = gpd.GeoDataFrame({"지상층수": rng.integers(1, 30, n), "건물명": [f"동{i}" for i in range(n)]},
                             geometry=shapely.box(x0, y0, x0 + w, y0 + d), crs="EPSG:5186")
    src = folder / "blocks.gpkg"
    frame.to_file(src, engine="pyogrio")
    project = Project.open(folder / "bench.twin.duckdb", create=True)
    import_file(project, src)
    return project, project.layers()[0].name


def naive(project: Project, name: str, out: pathlib.Path) -> None:
    layer = project.layer(name)
    attrs = project.query(f'SELECT * EXCLUDE (geom) FROM "{layer.table_name}" ORDER BY fid').to_pylist()
    rows = project.query(f'SELECT fid, lod, vertices, triangles, surfaces FROM "{layer.mesh_table}" ORDER BY fid').to_pylist()
    index: dict[tuple, int] = {}
    vertices, objects = [], {}
    for row in rows:
        v = row["vertices"]
        boundaries, values, types = [], [], []
        t = row["triangles"]
        for k in range(0, len(t), 3):
            ring = []
            for i in t[k:k + 3]:
                key = tuple(round((v[3 * i + j] - (200_000, 440_000, 0)[j]) * 1000) for j in range(3))
                if key not in index:
                    index[key] = len(vertices)
                    vertices.append(list(key))
                ring.append(index[key])
            boundaries.append([ring])
            name_ = SURFACE_NAMES[row["surfaces"][k // 3]]
            if name_ not in types:
                types.append(name_)
            values.append(types.index(name_))
        a = {k: v for k, v in attrs[row["fid"]].items() if k != "fid" and v is not None}
        objects[f"b{row['fid']}"] = {"type": "Building", "attributes": a, "geometry": [{
            "type": "MultiSurface", "lod": row["lod"], "boundaries": boundaries,
            "semantics": {"surfaces": [{"type": t_} for t_ in types], "values": values}}]}
    doc = {"type": "CityJSON", "version": "2.0", "CityObjects": objects, "vertices": vertices,
           "transform": {"scale": [0.001] * 3, "translate": [200_000, 440_000, 0]}}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        project, name = make_project(folder, n)
        triangles = project.query(f'SELECT sum(len(surfaces)) AS t FROM "{project.layer(name).mesh_table}"').column("t")[0].as_py()
        print(f"{n} LoD1 buildings, {triangles} triangles")
        doc = timed(export_cityjson, project, name, folder / "a.city.json")
        seq = timed(export_cityjson, project, name, folder / "a.city.jsonl")
        base = timed(naive, project, name, folder / "naive.city.json")
        for label, t, f in (("twin .city.json", doc, "a.city.json"), ("twin .city.jsonl", seq, "a.city.jsonl"),
                            ("naive loop + json.dump", base, "naive.city.json")):
            size = (folder / f).stat().st_size / 1e6
            print(f"{label:24s} {t:7.2f} s  {n / t:9.0f} buildings/s  {size:6.1f} MB")
        print(f"ratio naive / twin: {base / doc:.1f}x (.city.json), {base / seq:.1f}x (.city.jsonl)")
        project.close()


if __name__ == "__main__":
    main()
