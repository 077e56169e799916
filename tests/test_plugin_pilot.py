"""The twin-pilot plugin (stage 4): sensor readings (``sensors-csv``, moved here from twin-tracks) joined to the real
S-DoT sensor locations, Living Lab reports and smart poles through the generic importers, and the
``sensor-readings`` panel (its queries headless, the widget under pytest-qt)."""

from __future__ import annotations

import datetime as dt

import pytest

from twin.api import ImportOptions, PanelContext, SelectedFeatures, import_file, read_file
from twin.io.importing import choose_importer
from twin.plugins.registry import PluginRegistry

READINGS = "pilot/sdot_readings_2024-05-01.csv"
LIVING_LAB = "pilot/sejong_livinglab_reports.csv"
POLES = "pilot/sejong_smart_poles.csv"
KST = dt.timezone(dt.timedelta(hours=9))
UTC = dt.timezone.utc
SENSOR = "V02Q1940612"


def test_the_sensor_importer_and_panel_belong_to_twin_pilot(shared_data):
    reg = PluginRegistry()
    assert reg.contribution("importers", "sensors-csv").plugin == "twin-pilot"  # moved, same id
    assert not [c for c in reg.contributions("importers") if c.plugin == "twin-tracks" and c.id == "sensors-csv"]
    panel = reg.contribution("panels", "sensor-readings")
    assert panel.plugin == "twin-pilot" and panel.fields["layer_kinds"] == ["sensors", "points"]
    assert reg.check()["twin-pilot"] == []
    assert choose_importer(shared_data / "E/aarhus_realtime_traffic_snapshot.csv").id == "sensors-csv"


def test_sensor_readings_keep_their_behaviour(fixtures, shared_data):
    contribution, [data] = read_file(fixtures / READINGS, ImportOptions())
    assert (contribution.id, contribution.plugin, data.kind) == ("sensors-csv", "twin-pilot", "sensors")
    assert data.feature_count == 2 and data.tables["track"].num_rows == 37 + 19 - 1
    assert [(s.where, s.reason) for s in data.report.skipped] == [("line 44", "no value in PM10")]
    assert data.report.detected["value column"] == "PM10" and data.report.detected["time column"].startswith("측정시각")
    assert data.properties["join"] == {"key": "시리얼", "kinds": ["points", "polygons", "buildings"]}
    assert data.time_span == (dt.datetime(2024, 5, 1, tzinfo=KST), dt.datetime(2024, 5, 2, 12, tzinfo=KST))
    _, [aarhus] = read_file(shared_data / "E/aarhus_realtime_traffic_snapshot.csv", ImportOptions())
    assert aarhus.kind == "sensors" and aarhus.feature_count == 928  # as before the move


def test_living_lab_reports_and_smart_poles_go_through_the_generic_importers(fixtures, project):
    reports = import_file(project, fixtures / LIVING_LAB, suggest=True)
    assert reports.importer == "events-csv"
    info = project.layer("sejong_livinglab_reports")
    assert (info.kind, info.feature_count, info.stage, info.service) == ("events", 4, 4, "citizen")
    assert [(s.where, s.reason) for s in reports.reports[0].skipped] == [
        ("line 6", "unreadable time '지난주' in 접수일시"), ("line 7", "missing coordinates")]
    rows = project.query(f'SELECT "접수번호", "분류", "내용", t_start FROM "{info.table_name}" ORDER BY fid').to_pylist()
    assert [r["접수번호"] for r in rows] == ["LL-2024-001", "LL-2024-002", "LL-2024-003", "LL-2024-004"]
    assert rows[0]["내용"] == "정류장이 횡단보도에서 멀어 어르신들이 불편합니다, 위치 조정 요청"  # quoted comma kept
    assert rows[2]["t_start"] == dt.datetime(2024, 6, 5, 15, tzinfo=KST)  # '2024년 6월 5일 오후 3시'
    poles = import_file(project, fixtures / POLES, suggest=True)
    assert poles.importer == "csv-points"
    info = project.layer("sejong_smart_poles")
    assert (info.kind, info.feature_count, info.stage, info.service) == ("points", 3, 4, "environment")


# ----- the panel's queries, headless ---------------------------------------------------------------------
@pytest.fixture
def sensors(fixtures, shared_data, project):
    """The real S-DoT sensor locations (points) and our readings of two of them (sensors), joined by 시리얼."""
    import_file(project, shared_data / "C/seoul_sdot_iot_sensor_locations.csv")
    import_file(project, fixtures / READINGS)
    return project


