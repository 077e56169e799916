"""Boundaries lifted out of the text (plugins/formats/cityjson/lift.py) give exactly the ordinary result."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from twin.api import ImportOptions
from twin_plugins.formats.cityjson import reader
from twin_plugins.formats.cityjson.lift import LiftFallback, lift_boundaries, read_arrays


def _box(base: int, h: int) -> list:
    bottom, top = [[base + 3, base + 2, base + 1, base]], [[base + 4, base + 5, base + 6, base + 7]]
    walls = [[[base + k, base + (k + 1) % 4, base + 4 + (k + 1) % 4, base + 4 + k]] for k in range(4)]
    return [bottom, top, *walls]


def _city(tmp_path: pathlib.Path, *, indent: int | None = None, extra: dict | None = None) -> pathlib.Path:
    vertices, objects = [], {}
    for i in range(6):
        base = len(vertices)
        for z in (0, 1000 + 100 * i):
            vertices += [[i * 2000, 0, z], [i * 2000 + 1000, 0, z], [i * 2000 + 1000, 1000, z], [i * 2000, 1000, z]]
        shell = _box(base, i)
        geometry = {"type": "Solid", "lod": "1", "boundaries": [shell]}
        if i % 2:
            geometry["semantics"] = {"surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"},
                                                  {"type": "WallSurface"}], "values": [[0, 1, 2, 2, 2, None]]}
        geometries = [geometry]
        if i == 2:
            geometries.append({"type": "MultiSurface", "lod": "0", "boundaries": [shell[0]]})
            geometries.append({"type": "MultiLineString", "lod": "0", "boundaries": [[base, base + 1]]})
        if i == 3:
            geometries.append({"type": "CompositeSolid", "lod": "2", "boundaries": [[shell]]})
        if i == 4:  # a hole in the roof, and a surface of an empty ring
            geometries.append({"type": "MultiSurface", "lod": "2",
                               "boundaries": [[shell[1][0], [base + 4, base + 5, base + 6]], [[]]]})
        objects[f"b{i}"] = {"type": "Building", "attributes": {"h": i}, "geometry": geometries}
    objects.update(extra or {})
    doc = {"type": "CityJSON", "version": "2.0", "transform": {"scale": [0.001] * 3, "translate": [0, 0, 0]},
           "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
           "CityObjects": objects, "vertices": vertices}
    path = tmp_path / "city.city.json"
    path.write_text(json.dumps(doc, indent=indent))
    return path


def _same(path: pathlib.Path) -> None:
    data = path.read_bytes()
    lifted = lift_boundaries(data)
    assert lifted is not None
    fast = reader._read_document(path, lifted[0], ImportOptions(), lifted=lifted[1])
    plain = reader._read_document(path, data, ImportOptions(), lifted=None)
    assert [d.name for d in fast] == [d.name for d in plain]
    for a, b in zip(fast, plain):
        assert a.features.equals(b.features)
        for name in ("vertices", "triangles", "triangle_surface", "part_vertex_offsets", "part_feature", "part_lod"):
            assert np.array_equal(getattr(a.mesh, name), getattr(b.mesh, name)), name
        assert [(s.where, s.reason) for s in a.report.skipped] == [(s.where, s.reason) for s in b.report.skipped]


@pytest.mark.parametrize("indent", [None, 2])
def test_lifted_equals_ordinary(tmp_path, indent):
    _same(_city(tmp_path, indent=indent))


def test_wrong_nesting_is_reported_as_before(tmp_path):
    bad = {"type": "Building", "geometry": [{"type": "Solid", "lod": "1", "boundaries": [[0, 1, 2]]}]}
    path = _city(tmp_path, extra={"bad": bad})
    _same(path)
    datas = reader.read_cityjson(path, ImportOptions())
    assert [s.where for s in datas[0].report.skipped] == ["bad"]


def test_boundaries_outside_a_geometry_falls_back(tmp_path):
    odd = {"type": "Building", "attributes": {"boundaries": [[1, 2]]},
           "geometry": [{"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2]]]}]}
    path = _city(tmp_path, extra={"odd": odd})
    datas = reader.read_cityjson(path, ImportOptions())
    row = datas[0].features.to_pylist()[-1]
    assert row["object_id"] == "odd" and json.loads(row["attributes"]) == {"boundaries": [[1, 2]]}


def test_invalid_arrays_fall_back():
    for text in (b'{"boundaries": [[[1 2]]]}', b'{"boundaries": [[[01]]]}', b'{"boundaries": [[[1,-]]]}',
                 b'{"boundaries": [[[1]]]]}', b'{"boundaries": [[[99999999999999999999]]]}'):
        _, lifted = lift_boundaries(text)
        with pytest.raises(LiftFallback):
            read_arrays(lifted, np.array([0]), np.array([3]))
    _, lifted = lift_boundaries(b'{"boundaries": [[[1, -2], []], [[3]]]}')
    surface, rings, ring_len, indices, bad = read_arrays(lifted, np.array([0]), np.array([3]))
    assert surface.tolist() == [0, 0] and rings.tolist() == [2, 1] and ring_len.tolist() == [2, 0, 1]
    assert indices.tolist() == [1, -2, 3] and not bad.any()


def test_invalid_json_names_the_original_position(tmp_path):
    path = tmp_path / "broken.city.json"
    path.write_bytes(b'{"type": "CityJSON", "version": "2.0", "CityObjects": {"a": {"geometry": '
                     b'[{"type": "Solid", "boundaries": [[[[0, 1, 2]]]]}]}, "vertices": [[0,0,0]], ')
    with pytest.raises(Exception, match="invalid JSON"):
        reader.read_cityjson(path, ImportOptions(crs="EPSG:7415"))
