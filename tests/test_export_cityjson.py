"""CityJSON 2.0 and CityJSONSeq export: what is written imports back unchanged, and cjio reads it."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from twin.cli.main import main
from twin.errors import TwinError
from twin.io.export import export_layer
from twin.io.options import ImportOptions
from twin.io.service import import_file
from twin.store.project import Project


def header(path):
    with open(path, encoding="utf-8") as fh:
        return json.loads(fh.readline() if str(path).endswith(".jsonl") else fh.read())


def triangle_rows(project, layer, translate, scale, *, by_id=True):
    """Every triangle of a layer's mesh as (fid, lod, corner keys rotated to start at the smallest, surface code),
    corners on the export's grid: equal rows = the same vertex positions within the transform's precision,
    the same orientation and the same semantics."""
    rows = project.query(f'SELECT fid, lod, vertices, triangles, surfaces FROM "{layer.mesh_table}"').to_pylist()
    ids = object_ids(project, layer) if by_id else None
    out = []
    for row in rows:
        v = np.rint((np.asarray(row["vertices"]).reshape(-1, 3) - translate) / scale).astype(np.int64)
        t = np.asarray(row["triangles"], np.int64).reshape(-1, 3)
        area = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]).any(axis=1)  # slivers thinner than the grid go
        codes = np.asarray(row["surfaces"], np.int64) if row["surfaces"] else np.zeros(len(t), np.int64)
        corners = [tuple(c) for c in v.tolist()]
        for tri, code in zip(t[area].tolist(), codes[area].tolist()):
            c = [corners[i] for i in tri]
            k = c.index(min(c))
            out.append((ids[row["fid"]] if ids else row["fid"], float(row["lod"]), *c[k:], *c[:k], code))
    return sorted(out)


def object_ids(project, layer):
    """fid -> object id (CityJSONSeq groups a building with its parts, so rows may come back in another order)."""
    columns = {r["column_name"] for r in project.query(f'DESCRIBE "{layer.table_name}"').to_pylist()}
    column = "object_id" if "object_id" in columns else "fid"
    return project.query(f'SELECT {column} FROM "{layer.table_name}" ORDER BY fid').column(0).to_pylist()


def features(project, layer):
    """Rows keyed and ordered by object id, parents as ids."""
    columns = {r["column_name"] for r in project.query(f'DESCRIBE "{layer.table_name}"').to_pylist()}
    wanted = [c for c in ("object_id", "object_type", "parent_fid", "attributes") if c in columns] or ["fid"]
    rows = project.query(f'SELECT {", ".join(wanted)} FROM "{layer.table_name}" ORDER BY fid').to_pylist()
    ids = object_ids(project, layer)
    for row in rows:
        if isinstance(row.get("attributes"), str):
            row["attributes"] = json.loads(row["attributes"])
        if row.get("parent_fid") is not None:
            row["parent_fid"] = ids[row["parent_fid"]]
    return sorted(rows, key=lambda r: str(r.get("object_id", "")))


def round_trip(tmp_path, project, name, out_name, *, same_ids=True):
    """Export ``name``, import the file into a new project; assert nothing changed; return (file, new layer)."""
    out = tmp_path / out_name
    layer = project.layer(name)
    written = export_layer(project, name, out)
    assert written == layer.feature_count
    with Project.open(tmp_path / f"back-{out_name}.twin.duckdb", create=True) as back:
        outcome = import_file(back, out, ImportOptions(strict=True))
        assert back.crs == project.crs
        (again,) = outcome.layers
        assert again.feature_count == layer.feature_count and again.kind == layer.kind
        head = header(out)
        translate, scale = np.array(head["transform"]["translate"]), np.array(head["transform"]["scale"])
        assert triangle_rows(back, again, translate, scale, by_id=same_ids) == \
            triangle_rows(project, layer, translate, scale, by_id=same_ids)
        before, after = features(project, layer), features(back, again)
        if same_ids:
            assert after == before
        else:  # ids and types were made by the export; the source columns are attributes now
            assert [r.get("parent_fid") for r in after] == [r.get("parent_fid") for r in before]
            source = [c for c in project.query(f'SELECT * EXCLUDE (fid, geom) FROM "{layer.table_name}" LIMIT 0').column_names]
            cols = ", ".join(f'"{c}"' for c in source)
            assert back.query(f'SELECT {cols} FROM "{again.table_name}" ORDER BY fid').to_pylist() == \
                project.query(f'SELECT {cols} FROM "{layer.table_name}" ORDER BY fid').to_pylist()
        assert again.bbox == pytest.approx(layer.bbox, abs=1e-3)
    return out, again


@pytest.fixture
def small(tmp_path, fixtures):
    with Project.open(tmp_path / "small.twin.duckdb", create=True) as project:
        import_file(project, fixtures / "cityjson/small_v2.city.json")
        yield project


@pytest.mark.parametrize("suffix", [".city.json", ".city.jsonl"])
def test_fixture_layers_round_trip(tmp_path, small, suffix):
    for layer in small.layers():
        round_trip(tmp_path, small, layer.name, f"{layer.name.replace(' ', '_')}{suffix}")


def test_document_shape(tmp_path, small):
    building = small.layers()[0]
    out = tmp_path / "b.city.json"
    export_layer(small, building.name, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "CityJSON" and doc["version"] == "2.0"
    assert doc["metadata"]["referenceSystem"] == "https://www.opengis.net/def/crs/EPSG/0/5186"
    assert doc["transform"]["scale"] == [0.001, 0.001, 0.001]
    b1, part = doc["CityObjects"]["B1"], doc["CityObjects"]["B1-part"]
    assert b1["children"] == ["B1-part"] and part["parents"] == ["B1"] and part["type"] == "BuildingPart"
    assert b1["attributes"]["용도"] and {g["lod"] for g in b1["geometry"]} == {"1", "2.2"}
    types = {s["type"] for g in b1["geometry"] for s in g["semantics"]["surfaces"]}
    assert {"RoofSurface", "WallSurface", "GroundSurface"} <= types
    assert all(isinstance(v, list) and len(v) == 3 and all(isinstance(c, int) for c in v) for v in doc["vertices"])
    lo = np.array(doc["vertices"]).min(axis=0)
    assert (lo >= 0).all() and len({tuple(v) for v in doc["vertices"]}) == len(doc["vertices"])  # shared, not repeated


def test_seq_lines_are_features_with_their_own_vertices(tmp_path, small):
    out = tmp_path / "b.city.jsonl"
    export_layer(small, small.layers()[0].name, out)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["type"] == "CityJSON" and lines[0]["CityObjects"] == {} and lines[0]["vertices"] == []
    assert [f["type"] for f in lines[1:]] == ["CityJSONFeature"] * (len(lines) - 1)
    first = next(f for f in lines[1:] if f["id"] == "B1")
    assert set(first["CityObjects"]) == {"B1", "B1-part"}  # a building travels with its parts
    used = [i for o in first["CityObjects"].values() for g in o["geometry"] for i in np.ravel(g["boundaries"]).tolist()]
    assert max(used) == len(first["vertices"]) - 1


def korean_footprints(tmp_path):
    base = shapely.Polygon([(0, 0), (40, 0), (40, 30), (0, 30)], holes=[[(10, 10), (10, 20), (30, 20), (30, 10)]])
    frame = gpd.GeoDataFrame(
        {"건물명": ["가동", "나동", "다동"], "지상층수": [5, 12, 3], "높이": [None, 38.5, None]},
        geometry=[shapely.affinity.translate(g, 210_000, 440_000) for g in
                  (base, shapely.box(60, 0, 90, 20), shapely.box(0, 50, 15, 65))],
        crs="EPSG:5186")
    path = tmp_path / "blocks.gpkg"
    frame.to_file(path, engine="pyogrio")
    return path


def test_extruded_footprints_are_solids_and_round_trip(tmp_path, project):
    import_file(project, korean_footprints(tmp_path))
    name = project.layers()[0].name
    out, again = round_trip(tmp_path, project, name, "blocks.city.json", same_ids=False)
    doc = json.loads(out.read_text(encoding="utf-8"))
    objects = list(doc["CityObjects"].values())
    assert [o["type"] for o in objects] == ["Building"] * 3
    assert {g["type"] for o in objects for g in o["geometry"]} == {"Solid"}  # closed LoD1 blocks
    assert [o["attributes"]["건물명"] for o in objects] == ["가동", "나동", "다동"]
    assert [o["attributes"]["height"] for o in objects] == [15.0, 38.5, 9.0]


def test_polygons_without_mesh_become_lod0_multisurfaces(tmp_path, project):
    frame = gpd.GeoDataFrame({"용도지역": ["주거", "상업"]}, crs="EPSG:5186", geometry=[
        shapely.Polygon([(0, 0), (50, 0), (50, 50), (0, 50)], holes=[[(10, 10), (10, 20), (20, 20), (20, 10)]]),
        shapely.MultiPolygon([shapely.box(100, 0, 120, 20), shapely.box(130, 0, 150, 20)])])
    frame.geometry = frame.geometry.translate(210_000, 440_000)
    src = tmp_path / "zones.geojson"
    frame.to_file(src, engine="pyogrio")
    import_file(project, src)
    layer = project.layers()[0]
    assert layer.kind == "polygons" and layer.mesh_table not in project.layer_tables(layer)
    out = tmp_path / "zones.city.json"
    assert export_layer(project, layer.name, out) == 2
    doc = json.loads(out.read_text(encoding="utf-8"))
    objects = list(doc["CityObjects"].values())
    assert [(o["type"], [g["type"] for g in o["geometry"]], [g["lod"] for g in o["geometry"]]) for o in objects] == \
        [("GenericCityObject", ["MultiSurface"], ["0"])] * 2
    assert [len(s) for s in objects[0]["geometry"][0]["boundaries"]] == [2]  # outer ring and its hole
    assert len(objects[1]["geometry"][0]["boundaries"]) == 2
    with Project.open(tmp_path / "back.twin.duckdb", create=True) as back:
        (again,) = import_file(back, out, ImportOptions(strict=True)).layers
        assert again.feature_count == 2
        areas = back.query(f'SELECT ST_Area(geom) AS a FROM "{again.table_name}" ORDER BY fid').column("a").to_pylist()
        assert areas == pytest.approx([2500 - 100, 800], abs=1e-3)
        zones = back.query(f'SELECT "용도지역" FROM "{again.table_name}" ORDER BY fid').column(0).to_pylist()
        assert zones == ["주거", "상업"]


def test_points_are_refused_with_one_line(tmp_path, project, fixtures):
    import_file(project, fixtures / "csv/projected_xy_epsg5186.csv", ImportOptions(crs="EPSG:5186"))
    layer = project.layers()[0]
    out = tmp_path / "pts.city.json"
    with pytest.raises(TwinError, match=r"pts\.city\.json: layer .* is points without a 3D mesh: CityJSON export"):
        export_layer(project, layer.name, out)
    assert not out.exists() and list(tmp_path.glob(".pts.city.json*")) == []


def test_cli_export_cityjson(tmp_path, small, capsys):
    path, name = small.path, small.layers()[0].name
    small.close()
    out = tmp_path / "cli.city.json"
    assert main(["export", str(path), name, str(out)]) == 0
    assert "wrote 1 features" in capsys.readouterr().err
    assert header(out)["CityObjects"]["B1"]["type"] == "Building"


def cjio_info(path):
    """``cjio FILE info`` (a document) or ``cjio stdin info`` fed the lines (CityJSONSeq)."""
    beside = pathlib.Path(sys.executable).parent / "cjio"  # the venv's, when its bin is not on PATH (./setup.sh test)
    exe = str(beside) if beside.exists() else shutil.which("cjio")
    if exe is None:
        pytest.skip("cjio is not installed (pip install cjio==0.10.1, in the test extra)")
    if str(path).endswith(".jsonl"):
        with open(path, "rb") as fh:
            done = subprocess.run([exe, "stdin", "info"], stdin=fh, capture_output=True, text=True, timeout=120)
    else:
        done = subprocess.run([exe, str(path), "info"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("suffix", [".city.json", ".city.jsonl"])
def test_cjio_reads_the_export(tmp_path, small, suffix):
    out = tmp_path / f"b{suffix}"
    export_layer(small, small.layers()[0].name, out)
    info = cjio_info(out)
    assert "CityJSON version = 2.0" in info and "EPSG = 5186" in info
    assert "Building (1)" in info and "BuildingPart (1)" in info


@pytest.fixture(scope="module")
def real_cities(tmp_path_factory, shared_data):
    """Delft (LoD1) and Zurich (LoD2) imported once, each into a project of its own, for both formats' round trips."""
    folder = tmp_path_factory.mktemp("real-cityjson")
    paths = []
    for source in ("A/delft_bgt_lod1_v2.0.city.json", "A/zurich_lod2_subset_v1.1.city.json"):
        with Project.open(folder / f"{source[2:8]}.twin.duckdb", create=True) as project:
            import_file(project, shared_data / source)
            paths.append(project.path)
    return paths


@pytest.mark.parametrize("suffix", [".city.json", ".city.jsonl"])
def test_real_delft_and_zurich_round_trip(tmp_path, real_cities, suffix):
    for path in real_cities:
        with Project.open(path) as project:
            for layer in project.layers():
                round_trip(tmp_path, project, layer.name, f"{path.name[:6]}-{layer.id}{suffix}")
    info = cjio_info(tmp_path / f"zurich-1{suffix}")
    assert "Building (49)" in info and "BuildingPart (161)" in info
