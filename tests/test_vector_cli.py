"""End to end through the `twin` CLI: import, info --json, export to .gpkg/.parquet/.geojson and back."""

from __future__ import annotations

import json

import pytest

from twin.cli.main import main


def info(path, capsys) -> dict:
    assert main(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_import_reports_skipped_lines_and_info_json(tmp_path, shared_data, capfd):
    project = tmp_path / "osan.twin.duckdb"  # the CLI's main in-process; capfd also sees what C code writes
    assert main(["import", str(project), str(shared_data / "C/osan_cctv.csv"), "--stage", "2", "--service", "safety",
                 "--importer", "csv-points"]) == 0
    result = capfd.readouterr()
    assert result.out == ""  # messages go to stderr
    assert "imported 556 feature(s), skipped 11" in result.err
    assert "skipped 10: latitude and longitude swapped (line 559, line 560" in result.err
    assert "detected encoding: UTF-8" in result.err and "detected y column: 설치위치_위도" in result.err
    out = info(project, capfd)
    assert out["crs"] == "EPSG:5186"
    assert [(l["name"], l["kind"], l["stage"], l["service"], l["features"]) for l in out["layers"]] == [
        ("osan_cctv", "points", 2, "safety", 556)]


def test_cli_export_and_import_back(tmp_path, shared_data, capsys):
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(shared_data / "B/lyon_bdtopo_5bldg_epsg3946.geojson"),
                 str(shared_data / "C/osan_bus_stops.csv"), "--project-crs", "EPSG:5186",
                 "--force"]) == 0  # Lyon in a Korean CRS: refused without --force (docs/importers.md)
    capsys.readouterr()
    layers = {l["name"]: l for l in info(project, capsys)["layers"]}
    assert layers["lyon_bdtopo_5bldg_epsg3946"]["kind"] == "buildings"
    exported = []
    for layer, suffix in (("osan_bus_stops", ".gpkg"), ("osan_bus_stops", ".parquet"), ("osan_bus_stops", ".geojson"),
                          ("lyon_bdtopo_5bldg_epsg3946", ".gpkg")):
        out = tmp_path / f"{layer}_{suffix[1:]}{suffix}"
        assert main(["export", str(project), layer, str(out)]) == 0
        exported.append(str(out))
    back = tmp_path / "back.twin.duckdb"
    assert main(["import", str(back), *exported, "--project-crs", "EPSG:5186", "--force"]) == 0
    capsys.readouterr()
    again = {l["name"]: l for l in info(back, capsys)["layers"]}
    for suffix in ("gpkg", "parquet", "geojson"):
        layer = again[f"osan_bus_stops_{suffix}"]
        assert (layer["kind"], layer["features"]) == ("points", 412)
        assert layer["bbox"] == pytest.approx(layers["osan_bus_stops"]["bbox"], abs=0.01)
    lyon = again["lyon_bdtopo_5bldg_epsg3946_gpkg"]
    assert (lyon["kind"], lyon["features"]) == ("buildings", 5)  # the height column makes them blocks again
    assert lyon["bbox"] == pytest.approx(layers["lyon_bdtopo_5bldg_epsg3946"]["bbox"], abs=0.01)


def test_cli_errors_are_one_line_and_exit_1(tmp_path, shared_data, fixtures, capsys):
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(fixtures / "csv/no_coordinates.csv")]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("twin import: error: ") and "no coordinate columns" in errors[0]
    assert not project.exists()  # a failed first import leaves no project behind
    xy = shared_data / "E/osan_taas_2017_2019_xy_epsg5181.csv"
    assert main(["import", str(project), str(xy), "--x", "0", "--y", "1", "--importer", "csv-points"]) == 1
    assert "give their CRS with --crs" in capsys.readouterr().err
    assert main(["import", str(project), str(xy), "--x", "0", "--y", "1", "--crs", "EPSG:5181",
                 "--importer", "csv-points"]) == 0
    assert "imported 172 feature(s), skipped 0" in capsys.readouterr().err
