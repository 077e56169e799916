"""The plugin's own tests, as a plugin author writes them: through twin.api and the installed entry point.

Run with ``pytest examples/twin-airquality/tests`` after ``pip install -e examples/twin-airquality``.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import pandas as pd
import pytest

from twin.api import InputError, PanelContext, Project, import_file, read_file, run_analysis

from twin_airquality.guidelines import KOREA_24H, WHO_2021_24H, above_guideline
from twin_airquality.queries import readings_at, station_of
from twin_airquality.reader import sniff

SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "src/twin_airquality/data/sample_seoul_airquality_2024-03.csv"
KST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def project():
    p = Project.open(None)  # in memory
    yield p
    p.close()


@pytest.fixture
def imported(project):
    outcome = import_file(project, SAMPLE)
    stations, readings = outcome.layers
    return project, stations, readings


def test_the_sample_becomes_stations_and_readings(imported):
    project, stations, readings = imported
    assert (stations.kind, stations.feature_count) == ("points", 12)
    assert (readings.kind, readings.feature_count) == ("sensors", 12)
    assert readings.time_span[0] == dt.datetime(2024, 3, 1, 0, 0, tzinfo=KST)
    assert readings.time_span[1] == dt.datetime(2024, 3, 3, 23, 0, tzinfo=KST)
    assert readings.properties["join"]["key"] == "station_code"
    assert readings.properties["units"] == {"pm10": "µg/m³", "pm25": "µg/m³", "no2": "ppm", "o3": "ppm",
                                            "co": "ppm", "so2": "ppm"}
    track = project.query(f'SELECT t, pm10, pm25 FROM "{readings.table("track")}"').to_pandas()
    assert len(track) == 864 and track["t"].is_monotonic_increasing  # sorted by time: slices are range scans
    assert track["pm10"].isna().sum() == 3 and track["pm25"].isna().sum() == 6  # -1 and empty cells
    names = project.query(f'SELECT station_code, station_name FROM "{stations.table_name}" ORDER BY station_code')
    assert names.column("station_name")[0].as_py() == "종로구"


def test_report_counts_checks_and_gaps():
    _, [stations, readings] = read_file(SAMPLE)
    assert readings.report.imported == 864 and not readings.report.skipped
    assert "5 negative value(s) (-1: instrument check) read as missing" in readings.report.notes
    assert "6 empty or non-numeric value(s) read as missing" in readings.report.notes
    assert stations.report.imported == 12


def test_bad_rows_are_skipped_with_their_line(tmp_path):
    source = tmp_path / "aq.csv"
    source.write_text(
        "측정일시,측정소코드,측정소명,위도,경도,PM10,PM2.5\n"
        "2024-03-01 00:00,101,종로구,37.572,127.005,40,20\n"
        "2024-03-01 01:00,,종로구,37.572,127.005,41,21\n"      # no station
        "2024-13-01 02:00,101,종로구,37.572,127.005,42,22\n"    # no such month
        "2024-03-01 03:00,101,종로구,37.572,127.005,-1,\n"      # nothing valid
        "2024-03-01 00:00,101,종로구,37.572,127.005,40,20\n",   # repeated
        encoding="utf-8")
    _, [_, readings] = read_file(source)
    assert [(s.where, s.reason) for s in readings.report.skipped] == [
        ("line 4", "unreadable time in 측정일시"),
        ("line 3", "no station code in 측정소코드"),
        ("line 5", "no valid measurement in the row"),
        ("line 6", "repeated station and time (the first row is kept)"),
    ]
    assert readings.report.imported == 1


def test_files_that_are_not_ours(tmp_path):
    other = tmp_path / "stations.csv"
    other.write_text("name,lat,lon\nA,37.5,127.0\n", encoding="utf-8")
    assert not sniff(other)
    assert sniff(SAMPLE)
    from twin_airquality.reader import read_airquality
    from twin.api import ImportOptions

    with pytest.raises(InputError, match="not an air-quality CSV: no time, code, PM10 or PM2.5 column"):
        read_airquality(other, ImportOptions())


def test_analysis_matches_daily_means_computed_with_pandas(imported):
    project, _, readings = imported
    result = run_analysis(project, "above-who-guideline").to_pandas()
    # the same computation, naively, from the CSV
    raw = pd.read_csv(SAMPLE)
    raw["day"] = pd.to_datetime(raw["측정일시"]).dt.date
    long = raw.rename(columns={"PM10": "pm10", "PM2.5": "pm25", "NO2": "no2", "SO2": "so2", "CO": "co"}).melt(
        id_vars=["측정소코드", "day"], value_vars=list(WHO_2021_24H), var_name="pollutant").dropna()
    long = long[long["value"] >= 0]
    daily = long.groupby(["측정소코드", "day", "pollutant"])["value"].agg(["mean", "count"]).reset_index()
    daily["level"] = daily["pollutant"].map({p: v[0] for p, v in WHO_2021_24H.items()})
    expected = daily[(daily["count"] >= 18) & (daily["mean"] > daily["level"])]
    assert len(result) == len(expected) > 0
    top = result.iloc[0]
    assert str(top["day"]) == "2024-03-02"  # the yellow-dust day
    match = expected[(expected["측정소코드"] == int(top["station_code"])) & (expected["pollutant"] == top["pollutant"])
                     & (expected["day"] == top["day"])]
    assert float(top["daily_mean"]) == pytest.approx(float(match["mean"].iloc[0]), abs=1e-3)
    korea = run_analysis(project, "above-who-guideline", params={"standard": "korea"}).to_pandas()
    assert set(korea["pollutant"]) <= set(KOREA_24H) and 0 < len(korea) < len(result)
    sql = above_guideline(project, layer=readings)
    assert "timezone('Asia/Seoul', t)" in sql and "d.hours >= 18" in sql


def test_queries_behind_the_panel(imported):
    project, stations, readings = imported
    context = PanelContext(project)
    context.set_selection(stations.name, [0])
    layer, code = station_of(project, context.selection)
    assert (layer.name, code) == (readings.name, "101")
    at = dt.datetime(2024, 3, 2, 16, 30, tzinfo=KST)
    r = readings_at(project, layer, code, at)
    assert r.station_name == "종로구" and r.time == dt.datetime(2024, 3, 2, 16, 0, tzinfo=KST)
    assert r.values["pm10"] > 150 and len(r.series) == 24 and r.series_pollutant == "pm25"
    assert readings_at(project, layer, code, dt.datetime(2024, 2, 1, tzinfo=KST)).time is None
    context.set_selection(readings.name, [1])
    assert station_of(project, context.selection)[1] == "102"


def test_panel_follows_selection_and_time(imported, qtbot):
    from twin_airquality.panel import HINT, make_panel

    project, stations, _ = imported
    context = PanelContext(project)
    panel = make_panel(context)
    qtbot.addWidget(panel)
    assert panel.title.text() == HINT and panel.table.rowCount() == 0
    context.set_selection(stations.name, [0])
    assert panel.title.text() == "종로구 (101)" and panel.table.rowCount() == 6
    context.set_time(dt.datetime(2024, 3, 2, 16, 0, tzinfo=KST))
    assert panel.time.text() == "reading of 2024-03-02 16:00 KST"
    pm10 = [panel.table.item(r, 0).text() for r in range(6)].index("PM10")
    assert panel.table.item(pm10, 3).text() == "very high"
    panel.show()
    qtbot.waitExposed(panel)
    assert len(panel.sparkline.values) == 24
    context.set_selection(None)
    assert panel.title.text() == HINT
