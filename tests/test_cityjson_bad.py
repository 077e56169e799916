"""Bad CityJSON / CityJSONSeq input: one clear error naming the file, the object or line and the
reason; broken objects skipped and reported (an error with --strict); the project left unchanged."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from twin.api import ImportOptions, InputError
from twin.io.importing import import_file


@pytest.fixture
def small(fixtures) -> dict:
    """The valid fixture as a dict, to be broken by each test."""
    return json.loads((fixtures / "cityjson" / "small_v2.city.json").read_text(encoding="utf-8"))


def write(tmp_path: pathlib.Path, doc, name: str = "bad.city.json") -> pathlib.Path:
    path = tmp_path / name
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def fails(project, path: pathlib.Path, options: ImportOptions | None = None) -> InputError:
    """Import ``path``, expect an InputError naming the file, and check the project did not change."""
    before = [layer.name for layer in project.layers()]
    with pytest.raises(InputError) as info:
        import_file(project, path, options)
    assert str(path) in str(info.value)
    assert [layer.name for layer in project.layers()] == before
    return info.value


def test_truncated_json_names_the_position(tmp_path, project, fixtures):
    text = (fixtures / "cityjson" / "small_v2.city.json").read_bytes()
    error = fails(project, write(tmp_path, text[: len(text) * 2 // 3]))
    assert "invalid JSON" in error.reason and "line" in error.reason and "truncated" in error.reason


@pytest.mark.parametrize("content, words", [
    (bytes(np.random.default_rng(1).integers(0, 256, 300, dtype=np.uint8)), "not a CityJSON file"),
    (b"", "empty"),
    (b"  \n\t ", "not a CityJSON file: the file is empty"),
    (b"[1, 2, 3]", "not a JSON object"),
    (b'{"type": "CityJSONFeature", "id": "a", "CityObjects": {}}', "'CityJSONFeature', not 'CityJSON'"),
])
def test_not_cityjson_at_all(tmp_path, project, content, words):
    assert words in str(fails(project, write(tmp_path, content)))


def test_wrong_type_found_after_the_city_objects(tmp_path, project, small):
    doc = {"CityObjects": small["CityObjects"], "type": "CityJSONish", "version": "2.0", "vertices": small["vertices"]}
    error = fails(project, write(tmp_path, doc))
    assert error.where == "type" and "'CityJSONish', not 'CityJSON'" in error.reason


@pytest.mark.parametrize("version, shown", [("0.9", "'0.9'"), ("3.0", "'3.0'"), (None, "missing")])
def test_unsupported_version(tmp_path, project, small, version, shown):
    small["version"] = version
    if version is None:
        del small["version"]
    error = fails(project, write(tmp_path, small))
    assert error.reason == f"unsupported CityJSON version {shown} (supported: 1.0, 1.1, 2.0)"


def test_patch_versions_are_accepted(tmp_path, project, small):
    small["version"] = "1.0.3"
    assert import_file(project, write(tmp_path, small, "ok.city.json")).layers


def test_missing_crs_needs_the_crs_option(tmp_path, project, small):
    del small["metadata"]["referenceSystem"]
    path = write(tmp_path, small)
    error = fails(project, path)
    assert error.reason == "the file declares no CRS: give it with --crs EPSG:NNNN"
    outcome = import_file(project, path, ImportOptions(crs="EPSG:5186"))
    assert outcome.layers[0].source_crs == "EPSG:5186"


def test_unknown_crs_is_an_error(tmp_path, project, small):
    small["metadata"]["referenceSystem"] = "urn:ogc:def:crs:EPSG::99999999"
    assert "unknown CRS" in fails(project, write(tmp_path, small)).reason


@pytest.mark.parametrize("vertices, words", [([[1, 2], [3, 4]], "triples"), ([[1, 2, "x"]], "numbers only"),
                                            ({"a": 1}, "array")])
def test_malformed_vertices(tmp_path, project, small, vertices, words):
    small["vertices"] = vertices
    error = fails(project, write(tmp_path, small))
    assert error.where == "vertices" and words in error.reason


def test_missing_city_objects(tmp_path, project, small):
    del small["CityObjects"]
    assert "no 'CityObjects'" in fails(project, write(tmp_path, small)).reason


def test_index_out_of_range_skips_the_object_geometry_or_fails_strict(tmp_path, project, small):
    small["CityObjects"]["B1-part"]["geometry"][0]["boundaries"][0][0][2] = 99
    path = write(tmp_path, small)
    error = fails(project, path, ImportOptions(strict=True))
    assert error.where == "B1-part"
    assert error.reason.startswith("vertex index 99 is out of range (the file has 23 vertices)")
    outcome = import_file(project, path)
    report = outcome.reports[0]
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("B1-part", "vertex index 99 is out of range (the file has 23 vertices)")]
    building = outcome.layers[0]
    assert building.feature_count == 1
    lods = project.query(f'SELECT fid, lod FROM "{building.mesh_table}" ORDER BY fid, lod').to_pylist()
    assert lods == [{"fid": 0, "lod": "1"}, {"fid": 0, "lod": "2.2"}]  # the part keeps its row, not a mesh


def test_negative_index_is_out_of_range_too(tmp_path, project, small):
    small["CityObjects"]["R1"]["geometry"][0]["boundaries"][0][0][0] = -1
    report = import_file(project, write(tmp_path, small)).reports[0]
    assert [s.where for s in report.skipped] == ["R1"]


@pytest.mark.parametrize("boundaries", [[[0, 1, 2]], [[[[0, 1, 2]]]], "abc", [[[0, 1.5, 2]]], None])
def test_malformed_boundaries_skip_that_geometry(tmp_path, project, small, boundaries):
    small["CityObjects"]["R1"]["geometry"][0]["boundaries"] = boundaries
    path = write(tmp_path, small)
    outcome = import_file(project, path)
    [skip] = outcome.reports[0].skipped
    assert skip.where == "R1" and "boundaries are not nested lists of vertex indices" in skip.reason
    assert project.layer("bad Building").feature_count == 1  # the other objects are imported
    assert "boundaries" in fails(project, path, ImportOptions(strict=True)).reason


def test_unknown_geometry_type_is_skipped(tmp_path, project, small):
    small["CityObjects"]["R1"]["geometry"][0]["type"] = "Polyhedron"
    report = import_file(project, write(tmp_path, small)).reports[0]
    assert [(s.where, s.reason) for s in report.skipped] == [("R1", "unknown geometry type 'Polyhedron'")]


def test_semantic_values_that_do_not_match_are_ignored_with_a_note(tmp_path, project, small):
    small["CityObjects"]["B1"]["geometry"][0]["semantics"]["values"] = [[0, 1, 2]]
    outcome = import_file(project, write(tmp_path, small))
    assert any("semantic values that do not match" in n and "B1" in n for n in outcome.reports[0].notes)
    codes = project.query(f'SELECT surfaces FROM "{outcome.layers[0].mesh_table}" WHERE lod = \'1\'').to_pylist()
    assert set(codes[0]["surfaces"]) == {0}


def test_degenerate_surface_gets_no_triangles_and_a_note(tmp_path, project, small):
    small["vertices"] += [[60000, 0, 0], [61000, 0, 0], [62000, 0, 0]]
    small["CityObjects"]["R1"]["geometry"][0]["boundaries"].append([[23, 24, 25]])  # collinear
    outcome = import_file(project, write(tmp_path, small))
    assert any("1 surface(s) without area" in n for n in outcome.reports[0].notes)


def test_instance_of_a_missing_template_is_skipped(tmp_path, project, small):
    small["CityObjects"]["T1"]["geometry"][0]["template"] = 5
    report = import_file(project, write(tmp_path, small)).reports[0]
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("T1", "GeometryInstance of template 5, which the file does not have")]


def test_seq_bad_lines_are_skipped_with_their_number_or_fail_strict(tmp_path, project, fixtures):
    lines = (fixtures / "cityjson" / "small_v2.city.jsonl").read_text(encoding="utf-8").splitlines()
    broken = lines[:2] + ['{"type":"CityJSONFeature","id":"X","CityObjects":{"X":{"type":"Bui'] + lines[2:] + [
        '{"type":"CityJSON","version":"2.0"}']
    path = write(tmp_path, "\n".join(broken) + "\n", "bad.city.jsonl")
    outcome = import_file(project, path)
    skipped = [(s.where, s.reason.split(":")[0]) for s in outcome.reports[0].skipped]
    assert skipped == [("line 3", "invalid JSON"), ("line 6", "type is 'CityJSON', not 'CityJSONFeature'")]
    assert [layer.feature_count for layer in outcome.layers] == [1, 1]
    error = fails(project, path, ImportOptions(strict=True))
    assert error.where == "line 3"


def test_seq_header_must_be_cityjson_and_declare_a_crs(tmp_path, project, fixtures):
    lines = (fixtures / "cityjson" / "small_v2.city.jsonl").read_text(encoding="utf-8").splitlines()
    error = fails(project, write(tmp_path, "\n".join(lines[1:]) + "\n", "noheader.city.jsonl"))
    assert "'CityJSONFeature', not 'CityJSON'" in error.reason
    header = json.loads(lines[0])
    del header["metadata"]
    path = write(tmp_path, "\n".join([json.dumps(header)] + lines[1:]) + "\n", "nocrs.city.jsonl")
    assert fails(project, path).reason == "the file declares no CRS: give it with --crs EPSG:NNNN"
    assert import_file(project, path, ImportOptions(crs="EPSG:5186")).layers
    assert "empty" in fails(project, write(tmp_path, "\n \n", "blank.city.jsonl")).reason


def test_seq_feature_index_beyond_its_own_vertices(tmp_path, project, fixtures):
    lines = (fixtures / "cityjson" / "small_v2.city.jsonl").read_text(encoding="utf-8").splitlines()
    road = json.loads(lines[3])
    road["CityObjects"]["R1"]["geometry"][0]["boundaries"] = [[[0, 1, 2, 4]]]  # 4 vertices in this feature
    path = write(tmp_path, "\n".join(lines[:3] + [json.dumps(road)]) + "\n", "seq.city.jsonl")
    [skip] = import_file(project, path).reports[0].skipped
    assert (skip.where, skip.reason) == ("R1", "vertex index 4 is out of range (its feature has 4 vertices)")
