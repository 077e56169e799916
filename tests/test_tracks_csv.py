"""Track importers of CSV files on real data: GPS trajectories, events, sensor and segment readings; choosing them by content."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import numpy as np
import pytest

from twin.cli.main import main as twin_main
from twin.io.importing import choose_importer, read_file
from twin.io.service import import_file
from twin.io.options import ImportOptions
from twin.time.range import TimeRange
from twin.time.slicing import Readings

UTC = dt.timezone.utc
KST = dt.timezone(dt.timedelta(hours=9))


def info_json(path: pathlib.Path, capsys) -> dict:
    capsys.readouterr()
    assert twin_main(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ----- choosing the importer ---------------------------------------------------------------
@pytest.mark.parametrize(
    "name, importer",
    [
        ("D/liverpool_bus_route14_gps_2026-01-26.csv", "gps-csv"),
        ("E/osan_traffic_accidents_taas.csv", "events-csv"),
        ("E/busan_accident_risk_sites_2020.csv", "events-csv"),
        ("E/aarhus_realtime_traffic_snapshot.csv", "sensors-csv"),
        ("D/osan_link_avg_speed_2018.csv", "segments-csv"),
        # plain point CSVs stay with csv-points, dates or not
        ("C/korea_school_zones_national_cp949.csv", "csv-points"),  # 데이터기준일자 is a reference date
        ("C/seoul_ddareungi_bike_stations.csv", "csv-points"),  # startDate is an installation date
        ("C/osan_cctv.csv", "cctv-csv"),  # a CCTV file name: cameras (twin-safety), drawn as domes
        ("E/aarhus_traffic_sensor_metadata.csv", "csv-points"),
    ],
)
def test_importer_chosen_by_content(shared_data, name, importer):
    assert choose_importer(shared_data / name).id == importer


# ----- GPS CSV -----------------------------------------------------------------------------
def test_liverpool_gps_fixes_in_utc(shared_data, tmp_path, capsys):
    path = shared_data / "D/liverpool_bus_route14_gps_2026-01-26.csv"
    project = tmp_path / "l.twin.duckdb"
    assert twin_main(["import", str(project), str(path), "--tz", "UTC"]) == 0
    info = info_json(project, capsys)
    layer = info["layers"][0]
    assert layer["kind"] == "moving" and layer["features"] == 8  # eight buses on route 14
    from twin.store.project import Project

    with Project.open(project) as p:
        assert p.timezone == "UTC"
        lyr = p.layer(layer["name"])
        assert lyr.time_span == (dt.datetime(2026, 1, 26, 15, 55, 12, tzinfo=UTC), dt.datetime(2026, 1, 26, 18, 19, 36, tzinfo=UTC))
        counts = p.query(f"SELECT count(*) AS n, count(*) - count(DISTINCT t) AS repeated, count(bearing) AS bearings "
                         f"FROM {lyr.table('track')}").to_pylist()[0]
        assert counts == {"n": 1533, "repeated": 111, "bearings": 1533 - 399}


def test_gps_times_are_read_in_the_project_zone_without_tz(shared_data):
    path = shared_data / "D/liverpool_bus_route14_gps_2026-01-26.csv"
    _, [seoul] = read_file(path, ImportOptions())
    _, [utc] = read_file(path, ImportOptions(timezone="UTC"))
    assert utc.time_span[0] - seoul.time_span[0] == dt.timedelta(hours=9)


# ----- events ------------------------------------------------------------------------------
def test_osan_accidents_with_korean_dates(shared_data, project):
    outcome = import_file(project, shared_data / "E/osan_traffic_accidents_taas.csv")
    layer = outcome.layers[0]
    assert layer.kind == "events" and layer.feature_count == 691 and not outcome.reports[0].skipped
    first, last = (t.astimezone(KST) for t in layer.time_span)
    assert first.date() == dt.date(2007, 1, 14) and last.date() == dt.date(2019, 12, 28)
    assert layer.properties["temporal"]["duration_s"] == 3600.0  # recorded to the hour
    row = project.query(f'SELECT t_start, "사고일시" FROM {layer.table_name} WHERE "사고번호" = 2017012800100166').to_pylist()
    assert row == [{"t_start": dt.datetime(2017, 1, 28, 5, tzinfo=UTC), "사고일시": "2017년 1월 28일 14시"}]


def test_busan_risk_sites_with_dotted_dates(shared_data):
    _, [data] = read_file(shared_data / "E/busan_accident_risk_sites_2020.csv", ImportOptions())
    assert data.feature_count == 69
    assert [t.astimezone(KST).date() for t in data.time_span] == [dt.date(2020, 1, 26), dt.date(2022, 10, 15)]
    assert data.properties["temporal"]["duration_s"] == 86400.0  # a day: the dates have no time


def test_events_with_bad_times_are_reported_by_line(tmp_path):
    path = tmp_path / "works.csv"
    path.write_text("name,start,end,lat,lon\nA,2024.3.1 09:00,2024.3.2 18:00,37.5,127.0\n"
                    "B,2024.2.30,,37.5,127.0\nC,2024-03-05 10:00,2024-03-04 10:00,37.5,127.0\n"
                    "D,2024-03-06 10:00,,37.5,127.0\n", encoding="utf-8")
    _, [data] = read_file(path, ImportOptions())
    assert data.kind == "events" and data.feature_count == 2
    assert [(s.where, s.reason) for s in data.report.skipped] == [
        ("line 3", "unreadable time '2024.2.30' in start"),
        ("line 4", "ends before it starts (end < start)"),
    ]
    assert data.features.column("t_end").to_pylist()[1] is None


# ----- sensors and segments ----------------------------------------------------------------
def test_aarhus_sensors_colour_their_facilities(shared_data, project):
    import_file(project, shared_data / "E/aarhus_traffic_sensor_metadata.csv")
    outcome = import_file(project, shared_data / "E/aarhus_realtime_traffic_snapshot.csv",
                          ImportOptions(timezone="Europe/Copenhagen"))
    layer = outcome.layers[0]
    assert layer.kind == "sensors" and layer.feature_count == 928
    readings = Readings(project, layer)
    target, sensor_fid, facility_fid = readings.join()
    assert target.kind == "points" and len(sensor_fid) == 928  # every REPORT_ID joins
    at = dt.datetime(2024, 3, 22, 7, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    fid, value = readings.values(TimeRange.instant(at))
    assert layer.properties["track"]["hold_s"] == 3600.0  # one reading per sensor: held an hour
    assert len(fid) == 795  # the 794 readings of 07:15 and the one of 07:00
    assert np.isfinite(value).all() and (value == 0).all()  # the 07:15 snapshot measured nothing (stale sensors)


def test_osan_speeds_join_the_road_network(shared_data, project):
    import_file(project, shared_data / "D/osan_road_network_lv6.geojson")
    outcome = import_file(project, shared_data / "D/osan_link_avg_speed_2018.csv")
    layer = outcome.layers[0]
    # 58 rows have neither week_type nor speed: 57 of the 792 links have no speed at all
    assert [s.reason for s in outcome.reports[0].skipped] == ["no value in velocity_AVRG"] * 58
    assert layer.kind == "segments" and layer.feature_count == 735 and layer.time_span is None
    readings = Readings(project, layer)
    target, reading_fid, road_fid = readings.join()
    assert target.kind == "lines" and len(np.unique(reading_fid)) == 735  # every link is in the network
    fid, speed = readings.values(None)
    assert len(fid) == 735 and 7.46 <= speed.min() and speed.max() <= 90.32
