"""Bad CityJSON / CityJSONSeq input: one clear error naming the file, the object or line and the
reason; broken objects skipped and reported (an error with --strict); the project left unchanged."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from twin.api import ImportOptions, InputError
from twin.io.service import import_file


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


def state(project) -> tuple:
    """What an import could change: the layer catalogue and every table with its row count."""
    tables = project.query("SELECT table_name FROM information_schema.tables ORDER BY table_name").column(0).to_pylist()
    counts = {t: project.query(f'SELECT count(*) FROM "{t}"').column(0)[0].as_py() for t in tables}
    return project.layers(), counts


def fails(project, path: pathlib.Path, options: ImportOptions | None = None) -> InputError:
    """Import ``path``, expect an InputError naming the file first, and check the project did not change."""
    before = state(project)
    with pytest.raises(InputError) as info:
        import_file(project, path, options)
    error = info.value
    assert error.path == str(path) and str(error).startswith(f"{path}: ")
    assert state(project) == before
    return error


def test_truncated_json_names_the_position(tmp_path, project, fixtures):
    text = (fixtures / "cityjson" / "small_v2.city.json").read_bytes()
    cut = text[: len(text) * 2 // 3]
    error = fails(project, write(tmp_path, cut))
    chars = cut.decode("utf-8", errors="ignore")  # the position is where the text ends, counted in characters
    line, column = chars.count("\n") + 1, len(chars) - chars.rfind("\n")
    assert error.where is None and error.reason == (
        f"invalid JSON: unexpected end of data: line {line} column {column} (char {len(chars)}) (the file looks truncated)")


NOT_AN_OBJECT = "not a CityJSON file: not a JSON object (a CityJSON file starts with '{')"


@pytest.mark.parametrize("content, where, reason", [
    (bytes(np.random.default_rng(1).integers(0, 256, 300, dtype=np.uint8)), None, NOT_AN_OBJECT),
    (b"", None, "the file is empty"),
    (b"  \n\t ", None, "not a CityJSON file: the file is empty"),
    (b"[1, 2, 3]", None, NOT_AN_OBJECT),
    (b'{"type": "CityJSONFeature", "id": "a", "CityObjects": {}}', "type", "type is 'CityJSONFeature', not 'CityJSON'"),
])
def test_not_cityjson_at_all(tmp_path, project, content, where, reason):
    error = fails(project, write(tmp_path, content))
    assert (error.where, error.reason) == (where, reason)


def test_wrong_type_found_after_the_city_objects(tmp_path, project, small):
    doc = {"CityObjects": small["CityObjects"], "type": "CityJSONish", "version": "2.0", "vertices": small["vertices"]}
    error = fails(project, write(tmp_path, doc))
    assert (error.where, error.reason) == ("type", "type is 'CityJSONish', not 'CityJSON'")


@pytest.mark.parametrize("version, shown", [("0.9", "'0.9'"), ("3.0", "'3.0'"), (None, "missing")])
def test_unsupported_version(tmp_path, project, small, version, shown):
    small["version"] = version
    if version is None:
        del small["version"]
    error = fails(project, write(tmp_path, small))
    assert error.reason == f"unsupported CityJSON version {shown} (supported: 1.0, 1.1, 2.0)"


def layers_of(outcome) -> list[tuple]:
    return [(layer.name, layer.kind, layer.feature_count, layer.source_crs) for layer in outcome.layers]


#: what the valid fixture imports as (a file named ``ok.city.json``)
FIXTURE_LAYERS = [("ok Building", "buildings", 1, "EPSG:5186"), ("ok Road", "polygons", 1, "EPSG:5186"),
                  ("ok SolitaryVegetationObject", "buildings", 1, "EPSG:5186")]


def test_patch_versions_are_accepted(tmp_path, project, small):
    small["version"] = "1.0.3"
    outcome = import_file(project, write(tmp_path, small, "ok.city.json"))
    assert layers_of(outcome) == FIXTURE_LAYERS
    assert [(r.skipped, r.notes) for r in outcome.reports] == [
        ([], ["1 MultiLineString geometries are not surfaces and were not imported"]), ([], []), ([], [])]


def test_missing_crs_needs_the_crs_option(tmp_path, project, small):
    del small["metadata"]["referenceSystem"]
    path = write(tmp_path, small)
    error = fails(project, path)
    assert error.reason == "the file declares no CRS: give it with --crs EPSG:NNNN"
    outcome = import_file(project, path, ImportOptions(crs="EPSG:5186"))
    assert layers_of(outcome) == [(name.replace("ok ", "bad "), *rest) for name, *rest in FIXTURE_LAYERS]


def test_unknown_crs_is_an_error(tmp_path, project, small):
    small["metadata"]["referenceSystem"] = "urn:ogc:def:crs:EPSG::99999999"
    error = fails(project, write(tmp_path, small))
    assert (error.where, error.reason) == (
        "metadata.referenceSystem", "unknown CRS 'EPSG:99999999'; give the CRS with --crs EPSG:NNNN")


@pytest.mark.parametrize("vertices, reason", [
    ([[1, 2], [3, 4]], "'vertices' must be [x, y, z] triples (2 vertices, 4 numbers)"),
    ([[1, 2, "x"]], "'vertices' must hold numbers only, as [x, y, z]"),
    ({"a": 1}, "'vertices' must be an array of [x, y, z]"),
])
def test_malformed_vertices(tmp_path, project, small, vertices, reason):
    small["vertices"] = vertices
    error = fails(project, write(tmp_path, small))
    assert (error.where, error.reason) == ("vertices", reason)


def test_missing_city_objects(tmp_path, project, small):
    del small["CityObjects"]
    error = fails(project, write(tmp_path, small))
    assert (error.where, error.reason) == ("CityObjects", "no 'CityObjects' member")


def test_index_out_of_range_skips_the_object_geometry_or_fails_strict(tmp_path, project, small):
    small["CityObjects"]["B1-part"]["geometry"][0]["boundaries"][0][0][2] = 99
    path = write(tmp_path, small)
    error = fails(project, path, ImportOptions(strict=True))
    assert (error.where, error.reason) == (
        "B1-part", "vertex index 99 is out of range (the file has 23 vertices) (1 row(s) would be skipped; --strict)")
    outcome = import_file(project, path)
    report = outcome.reports[0]
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("B1-part", "vertex index 99 is out of range (the file has 23 vertices)")]
    assert layers_of(outcome) == [(name.replace("ok ", "bad "), *rest) for name, *rest in FIXTURE_LAYERS]
    building = outcome.layers[0]
    lods = project.query(f'SELECT fid, lod FROM "{building.mesh_table}" ORDER BY fid, lod').to_pylist()
    assert lods == [{"fid": 0, "lod": "1"}, {"fid": 0, "lod": "2.2"}]  # the part keeps its row, not a mesh


def test_negative_index_is_out_of_range_too(tmp_path, project, small):
    small["CityObjects"]["R1"]["geometry"][0]["boundaries"][0][0][0] = -1
    report = import_file(project, write(tmp_path, small)).reports[0]
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("R1", "vertex index -1 is out of range (the file has 23 vertices)")]


@pytest.mark.parametrize("boundaries", [[[0, 1, 2]], [[[[0, 1, 2]]]], "abc", [[[0, 1.5, 2]]], None])
def test_malformed_boundaries_skip_that_geometry(tmp_path, project, small, boundaries):
    small["CityObjects"]["R1"]["geometry"][0]["boundaries"] = boundaries
    path = write(tmp_path, small)
    outcome = import_file(project, path)
    reason = "MultiSurface (LoD 1): boundaries are not nested lists of vertex indices as the geometry type needs"
    assert [(s.where, s.reason) for s in outcome.reports[0].skipped] == [("R1", reason)]
    # the other objects are imported; the road, with no valid geometry left, is skipped (issue 10)
    assert [(layer.name, layer.feature_count) for layer in outcome.layers] == [
        ("bad Building", 1), ("bad SolitaryVegetationObject", 1)]
    error = fails(project, path, ImportOptions(strict=True))
    assert (error.where, error.reason) == ("R1", f"{reason} (1 row(s) would be skipped; --strict)")


def test_unknown_geometry_type_is_skipped(tmp_path, project, small):
    small["CityObjects"]["R1"]["geometry"][0]["type"] = "Polyhedron"
    report = import_file(project, write(tmp_path, small)).reports[0]
    assert [(s.where, s.reason) for s in report.skipped] == [("R1", "unknown geometry type 'Polyhedron'")]


def test_semantic_values_that_do_not_match_are_ignored_with_a_note(tmp_path, project, small):
    small["CityObjects"]["B1"]["geometry"][0]["semantics"]["values"] = [[0, 1, 2]]
    outcome = import_file(project, write(tmp_path, small))
    assert "semantic values that do not match the surfaces were ignored in 1 geometries (B1)" in outcome.reports[0].notes
    codes = project.query(f'SELECT surfaces FROM "{outcome.layers[0].mesh_table}" WHERE lod = \'1\'').to_pylist()
    assert set(codes[0]["surfaces"]) == {0}


def test_degenerate_surface_gets_no_triangles_and_a_note(tmp_path, project, small):
    small["vertices"] += [[60000, 0, 0], [61000, 0, 0], [62000, 0, 0]]
    small["CityObjects"]["R1"]["geometry"][0]["boundaries"].append([[23, 24, 25]])  # collinear
    outcome = import_file(project, write(tmp_path, small))
    notes = outcome.reports[0].notes
    assert "1 surface(s) without area (collinear or fewer than 3 vertices) have no triangles" in notes
    assert outcome.reports[0].skipped == [] and outcome.layers[1].feature_count == 1  # the road is kept


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
    bad_json = "invalid JSON: unexpected control character in string: line 1 column 67 (char 66) (the file looks truncated)"
    assert [(s.where, s.reason) for s in outcome.reports[0].skipped] == [
        ("line 3", bad_json), ("line 6", "type is 'CityJSON', not 'CityJSONFeature'")]
    assert [(layer.name, layer.feature_count) for layer in outcome.layers] == [("bad Building", 1), ("bad Road", 1)]
    error = fails(project, path, ImportOptions(strict=True))
    assert (error.where, error.reason) == ("line 3", f"{bad_json} (2 row(s) would be skipped; --strict)")


def test_seq_header_must_be_cityjson_and_declare_a_crs(tmp_path, project, fixtures):
    lines = (fixtures / "cityjson" / "small_v2.city.jsonl").read_text(encoding="utf-8").splitlines()
    error = fails(project, write(tmp_path, "\n".join(lines[1:]) + "\n", "noheader.city.jsonl"))
    assert (error.where, error.reason) == ("type", "type is 'CityJSONFeature', not 'CityJSON'")
    header = json.loads(lines[0])
    del header["metadata"]
    path = write(tmp_path, "\n".join([json.dumps(header)] + lines[1:]) + "\n", "nocrs.city.jsonl")
    assert fails(project, path).reason == "the file declares no CRS: give it with --crs EPSG:NNNN"
    assert layers_of(import_file(project, path, ImportOptions(crs="EPSG:5186"))) == [
        ("nocrs Building", "buildings", 1, "EPSG:5186"), ("nocrs Road", "polygons", 1, "EPSG:5186")]
    blank = fails(project, write(tmp_path, "\n \n", "blank.city.jsonl"))
    assert (blank.where, blank.reason) == (None, "the file is empty")


def test_seq_feature_index_beyond_its_own_vertices(tmp_path, project, fixtures):
    lines = (fixtures / "cityjson" / "small_v2.city.jsonl").read_text(encoding="utf-8").splitlines()
    road = json.loads(lines[3])
    road["CityObjects"]["R1"]["geometry"][0]["boundaries"] = [[[0, 1, 2, 4]]]  # 4 vertices in this feature
    path = write(tmp_path, "\n".join(lines[:3] + [json.dumps(road)]) + "\n", "seq.city.jsonl")
    [skip] = import_file(project, path).reports[0].skipped
    assert (skip.where, skip.reason) == ("R1", "vertex index 4 is out of range (its feature has 4 vertices)")
