"""Layers that live outside the project file as partitioned GeoParquet datasets (docs/datasets.md, issue 13).

The datasets are written here with pyarrow, following the format that ``twin batch`` writes."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import shutil

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from twin.cli.main import main
from twin.store.project import Project

CRS = "EPSG:5186"
X0, Y0 = 198_000.0, 552_000.0  # Seoul, in EPSG:5186
DAY0 = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)

# ----- writing datasets in the format (tests only) --------------------------------------------------------
BOX_TRIANGLES = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7],
                          [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]])
BOX_SURFACES = np.array([1, 1, 3, 3] + [2] * 8, dtype=np.uint8)


def _lists(values: np.ndarray, per_row: int, n: int, typ) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32) * per_row), pa.array(values, type=typ))


def _buildings_table(fid, x, y, height) -> pa.Table:
    n = len(fid)
    corners = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], dtype=float)
    xy = np.stack([x, y], axis=1)[:, None, :] + corners[None]
    v = np.zeros((n, 8, 3))
    v[:, :4, :2] = xy
    v[:, 4:, :2] = xy
    v[:, 4:, 2] = height[:, None]
    footprints = shapely.polygons(xy)
    table = pa.table({
        "fid": pa.array(fid, pa.int64()), "id": pa.array([f"b{f}" for f in fid]), "height": pa.array(height),
        "zmin": pa.array(np.zeros(n)), "storeys": pa.array((height // 3).astype(np.int32)),
        "vertices": _lists(v.ravel(), 24, n, pa.float64()),
        "triangles": _lists(np.tile(BOX_TRIANGLES.ravel(), n).astype(np.int32), 36, n, pa.int32()),
        "surfaces": _lists(np.tile(BOX_SURFACES, n), 12, n, pa.uint8()),
        "geometry": pa.array(shapely.to_wkb(footprints), type=pa.binary()),
    })
    geo = {"version": "1.1.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon"]}}}
    return table.replace_schema_metadata({"geo": json.dumps(geo)})


def _manifest(kind, columns, partitions, *, features, samples, bbox, zrange, span=None, tile=None) -> dict:
    doc = {"format": "smart-city-twin-dataset", "version": 1, "kind": kind, "crs": CRS,
           "partitioning": "tile" if kind == "buildings" else "date", "feature_count": features,
           "sample_count": samples, "bbox": bbox, "zrange": zrange, "time_span": span,
           "columns": columns, "sources": [{"path": "gen.csv", "sha256": "0" * 64, "rows": features}],
           "created_by": f"tests {kind}", "created_at": "2026-12-03T00:00:00+00:00", "partitions": partitions}
    if tile is not None:
        doc["tile_size_m"] = tile
    return doc


def write_buildings(folder: pathlib.Path, *, per_side: int = 12, spacing: float = 25.0, tile: float = 100.0) -> dict:
    """A grid of ``per_side``² LoD1 boxes in tiles of ``tile`` metres; returns the manifest."""
    folder.mkdir(parents=True)
    gx, gy = np.meshgrid(np.arange(per_side), np.arange(per_side))
    x, y = X0 + gx.ravel() * spacing, Y0 + gy.ravel() * spacing
    height = 6.0 + (gx.ravel() % 5) * 3.0
    fid = np.arange(len(x))
    ix, iy = np.floor((x + 5) / tile).astype(int), np.floor((y + 5) / tile).astype(int)
    parts, columns = [], None
    for kx, ky in sorted(set(zip(ix, iy))):
        rows = np.flatnonzero((ix == kx) & (iy == ky))
        rel = f"tile={kx}_{ky}/part-0.parquet"
        (folder / rel).parent.mkdir()
        table = _buildings_table(fid[rows], x[rows], y[rows], height[rows])
        pq.write_table(table, folder / rel)
        columns = {f.name: str(f.type) for f in table.schema}
        parts.append({"path": rel, "rows": len(rows),
                      "bbox": [x[rows].min(), y[rows].min(), x[rows].max() + 10, y[rows].max() + 10],
                      "zrange": [0.0, height[rows].max()], "t_start": None, "t_end": None})
    doc = _manifest("buildings", columns, parts, features=len(x), samples=0,
                    bbox=[x.min(), y.min(), x.max() + 10, y.max() + 10], zrange=[0.0, height.max()], tile=tile)
    (folder / "twin-dataset.json").write_text(json.dumps(doc))
    return doc


def track_samples(objects: int = 5, days: int = 3, every_s: int = 600) -> dict[str, np.ndarray]:
    """Samples of ``objects`` objects every ``every_s`` seconds over ``days`` UTC days, sorted by (t, fid)."""
    t0 = int(DAY0.timestamp() * 1e6)
    steps = np.arange(days * 86400 // every_s) * every_s * 1_000_000 + t0
    t = np.repeat(steps, objects)
    fid = np.tile(np.arange(objects), len(steps))
    angle = (t - t0) / 1e6 / 3600.0 + fid
    return {"fid": fid.astype(np.int32), "t": t, "x": X0 + 200 + 100 * np.cos(angle),
            "y": Y0 + 200 + 100 * np.sin(angle), "z": np.zeros(len(t))}


def write_tracks(folder: pathlib.Path, samples: dict[str, np.ndarray]) -> dict:
    folder.mkdir(parents=True)
    day = samples["t"] // (86400 * 1_000_000)
    parts, columns = [], None
    for d in np.unique(day):
        rows = np.flatnonzero(day == d)
        date = dt.datetime.fromtimestamp(int(d) * 86400, dt.timezone.utc).date().isoformat()
        rel = f"date={date}/part-0.parquet"
        (folder / rel).parent.mkdir()
        t = samples["t"][rows]
        table = pa.table({"fid": pa.array(samples["fid"][rows]),
                          "object_id": pa.array([f"veh-{f:03d}" for f in samples["fid"][rows]]),
                          "t": pa.array(t).cast(pa.timestamp("us", tz="UTC")),
                          "x": samples["x"][rows], "y": samples["y"][rows], "z": samples["z"][rows]})
        pq.write_table(table, folder / rel, row_group_size=64)
        columns = {f.name: str(f.type) for f in table.schema}
        iso = [dt.datetime.fromtimestamp(v / 1e6, dt.timezone.utc).isoformat() for v in (t.min(), t.max())]
        parts.append({"path": rel, "rows": len(rows), "bbox": [samples["x"][rows].min(), samples["y"][rows].min(),
                                                              samples["x"][rows].max(), samples["y"][rows].max()],
                      "zrange": [0.0, 0.0], "t_start": iso[0], "t_end": iso[1]})
    x, y, t = samples["x"], samples["y"], samples["t"]
    span = [dt.datetime.fromtimestamp(v / 1e6, dt.timezone.utc).isoformat() for v in (t.min(), t.max())]
    doc = _manifest("moving", columns, parts, features=int(samples["fid"].max()) + 1, samples=len(t),
                    bbox=[x.min(), y.min(), x.max(), y.max()], zrange=[0.0, 0.0], span=span)
    (folder / "twin-dataset.json").write_text(json.dumps(doc))
    return doc


def _info(project: pathlib.Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ----- import ------------------------------------------------------------------------------------------
def test_import_adds_one_layer_and_no_building_rows(tmp_path, capsys):
    doc = write_buildings(tmp_path / "city")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city")]) == 0
    with Project.open(project, read_only=True) as p:
        tables = {r[0] for r in p.rows("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")}
        layer = p.layers()[0]
        assert len(p.layers()) == 1 and layer.kind == "buildings" and not layer.broken
        assert tables == {"meta", "layers", "imports", "bookmarks", "tours", "links", f"{layer.table_name}_partitions"}
        assert p.crs == CRS
        assert layer.properties["dataset"]["path"] == str((tmp_path / "city").resolve())
        parts = p.rows(f"SELECT count(*), sum(rows) FROM {layer.ref('partitions')}")[0]
        assert parts == (len(doc["partitions"]), 144)
        imported = p.rows("SELECT source_file, source_sha256, report FROM imports")[0]
        assert imported[0] == str((tmp_path / "city").resolve()) and len(imported[1]) == 64
        assert json.loads(imported[2])["dataset"]["sources"][0]["path"] == "gen.csv"
    info = _info(project, capsys)
    assert info["layers"][0]["features"] == 144
    assert info["layers"][0]["dataset"]["partitions"] == len(doc["partitions"]) == 9
    assert main(["info", str(project)]) == 0
    assert f"external dataset: {(tmp_path / 'city').resolve()} (9 partitions)" in capsys.readouterr().out


def test_twin_query_reads_the_layer(tmp_path, capsys):
    write_buildings(tmp_path / "city")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city")]) == 0
    capsys.readouterr()
    sql = "SELECT count(*) AS n, max(height) AS h, count(geom) AS g FROM lyr_1"
    assert main(["query", str(project), sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 144, "h": 18.0, "g": 144}]
    assert main(["query", str(project), "SELECT count(*) AS n FROM lyr_1_mesh", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 144}]
    assert main(["query", str(project), "DELETE FROM lyr_1", "--write"]) == 1  # read-only views


def test_bbox_reads_only_intersecting_partitions(tmp_path):
    from twin.scene.tilesource import tile_source

    write_buildings(tmp_path / "city")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city")]) == 0
    with Project.open(project, read_only=True) as p:
        source = tile_source(p, p.layers()[0])
        tiles = source.tiles()
        assert len(tiles) == 9 and sum(t.count for t in tiles) == 144
        keys = source.keys_in(X0, Y0, X0 + 50, Y0 + 50)  # the south-west corner only
        assert keys == ["tile=1980_5520/part-0.parquet"]
        for tile in tiles:  # every other file is damaged: only the chosen one may be opened
            if tile.key not in keys:
                (tmp_path / "city" / tile.key).write_bytes(b"not parquet")
        rows = source.mesh_rows(keys)
        assert len(rows.fids) == 16 and rows.vertices.shape == (16 * 8, 3) and rows.triangles.shape == (16 * 12, 3)
        assert set(rows.surfaces.tolist()) == {1, 2, 3}
        with pytest.raises(Exception, match="city"):  # all of them: the damaged files are met
            source.mesh_rows([t.key for t in tiles])


# ----- tracks -------------------------------------------------------------------------------------------
def _track_project(tmp_path, samples) -> pathlib.Path:
    write_tracks(tmp_path / "tracks", samples)
    project = tmp_path / "t.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "tracks")]) == 0
    return project


def test_time_window_reads_only_its_days(tmp_path):
    from twin.time.slicing import MovingTrack

    samples = track_samples()
    project = _track_project(tmp_path, samples)
    for day in ("2024-05-01", "2024-05-03"):  # damaged: a window in the second day must not open them
        (tmp_path / "tracks" / f"date={day}" / "part-0.parquet").write_bytes(b"not parquet")
    start = int((DAY0 + dt.timedelta(days=1, hours=10)).timestamp() * 1e6)
    end = start + 3600 * 1_000_000
    with Project.open(project, read_only=True) as p:
        layer = p.layers()[0]
        assert layer.kind == "moving" and layer.feature_count == 5
        track = MovingTrack(p, layer)
        got = track.samples(start, end)
        pos = track.positions(start + 300 * 1_000_000)  # between two samples: interpolated
    keep = (samples["t"] >= start) & (samples["t"] <= end)
    assert np.array_equal(got["t"], samples["t"][keep]) and np.array_equal(got["fid"], samples["fid"][keep])
    assert np.allclose(got["x"], samples["x"][keep])
    assert len(pos) == 5


def test_samples_identical_to_a_project_track_table(tmp_path):
    """The same samples as a layer in the project file: samples() and positions() give the same arrays."""
    from twin.layerdata import ImportReport
    from twin.store.writer import write_layer
    from twin.time.slicing import MovingTrack
    from twin.time.tracks import moving_layer

    samples = track_samples(objects=4, days=2, every_s=900)
    project = _track_project(tmp_path, samples)
    data = moving_layer(object_ids=np.array([f"veh-{f:03d}" for f in samples["fid"]]), t_us=samples["t"],
                        x=samples["x"], y=samples["y"], crs=CRS, report=ImportReport("x"))
    with Project.open(project) as p:
        inside = write_layer(p, data, name="in the file")
    start = int((DAY0 + dt.timedelta(hours=23, minutes=40)).timestamp() * 1e6)  # across midnight: two days
    with Project.open(project, read_only=True) as p:
        external, internal = (MovingTrack(p, layer) for layer in p.layers())
        assert internal.layer.id == inside.id and external.source is not None and internal.source is None
        a, b = external.samples(start, start + 2400 * 10**6), internal.samples(start, start + 2400 * 10**6)
        assert a.keys() == b.keys() and len(a["t"]) == 12
        for key in a:
            assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key
        pa_, pb = external.positions(start + 100 * 10**6), internal.positions(start + 100 * 10**6)
        assert np.array_equal(pa_.fid, pb.fid) and np.allclose(pa_.xyz, pb.xyz)
        objects = p.rows(f"SELECT count(*), min(object_id) FROM {external.layer.ref()}")[0]
        assert objects == (4, "veh-000")  # the per-object table the moving visual colours and picks


# ----- what a stranger's dataset or a moved folder does ------------------------------------------------
def _tamper(doc: dict, case: str, folder: pathlib.Path) -> str:
    if case == "dotdot":
        doc["partitions"][0]["path"] = "tile=1980_5520/../../outside.parquet"
        return "partitions[0].path"
    if case == "absolute":
        doc["partitions"][0]["path"] = "/etc/passwd.parquet"
        return "partitions[0].path"
    if case == "type":
        doc["feature_count"] = "144"
        return "feature_count"
    if case == "huge":
        doc["feature_count"] = 10**30
        return "feature_count"
    if case == "missing":
        (folder / doc["partitions"][1]["path"]).unlink()
        return "partitions[1].path"
    if case == "rows":
        doc["partitions"][0]["rows"] += 1
        doc["feature_count"] += 1
        return "partitions[0].rows"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["dotdot", "absolute", "type", "huge", "missing", "rows"])
def test_tampered_manifest_is_one_clear_line(tmp_path, capsys, case):
    folder = tmp_path / "city"
    doc = write_buildings(folder, per_side=6)
    field = _tamper(doc, case, folder)
    (folder / "twin-dataset.json").write_text(json.dumps(doc))
    project = tmp_path / "p.twin.duckdb"
    capsys.readouterr()
    assert main(["import", str(project), str(folder)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "twin-dataset.json" in err[0] and field in err[0], err
    assert not project.exists()


def test_not_json_manifest(tmp_path, capsys):
    folder = tmp_path / "city"
    write_buildings(folder, per_side=4)
    (folder / "twin-dataset.json").write_text('{"format": NaN}')
    assert main(["import", str(tmp_path / "p.twin.duckdb"), str(folder)]) == 1
    assert "not a JSON manifest" in capsys.readouterr().err


def test_missing_folder_breaks_only_its_layer(tmp_path, capsys):
    write_buildings(tmp_path / "city")
    write_buildings(tmp_path / "other", per_side=4)
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city"), str(tmp_path / "other")]) == 0
    shutil.move(tmp_path / "city", tmp_path / "moved")  # the share is not mounted
    info = _info(project, capsys)
    broken, fine = info["layers"]
    assert "not found" in broken["problems"][0] and str(tmp_path / "city") in broken["problems"][0]
    assert "problems" not in fine and fine["features"] == 16
    with Project.open(project, read_only=True) as p:
        layers = p.layers()
        assert layers[0].broken and not layers[1].broken
        assert p.rows(f"SELECT count(*) FROM {layers[1].ref()}")[0][0] == 16
        allowed = p.con.execute("SELECT current_setting('allowed_directories')").fetchone()[0]
        assert [d for d in allowed if not d.endswith(".duckdb.tmp/")] == [str((tmp_path / "other").resolve()) + "/"]


def test_connection_reaches_only_the_dataset_folders(tmp_path):
    write_buildings(tmp_path / "city", per_side=4)
    (tmp_path / "secret.csv").write_text("a\n1\n")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city")]) == 0
    with Project.open(project, read_only=True) as p:
        for sql in ("SELECT * FROM read_text('/etc/passwd')", f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')",
                    f"SELECT * FROM read_csv('{tmp_path / 'city' / '..' / 'secret.csv'}')"):
            with pytest.raises(duckdb.PermissionException):
                p.con.execute(sql).fetchall()
        with pytest.raises(duckdb.Error):
            p.con.execute("SET enable_external_access = true")
        cursor = p.cursor()  # a worker's cursor sees the layer too, and nothing more
        assert cursor.execute("SELECT count(*) FROM lyr_1").fetchone()[0] == 16
        with pytest.raises(duckdb.PermissionException):
            cursor.execute("SELECT * FROM read_text('/etc/passwd')").fetchall()


def test_dataset_in_another_crs_is_refused(tmp_path, capsys):
    folder = tmp_path / "city"
    write_buildings(folder, per_side=4)
    project = tmp_path / "p.twin.duckdb"
    Project.open(project, create=True, crs="EPSG:5179").close()
    assert main(["import", str(project), str(folder)]) == 1
    assert "without reprojection" in capsys.readouterr().err


def test_tampered_project_breaks_only_that_layer(tmp_path, capsys):
    """A stranger's project: a partition path leading out, a folder that is no dataset: broken, with the reason."""
    write_buildings(tmp_path / "city", per_side=4)
    write_buildings(tmp_path / "other", per_side=4)
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city"), str(tmp_path / "other")]) == 0
    with Project.open(project) as p:
        p.con.execute("UPDATE lyr_1_partitions SET path = 'tile=1980_5520/../../../etc/passwd.parquet' WHERE rowid = 0")
        props = json.loads(p.rows("SELECT properties FROM layers WHERE id = 2")[0][0])
        props["dataset"]["path"] = "/etc"
        p.con.execute("UPDATE layers SET properties = ? WHERE id = 2", [json.dumps(props)])
    with Project.open(project, read_only=True) as p:
        first, second = p.layers()
        assert "lyr_1_partitions row 1: path" in first.broken and "'..'" in first.broken
        assert "holds no twin-dataset.json" in second.broken
        allowed = p.con.execute("SELECT current_setting('allowed_directories')").fetchone()[0]
        assert not [d for d in allowed if not d.endswith(".duckdb.tmp/")]  # nothing reachable
        with pytest.raises(duckdb.Error):
            p.con.execute("SELECT count(*) FROM lyr_1").fetchall()


def test_open_twice_in_one_process(tmp_path):
    write_buildings(tmp_path / "city", per_side=4)
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(tmp_path / "city")]) == 0
    with Project.open(project, read_only=True) as a, Project.open(project, read_only=True) as b:
        assert a.rows("SELECT count(*) FROM lyr_1") == b.rows("SELECT count(*) FROM lyr_1") == [(16,)]
