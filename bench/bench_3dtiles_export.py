"""3D Tiles export throughput: tiles/s, MB/s and features/s of ``twin export --3dtiles`` (twin.io.tiles3d),
against a naive one-tile export (a Python loop per building: reproject its vertices, append them, one glb),
on the demo town and a generated layer of 100k LoD1 buildings, in the same run.

    .venv/bin/python bench/bench_3dtiles_export.py [--buildings 100000] [--out bench/out/tiles3d]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import time

import numpy as np
import pyarrow as pa
import pygltflib
import pyproj
import shapely

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twin.geometry.extrude import extrude_footprints  # noqa: E402
from twin.io.tiles3d import export_3dtiles  # noqa: E402
from twin.io.tiles3d.placement import enu_to_gltf, frame_for  # noqa: E402
from twin.io.tiles3d.source import offsets, read_layer  # noqa: E402
from twin.layerdata import ImportReport, LayerData  # noqa: E402
from twin.store.project import Project  # noqa: E402
from twin.store.writer import write_layer  # noqa: E402


def generated_city(path: pathlib.Path, n: int, seed: int = 7) -> None:
    """A project of ``n`` LoD1 blocks on a grid (EPSG:5186) with a few attributes."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 200000.0 + (i % side) * 25.0 + rng.uniform(0, 4, n)
    y0 = 430000.0 + (i // side) * 25.0 + rng.uniform(0, 4, n)
    w, d = rng.uniform(8, 18, n), rng.uniform(8, 18, n)
    footprints = shapely.box(x0, y0, x0 + w, y0 + d)
    heights = rng.gamma(2.0, 8.0, n) + 3
    features = pa.table({"geometry": pa.array(shapely.to_wkb(footprints), pa.binary()),
                         "name": pa.array([f"b{k}" for k in range(n)]), "height": pa.array(heights),
                         "storeys": pa.array((heights // 3).astype(np.int64))})
    mesh = extrude_footprints(footprints, heights).mesh
    with Project.open(path, create=True) as project:
        write_layer(project, LayerData("buildings", features, "EPSG:5186", ImportReport("bench"), mesh=mesh), name="buildings")


def naive_one_tile(project: Project, layer_name: str, out: pathlib.Path) -> tuple[int, int]:
    """The baseline: one tile, one building at a time (reproject, flatten, append), one glb. Returns (tiles, bytes)."""
    data = read_layer(project, project.layer(layer_name))
    frame = frame_for(data.vertices.min(axis=0), data.vertices.max(axis=0), project.crs)
    vstart, tstart = offsets(data.vertex_counts), offsets(data.triangle_counts)
    to_ecef = pyproj.Transformer.from_crs(pyproj.CRS(project.crs).to_3d(), "EPSG:4978", always_xy=True)  # made once
    positions, ids = [], []
    for k in range(data.feature_count):  # per building
        verts = data.vertices[vstart[k]:vstart[k] + data.vertex_counts[k]]
        local = enu_to_gltf(frame.to_local(np.column_stack(to_ecef.transform(verts[:, 0], verts[:, 1], verts[:, 2]))))
        tris = data.triangles[tstart[k]:tstart[k] + data.triangle_counts[k]] - vstart[k]
        for tri in tris:
            for corner in tri:
                positions.append(local[corner].tolist())
                ids.append(float(k))
    pos = np.array(positions, dtype=np.float32)
    fid = np.array(ids, dtype=np.float32)
    blob = pos.tobytes() + fid.tobytes()
    gltf = pygltflib.GLTF2(
        scene=0, scenes=[pygltflib.Scene(nodes=[0])], nodes=[pygltflib.Node(mesh=0)],
        meshes=[pygltflib.Mesh(primitives=[pygltflib.Primitive(attributes=pygltflib.Attributes(POSITION=0, _FEATURE_ID_0=1))])],
        accessors=[pygltflib.Accessor(bufferView=0, componentType=5126, count=len(pos), type="VEC3",
                                      min=pos.min(axis=0).tolist(), max=pos.max(axis=0).tolist()),
                   pygltflib.Accessor(bufferView=1, componentType=5126, count=len(fid), type="SCALAR")],
        bufferViews=[pygltflib.BufferView(buffer=0, byteOffset=0, byteLength=pos.nbytes),
                     pygltflib.BufferView(buffer=0, byteOffset=pos.nbytes, byteLength=fid.nbytes)],
        buffers=[pygltflib.Buffer(byteLength=len(blob))])
    gltf.set_binary_blob(blob)
    out.mkdir(parents=True, exist_ok=True)
    glb = b"".join(gltf.save_to_bytes())
    (out / "tile.glb").write_bytes(glb)
    tileset = {"asset": {"version": "1.1"}, "geometricError": 1000, "root": {
        "transform": frame.transform(), "geometricError": 0, "refine": "ADD", "content": {"uri": "tile.glb"},
        "boundingVolume": {"sphere": [0, 0, 0, float(np.linalg.norm(pos.max(axis=0) - pos.min(axis=0)))]}}}
    text = json.dumps(tileset)
    (out / "tileset.json").write_text(text)
    return 1, len(glb) + len(text)


def measure(path: pathlib.Path, layer: str, out: pathlib.Path, label: str) -> None:
    with Project.open(path, read_only=True) as project:
        features = project.layer(layer).feature_count
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        report = export_3dtiles(project, out / "twin", layers=[layer])
        ours = time.perf_counter() - started
        started = time.perf_counter()
        tiles, size = naive_one_tile(project, layer, out / "naive")
        naive = time.perf_counter() - started
    print(f"{label}: {features} buildings", flush=True)
    print(f"  twin export --3dtiles: {ours:7.2f} s  {report.tiles / ours:8.1f} tiles/s  {report.bytes / 1e6 / ours:7.1f} MB/s  "
          f"{features / ours:9.0f} features/s  ({report.tiles} tiles, {report.content_files} glb, {report.bytes / 1e6:.1f} MB)")
    print(f"  naive one tile       : {naive:7.2f} s  {tiles / naive:8.1f} tiles/s  {size / 1e6 / naive:7.1f} MB/s  "
          f"{features / naive:9.0f} features/s  (1 tile, {size / 1e6:.1f} MB)")
    print(f"  ratio: ours is {naive / ours:.1f}x faster than the naive one-tile export", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "bench" / "out" / "tiles3d")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from twin_datasets.new_town import build_new_town

    demo = args.out / "demo.twin.duckdb"
    if not demo.exists():
        build_new_town(demo)
    measure(demo, "건물 buildings", args.out / "demo_tiles", "demo town")
    big = args.out / f"city_{args.buildings}.twin.duckdb"
    if not big.exists():
        started = time.perf_counter()
        generated_city(big, args.buildings)
        print(f"(generated {args.buildings} buildings in {time.perf_counter() - started:.1f} s)")
    measure(big, "buildings", args.out / "big_tiles", "generated city")


if __name__ == "__main__":
    main()
