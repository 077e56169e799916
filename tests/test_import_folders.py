"""Folders: a GTFS feed unzipped is recognised by its content; other folders are a clear error."""

from __future__ import annotations

import zipfile

import pytest

from twin.errors import InputError
from twin.io.importing import choose_importer
from twin.io.service import import_file
from twin.io.options import ImportOptions
from twin.store.project import Project


def imported(project, outcome) -> list[tuple]:
    """Each layer without its name: kind, features, CRS, extent, time span, report, rows of its tables."""
    rows = []
    for layer, report in zip(outcome.layers, outcome.reports):
        tables = [project.query(f'SELECT count(*) FROM "{t}"').column(0)[0].as_py() for t in project.layer_tables(layer)]
        rows.append((layer.kind, layer.feature_count, layer.source_crs, layer.bbox, layer.time_span,
                     report.imported, report.skipped, report.detected, tables))
    return rows


def test_unzipped_gtfs_folder_imports_like_the_zip(shared_data, tmp_path, project):
    archive_path = shared_data / "D" / "gtfs_caltrain_2017-07-24.zip"
    folder = tmp_path / "caltrain"
    with zipfile.ZipFile(archive_path) as archive:
        archive.extractall(folder)
    assert choose_importer(folder).id == "gtfs"
    options = dict(extra={"date": "2017-07-24"})
    outcome = import_file(project, folder, ImportOptions(**options))
    assert outcome.importer == "gtfs"
    assert [(layer.name, layer.kind, layer.feature_count) for layer in outcome.layers] == [
        ("caltrain vehicles", "moving", 92), ("caltrain stops", "points", 64)]  # 92 trips run that Monday
    assert outcome.reports[0].detected["trips"] == 92
    with Project.open(tmp_path / "zip.twin.duckdb", create=True) as other:
        from_zip = import_file(other, archive_path, ImportOptions(**options))
        assert [layer.name for layer in from_zip.layers] == ["gtfs_caltrain_2017-07-24 vehicles",
                                                            "gtfs_caltrain_2017-07-24 stops"]
        assert imported(project, outcome) == imported(other, from_zip)


def test_a_folder_of_something_else_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError) as info:
        choose_importer(tmp_path)
    assert (info.value.path, info.value.where, info.value.reason) == (
        str(tmp_path), None, "is a folder that no importer recognises (give a file, or a GTFS feed folder)")
