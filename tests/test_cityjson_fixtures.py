"""CityJSON importer on hand-made fixtures (tests/fixtures/cityjson): geometry, LoDs, semantics,
holes, parts, templates and CityJSONSeq, checked against numbers worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from twin.api import SURFACE_CODES, ImportOptions
from twin.io.service import import_file
from twin.store.project import Project

ORIGIN = np.array([210000.0, 440000.0, 30.0])  # the fixtures' transform.translate


@pytest.fixture
def same_crs_project(tmp_path):
    """A project in the fixtures' CRS (EPSG:5186), so coordinates are stored exactly as read."""
    p = Project.open(tmp_path / "p.twin.duckdb", create=True, crs="EPSG:5186")
    yield p
    p.close()


def mesh_parts(project: Project, layer_name: str) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """{(fid, lod): (vertices (n, 3), triangles (m, 3), surface codes (m,))} of a layer's mesh table."""
    layer = project.layer(layer_name)
    rows = project.query(f'SELECT fid, lod, vertices, triangles, surfaces FROM "{layer.mesh_table}"').to_pylist()
    return {(r["fid"], r["lod"]): (np.reshape(r["vertices"], (-1, 3)), np.reshape(r["triangles"], (-1, 3)),
                                   np.asarray(r["surfaces"], np.uint8)) for r in rows}


def triangle_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = (vertices[triangles[:, k]] for k in range(3))
    return np.cross(b - a, c - a)


def area(vertices: np.ndarray, triangles: np.ndarray) -> float:
    return float(np.linalg.norm(triangle_normals(vertices, triangles), axis=1).sum() / 2)


def features(project: Project, layer_name: str) -> list[dict]:
    layer = project.layer(layer_name)
    return project.query(
        f'SELECT fid, object_id, object_type, parent_fid, parent_id, height, lods, attributes::VARCHAR AS attributes, '
        f'ST_AsWKB(geom) AS wkb FROM "{layer.table_name}" ORDER BY fid').to_pylist()


def test_layers_per_theme_with_parts_counted_under_their_building(fixtures, same_crs_project):
    outcome = import_file(same_crs_project, fixtures / "cityjson" / "small_v2.city.json")
    layers = {layer.name: layer for layer in outcome.layers}
    assert list(layers) == ["small_v2 Building", "small_v2 Road", "small_v2 SolitaryVegetationObject"]
    building = layers["small_v2 Building"]
    assert (building.kind, building.feature_count) == ("buildings", 1)  # B1-part belongs to B1
    assert building.properties["lods"] == ["1", "2.2"] and building.properties["default_lod"] == "2.2"
    assert (layers["small_v2 Road"].kind, layers["small_v2 Road"].feature_count) == ("polygons", 1)
    assert layers["small_v2 SolitaryVegetationObject"].kind == "buildings"  # a 3D template instance
    rows = features(same_crs_project, "small_v2 Building")
    assert [(r["object_id"], r["object_type"], r["parent_fid"], r["parent_id"]) for r in rows] == [
        ("B1", "Building", None, None), ("B1-part", "BuildingPart", 0, "B1")]
    assert rows[0]["lods"] == ["1", "2.2"] and rows[1]["lods"] == ["1"]
    assert rows[0]["height"] == pytest.approx(6.0)
    assert "MultiLineString geometries are not surfaces" in " ".join(outcome.reports[0].notes)


def test_solid_is_closed_with_outward_normals_and_semantic_codes(fixtures, same_crs_project):
    import_file(same_crs_project, fixtures / "cityjson" / "small_v2.city.json")
    vertices, triangles, surfaces = mesh_parts(same_crs_project, "small_v2 Building")[(0, "1")]
    assert len(vertices) == 8 and len(triangles) == 12
    assert np.bincount(surfaces, minlength=4)[1:4].tolist() == [2, 8, 2]  # ground, wall, roof triangles
    centre = vertices.mean(axis=0)
    outward = np.einsum("ij,ij->i", triangle_normals(vertices, triangles), vertices[triangles].mean(axis=1) - centre)
    assert (outward > 0).all()
    assert area(vertices, triangles) == pytest.approx(2 * 100 + 4 * 60)
    assert vertices.min(axis=0) == pytest.approx(ORIGIN)


