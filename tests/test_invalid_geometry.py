"""Invalid geometries (issue 10): repaired or skipped at import, always reported; the scene draws the rest.

- a self-intersecting polygon is repaired with ``shapely.make_valid`` and counted; one with no area is skipped;
- a point at lon 500, lat 900 (anything that is not a place, or reprojects to inf/NaN) is skipped per feature;
- a file with no usable feature is refused, quoting the importer's reason, and leaves no project behind;
- ``twin render`` of a project that already holds such features draws the others and says how many it left out.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main
from twin.errors import InputError
from twin.io.service import import_file
from twin.layerdata import ImportReport, LayerData, MeshData
from twin.store.cleaning import drop_rows
from twin.store.writer import write_layer

BOWTIE = [[127.0, 37.5], [127.01, 37.51], [127.01, 37.5], [127.0, 37.51], [127.0, 37.5]]
SQUARE = [[127.02, 37.5], [127.03, 37.5], [127.03, 37.51], [127.02, 37.51], [127.02, 37.5]]
FLAT = [[127.0, 37.5], [127.25, 37.75], [127.5, 38.0], [127.0, 37.5]]  # all points on a line: no area


def feature(geometry_type, coordinates, name="x"):
    return {"type": "Feature", "properties": {"name": name},
            "geometry": {"type": geometry_type, "coordinates": coordinates}}


def geojson(path, *features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}), encoding="utf-8")
    return path


def strict_json(text: str):
    def refuse(value):
        raise ValueError(f"not strict JSON: {value}")

    return json.loads(text, parse_constant=refuse)


def test_a_bowtie_is_repaired_and_counted(tmp_path, project):
    path = geojson(tmp_path / "bowtie.geojson", feature("Polygon", [BOWTIE], "bow"), feature("Polygon", [SQUARE]))
    outcome = import_file(project, path)
    report = outcome.reports[0]
    assert report.detected["repaired geometries"] == 1 and report.skipped == []
    assert any(n.startswith("repaired 1 invalid polygon(s) with make_valid") and "feature 1" in n for n in report.notes)
    table = outcome.layers[0].table_name
    rows = project.query(f"SELECT fid, ST_IsValid(geom) AS ok, ST_Area(geom) AS area FROM {table} ORDER BY fid")
    assert rows.column("ok").to_pylist() == [True, True]
    assert rows.column("area").to_pylist()[0] > 0  # both lobes kept
    stored = json.loads(project.query("SELECT report FROM imports").column("report")[0].as_py())
    assert stored["detected"]["repaired geometries"] == 1


def test_a_polygon_without_area_is_skipped_and_the_rest_imported(tmp_path, project):
    path = geojson(tmp_path / "flat.geojson", feature("Polygon", [SQUARE]), feature("Polygon", [FLAT]))
    outcome = import_file(project, path)
    assert outcome.layers[0].feature_count == 1
    [skip] = outcome.reports[0].skipped
    assert (skip.where, skip.reason) == ("feature 2", "invalid polygon that make_valid cannot repair (it has no area)")


def test_a_point_off_the_globe_is_skipped_never_stored_as_inf(tmp_path, capsys):
    project = tmp_path / "p.twin.duckdb"
    path = geojson(tmp_path / "far.geojson", feature("Point", [500, 900], "far"), feature("Point", [127.0, 37.5]))
    assert main(["import", str(project), str(path), "--no-suggest"]) == 0  # first import: picks the project CRS
    err = capsys.readouterr().err
    assert "imported 1 feature(s), skipped 1" in err
    assert "skipped 1: coordinates are not a place in EPSG:4326 (infinite, NaN or beyond the globe) (feature 1)" in err
    assert main(["info", str(project), "--json"]) == 0
    info = strict_json(capsys.readouterr().out)
    assert info["crs"] == "EPSG:5186"  # chosen from the good point only
    assert info["layers"][0]["features"] == 1 and all(np.isfinite(info["layers"][0]["bbox"]))


def test_a_point_that_reprojects_to_inf_is_skipped(tmp_path, project):
    report = ImportReport("mem")
    features = pa.table({"name": ["a", "b"], "geometry": pa.array(shapely.to_wkb(
        [shapely.Point(127.0, 37.5), shapely.Point(np.inf, 37.5)]), pa.binary())})
    info = write_layer(project, LayerData("points", features, "EPSG:4326", report), name="pts")
    assert info.feature_count == 1 and [s.where for s in report.skipped] == ["feature 2"]
    assert np.isfinite(info.bbox).all()


def test_a_file_with_no_usable_feature_is_refused_and_leaves_no_project(tmp_path, capsys):
    project = tmp_path / "new.twin.duckdb"
    path = geojson(tmp_path / "allfar.geojson", feature("Point", [500, 900]), feature("Point", [float("nan"), 1]))
    assert main(["import", str(project), str(path)]) == 1
    err = capsys.readouterr().err
    assert "allfar.geojson: no usable feature: coordinates are not a place in EPSG:4326" in err
    assert "no coordinates to place the project" not in err
    assert not project.exists()


def test_dropping_rows_renumbers_mesh_parts_and_parents():
    mesh = MeshData(vertices=np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [np.inf, 0, 0], [5, 0, 0], [5, 1, 0],
                                       [6, 0, 0]], float),
                    triangles=np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2]], np.int32),
                    triangle_surface=np.zeros(3, np.uint8),
                    part_vertex_offsets=np.array([0, 3, 4, 7]), part_triangle_offsets=np.array([0, 1, 2, 3]),
                    part_feature=np.array([0, 1, 2]), part_lod=np.array(["1", "1", "1"], dtype=object))
    features = pa.table({"object_id": ["a", "b", "c"], "parent_fid": pa.array([None, 0, 1], pa.int64()),
                         "geometry": pa.array([None, None, None], pa.binary())})
    data = LayerData("buildings", features, "EPSG:5186", ImportReport("mem"), mesh=mesh)
    out = drop_rows(data, np.array([False, True, False]))
    assert out.features.column("object_id").to_pylist() == ["a", "c"]
    assert out.features.column("parent_fid").to_pylist() == [None, None]  # c's parent was dropped: top-level
    assert out.mesh.part_feature.tolist() == [0, 1] and out.mesh.vertices[:, 0].tolist() == [0, 1, 0, 5, 5, 6]
    assert out.mesh.part_vertex_offsets.tolist() == [0, 3, 6]


def test_cityjson_objects_without_valid_geometry_are_skipped_and_counted(tmp_path, fixtures):
    from twin.io.importing import read_file

    _, datas = read_file(fixtures / "fuzz" / "cityjson_bad_objects.city.json")
    data = datas[0]
    assert data.features.column("object_id").to_pylist() == ["good", "parent", "part"]
    reasons = {s.where: s.reason for s in data.report.skipped}
    assert reasons["oob"] == "vertex index 99 is out of range (the file has 8 vertices)"
    assert reasons["negative"] == "vertex index -1 is out of range (the file has 8 vertices)"
    assert reasons["big"] == "vertex index 2147483648 is out of range (the file has 8 vertices)"
    for oid in ("float", "text", "deep"):
        assert reasons[oid].endswith("boundaries are not nested lists of vertex indices as the geometry type needs")
    assert data.mesh is not None and set(data.mesh.part_feature.tolist()) == {0, 2}


@pytest.mark.parametrize("name, reason", [
    ("cityjson_index_out_of_range.city.json",
     "no usable city object: vertex index 99 is out of range (the file has 8 vertices) (b1; 1 skipped)"),
    ("cityjson_scale_overflow.city.json", "no usable city object: vertex 3 has coordinates that are not finite "
                                          "(vertices x transform.scale + translate overflow) (b1; 1 skipped)"),
])
def test_a_cityjson_with_no_usable_object_is_refused_with_the_reason(tmp_path, fixtures, capsys, name, reason):
    project = tmp_path / "new.twin.duckdb"
    assert main(["import", str(project), str(fixtures / "fuzz" / name)]) == 1
    err = capsys.readouterr().err
    assert reason in err and "no coordinates to place the project" not in err
    assert not project.exists()


# ----- the scene: what a project already holds ---------------------------------------------------------
@pytest.fixture
def damaged(tmp_path):
    """A project whose polygons layer holds a bow-tie and whose points layer holds POINT (inf inf),
    written straight into the tables (as an older version or another tool could have)."""
    from twin.store.project import Project

    path = tmp_path / "damaged.twin.duckdb"
    project = Project.open(path, create=True, crs="EPSG:5186")
    polygons = import_file(project, geojson(tmp_path / "areas.geojson", feature("Polygon", [SQUARE]),
                                            feature("Polygon", [SQUARE]))).layers[0]
    points = import_file(project, geojson(tmp_path / "pts.geojson", feature("Point", [127.0, 37.5]),
                                          feature("Point", [127.001, 37.5]))).layers[0]
    x, y = 200000.0, 544000.0
    bowtie = f"POLYGON(({x} {y}, {x + 50} {y + 50}, {x + 50} {y}, {x} {y + 50}, {x} {y}))"
    with project.transaction() as con:
        con.execute(f"UPDATE {polygons.table_name} SET geom = ST_GeomFromText(?) WHERE fid = 0", [bowtie])
        con.execute(f"UPDATE {points.table_name} SET geom = ST_Point('inf'::DOUBLE, 'inf'::DOUBLE) WHERE fid = 1")
    yield project, polygons, points
    project.close()


def test_the_scene_skips_and_reports_what_it_cannot_draw(damaged, caplog, monkeypatch):
    from twin.scene import drawable
    from twin.scene.features import read_geometries
    from twin.scene.origin import LocalOrigin
    from twin.scene.polygons import polygon_meshes

    project, polygons, points = damaged
    origin = LocalOrigin(200000.0, 544000.0, 0.0)
    with caplog.at_level(logging.WARNING, logger="twin.scene"):
        assert read_geometries(project, points).fids.tolist() == [0]
    assert "layer 'pts': 1 feature(s) not drawn: coordinates are infinite or NaN (fid 1)" in caplog.text
    fill, outline = polygon_meshes(project, polygons, origin)
    assert set(np.unique(fill.cell_data["fid"]).tolist()) == {0, 1}  # the bow-tie drawn as its two lobes
    real = shapely.constrained_delaunay_triangles

    def failing(parts):  # GEOS failing on one polygon ("Unable to find a convex corner") must not stop the rest
        if any(shapely.equals(p, parts_to_fail[0]) for p in np.atleast_1d(parts)):
            raise shapely.errors.GEOSException("IllegalStateException: Unable to find a convex corner")
        return real(parts)

    parts_to_fail = shapely.get_parts(read_geometries(project, polygons).geoms[1:2])
    monkeypatch.setattr(drawable.shapely, "constrained_delaunay_triangles", failing)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="twin.scene"):
        fill, _ = polygon_meshes(project, polygons, origin)
    assert set(np.unique(fill.cell_data["fid"]).tolist()) == {0}
    assert ("layer 'areas': 1 feature(s) not drawn: GEOS cannot triangulate them (IllegalStateException: "
            "Unable to find a convex corner) (fid 1)") in caplog.text


def test_twin_render_draws_the_rest_and_says_how_many_it_left_out(damaged, tmp_path):
    import subprocess
    import sys

    project, _, _ = damaged
    path = project.path
    project.close()
    out = tmp_path / "picture.png"
    result = subprocess.run([sys.executable, "-m", "twin.cli.main", "render", str(path), "--out", str(out),
                             "--size", "320x240"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "WARNING layer 'pts': 1 feature(s) not drawn: coordinates are infinite or NaN (fid 1)" in lines
    assert lines[-1].startswith("wrote ") and "2 layer(s)" in lines[-1] and out.stat().st_size > 0
