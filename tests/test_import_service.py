"""The one import path (twin.io.service): a plan reads and describes a file without touching the project;
writing a plan never reads the file again; the CLI's import_file and the window's dialog both use it."""

from __future__ import annotations

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "ui"))
import ui_projects  # noqa: E402

from twin.errors import ImportCancelled, ProjectError  # noqa: E402
from twin.io.options import ImportOptions  # noqa: E402
from twin.io.service import ImportService, default_layer_name, import_file  # noqa: E402
from twin.store.project import Project  # noqa: E402


@pytest.fixture
def city(tmp_path):
    project = Project.open(ui_projects.build(tmp_path / "city.twin.duckdb"))
    yield project
    project.close()


def test_a_plan_describes_the_file_and_leaves_the_project_alone(city, shared_data):
    before = [layer.name for layer in city.layers()]
    plan = ImportService(city).plan(shared_data / "C" / "osan_cctv.csv")
    detected = plan.detected()
    # a CCTV file name: the cameras importer of twin-safety (the generic points reader underneath)
    assert detected["importer"] == "cctv-csv" and detected["format"].startswith("CCTV cameras in CSV")
    assert detected["encoding"] == "UTF-8"
    assert detected["x column"] == "설치위치_경도" and detected["y column"] == "설치위치_위도"
    assert (plan.feature_count, plan.skipped_count, detected["layers"]) == (556, 11, 1)
    assert (plan.suggestion.stage, plan.suggestion.service) == (2, "safety")  # '*cctv*' in the file name
    assert "설치위치_경도" in plan.columns()
    assert [layer.name for layer in city.layers()] == before


def test_writing_a_plan_never_reads_the_file_again(city, shared_data, monkeypatch):
    import twin.io.service as service_module

    calls = []
    real = service_module.read_file
    monkeypatch.setattr(service_module, "read_file", lambda *a, **k: calls.append(a) or real(*a, **k))
    service = ImportService(city)
    plan = service.plan(shared_data / "C" / "osan_cctv.csv")
    progress = []
    outcome = service.write(plan, name="CCTV Osan", stage=2, service="safety",
                            progress=lambda fraction, message: progress.append((fraction, message)))
    assert len(calls) == 1
    layer = city.layer("CCTV Osan")
    assert (layer.stage, layer.service, layer.feature_count) == (2, "safety", 556)
    assert [info.name for info in outcome.layers] == ["CCTV Osan"]
    assert len(outcome.reports[0].skipped) == 11 and progress[-1] == (1.0, "done")


def test_write_with_suggest_fills_what_is_missing_and_says_so(city, shared_data):
    service = ImportService(city)
    outcome = service.write(service.plan(shared_data / "C" / "osan_cctv.csv"), stage=3, suggest=True)
    layer = outcome.layers[0]
    assert (layer.stage, layer.service) == (3, "safety")  # the given stage kept, the service suggested
    assert any("suggested service 'safety'" in note for note in outcome.reports[0].notes)


def test_a_cancelled_plan_or_write_leaves_the_project_unchanged(city, shared_data):
    before = [layer.name for layer in city.layers()]
    options = ImportOptions(cancelled=lambda: True)
    with pytest.raises(ImportCancelled):
        ImportService(city).plan(shared_data / "C" / "korea_school_zones_national_cp949.csv", options)
    plan = ImportService(city).plan(shared_data / "C" / "osan_cctv.csv")
    with pytest.raises(ImportCancelled, match="the project is unchanged"):
        ImportService(city).write(plan, cancelled=lambda: True)
    assert [layer.name for layer in city.layers()] == before


def test_an_explicit_name_that_exists_is_refused(city, shared_data):
    plan = ImportService(city).plan(shared_data / "C" / "osan_cctv.csv")
    with pytest.raises(ProjectError, match="a layer named 'CCTV' already exists"):
        ImportService(city).write(plan, name="CCTV")


def test_import_file_is_plan_then_write(city, shared_data):
    outcome = import_file(city, shared_data / "C" / "osan_cctv.csv", ImportOptions(layer="cctv2", service="safety"))
    assert outcome.importer == "cctv-csv" and city.layer("cctv2").service == "safety"
    assert city.layer("cctv2").kind == "cctv"


def test_default_layer_name_is_the_file_name_without_its_format():
    assert default_layer_name(pathlib.Path("/x/delft.city.json")) == "delft"
    assert default_layer_name("osan_cctv.csv") == "osan_cctv"
    assert default_layer_name("a.b.geojson") == "a.b"
