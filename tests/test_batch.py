"""`twin batch` on a Dask LocalCluster of 2 workers: the dataset equals `twin import` of the same data."""

from __future__ import annotations

import json
import pathlib

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from twin.batch.buildings import batch_buildings
from twin.batch.cluster import open_client
from twin.batch.synthetic import district_frame, write_district, write_gps_csv
from twin.batch.tracks import batch_tracks
from twin.errors import TwinError
from twin.io.options import ImportOptions
from twin.io.service import import_file
from twin.store.project import Project


@pytest.fixture(scope="module")
def client():
    with open_client(workers=2, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("district")
    frame = district_frame(2500, seed=3)
    frame.loc[7, "geometry"] = None  # a row without a geometry: skipped by the importer, counted
    path = folder / "district.gpkg"
    frame.to_file(path)
    return path


@pytest.fixture(scope="module")
def built(client, district, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "district.dataset"
    result = batch_buildings(client, [district], out, crs="EPSG:5186", chunk_rows=700)
    return out, result


def _rows(out: pathlib.Path):
    con = duckdb.connect()
    return con.execute(f"SELECT fid, id, height, vertices, triangles, surfaces FROM read_parquet('{out}/**/*.parquet') "
                       "ORDER BY fid").fetchall()


def test_dataset_equals_single_process_import(built, district, tmp_path):
    out, result = built
    project = Project.open(tmp_path / "p.twin.duckdb", create=True, crs="EPSG:5186")
    import_file(project, district, ImportOptions())
    layer = project.layers()[0]
    con = project.con
    table = layer.table_name
    mine = _rows(out)
    theirs = con.execute(f'SELECT f.fid, f.height, m.vertices, m.triangles, m.surfaces FROM "{table}" f '
                         f'JOIN "{table}_mesh" m USING (fid) ORDER BY fid').fetchall()
    assert len(mine) == len(theirs) == layer.feature_count == result.manifest["feature_count"] == 2499
    for a, b in zip(mine, theirs):
        assert a[0] == b[0] and a[1] == str(a[0]) and a[2] == pytest.approx(b[1])
        assert np.allclose(a[3], b[2]) and list(a[4]) == list(b[3]) and list(a[5]) == list(b[4])


def test_every_file_holds_building_rows_with_one_schema(built):
    out, result = built
    files = sorted(out.rglob("*.parquet"))
    schemas = {pq.read_schema(f).remove_metadata() for f in files}
    assert len(files) >= 4 and len(schemas) == 1
    manifest = json.loads((out / "twin-dataset.json").read_text())
    assert sorted(p["path"] for p in manifest["partitions"]) == sorted(str(f.relative_to(out)) for f in files)
    assert list(manifest["columns"])[:5] == ["fid", "id", "height", "zmin", "storeys"]
    assert sum(p["rows"] for p in manifest["partitions"]) == manifest["feature_count"]
    geo = json.loads(pq.read_schema(files[0]).metadata[b"geo"])
    assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["crs"]["id"]["code"] == 5186
    for f in files:  # rows sorted by fid, and each in the tile of its centroid, of at most 1 km
        t = pq.read_table(f)
        fid = t.column("fid").to_numpy()
        assert np.all(np.diff(fid) > 0)
        ix, iy = map(int, f.parent.name.removeprefix("tile=").split("_"))
        b = np.array([p["bbox"] for p in manifest["partitions"] if p["path"] == str(f.relative_to(out))][0])
        assert ix * 1000 - 20 <= b[0] and b[2] <= (ix + 1) * 1000 + 20 and iy * 1000 - 20 <= b[1]


def test_plain_duckdb_reads_the_dataset(built):
    out, _ = built
    con = duckdb.connect()
    n, fids, tiles = con.execute(f"SELECT count(*), count(DISTINCT fid), count(DISTINCT tile) "
                                 f"FROM read_parquet('{out}/**/*.parquet')").fetchone()
    assert n == fids == 2499 and tiles >= 4


def test_bad_row_is_counted_not_silent(built):
    _, result = built
    assert sum(result.skipped.values()) == 1
    assert "feature 8" in " ".join(e for v in result.examples.values() for e in v)
    assert "skipped 1" in result.summary()
    assert result.manifest["skipped"]


def test_bad_file_fails_clearly(client, tmp_path):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"not a geopackage at all" * 10)
    with pytest.raises(TwinError, match="broken.gpkg"):
        batch_buildings(client, [bad], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_a_dataset_is_never_replaced(client, district, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("keep me")
    with pytest.raises(TwinError, match="not a dataset"):
        batch_buildings(client, [district], tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "keep me"


def test_tile_size_over_1km_is_refused(client, district, tmp_path):
    with pytest.raises(TwinError, match="tile-size"):
        batch_buildings(client, [district], tmp_path / "out", tile_size=2000)


def test_geoparquet_chunks_and_several_sources(client, tmp_path):
    a = write_district(tmp_path / "a.parquet", 900, seed=1)
    b = write_district(tmp_path / "b.gpkg", 300, seed=2, origin=(203_000.0, 552_000.0))
    result = batch_buildings(client, [a, b], tmp_path / "ab", crs="EPSG:5186", chunk_rows=400)
    rows = _rows(tmp_path / "ab")
    assert [r[0] for r in rows] == list(range(1200)) and result.manifest["feature_count"] == 1200
    assert len(result.manifest["sources"]) == 2


def test_tracks_sorted_and_split_by_day(client, tmp_path):
    g1 = write_gps_csv(tmp_path / "g1.csv", objects=5, samples=40)
    g2 = write_gps_csv(tmp_path / "g2.csv", objects=3, samples=40, start="2024-05-02T08:30:00", prefix="car")
    with open(g2, "a", encoding="utf-8") as fh:
        fh.write("car000,2024-05-02 09:00:00,not-a-number,37.1,3.0\n")  # a bad row: counted, not silent
    result = batch_tracks(client, [g2, g1], tmp_path / "tracks", crs="EPSG:5186")
    m = result.manifest
    assert m["kind"] == "moving" and m["feature_count"] == 8 and m["sample_count"] == 320
    assert sum(result.skipped.values()) == 1 and "g2.csv: line 122" in str(result.examples)
    con = duckdb.connect()
    for part in m["partitions"]:
        t = pq.read_table(tmp_path / "tracks" / part["path"]).to_pandas()
        day = part["path"].split("/")[0].removeprefix("date=")
        assert (t["t"].dt.strftime("%Y-%m-%d") == day).all()
        assert t.sort_values(["t", "fid"], kind="stable").index.tolist() == list(range(len(t)))
    ids = con.execute(f"SELECT DISTINCT fid, object_id FROM read_parquet('{tmp_path}/tracks/**/*.parquet') "
                      "ORDER BY fid").fetchall()
    assert [i for _, i in ids] == sorted(i for _, i in ids) and [f for f, _ in ids] == list(range(8))
    assert len({p["path"].split("/")[0] for p in m["partitions"]}) >= 2


def test_twin_import_references_the_dataset(built, tmp_path, capsys):
    pytest.importorskip("twin.io.dataset_import")
    from twin.cli.main import main

    out, _ = built
    project = tmp_path / "ref.twin.duckdb"
    assert main(["import", str(project), str(out)]) == 0
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    assert [layer["features"] for layer in json.loads(capsys.readouterr().out)["layers"]] == [2499]
    p = Project.open(project, read_only=True)
    assert p.layers()[0].feature_count == 2499


def test_csv_with_wkt_footprints_and_dask_geopandas_reads_the_result(client, tmp_path):
    dask_geopandas = pytest.importorskip("dask_geopandas")
    frame = district_frame(300, seed=5).to_crs("EPSG:4326")
    frame["wkt"] = frame.geometry.to_wkt()
    frame.drop(columns="geometry").to_csv(tmp_path / "fp.csv", index=False)
    result = batch_buildings(client, [tmp_path / "fp.csv"], tmp_path / "csv", crs="EPSG:5186")
    assert result.manifest["feature_count"] == 300 and result.manifest["sources"][0]["rows"] == 300
    files = sorted(str(f) for f in (tmp_path / "csv").rglob("*.parquet"))
    read = dask_geopandas.read_parquet(files)
    assert read.crs.to_epsg() == 5186 and len(read) == 300
    assert read.geometry.compute().area.min() > 50  # footprints of 8-18 m a side, in metres


def test_cli_on_an_existing_scheduler_prints_progress_and_the_report(client, district, tmp_path, capsys):
    from twin.cli.main import main

    out = tmp_path / "cli.dataset"
    code = main(["batch", "buildings", str(district), "--out", str(out), "--scheduler", client.scheduler.address,
                 "--crs", "EPSG:5186", "--tile-size", "500", "--chunk-rows", "1000"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "twin batch: read and extruded chunks: 3/3" in err and "skipped 1: no geometry" in err
    manifest = json.loads((out / "twin-dataset.json").read_text())
    assert manifest["tile_size_m"] == 500 and manifest["feature_count"] == 2499
    assert not list(tmp_path.glob(".cli.dataset.*"))  # the temporary folder was renamed into place


FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def test_sumo_fcd_through_its_importer_and_far_apart_sources_refused(client, tmp_path):
    fcd, net = FIXTURES / "tracks" / "jamsil_fcd_30s.xml", FIXTURES / "traffic" / "jamsil_small.net.xml"
    options = ImportOptions(extra={"net": str(net), "start": "2024-05-01T08:59:45"})  # 30 s across 00:00 UTC
    result = batch_tracks(client, [fcd], tmp_path / "fcd", options=options)
    m = result.manifest
    assert m["crs"] == "EPSG:5186" and m["sample_count"] > 0
    assert [p["path"].split("/")[0] for p in m["partitions"]] == ["date=2024-04-30", "date=2024-05-01"]
    far = district_frame(50, seed=9, origin=(500_000.0, 5_800_000.0), crs="EPSG:32630")  # England
    far.to_file(tmp_path / "far.gpkg")
    near = write_district(tmp_path / "near.gpkg", 50)
    with pytest.raises(TwinError, match="far apart"):
        batch_buildings(client, [near, tmp_path / "far.gpkg"], tmp_path / "mixed")


def test_storeys_and_attributes_follow_the_source_rows(built):
    out, _ = built
    frame = district_frame(2500, seed=3).drop(index=7).reset_index(drop=True)  # the row without a geometry
    rows = duckdb.connect().execute(f"SELECT fid, storeys, storeys_src, name, zmin FROM read_parquet('{out}/**/*.parquet') "
                                    "ORDER BY fid").fetchall()
    expected = [int(s[:-1]) if isinstance(s, str) else None for s in frame["storeys"]]
    assert [r[1] for r in rows] == expected and [r[2] for r in rows] == [s if isinstance(s, str) else None
                                                                          for s in frame["storeys"]]
    assert [r[3] for r in rows] == list(frame["name"]) and {r[4] for r in rows} == {0.0}
