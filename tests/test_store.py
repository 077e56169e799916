"""The project store: catalogue, CRS choice, transactions, the written tables."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.errors import InputError, ProjectError
from twin.layerdata import ImportReport, LayerData, MeshData
from twin.store.project import Project
from twin.store import schema
from twin.store.writer import write_layer, write_layers


def points_layer(lons, lats, crs="EPSG:4326", **columns) -> LayerData:
    geoms = shapely.to_wkb(shapely.points(lons, lats))
    return LayerData("points", pa.table({"geometry": geoms, **columns}), crs, ImportReport("test.csv", imported=len(lons)))


def test_first_korean_data_fixes_epsg5186(project):
    layer = write_layer(project, points_layer([127.0], [37.5]), name="p", stage=3, service="safety")
    assert project.crs == "EPSG:5186"
    x0, y0, x1, y1 = layer.bbox
    assert x0 == pytest.approx(200000.0, abs=0.01)  # 127E is the central meridian of EPSG:5186
    assert (layer.stage, layer.service, layer.feature_count) == (3, "safety", 1)


def test_data_outside_korea_gets_its_utm_zone(project):
    write_layer(project, points_layer([4.36], [52.0]), name="delft")
    assert project.crs == "EPSG:32631"


def test_project_crs_given_wins(tmp_path):
    with Project.open(tmp_path / "a.twin.duckdb", create=True, crs="epsg:5179") as p:
        write_layer(p, points_layer([127.0], [37.5]), name="p")
        assert p.crs == "EPSG:5179"


def test_geographic_project_crs_refused(tmp_path):
    with pytest.raises(ProjectError, match="not a projected CRS"):
        Project.open(tmp_path / "a.twin.duckdb", create=True, crs="EPSG:4326")


def test_korean_attribute_names_and_reserved_names_kept(project):
    write_layer(project, points_layer([127.0, 127.1], [37.5, 37.6], 이름=["가", "나"], fid=[7, 8]), name="시설")
    table = project.query('SELECT fid, "이름", fid_src FROM lyr_1 ORDER BY fid').to_pydict()
    assert table == {"fid": [0, 1], "이름": ["가", "나"], "fid_src": [7, 8]}


def test_failed_write_leaves_project_unchanged(project):
    write_layer(project, points_layer([127.0], [37.5]), name="first")
    before = project.query("SELECT table_name FROM duckdb_tables() ORDER BY 1").to_pydict()
    bad = points_layer([127.0], [37.5])
    bad.crs = None  # a file without CRS and no --crs
    with pytest.raises(InputError, match="--crs"):
        write_layers(project, [(points_layer([127.2], [37.4]), "second"), (bad, "third")])
    assert [layer.name for layer in project.layers()] == ["first"]
    assert project.query("SELECT table_name FROM duckdb_tables() ORDER BY 1").to_pydict() == before


def test_duplicate_layer_name_is_an_error(project):
    write_layer(project, points_layer([127.0], [37.5]), name="a")
    with pytest.raises(ProjectError, match="already exists"):
        write_layer(project, points_layer([127.0], [37.5]), name="a")


def test_mesh_table_round_trip(project):
    vertices = np.array([[127.0, 37.5, 0], [127.001, 37.5, 0], [127.0, 37.501, 10]], dtype=float)
    mesh = MeshData(
        vertices=vertices,
        triangles=np.array([[0, 1, 2]], dtype=np.int32),
        triangle_surface=np.array([3], dtype=np.uint8),
        part_vertex_offsets=np.array([0, 3]),
        part_triangle_offsets=np.array([0, 1]),
        part_feature=np.array([0]),
        part_lod=np.array(["2.2"], dtype=object),
    )
    data = points_layer([127.0], [37.5])
    data.kind, data.mesh = "buildings", mesh
    layer = write_layer(project, data, name="b")
    row = project.query(f"SELECT fid, lod, vertices, triangles, surfaces FROM {layer.mesh_table}").to_pylist()[0]
    assert row["lod"] == "2.2" and row["triangles"] == [0, 1, 2] and row["surfaces"] == [3]
    assert row["vertices"][0] == pytest.approx(200000.0, abs=0.01)
    assert layer.zrange == (0.0, 10.0)
    assert sorted(project.layer_tables(layer)) == ["lyr_1", "lyr_1_mesh"]
    project.remove_layer("b")
    tables = project.query("SELECT table_name FROM duckdb_tables() ORDER BY 1").column("table_name").to_pylist()
    assert tables == ["bookmarks", "imports", "layers", "links", "meta", "tours"]  # the catalogue, no layer tables


def test_remove_and_rename(project):
    write_layer(project, points_layer([127.0], [37.5]), name="a")
    project.rename_layer("a", "b")
    assert [layer.name for layer in project.layers()] == ["b"]
    project.remove_layer("b")
    assert project.layers() == []
    assert project.query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name LIKE 'lyr_%'").to_pydict()["n"] == [0]
    assert project.query("SELECT count(*) AS n FROM imports").to_pydict()["n"] == [1]  # provenance kept


def test_reopen_keeps_everything_and_schema_version(tmp_path):
    path = tmp_path / "p.twin.duckdb"
    with Project.open(path, create=True) as p:
        write_layer(p, points_layer([127.0], [37.5]), name="a")
        p.set_style("a", {"color": "#ff0000"})
    with Project.open(path) as p:
        assert p.meta("schema_version") == str(schema.SCHEMA_VERSION)
        assert p.layer("a").style == {"color": "#ff0000"}
        report = json.loads(p.query("SELECT report FROM imports").to_pydict()["report"][0])
        assert report["imported"] == 1


def test_opening_a_non_project_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.twin.duckdb"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ProjectError, match="junk.twin.duckdb"):
        Project.open(junk)
    with pytest.raises(ProjectError, match="no such project"):
        Project.open(tmp_path / "missing.twin.duckdb")


def test_point_layers_take_the_array_fast_path_with_identical_results(project):
    from twin.store.writer import point_xy_from_wkb

    lons, lats = np.array([127.0, 127.1, 126.9]), np.array([37.5, 37.6, 37.4])
    wkb = pa.array(shapely.to_wkb(shapely.points(lons, lats)), type=pa.binary())
    xy = point_xy_from_wkb(wkb)
    assert np.array_equal(xy.x, lons) and np.array_equal(xy.y, lats)
    assert point_xy_from_wkb(pa.array(shapely.to_wkb(shapely.points([[1, 2, 3]])), type=pa.binary())) is None  # 3D
    assert point_xy_from_wkb(pa.array([wkb[0].as_py(), None], type=pa.binary())) is None  # nulls
    write_layer(project, points_layer(lons, lats), name="fast")
    got = project.query("SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM lyr_1 ORDER BY fid").to_pydict()
    from twin.crs import transform_xy

    ex, ey = transform_xy(lons, lats, "EPSG:4326", "EPSG:5186")
    assert np.allclose(got["x"], ex) and np.allclose(got["y"], ey)
