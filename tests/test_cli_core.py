"""The `twin` CLI core commands and their error paths (messages on stderr, data on stdout)."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main
from twin.layerdata import ImportReport, LayerData
from twin.store.project import Project
from twin.store.writer import write_layer


def make_project(path):
    with Project.open(path, create=True) as p:
        geoms = shapely.to_wkb(shapely.points([127.0, 127.01, 127.02], [37.5, 37.51, 37.52]))
        data = LayerData("points", pa.table({"geometry": geoms, "종류": ["CCTV", "CCTV", "센서"]}), "EPSG:4326",
                         ImportReport("x.csv", imported=3))
        write_layer(p, data, name="시설", stage=2, service="safety")
    return path


def test_info_json_prints_only_json(tmp_path, capsys):
    path = make_project(tmp_path / "p.twin.duckdb")
    assert main(["info", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["crs"] == "EPSG:5186"
    (layer,) = out["layers"]
    bbox = layer.pop("bbox")
    assert layer == {"name": "시설", "kind": "points", "stage": 2, "service": "safety", "features": 3, "time_span": None,
                     "timezone": None}
    # the three points in the project CRS (EPSG:5186, origin 127°E 38°N at 200000, 600000): west, south, east, north
    assert bbox == pytest.approx([200000.0, 544504.123, 201768.037, 546724.056], abs=0.01)


def test_query_formats(tmp_path, capsys):
    path = make_project(tmp_path / "p.twin.duckdb")
    assert main(["query", str(path), 'SELECT "종류", count(*) AS n FROM lyr_1 GROUP BY 1 ORDER BY 1', "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"종류": "CCTV", "n": 2}, {"종류": "센서", "n": 1}]
    assert main(["query", str(path), "SELECT fid, ST_X(geom) > 200000 AS east FROM lyr_1 ORDER BY fid", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["fid,east", "0,False", "1,True", "2,True"]
    assert main(["query", str(path), "SELECT geom FROM lyr_1 WHERE fid = 0"]) == 0
    assert "POINT (200000 544504.123)" in capsys.readouterr().out


def test_errors_are_one_line_and_nonzero(tmp_path, capsys):
    path = make_project(tmp_path / "p.twin.duckdb")
    assert main(["query", str(path), "SELECT * FROM nowhere"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("twin query: error: SQL failed: Catalog Error: Table with name nowhere does not exist!")
    assert err.count("\n") == 1
    assert main(["info", str(tmp_path / "missing.twin.duckdb")]) == 1
    assert capsys.readouterr().err == f"twin info: error: {tmp_path / 'missing.twin.duckdb'}: no such project\n"
    assert main(["export", str(path), "nope", str(tmp_path / "x.gpkg")]) == 1
    assert capsys.readouterr().err == f"twin export: error: no layer named 'nope' in {path} (layers: 시설)\n"
    assert main(["export", str(path), "시설", str(tmp_path / "x.txt")]) == 1
    assert capsys.readouterr().err == (
        f"twin export: error: {tmp_path / 'x.txt'}: unknown export format; use .gpkg, .parquet, .geojson, .city.json or .city.jsonl\n")
    assert not (tmp_path / "x.gpkg").exists() and not (tmp_path / "x.txt").exists()


def test_import_of_a_missing_file_leaves_no_project(tmp_path):
    project = tmp_path / "new.twin.duckdb"
    result = subprocess.run([sys.executable, "-m", "twin.cli.main", "import", str(project), str(tmp_path / "none.csv")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == f"twin import: error: {tmp_path / 'none.csv'}: no such file\n"
    assert result.stdout == ""
    assert not project.exists()


def test_export_round_trip(tmp_path):
    import geopandas as gpd

    path = make_project(tmp_path / "p.twin.duckdb")
    for suffix in (".gpkg", ".parquet", ".geojson"):
        out = tmp_path / f"out{suffix}"
        assert main(["export", str(path), "시설", str(out)]) == 0
        frame = gpd.read_parquet(out) if suffix == ".parquet" else gpd.read_file(out)
        assert list(frame["종류"]) == ["CCTV", "CCTV", "센서"]
        expected = "EPSG:4326" if suffix == ".geojson" else "EPSG:5186"
        assert frame.crs.to_string() == expected
