"""Streamed imports (twin.layerstream): a file read in chunks and written chunk by chunk in one transaction
gives the same layer as the whole-file import; a failing chunk leaves the project as it was; skips add up."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import geopandas as gpd
import numpy as np
import pytest
import shapely

from twin.api import LayerStream
from twin.errors import InputError
from twin.io.importing import read_file
from twin.io.options import ImportOptions
from twin.io.service import ImportService, import_file
from twin.store.project import Project

BENCH = pathlib.Path(__file__).resolve().parents[1] / "bench"


def _gen_cityjson():
    spec = importlib.util.spec_from_file_location("gen_cityjson", BENCH / "gen_cityjson.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seq(tmp_path_factory) -> pathlib.Path:
    """A CityJSONSeq of 900 buildings with two broken lines (in different chunks of 200)."""
    path = tmp_path_factory.mktemp("seq") / "town.city.jsonl"
    _gen_cityjson().generate(path, buildings=900, crs="EPSG:7415")
    lines = path.read_text().splitlines()
    lines[150] = "{not json"
    lines[620] = '{"type": "CityJSON", "version": "2.0"}'
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def points_csv(tmp_path_factory) -> pathlib.Path:
    """2000 points with a quoted line break and rows without coordinates in several chunks."""
    rng = np.random.default_rng(4)
    path = tmp_path_factory.mktemp("csv") / "sensors.csv"
    rows = ["name,lat,lon,kind"]
    for i in range(2000):
        lat, lon = 37.15 + rng.uniform(0, 0.05), 127.05 + rng.uniform(0, 0.05)
        if i in (3, 777, 1999):
            rows.append(f"bad {i},,{lon:.6f},x")
        elif i % 500 == 9:
            rows.append(f'"s {i}",{lat:.6f},{lon:.6f},"two\nlines"')
        else:
            rows.append(f"s{i},{lat:.6f},{lon:.6f},k{i % 3}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def parquet(tmp_path_factory) -> pathlib.Path:
    rng = np.random.default_rng(5)
    n = 1500
    geoms = shapely.points(127.05 + rng.uniform(0, 0.05, n), 37.15 + rng.uniform(0, 0.05, n)).astype(object)
    geoms[[4, 1200]] = None
    frame = gpd.GeoDataFrame({"a": np.arange(n), "b": [f"v{i}" for i in range(n)]}, geometry=list(geoms),
                             crs="EPSG:4326")
    path = tmp_path_factory.mktemp("pq") / "stations.parquet"
    frame.to_parquet(path, row_group_size=250)
    return path


def _import(tmp_path: pathlib.Path, source: pathlib.Path, *, stream: bool, name: str, **extra):
    project = Project.open(tmp_path / f"{name}.twin.duckdb", create=True)
    options = ImportOptions(extra={"stream": stream, "chunk_rows": 200, **extra})
    outcome = import_file(project, source, options)
    return project, outcome


def _layer_rows(project: Project, layer) -> dict:
    info = project.rows("SELECT kind, feature_count, xmin, ymin, xmax, ymax, zmin, zmax, source_crs FROM layers "
                        "WHERE name = ?", [layer.name])
    features = project.query(f'SELECT * EXCLUDE (geom), ST_AsText(geom) AS wkt FROM "{layer.table_name}" ORDER BY fid')
    out = {"catalogue": info, "features": features.to_pylist()}
    if project.has_table(f"{layer.table_name}_mesh"):
        mesh = project.query(f'SELECT * FROM "{layer.table_name}_mesh" ORDER BY fid, lod')
        out["mesh"] = mesh.to_pylist()
    return out


@pytest.mark.parametrize("source", ["seq", "points_csv", "parquet"])
def test_a_streamed_import_equals_the_whole_file_import(source, request, tmp_path):
    path = request.getfixturevalue(source)
    whole, whole_outcome = _import(tmp_path, path, stream=False, name="whole")
    streamed, outcome = _import(tmp_path, path, stream=True, name="streamed")
    a, b = whole_outcome.layers[0], outcome.layers[0]
    assert _layer_rows(whole, a) == _layer_rows(streamed, b)
    assert b.feature_count == a.feature_count > 0
    report_a, report_b = whole_outcome.reports[0], outcome.reports[0]
    assert [(s.where, s.reason) for s in report_b.skipped] == [(s.where, s.reason) for s in report_a.skipped]
    assert report_b.imported == report_a.imported
    assert len(report_a.skipped) >= 2  # skips in several chunks, all counted with their file places
    stored = json.loads(streamed.rows("SELECT report FROM imports")[0][0])
    assert len(stored["skipped"]) == len(report_a.skipped)


def test_the_readers_yield_several_chunks(seq, points_csv, parquet):
    for path in (seq, points_csv, parquet):
        _, first, stream = read_file(path, ImportOptions(extra={"stream": True, "chunk_rows": 200}), stream=True)
        assert isinstance(stream, LayerStream)
        assert first[0].features.num_rows <= 300  # CSV blocks hold about chunk_rows records
        assert len(list(stream.chunks())) >= 4, path.name
    _, whole = read_file(seq, ImportOptions(extra={"stream": True, "chunk_rows": 200}))  # gathered
    assert whole[0].features.num_rows == 898


def test_a_bad_chunk_fails_the_import_and_leaves_the_project_as_it_was(seq, points_csv, tmp_path):
    project = Project.open(tmp_path / "p.twin.duckdb", create=True)
    import_file(project, seq, ImportOptions(layer="town"))
    project.close()
    before = (tmp_path / "p.twin.duckdb").read_bytes()
    project = Project.open(tmp_path / "p.twin.duckdb")
    service = ImportService(project)
    plan = service.plan(seq, ImportOptions(extra={"stream": True, "chunk_rows": 200}))
    chunks = iter(plan.stream.rest)

    def broken():
        yield next(chunks)
        yield next(chunks)
        raise InputError(seq, "the disk went away", where="line 500")

    plan.stream.rest = broken()
    with pytest.raises(InputError, match="disk went away"):
        service.write(plan, name="again")
    with pytest.raises(Exception, match="plan it again"):
        service.write(plan, name="again")  # a streamed plan is read once
    assert [layer.name for layer in project.layers()] == ["town"]
    project.close()
    assert (tmp_path / "p.twin.duckdb").read_bytes() == before


def test_strict_fails_at_a_later_chunk_that_skips_a_row(points_csv, tmp_path):
    project = Project.open(tmp_path / "s.twin.duckdb", create=True)
    options = ImportOptions(strict=True, extra={"stream": True, "chunk_rows": 300})
    lines = points_csv.read_text().splitlines()
    clean = tmp_path / "later.csv"  # no skip in the first chunk, one in the fourth
    clean.write_text("\n".join(line for line in lines if not line.startswith("bad 3,")) + "\n")
    with pytest.raises(InputError, match="--strict"):
        import_file(project, clean, options)
    assert project.layers() == []


def test_a_column_whose_type_changes_between_chunks_is_widened(tmp_path):
    rows = ["name,lat,lon,value,extra"] + [f"s{i},37.1{i % 10},127.0{i % 10},{i},"for i in range(300)]
    rows += [f"t{i},37.2{i % 10},127.1{i % 10},n/a {i},x{i}" for i in range(300)]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(rows) + "\n")
    whole, a = _import(tmp_path, path, stream=False, name="whole")
    streamed, b = _import(tmp_path, path, stream=True, name="streamed", chunk_rows=250)
    sql = 'SELECT fid, CAST("value" AS VARCHAR) AS v, CAST(extra AS VARCHAR) AS e FROM "{}" ORDER BY fid'
    assert (streamed.query(sql.format(b.layers[0].table_name)).to_pylist()
            == whole.query(sql.format(a.layers[0].table_name)).to_pylist())
    assert b.layers[0].feature_count == 600


def test_many_points_reproject_through_a_checked_grid():
    from twin.crs import transform_xy
    from twin.store.gridproj import transform_xy_grid

    rng = np.random.default_rng(6)
    x, y = rng.uniform(84000, 90000, 250_000), rng.uniform(445000, 451000, 250_000)
    x[7] = np.nan
    exact = transform_xy(x, y, "EPSG:7415", "EPSG:32631")
    fast = transform_xy_grid(x, y, "EPSG:7415", "EPSG:32631")
    ok = np.isfinite(exact[0])
    assert np.hypot(exact[0][ok] - fast[0][ok], exact[1][ok] - fast[1][ok]).max() < 1e-4
    assert np.array_equal(np.isfinite(exact[0]), np.isfinite(fast[0]))  # what does not transform still does not
    far = transform_xy_grid(x * 20, y * 2, "EPSG:7415", "EPSG:32631")  # a country-wide spread: exact fallback
    assert np.array_equal(far[0], transform_xy(x * 20, y * 2, "EPSG:7415", "EPSG:32631")[0], equal_nan=True)
