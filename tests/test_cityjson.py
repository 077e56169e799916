"""CityJSON and CityJSONSeq importers on every CityJSON file in ../shared/data/A, through
``import_file`` into real projects, asserting the facts SOURCES.md gives."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import shapely

from twin.api import SURFACE_CODES, ImportOptions, InputError
from twin.io.service import import_file
from twin.store.project import Project


def open_project(tmp_path, crs: str | None = None) -> Project:
    return Project.open(tmp_path / "p.twin.duckdb", create=True, crs=crs)


def by_name(outcome) -> dict:
    return {layer.name: layer for layer in outcome.layers}


def test_delft_mixed_themes_and_160_buildings(shared_data, project):
    outcome = import_file(project, shared_data / "A" / "delft_bgt_lod1_v2.0.city.json")
    counts = {layer.name: (layer.kind, layer.feature_count) for layer in outcome.layers}
    stem = "delft_bgt_lod1_v2.0"
    assert counts == {
        f"{stem} Building": ("buildings", 160), f"{stem} Road": ("polygons", 143),
        f"{stem} PlantCover": ("polygons", 126), f"{stem} LandUse": ("polygons", 81),
        f"{stem} GenericCityObject": ("polygons", 54), f"{stem} Bridge": ("buildings", 3),
        f"{stem} WaterBody": ("polygons", 3),
    }
    building = project.layer(f"{stem} Building")
    assert building.source_crs == "EPSG:7415" and project.crs == "EPSG:32631"
    assert building.properties["lods"] == ["1"]
    parts = project.query(f'SELECT count(*) AS n, count(DISTINCT fid) AS f, min(len(triangles)) AS t '
                          f'FROM "{building.mesh_table}"').to_pylist()[0]
    assert parts["n"] == parts["f"] == 160 and parts["t"] >= 4 * 3
    row = project.query(
        f"SELECT count(*) AS n, count(*) FILTER (WHERE ST_Area(geom) > 1 AND height > 0) AS ok, "
        f"count(*) FILTER (WHERE attributes->>'min-height-surface' IS NOT NULL) AS hyphen, "
        f"count(*) FILTER (WHERE attributes->>'eindregistratie' = '') AS empty "
        f'FROM "{building.table_name}"').to_pylist()[0]
    assert row == {"n": 160, "ok": 160, "hyphen": 160, "empty": 160}
    # the footprint (a 2D polygon) matches the LoD1 height: measuredHeight is close to our max z - min z
    heights = project.query(f'SELECT height, "measuredHeight" AS m FROM "{building.table_name}"').to_pylist()
    close = [abs(r["height"] - r["m"]) < 1.0 for r in heights if r["m"] is not None]
    assert sum(close) > 0.9 * len(close)


def test_zurich_holes_are_triangulated_as_polygon_minus_holes(shared_data, tmp_path):
    path = shared_data / "A" / "zurich_lod2_subset_v1.1.city.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    vertices = np.asarray(doc["vertices"], float) * doc["transform"]["scale"] + doc["transform"]["translate"]

    def vector_area(ring) -> float:  # Newell: exact for planar rings, independent of any triangulation
        p = vertices[ring] - vertices[ring[0]]
        return float(np.linalg.norm(np.cross(p, np.roll(p, -1, axis=0)).sum(axis=0)) / 2)

    expected, holes = {}, {}
    for oid, obj in doc["CityObjects"].items():
        for geometry in obj.get("geometry", []):
            for surface in geometry["boundaries"]:
                expected[oid] = expected.get(oid, 0.0) + vector_area(surface[0]) - sum(map(vector_area, surface[1:]))
                if len(surface) > 1:
                    holes[oid] = holes.get(oid, 0.0) + sum(map(vector_area, surface[1:]))
    assert len(holes) == 4
    with open_project(tmp_path, "EPSG:2056") as project:  # the file's CRS: coordinates stored as read
        layer = import_file(project, path).layers[0]
        rows = project.query(
            f'SELECT f.object_id, m.vertices, m.triangles FROM "{layer.mesh_table}" m '
            f'JOIN "{layer.table_name}" f USING (fid)').to_pylist()
    areas = {}
    for r in rows:
        v, t = np.reshape(r["vertices"], (-1, 3)), np.reshape(r["triangles"], (-1, 3))
        areas[r["object_id"]] = float(np.linalg.norm(np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]),
                                                     axis=1).sum() / 2)
    for oid, hole in holes.items():
        assert areas[oid] == pytest.approx(expected[oid], rel=1e-6), oid
        assert abs(areas[oid] - expected[oid]) < 1e-3 * hole  # the hole is not covered
    assert sum(areas.values()) == pytest.approx(sum(expected.values()), rel=1e-3)  # non-planar faces differ a little


def test_zurich_parts_crs_and_semantics(shared_data, project):
    layer = import_file(project, shared_data / "A" / "zurich_lod2_subset_v1.1.city.json").layers[0]
    assert layer.source_crs == "EPSG:2056" and layer.feature_count == 49
    rows = project.query(
        f'SELECT c.object_type AS child, p.object_type AS parent, count(*) AS n FROM "{layer.table_name}" c '
        f'JOIN "{layer.table_name}" p ON c.parent_fid = p.fid GROUP BY ALL').to_pylist()
    assert rows == [{"child": "BuildingPart", "parent": "Building", "n": 161}]
    # Buildings have no geometry of their own: footprint and height come from their parts
    missing = project.query(f'SELECT count(*) AS n FROM "{layer.table_name}" WHERE geom IS NULL OR height IS NULL')
    assert missing.column("n")[0].as_py() == 0
    codes = project.query(f'SELECT code, count(*) AS n FROM (SELECT unnest(surfaces) AS code FROM "{layer.mesh_table}") '
                          f'GROUP BY code')
    counts = dict(zip(codes.column("code").to_pylist(), codes.column("n").to_pylist()))
    assert set(counts) == {SURFACE_CODES["GroundSurface"], SURFACE_CODES["WallSurface"], SURFACE_CODES["RoofSurface"]}
    assert counts[SURFACE_CODES["WallSurface"]] > counts[SURFACE_CODES["RoofSurface"]] > counts[SURFACE_CODES["GroundSurface"]]


def test_den_haag_without_crs_needs_the_option(shared_data, project):
    path = shared_data / "A" / "denhaag_lod2_subset_v1.1.city.json"
    with pytest.raises(InputError, match="the file declares no CRS: give it with --crs EPSG:NNNN"):
        import_file(project, path)
    assert project.layers() == []
    layer = import_file(project, path, ImportOptions(crs="EPSG:7415")).layers[0]
    assert (layer.feature_count, layer.source_crs) == (4, "EPSG:7415")
    n = project.query(f'SELECT count(*) AS rows, count(parent_fid) AS parts FROM "{layer.table_name}"').to_pylist()
    assert n == [{"rows": 12, "parts": 8}]


def test_three_lods_on_each_of_ten_buildings(shared_data, project):
    path = shared_data / "A" / "3dbag_multi_lod_10bldg_v2.0.city.json"
    layer = import_file(project, path, ImportOptions(crs="EPSG:7415")).layers[0]
    assert layer.feature_count == 10
    assert layer.properties["lods"] == ["1.2", "1.3", "2.2"] and layer.properties["default_lod"] == "2.2"
    lods = project.query(f'SELECT lods FROM "{layer.table_name}"').column("lods").to_pylist()
    assert lods == [["1.2", "1.3", "2.2"]] * 10
    parts = project.query(f'SELECT lod, count(*) AS n, sum(list_max(surfaces)) AS sem FROM "{layer.mesh_table}" '
                          f'GROUP BY lod ORDER BY lod').to_pylist()
    assert [(p["lod"], p["n"]) for p in parts] == [("1.2", 10), ("1.3", 10), ("2.2", 10)]
    assert parts[0]["sem"] == parts[1]["sem"] == 0 and parts[2]["sem"] > 0  # only LoD 2.2 has semantics


def test_cityjsonseq_ten_features_with_their_own_vertices(shared_data, tmp_path):
    path = shared_data / "A" / "3dbag_delft_10features_v2.0.city.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    scale, translate = np.asarray(header["transform"]["scale"]), np.asarray(header["transform"]["translate"])
    boxes = {}
    for line in lines[1:]:
        feature = json.loads(line)
        v = np.asarray(feature["vertices"], float) * scale + translate
        boxes[feature["id"] + "-0"] = (v.min(axis=0), v.max(axis=0))  # its BuildingPart uses all of them
    with open_project(tmp_path, "EPSG:28992") as project:  # RD New: the horizontal part of EPSG:7415
        outcome = import_file(project, path)
        layer = outcome.layers[0]
        assert outcome.reports[0].detected["features (lines)"] == 10
        assert (layer.feature_count, layer.source_crs) == (10, "EPSG:7415")
        assert layer.properties["lods"] == ["0", "1.2", "1.3", "2.2"]
        rows = project.query(
            f'SELECT f.object_id, f.object_type, m.vertices FROM "{layer.mesh_table}" m '
            f'JOIN "{layer.table_name}" f USING (fid) WHERE m.lod = \'2.2\'').to_pylist()
        nulls = project.query(f"SELECT count(*) FILTER (WHERE json_type(attributes->'eindgeldigheid') = 'NULL') AS n "
                              f'FROM "{layer.table_name}"').column("n")[0].as_py()
    assert nulls == 10  # JSON nulls stay nulls
    assert len(rows) == 10 and {r["object_type"] for r in rows} == {"BuildingPart"}
    for r in rows:
        v = np.reshape(r["vertices"], (-1, 3))
        low, high = boxes[r["object_id"]]
        assert (v.min(axis=0) >= low - 1e-6).all() and (v.max(axis=0) <= high + 1e-6).all(), r["object_id"]


def test_v1_0_urn_crs_and_themes(shared_data, project):
    outcome = import_file(project, shared_data / "A" / "3dbag_2020_tile_subset_v1.0.city.json")
    counts = {layer.name.split(" ", 1)[1]: layer.feature_count for layer in outcome.layers}
    assert counts == {"Building": 26, "LandUse": 44, "Road": 11, "WaterBody": 9, "PlantCover": 8}
    assert {layer.source_crs for layer in outcome.layers} == {"EPSG:7415"}
    assert "urn:ogc:def:crs:EPSG::7415" in outcome.reports[0].detected["crs"]
    assert outcome.reports[0].detected["format"] == "CityJSON 1.0"


def test_plateau_japanese_keys_and_negative_translate(shared_data, tmp_path):
    with open_project(tmp_path, "EPSG:6677") as project:
        layer = import_file(project, shared_data / "A" / "plateau_tokyo_2bldg_v2.0.city.json").layers[0]
        assert layer.feature_count == 2  # two Buildings; their BuildingInstallations are children
        assert layer.properties["lods"] == ["0", "1", "2"]
        assert layer.bbox[0] < -36000 and layer.bbox[1] < -7000  # negative coordinates kept
        rows = project.query(
            f'SELECT object_type, "延べ面積換算係数" AS k, attributes->>\'大字・町コード\' AS j, "measuredHeight", '
            f'height, geom FROM "{layer.table_name}" ORDER BY fid').to_pylist()
    buildings = [r for r in rows if r["object_type"] == "Building"]
    assert len(buildings) == 2 and all(r["k"] is not None and r["j"] is not None for r in buildings)
    # height is taken at the highest LoD (the LoD0 footprint lies at z = 0, under the solids)
    assert all(abs(r["height"] - r["measuredHeight"]) < 0.15 * r["measuredHeight"] for r in buildings)
    assert all(shapely.from_wkb(r["geom"]).area > 10 for r in buildings)


def test_cli_import_then_info_json(shared_data, tmp_path):
    project = tmp_path / "cli.twin.duckdb"
    twin = [sys.executable, "-m", "twin.cli.main"]
    done = subprocess.run([*twin, "import", str(project), str(shared_data / "A" / "delft_bgt_lod1_v2.0.city.json")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "imported 160 feature(s)" in done.stderr
    info = subprocess.run([*twin, "info", str(project), "--json"], capture_output=True, text=True)
    layers = {layer["name"]: layer for layer in json.loads(info.stdout)["layers"]}
    assert layers["delft_bgt_lod1_v2.0 Building"]["features"] == 160
    assert layers["delft_bgt_lod1_v2.0 Building"]["kind"] == "buildings"
    failed = subprocess.run([*twin, "import", str(project), str(shared_data / "A" / "denhaag_lod2_subset_v1.1.city.json")],
                            capture_output=True, text=True)
    assert failed.returncode == 1 and "the file declares no CRS: give it with --crs EPSG:NNNN" in failed.stderr