def location_fid(project, serial: str) -> int:
    info = project.layer("seoul_sdot_iot_sensor_locations")
    return project.query(f'SELECT fid FROM "{info.table_name}" WHERE "시리얼" = ?', [serial]).to_pylist()[0]["fid"]


def test_the_sensor_behind_a_selected_point_or_reading(sensors):
    from twin.api import ProjectReader
    from twin_plugins.pilot.readings import sensor_of

    reader = ProjectReader(sensors)
    points = sensors.layer("seoul_sdot_iot_sensor_locations")
    assert points.feature_count == 851
    layer, key = sensor_of(reader, SelectedFeatures(points.name, (location_fid(sensors, SENSOR),)))
    assert (layer.name, key) == ("sdot_readings_2024-05-01", SENSOR)
    readings = sensors.layer("sdot_readings_2024-05-01")
    fid = sensors.query(f'SELECT fid FROM "{readings.table_name}" WHERE object_id = ?', ["V02Q1940068"]).to_pylist()[0]["fid"]
    assert sensor_of(reader, SelectedFeatures(readings.name, (fid,)))[1] == "V02Q1940068"
    other = sensors.query(f'SELECT fid FROM "{points.table_name}" WHERE "시리얼" NOT IN (?, ?) ORDER BY fid LIMIT 1',
                          [SENSOR, "V02Q1940068"]).to_pylist()[0]["fid"]  # a sensor without readings
    assert sensor_of(reader, SelectedFeatures(points.name, (other,))) is None
    assert sensor_of(reader, SelectedFeatures()) is None


def test_readings_at_a_time_and_the_24_hours_before(sensors):
    from twin.api import ProjectReader
    from twin_plugins.pilot.readings import readings_at, sensor_of

    reader = ProjectReader(sensors)
    layer, key = sensor_of(reader, SelectedFeatures("seoul_sdot_iot_sensor_locations", (location_fid(sensors, SENSOR),)))
    at = dt.datetime(2024, 5, 2, 6, 30, tzinfo=KST)
    r = readings_at(reader, layer, key, at)
    assert r.time == dt.datetime(2024, 5, 2, 6, tzinfo=KST)  # the last reading at or before 06:30
    h = 30  # hours since 2024-05-01 00:00
    assert r.values == {"PM10": 20.0 + h, "기온": 15 + 0.5 * (h % 24), "습도": 60.0 - h % 24} and r.value == "PM10"
    assert len(r.series) == 24 and r.series[0] == (dt.datetime(2024, 5, 1, 7, tzinfo=KST), 27.0)
    assert r.series[-1] == (r.time, 50.0)
    assert readings_at(reader, layer, key, dt.datetime(2024, 4, 30, tzinfo=KST)).time is None  # before any reading
    latest = readings_at(reader, layer, key, None)
    assert latest.time == dt.datetime(2024, 5, 2, 12, tzinfo=KST) and latest.values["PM10"] == 56.0


# ----- the panel widget --------------------------------------------------------------------------------------
def test_the_panel_follows_selection_and_time(qtbot, sensors):
    from twin_plugins.pilot.panel import HINT, make_panel

    context = PanelContext(sensors)
    panel = make_panel(context)
    qtbot.addWidget(panel)
    assert panel.title.text() == HINT and panel.table.rowCount() == 0
    context.set_selection("seoul_sdot_iot_sensor_locations", [location_fid(sensors, SENSOR)])
    assert panel.title.text() == f"Sensor {SENSOR} (sdot_readings_2024-05-01)"
    assert panel.time.text() == "reading of 2024-05-02 12:00 KST"  # no time yet: the latest reading
    context.set_time(dt.datetime(2024, 5, 1, 10, 15, tzinfo=KST))
    assert panel.time.text() == "reading of 2024-05-01 10:00 KST"
    cells = {panel.table.item(row, 0).text(): panel.table.item(row, 1).text() for row in range(panel.table.rowCount())}
    assert cells == {"PM10": "30", "기온": "20", "습도": "50"}
    assert panel.sparkline.values == [20.0 + h for h in range(11)] and panel.series_label.text() == "PM10, last 24 hours"
    context.set_selection("seoul_sdot_iot_sensor_locations", [location_fid(sensors, "V02Q1940068") + 1])  # no readings
    assert panel.title.text() == HINT and panel.sparkline.values == []
