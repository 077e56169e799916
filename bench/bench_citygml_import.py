"""Benchmark: importing 20k LoD2 CityGML buildings, against GDAL's GML driver on the same file.

The file is made by bench/gen_citygml.py (PLATEAU-like: boundary surfaces with ``gml:id`` polygons, an
``lod2Solid`` of xlinks, EPSG:6697 lat/lon) into bench/out/ and reused when present. Cases, each in its
own process (peak = peak RSS above the process's RSS just before reading the file):

- ``twin read``: ``twin.api.read_file`` (stream, xlinks, triangulation, footprints, attributes: LayerData);
- ``twin import``: ``twin.io.service.import_file`` into a new project (the above + reprojection and writing);
- ``GDAL GML``: ``pyogrio.read_dataframe(FILE, layer="Building")`` into MultiPolygon Z geometries and the
  attribute columns (no triangulation: the baseline of reading the same file). GDAL types the lod2Solid as
  PolyhedralSurface Z, which pyogrio refuses, so it gets a ``.gfs`` template (the schema GDAL itself
  wrote for this file, with the geometry type set to MultiPolygon 25D); that also spares it the
  schema-discovery pass it would otherwise make first, so the baseline is on the fast side.

    .venv/bin/python bench/bench_citygml_import.py                  # 20,000 buildings
    .venv/bin/python bench/bench_citygml_import.py --buildings 2000  # a quick look
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
GFS = """<GMLFeatureClassList><GMLFeatureClass><Name>Building</Name><ElementPath>Building</ElementPath>
<GeometryName>lod2Solid</GeometryName><GeometryElementPath>lod2Solid</GeometryElementPath>
<GeometryType>-2147483642</GeometryType><SRSName>http://www.opengis.net/def/crs/EPSG/0/6697</SRSName>
<PropertyDefn><Name>建物ID</Name><ElementPath>建物ID</ElementPath><Type>String</Type></PropertyDefn>
<PropertyDefn><Name>地上階数</Name><ElementPath>地上階数</ElementPath><Type>Integer</Type></PropertyDefn>
<PropertyDefn><Name>measuredHeight</Name><ElementPath>measuredHeight</ElementPath><Type>Real</Type></PropertyDefn>
<PropertyDefn><Name>CountryName</Name><ElementPath>address|Address|xalAddress|AddressDetails|Country|CountryName</ElementPath>
<Type>String</Type></PropertyDefn>
<PropertyDefn><Name>LocalityName</Name>
<ElementPath>address|Address|xalAddress|AddressDetails|Country|Locality|LocalityName</ElementPath><Type>String</Type></PropertyDefn>
</GMLFeatureClass></GMLFeatureClassList>
"""


def child(mode: str, path: pathlib.Path) -> dict:
    """One measured case, in this (fresh) process."""
    if mode == "gdal":
        import pyogrio

        template = path.with_suffix(".template.gfs")
        template.write_text(GFS, encoding="utf-8")
        before = memory.rss()
        start = time.perf_counter()
        frame = pyogrio.read_dataframe(path, layer="Building", GFS_TEMPLATE=str(template))
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "peak": memory.peak() - before, "objects": len(frame)}
    from twin.api import ImportOptions, read_file
    from twin.io.service import import_file
    from twin.store.project import Project

    options = ImportOptions()
    folder = pathlib.Path(tempfile.mkdtemp())
    try:
        project = Project.open(folder / "bench.twin.duckdb", create=True) if mode == "import" else None
        before = memory.rss()
        start = time.perf_counter()
        if mode == "import":
            import_file(project, path, options)
            objects = sum(layer.feature_count for layer in project.layers())
        else:
            _, datas = read_file(path, options)
            objects = sum(d.features.num_rows for d in datas)
        seconds = time.perf_counter() - start
        peak = memory.peak() - before
        if project is not None:
            project.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"seconds": seconds, "peak": peak, "objects": objects}


def run(mode: str, path: pathlib.Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=20_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], pathlib.Path(args.child[1]))))
        return
    sys.path.insert(0, str(HERE))
    from gen_citygml import generate

    path = OUT / f"citygml_lod2_{args.buildings}.gml"
    if not path.exists():
        generate(path, args.buildings)
    size = path.stat().st_size
    print(f"{path.name}: {size / 1e6:.1f} MB, {args.buildings} LoD2 buildings (7 surfaces each, xlinked solid)")
    results = {}
    for mode, label in (("gdal", "GDAL GML (pyogrio.read_dataframe)"), ("read", "twin read_file"),
                        ("import", "twin import_file")):
        result = results[mode] = run(mode, path)
        if "error" in result:
            print(f"  {label:36s} failed: {result['error']}")
            continue
        s = result["seconds"]
        print(f"  {label:36s} {s:7.2f} s  {size / 1e6 / s:6.2f} MB/s  {result['objects'] / s:8.0f} objects/s  "
              f"peak +{result['peak'] / 1e6:6.0f} MB ({result['peak'] / size:4.1f}x file)  objects {result['objects']}")
    if all("error" not in results[m] for m in ("gdal", "read", "import")):
        g, r, i = (results[m] for m in ("gdal", "read", "import"))
        print(f"  ratio read/GDAL: time {r['seconds'] / g['seconds']:.2f}x, memory {r['peak'] / max(g['peak'], 1):.2f}x; "
              f"import/GDAL: time {i['seconds'] / g['seconds']:.2f}x, memory {i['peak'] / max(g['peak'], 1):.2f}x")
    OUT.mkdir(exist_ok=True)
    (OUT / "citygml_results.json").write_text(json.dumps({"file": path.name, "bytes": size, **results}, indent=1))


if __name__ == "__main__":
    main()
