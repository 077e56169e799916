"""Track importers on real files: SUMO FCD (fixture and real SUMO runs) and GTFS."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

from twin.cli.main import main as twin_main
from twin.errors import InputError
from twin.io.importing import choose_importer, read_file
from twin.io.service import import_file
from twin.io.options import ImportOptions
from twin.time.slicing import MovingTrack

KST = dt.timezone(dt.timedelta(hours=9))
JAMSIL = "D/sumo_seoul_jamsil"


def info_json(path: pathlib.Path, capsys) -> dict:
    capsys.readouterr()
    assert twin_main(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ----- choosing the importer ---------------------------------------------------------------
def test_gtfs_chosen_for_a_feed(shared_data):
    assert choose_importer(shared_data / "D/gtfs_caltrain_2017-07-24.zip").id == "gtfs"


def test_fcd_chosen_for_fcd_files_only(fixtures, shared_data):
    assert choose_importer(fixtures / "tracks" / "jamsil_fcd_30s.xml").id == "sumo-fcd"
    assert choose_importer(fixtures / "tracks" / "fcd_empty_steps.csv").id == "sumo-fcd"


# ----- SUMO FCD ----------------------------------------------------------------------------
def test_fcd_xml_georeferenced_by_the_network(shared_data, fixtures, tmp_path, capsys):
    net = shared_data / JAMSIL / "asanH.net.xml"
    project = tmp_path / "p.twin.duckdb"
    fcd = fixtures / "tracks" / "jamsil_fcd_30s.xml"
    code = twin_main(["import", str(project), str(fcd), "--net", str(net), "--start", "2024-05-01T08:00"])
    assert code == 0
    info = info_json(project, capsys)
    assert info["crs"] == "EPSG:5186"
    layer = info["layers"][0]
    assert layer["kind"] == "moving" and layer["features"] == 35
    assert layer["time_span"] == ["2024-05-01T08:00:00+09:00", "2024-05-01T08:00:29+09:00"]
    from twin.crs import transform_xy

    lon, lat = transform_xy(np.array(layer["bbox"][::2]), np.array(layer["bbox"][1::2]), "EPSG:5186", "EPSG:4326")
    assert 127.0775 <= lon.min() and lon.max() <= 127.1331 and 37.5063 <= lat.min() and lat.max() <= 37.5387


def test_fcd_without_network_is_a_clear_error(fixtures):
    with pytest.raises(InputError, match="--net NET.xml"):
        read_file(fixtures / "tracks" / "jamsil_fcd_30s.xml", ImportOptions())


def test_fcd_csv_structural_empty_steps_skipped_silently_orphans_reported(fixtures):
    _, [data] = read_file(fixtures / "tracks" / "fcd_empty_steps.csv", ImportOptions(crs="EPSG:5186"))
    assert data.feature_count == 2 and data.tables["track"].num_rows == 3
    assert [(s.where, s.reason) for s in data.report.skipped] == [("row 5", "a sample with data but no object id")]
    assert data.report.detected["empty time steps"] == 2
    assert data.time_span[0] == dt.datetime(2024, 1, 1, 0, 0, 1, tzinfo=KST)  # the documented default start
    assert any("2024-01-01T00:00" in n for n in data.report.notes)


@pytest.fixture(scope="module")
def sumo_binary() -> str:
    """The real SUMO (``pip install eclipse-sumo``), else the test is skipped with the reason."""
    found = shutil.which("sumo") or str(pathlib.Path(sys.executable).with_name("sumo"))
    if not pathlib.Path(found).exists():
        pytest.skip("SUMO is not installed (pip install eclipse-sumo sumolib, or the 'sumo' extra)")
    return found


def test_fcd_from_real_sumo_in_xml_csv_parquet_and_geo_agree(shared_data, sumo_binary, tmp_path):
    cfg = shared_data / JAMSIL / "asanH.sumocfg"
    net = shared_data / JAMSIL / "asanH.net.xml"
    outputs = {}
    for name, extra in (("fcd.xml", []), ("fcd.csv", []), ("fcd.parquet", []), ("geo.xml", ["--fcd-output.geo", "true"])):
        out = tmp_path / name
        subprocess.run([sumo_binary, "-c", str(cfg), "--fcd-output", str(out), "--end", "60", "--no-step-log", *extra],
                       check=True, capture_output=True, cwd=tmp_path)
        options = ImportOptions(extra={} if name.startswith("geo") else {"net": str(net)})
        contribution, [data] = read_file(out, options)
        assert contribution.id == "sumo-fcd"
        outputs[name] = data
    counts = {k: (d.feature_count, d.tables["track"].num_rows) for k, d in outputs.items()}
    assert len(set(counts.values())) == 1 and counts["fcd.xml"][0] > 50
    assert outputs["geo.xml"].crs == "EPSG:4326"
    from twin.crs import transform_xy

    def projected(data):
        track = data.tables["track"].sort_by([("t", "ascending"), ("fid", "ascending")])
        x, y = track.column("x").to_numpy(), track.column("y").to_numpy()
        return np.column_stack(transform_xy(x, y, data.crs, "EPSG:5186"))

    # the network's <location> and SUMO's own lon/lat agree to a few centimetres (geo output has 6 decimals)
    assert np.abs(projected(outputs["fcd.xml"]) - projected(outputs["geo.xml"])).max() < 0.2


# ----- GTFS --------------------------------------------------------------------------------
def test_gtfs_caltrain_service_days(shared_data):
    feed = shared_data / "D/gtfs_caltrain_2017-07-24.zip"
    trips = 0
    for day in ("2017-07-15", "2017-07-16", "2017-07-24"):  # Saturday, Sunday, weekday services
        _, (vehicles, stops) = read_file(feed, ImportOptions(extra={"date": day}))
        trips += vehicles.feature_count
        assert vehicles.report.detected["service day"] == day
    assert trips == 188
    assert stops.kind == "points" and stops.features.num_rows == 64
    _, (first, _) = read_file(feed, ImportOptions())
    assert first.report.detected["service day"] == "2017-07-15"  # the first day with service


def test_gtfs_times_past_midnight_and_positions_at_stops(shared_data, project):
    feed = shared_data / "D/gtfs_caltrain_2017-07-24.zip"
    outcome = import_file(project, feed, ImportOptions(extra={"date": "2017-07-15"}))
    vehicles, stops = outcome.layers
    pacific = dt.timezone(dt.timedelta(hours=-7))
    assert vehicles.time_span[1] == dt.datetime(2017, 7, 16, 1, 43, tzinfo=pacific)  # 25:43:00
    assert outcome.reports[0].detected["stop times past 24:00"] > 0
    # every trip stands at its first stop at its first departure time
    starts = project.query(
        f"SELECT f.fid, f.t_start, s.x, s.y FROM {vehicles.table_name} f JOIN {vehicles.table('track')} s "
        "ON s.fid = f.fid AND s.t = f.t_start ORDER BY f.fid").to_pydict()
    moving = MovingTrack(project, vehicles)
    t0 = starts["t_start"][0]
    pos = moving.positions(t0)
    assert starts["fid"][0] in pos.fid.tolist()
    here = pos.xyz[pos.fid.tolist().index(starts["fid"][0])]
    assert here[0] == pytest.approx(starts["x"][0]) and here[1] == pytest.approx(starts["y"][0])
    nearest = project.query(
        f"SELECT min(ST_Distance(geom, ST_Point(?, ?))) AS d FROM {stops.table_name}", [here[0], here[1]]).to_pylist()
    assert nearest[0]["d"] < 150  # at the station: Caltrain's shapes pass 4-103 m from the platform points
