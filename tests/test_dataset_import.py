"""`twin import PROJECT FILE DATASET --all-or-nothing`: the dataset is checked with the files, referenced in the
same opening of the project, and removed again like any layer when a later write fails (docs/datasets.md)."""

from __future__ import annotations

import json
import pathlib

from tests.test_datasets import write_buildings
from twin.cli.main import main
from twin.store.project import Project


def _csv(path: pathlib.Path) -> pathlib.Path:  # two points in Seoul, beside the dataset of write_buildings
    path.write_text("name,lon,lat\na,126.99,37.57\nb,126.995,37.575\n", encoding="utf-8")
    return path


def _layers(capsys, project) -> list[str]:
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    return [la["name"] for la in json.loads(capsys.readouterr().out)["layers"]]


def test_all_or_nothing_references_the_dataset_with_the_files(tmp_path, capsys):
    write_buildings(tmp_path / "city")
    project = tmp_path / "p.twin.duckdb"
    args = ["import", str(project), str(_csv(tmp_path / "spots.csv")), str(tmp_path / "city"), "--all-or-nothing"]
    assert main(args) == 0
    assert "imported 2 of 2 files: spots.csv (1 layer), city (1 layer)" in capsys.readouterr().err
    assert _layers(capsys, project) == ["spots", "city"]
    with Project.open(project, read_only=True) as p:
        city = p.layer("city")
        assert city.properties["dataset"]["partitions"] == 9 and not city.broken
        assert p.rows(f"SELECT count(*) FROM {city.ref()}")[0][0] == 144  # the view over the partitions


def test_all_or_nothing_with_a_bad_file_writes_nothing(tmp_path, capsys):
    write_buildings(tmp_path / "city")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,colour\na,red\n", encoding="utf-8")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city"), str(bad), "--all-or-nothing"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "imported 0 of 2 files" in last and "--all-or-nothing: the project is as it was" in last
    assert not project.exists()
    (tmp_path / "city" / "twin-dataset.json").write_text("{")  # a broken manifest is refused before any write
    good = _csv(tmp_path / "spots.csv")
    assert main(["import", str(project), str(good), str(tmp_path / "city"), "--all-or-nothing"]) == 1
    err = capsys.readouterr().err
    assert "twin-dataset.json" in err and not project.exists()


def test_a_refused_dataset_removes_the_layers_written_before_it(tmp_path, capsys):
    write_buildings(tmp_path / "city")  # EPSG:5186
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(_csv(tmp_path / "first.csv")), "--project-crs", "EPSG:32652"]) == 0
    args = ["import", str(project), str(_csv(tmp_path / "spots.csv")), str(tmp_path / "city"), "--all-or-nothing"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "the dataset is in EPSG:5186, the project in EPSG:32652" in err
    assert "written, then removed again: spots.csv" in err.strip().splitlines()[-1]
    assert _layers(capsys, project) == ["first"]
