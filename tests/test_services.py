"""The analyses and panels of interconnected services on the hand-checked city of test_links: CCTV coverage,
response times against a target, the excavation risk list; their pictures; the incidents panel."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from PIL import Image

from test_links import CALL, X0, Y0, city  # noqa: F401 - the fixture
from twin.cli.main import main as twin
from twin.links.compute import compute_links
from twin.plugins.analyses import draw_picture, run_analysis


def test_cctv_coverage_counts_the_cameras_that_see_each_incident(city):  # noqa: F811
    compute_links(city)
    table = run_analysis(city, "cctv-coverage")
    (row,) = table.to_pylist()
    assert (row["incident"], row["cameras"], row["seen"], row["nearest_camera_m"]) == (0, 1, True, 45.0)
    city.query("SELECT 1")
    with city.transaction() as con:  # turn the one camera that sees it away: a blind spot
        con.execute(f'UPDATE "{city.layer("cctv").table_name}" SET "방향" = 180 WHERE fid = 0')
    compute_links(city, only=["incident-cctv"])
    (row,) = run_analysis(city, "cctv-coverage").to_pylist()
    assert (row["cameras"], row["seen"], row["nearest_camera_m"]) == (0, False, None)


def test_response_times_by_district_and_agency_against_the_target(city):  # noqa: F811
    compute_links(city)
    (row,) = run_analysis(city, "district-response", params={"target_min": 15}).to_pylist()
    # one fire (119) call answered in 20 minutes (the incident's span, call to arrival)
    assert (row["agency"], row["incidents"], row["median_min"], row["within_target"]) == ("119", 1, 20.0, 0.0)
    (row,) = run_analysis(city, "district-response", params={"target_min": 25}).to_pylist()
    assert row["within_target"] == 1.0 and row["target_min"] == 25.0


def test_the_pictures_are_drawn_through_the_cli(city, tmp_path, capsys):  # noqa: F811
    compute_links(city)
    path = str(city.path)
    city.close()
    out = tmp_path / "coverage.png"
    assert twin(["plugins", "run", "cctv-coverage", path, "--picture", str(out), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.err and captured.out.splitlines()[0].startswith("incident,type,call,cameras")
    with Image.open(out) as picture:
        image = np.asarray(picture.convert("RGB")).astype(int)
    assert image.shape == (650, 1000, 3)
    seen_green = (np.abs(image - [0x1b, 0x9e, 0x77]).max(axis=2) < 25).sum()
    assert seen_green > 30  # the seen incident is on the map
    assert twin(["plugins", "run", "cctv-coverage", path, "--picture", str(tmp_path / "x.gif")]) == 1
    assert ".png" in capsys.readouterr().err
    assert twin(["plugins", "run", "excavation-risk", path]) == 1
    assert "no excavations layer" in capsys.readouterr().err


def test_the_excavation_risk_list_puts_gas_first(tmp_path):
    from test_links import test_an_excavation_endangers_the_pipes_within_the_risk_distance_gas_first as build

    build(tmp_path)
    from twin.store.project import Project

    with Project.open(tmp_path / "dig.twin.duckdb", read_only=True) as project:
        rows = run_analysis(project, "excavation-risk").to_pylist()
        path = draw_picture(project, "excavation-risk", run_analysis(project, "excavation-risk"), tmp_path / "dig.png")
    assert [(r["utility"], r["utility_fid"], r["rank"]) for r in rows] == [("가스", 1, 0), ("상수", 2, 3), ("통신", 3, 5)]
    assert rows[0]["works"] == "상수도 교체" and rows[0]["depth_m"] == 1.5
    assert path.stat().st_size > 10_000


def test_the_incidents_panel_selects_and_replays_an_incident(qtbot, city):  # noqa: F811
    from twin.model.context import PanelContext
    from twin.model.twin import TwinModel
    from twin.store.reader import ProjectReader
    from twin_plugins.services.panels import IncidentPanel

    compute_links(city)
    model = TwinModel(ProjectReader(city))
    context = PanelContext(model)
    panel = IncidentPanel(context)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 1
    assert [panel.table.item(0, c).text() for c in range(7)] == ["0", "화재", "", "08:30:00", "20.0 min", "", "1"]
    assert "1</b> incidents today · 1 over 8 min · 1 seen by CCTV" in panel.summary.text()
    panel.choose(0)
    assert model.selection.primary == ("incidents", 0) and len(model.links.items) == 5
    assert model.time.range.end == CALL
    panel.play(0)
    timeline = model.time.timeline
    assert timeline.playing and timeline.speed == pytest.approx(20 * 60 / 12)
    for _ in range(20):
        timeline.advance(1.0)
    assert not timeline.playing and model.time.range.end == CALL + dt.timedelta(minutes=20)  # stopped at arrival