def test_roof_with_courtyard_hole_and_concave_part(fixtures, same_crs_project):
    import_file(same_crs_project, fixtures / "cityjson" / "small_v2.city.json")
    parts = mesh_parts(same_crs_project, "small_v2 Building")
    vertices, triangles, surfaces = parts[(0, "2.2")]
    roof = surfaces == SURFACE_CODES["RoofSurface"]
    assert area(vertices, triangles[roof]) == pytest.approx(10 * 10 - 4 * 4)  # the hole is left open
    centroids = vertices[triangles[roof]].mean(axis=1)[:, :2] - ORIGIN[:2]
    assert not ((np.abs(centroids - 5.0) < 2.0).all(axis=1)).any()
    assert (triangle_normals(vertices, triangles[roof])[:, 2] > 0).all()
    assert area(vertices, triangles[~roof]) == pytest.approx(100)
    l_vertices, l_triangles, _ = parts[(1, "1")]
    assert len(l_vertices) == 6  # the repeated closing vertex is dropped
    assert area(l_vertices, l_triangles) == pytest.approx(7.0)  # concave L: earcut


def test_footprints_from_ground_surfaces_faces_or_the_parts(fixtures, same_crs_project):
    import_file(same_crs_project, fixtures / "cityjson" / "small_v2.city.json")
    b1, part = (shapely.from_wkb(r["wkb"]) for r in features(same_crs_project, "small_v2 Building"))
    assert b1.area == pytest.approx(100) and b1.bounds == pytest.approx((210000, 440000, 210010, 440010))
    assert part.area == pytest.approx(7.0)
    road = shapely.from_wkb(features(same_crs_project, "small_v2 Road")[0]["wkb"])
    assert road.area == pytest.approx(50)


def test_geometry_instance_placed_by_matrix_and_reference_vertex(fixtures, same_crs_project):
    import_file(same_crs_project, fixtures / "cityjson" / "small_v2.city.json")
    [(key, (vertices, triangles, _))] = mesh_parts(same_crs_project, "small_v2 SolitaryVegetationObject").items()
    assert key == (0, "1")
    assert vertices.min(axis=0) == pytest.approx(ORIGIN + [30, 0, 0])
    assert vertices.max(axis=0) == pytest.approx(ORIGIN + [32, 2, 6])  # template scaled by 2
    assert len(triangles) == 4
    [row] = features(same_crs_project, "small_v2 SolitaryVegetationObject")
    assert row["height"] == pytest.approx(6.0)
    assert shapely.from_wkb(row["wkb"]).area == pytest.approx(2.0)  # its downward face


def test_attributes_keep_keys_and_types_as_json_and_columns(fixtures, same_crs_project):
    import_file(same_crs_project, fixtures / "cityjson" / "small_v2.city.json")
    table = same_crs_project.layer("small_v2 Building").table_name
    row = same_crs_project.query(
        f"SELECT \"용도\", measuredHeight, storeysAboveGround, attributes->>'용도' AS j, "
        f"(attributes->>'storeysAboveGround')::INT AS s, roofType FROM \"{table}\" ORDER BY fid").to_pylist()
    assert row[0] == {"용도": "주거", "measuredHeight": 6.0, "storeysAboveGround": 2, "j": "주거", "s": 2,
                      "roofType": None}
    assert row[1]["roofType"] == "flat"
    types = {r["column_name"]: r["column_type"] for r in same_crs_project.query(f'DESCRIBE "{table}"').to_pylist()}
    assert types["attributes"] == "JSON" and types["storeysAboveGround"] == "BIGINT"
    assert types["lods"] == "VARCHAR[]"


