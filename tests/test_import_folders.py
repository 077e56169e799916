"""Folders: a GTFS feed unzipped is recognised by its content; other folders are a clear error."""

from __future__ import annotations

import zipfile

import pytest

from twin.errors import InputError
from twin.io.importing import choose_importer, import_file
from twin.io.options import ImportOptions


def test_unzipped_gtfs_folder_imports_like_the_zip(shared_data, tmp_path, project):
    folder = tmp_path / "caltrain"
    with zipfile.ZipFile(shared_data / "D" / "gtfs_caltrain_2017-07-24.zip") as archive:
        archive.extractall(folder)
    assert choose_importer(folder).id == "gtfs"
    outcome = import_file(project, folder, ImportOptions(extra={"date": "2017-07-24"}))
    assert outcome.importer == "gtfs" and outcome.layers


def test_a_folder_of_something_else_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="folder that no importer recognises"):
        choose_importer(tmp_path)
