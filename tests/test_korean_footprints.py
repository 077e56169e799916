"""Korean national building footprints: CP949 shapefiles in EPSG:5174 / 5186 with storey and height
columns (Korean or coded names) become LoD1 buildings; --height-column / --storeys-column override detection."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from twin.cli.main import main
from twin.errors import InputError
from twin.io.options import ImportOptions
from twin.io.service import import_file
from twin.store.project import Project

#: a point in Sejong in each CRS (EPSG:5174 is the old Bessel cadastre, false northing 500,000)
ORIGIN = {"EPSG:5186": (210_000.0, 440_000.0), "EPSG:5174": (210_090.0, 340_300.0)}


def portal_shapefile(folder, crs, columns, *, cpg=True, name="AL_buildings"):
    """Three footprints as the national portals publish them: a CP949 .dbf, a .prj, with or without .cpg."""
    x, y = ORIGIN[crs]
    shapes = [shapely.box(0, 0, 20, 12), shapely.box(30, 0, 45, 25), shapely.Polygon(
        [(60, 0), (90, 0), (90, 30), (60, 30)], holes=[[(70, 10), (70, 20), (80, 20), (80, 10)]])]
    frame = gpd.GeoDataFrame(columns, crs=crs, geometry=[shapely.affinity.translate(s, x, y) for s in shapes])
    path = folder / f"{name}.shp"
    frame.to_file(path, encoding="cp949", engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def blocks(project, layer):
    """Per feature: (height used, where it came from, mesh z range)."""
    rows = project.query(f'SELECT f.height, f.height_from, min(list_min(list_slice(m.vertices, 3, -1, 3))) AS z0, '
                         f'max(list_max(list_slice(m.vertices, 3, -1, 3))) AS z1 FROM "{layer.table_name}" f '
                         f'JOIN "{layer.mesh_table}" m USING (fid) GROUP BY f.fid, f.height, f.height_from ORDER BY f.fid')
    return [(r["height"], r["height_from"], round(r["z1"] - r["z0"], 6)) for r in rows.to_pylist()]


@pytest.mark.parametrize("crs", ["EPSG:5186", "EPSG:5174"])
@pytest.mark.parametrize("cpg", [True, False])
def test_cp949_storeys_and_height_become_lod1(tmp_path, project, crs, cpg):
    path = portal_shapefile(tmp_path, crs, {"건물명": ["가동", "나동", "다동"], "지상층수": [5, 12, None],
                                            "높이": [None, 38.5, None]}, cpg=cpg)
    dbf = path.with_suffix(".dbf").read_bytes()
    assert "지상층수".encode("cp949") in dbf and "다동".encode("cp949") in dbf  # CP949, as the portals write it
    outcome = import_file(project, path, ImportOptions(storey_height=3.0, default_height=10.0))
    (layer,), (report,) = outcome.layers, outcome.reports
    assert layer.kind == "buildings" and layer.source_crs == crs and project.crs == "EPSG:5186"
    assert report.detected["height column"] == "높이" and report.detected["storeys column"] == "지상층수"
    if not cpg:
        assert report.detected["encoding"] == "cp949 (no .cpg: guessed from the .dbf bytes)"
    # the rule: the height when positive, else storeys x storey height, else the default height
    assert blocks(project, layer) == [(15.0, "storeys", 15.0), (38.5, "height", 38.5), (10.0, "default", 10.0)]
    assert "1 building(s) had storeys only: storeys x 3 m used" in report.notes
    names = project.query(f'SELECT "건물명" FROM "{layer.table_name}" ORDER BY fid').column(0).to_pylist()
    assert names == ["가동", "나동", "다동"]
    # reprojected into the project CRS where pyproj puts the source corner
    x, y = ORIGIN[crs]
    want = pyproj.Transformer.from_crs(crs, "EPSG:5186", always_xy=True).transform(x, y)
    corner = project.query(f'SELECT ST_XMin(geom) AS x, ST_YMin(geom) AS y FROM "{layer.table_name}" WHERE fid = 0')
    assert (corner.column("x")[0].as_py(), corner.column("y")[0].as_py()) == pytest.approx(want, abs=0.01)
    if crs == "EPSG:5174":  # reprojected, not taken as it is (false northing 500,000 vs 600,000)
        assert abs(corner.column("y")[0].as_py() - y) > 90_000


@pytest.mark.parametrize("columns, found", [
    ({"BLD_NM": ["A", "B", "C"], "GRND_FLR": [2, 4, 6]}, (None, "GRND_FLR")),
    ({"BD_MGT_SN": ["1", "2", "3"], "GRO_FLO_CO": [2, 4, 6]}, (None, "GRO_FLO_CO")),
    ({"ID": ["1", "2", "3"], "HEIGHT": [6.0, 12.0, 18.0]}, ("HEIGHT", None)),
    ({"건축물명": ["가", "나", "다"], "층수": [2, 4, 6]}, (None, "층수")),
])
def test_coded_and_korean_column_names_are_detected(tmp_path, project, columns, found):
    path = portal_shapefile(tmp_path, "EPSG:5186", columns)
    (layer,), (report,) = (lambda o: (o.layers, o.reports))(import_file(project, path))
    assert (report.detected["height column"], report.detected["storeys column"]) == found
    assert [b[2] for b in blocks(project, layer)] == [6.0, 12.0, 18.0]
    names = project.query(f'SELECT * FROM "{layer.table_name}" LIMIT 0').column_names
    assert "height" in names and "height_1" not in names  # a source "HEIGHT" is kept as "HEIGHT_src"


def coded_file(tmp_path):
    """AL_D010-like coded columns the detector does not know: A16 height (m), A26 storeys above ground."""
    return portal_shapefile(tmp_path, "EPSG:5186", {"A0": ["x1", "x2", "x3"], "A16": [7.5, None, 0.0],
                                                    "A26": [9, 4, 2], "층수": [1, 1, 1]})


def test_columns_given_override_detection(tmp_path, project):
    options = ImportOptions(height_column="A16", storeys_column="a26")  # the name folded when not exact
    (layer,), (report,) = (lambda o: (o.layers, o.reports))(import_file(project, coded_file(tmp_path), options))
    assert (report.detected["height column"], report.detected["storeys column"]) == ("A16", "A26")
    assert blocks(project, layer) == [(7.5, "height", 7.5), (12.0, "storeys", 12.0), (6.0, "storeys", 6.0)]
    assert layer.properties["height_column"] == "A16" and layer.properties["storeys_column"] == "A26"


def test_detection_without_the_options_uses_the_known_names(tmp_path, project):
    (layer,), (report,) = (lambda o: (o.layers, o.reports))(import_file(project, coded_file(tmp_path)))
    assert (report.detected["height column"], report.detected["storeys column"]) == (None, "층수")
    assert [b[2] for b in blocks(project, layer)] == [3.0, 3.0, 3.0]


def test_a_missing_column_is_one_clear_line_and_nothing_is_written(tmp_path, project):
    path = coded_file(tmp_path)
    with pytest.raises(InputError) as caught:
        import_file(project, path, ImportOptions(storeys_column="지상층수"))
    text = str(caught.value)
    assert "\n" not in text and str(path) in text
    assert "--storeys-column 지상층수: the file has no such column (columns: A0, A16, A26, 층수)" in text
    assert project.layers() == []


def test_cli_flags(tmp_path, capsys):
    path, target = coded_file(tmp_path), tmp_path / "city.twin.duckdb"
    assert main(["import", str(target), str(path), "--height-column", "A16", "--storeys-column", "A26"]) == 0
    err = capsys.readouterr().err
    assert "detected height column: A16" in err and "detected storeys column: A26" in err
    with Project.open(target, read_only=True) as project:
        assert [b[2] for b in blocks(project, project.layers()[0])] == [7.5, 12.0, 6.0]
    assert main(["import", str(target), str(path), "--height-column", "HGT"]) == 1
    assert "--height-column HGT: the file has no such column" in capsys.readouterr().err


def test_real_jamsil_buildings_as_a_portal_shapefile(tmp_path, shared_data):
    """No real Korean footprint shapefile is in ../shared/data (SOURCES.md says why); the real Jamsil OSM
    buildings, written as a portal would (CP949 .dbf without .cpg, EPSG:5174, 지상층수/높이/건물명), come back
    with the same blocks."""
    with Project.open(tmp_path / "osm.twin.duckdb", create=True) as project:
        (osm,) = import_file(project, shared_data / "B/seoul_jamsil_osm_buildings.osm").layers
        table = project.query(f'SELECT name, "building:levels" AS levels, height_src AS h, height, height_from, '
                              f'ST_AsWKB(geom) AS g FROM "{osm.table_name}" ORDER BY fid').to_pandas()
    frame = gpd.GeoDataFrame({"건물명": table["name"], "지상층수": pd_numbers(table["levels"]),
                              "높이": pd_numbers(table["h"])},
                             geometry=shapely.from_wkb(table["g"].to_numpy()), crs="EPSG:5186").to_crs("EPSG:5174")
    path = tmp_path / "jamsil_buildings.shp"
    frame.to_file(path, encoding="cp949", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    with Project.open(tmp_path / "shp.twin.duckdb", create=True) as project:
        outcome = import_file(project, path)
        (layer,), (report,) = outcome.layers, outcome.reports
        assert layer.feature_count == osm.feature_count == 1357
        assert report.detected["encoding"].startswith("cp949")
        back = project.query(f'SELECT "건물명" AS name, height, height_from FROM "{layer.table_name}" ORDER BY fid').to_pandas()
    assert back["name"].fillna("").tolist() == table["name"].fillna("").tolist()
    assert back["height_from"].tolist() == table["height_from"].tolist()
    assert np.allclose(back["height"], table["height"], atol=1e-6)


def pd_numbers(column):
    """Numbers out of OSM text values (``"12"``, ``"3;4"``) with the importer's own reader."""
    import pyarrow as pa

    from twin_plugins.formats.footprints import measure_values

    return measure_values(pa.array(column.astype(object).where(column.notna(), None).tolist(), pa.string()))