def test_cityjsonseq_features_use_their_own_vertices(fixtures, same_crs_project):
    outcome = import_file(same_crs_project, fixtures / "cityjson" / "small_v2.city.jsonl")
    assert [layer.name for layer in outcome.layers] == ["small_v2 Building", "small_v2 Road"]
    assert outcome.reports[0].detected["features (lines)"] == 2
    b1, part = (shapely.from_wkb(r["wkb"]) for r in features(same_crs_project, "small_v2 Building"))
    assert b1.bounds == pytest.approx((210000, 440000, 210010, 440010))
    assert part.bounds == pytest.approx((210001, 440001, 210002, 440002))
    road = shapely.from_wkb(features(same_crs_project, "small_v2 Road")[0]["wkb"])
    assert road.bounds == pytest.approx((210040, 440000, 210050, 440005))


def test_progress_is_reported_and_cancel_leaves_the_project_unchanged(fixtures, project):
    seen = []
    options = ImportOptions(progress=lambda f, m: seen.append((f, m)))
    import_file(project, fixtures / "cityjson" / "small_v2.city.json", options)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 4
    before = [layer.name for layer in project.layers()]
    from twin.api import ImportCancelled

    with pytest.raises(ImportCancelled):
        import_file(project, fixtures / "cityjson" / "small_v2.city.json", ImportOptions(cancelled=lambda: True))
    assert [layer.name for layer in project.layers()] == before


def test_group_members_keep_their_theme_and_real_parent(fixtures, same_crs_project, tmp_path):
    doc = json.loads((fixtures / "cityjson" / "small_v2.city.json").read_text(encoding="utf-8"))
    doc["CityObjects"]["G1"] = {"type": "CityObjectGroup", "children": ["B1", "R1"]}
    doc["CityObjects"]["R1"]["parents"] = ["G1"]
    doc["CityObjects"]["B1-part"]["parents"] = ["G1", "B1"]
    doc["CityObjects"]["T1"]["parents"] = ["nowhere"]
    path = tmp_path / "grouped.city.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    outcome = import_file(same_crs_project, path)
    counts = {layer.name: layer.feature_count for layer in outcome.layers}
    assert counts == {"grouped Building": 1, "grouped Road": 1, "grouped SolitaryVegetationObject": 1,
                      "grouped CityObjectGroup": 1}
    rows = features(same_crs_project, "grouped Building")
    assert [(r["object_id"], r["parent_id"]) for r in rows] == [("B1", None), ("B1-part", "B1")]
    assert any(n.startswith("1 parent id(s) not in the file") and "nowhere" in n for n in outcome.reports[0].notes)


def test_no_transform_numeric_lods_and_children_only(fixtures, same_crs_project, tmp_path):
    """CityJSON 1.0 style: real coordinates without ``transform``, LoDs as numbers, parts listed as children."""
    doc = json.loads((fixtures / "cityjson" / "small_v2.city.json").read_text(encoding="utf-8"))
    scale = np.asarray(doc.pop("transform")["scale"])
    doc["vertices"] = (np.asarray(doc["vertices"]) * scale + ORIGIN).tolist()
    doc["version"] = "1.0"
    for obj in doc["CityObjects"].values():
        obj.pop("parents", None)
        for geometry in obj.get("geometry", []):
            if "lod" in geometry:
                geometry["lod"] = float(geometry["lod"]) if "." in geometry["lod"] else int(geometry["lod"])
    path = tmp_path / "old.city.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    building = import_file(same_crs_project, path).layers[0]
    assert building.properties["lods"] == ["1", "2.2"] and building.feature_count == 1
    b1, part = (shapely.from_wkb(r["wkb"]) for r in features(same_crs_project, "old Building"))
    assert b1.bounds == pytest.approx((210000, 440000, 210010, 440010)) and part.area == pytest.approx(7.0)
