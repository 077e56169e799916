"""The twin-safety plugin (stages 2-3): CCTV cameras (``cctv-csv``, kind ``cctv`` drawn as view sectors or domes)
and 112/119 emergency calls (``incidents-csv``, events active from call to arrival, the ``response-times``
analysis), on fixtures of our own and the real Osan files of ../shared/data."""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import pandas as pd
import pytest

from twin.api import ImportOptions, InputError, TimeRange, import_file, read_file, run_analysis
from twin.io.importing import choose_importer
from twin.plugins.kinds import layer_kind
from twin.plugins.registry import PluginRegistry

CAMERAS = "safety/sejong_cctv_directions.csv"
CALLS = "safety/emergency_calls_112_119.csv"
UTC = dt.timezone.utc


def shared_files(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".md")


# ----- the plugin and the choice of importer --------------------------------------------------------------
def test_the_kind_importers_and_analysis_are_declared_by_twin_safety():
    reg = PluginRegistry()
    kind = layer_kind("cctv", registry=reg)
    assert kind.plugin == "twin-safety" and kind.icon.name == "cctv.svg" and "currentColor" in kind.icon.read_text()
    assert kind.style == ("color", "color_by", "opacity", "size") and kind.color == "#e53935"
    assert {c.id for c in reg.contributions("importers") if c.plugin == "twin-safety"} == {"incidents-csv", "cctv-csv"}
    assert reg.contribution("analyses", "response-times").plugin == "twin-safety"
    assert reg.check()["twin-safety"] == []


def test_only_camera_and_call_files_change_importer(fixtures, shared_data):
    """Every shared file goes where it went without this plugin, except the one named for CCTV."""
    assert choose_importer(fixtures / CAMERAS).id == "cctv-csv"
    assert choose_importer(fixtures / CALLS).id == "incidents-csv"
    without = PluginRegistry()
    without.discover()
    without.disable("twin-safety", "switched off for the test", reported=True)
    changed = {}
    for path in shared_files(shared_data):
        try:
            now = choose_importer(path).id
        except InputError:
            now = None
        try:
            before = choose_importer(path, registry=without).id
        except InputError:
            before = None
        if now != before:
            changed[str(path.relative_to(shared_data))] = (before, now)
    assert changed == {"C/osan_cctv.csv": ("csv-points", "cctv-csv")}
    # the TAAS accidents stay events, the enforcement cameras (no camera columns, no CCTV name) stay points
    assert choose_importer(shared_data / "E/osan_traffic_accidents_taas.csv").id == "events-csv"
    assert choose_importer(shared_data / "C/osan_traffic_enforcement_cameras.csv").id == "csv-points"


def test_a_direction_column_alone_does_not_make_cameras(tmp_path):
    gps = tmp_path / "buses.csv"  # GPS fixes have a route direction: they stay GPS
    gps.write_text("vehicle_id,timestamp,latitude,longitude,direction\n" + "".join(
        f"bus{i % 2},2024-05-01T08:00:{i:02d},37.5{i},127.0{i},outbound\n" for i in range(8)), encoding="utf-8")
    assert choose_importer(gps).id == "gps-csv"
    cams = tmp_path / "poles.csv"  # a direction with a range: cameras
    cams.write_text("id,lat,lon,direction,range\n1,37.5,127.0,90,30\n", encoding="utf-8")
    assert choose_importer(cams).id == "cctv-csv"


# ----- cameras: reading ------------------------------------------------------------------------------------
def test_camera_columns_are_parsed_with_defaults_counted(fixtures):
    _, [data] = read_file(fixtures / CAMERAS, ImportOptions())
    assert (data.kind, data.crs, data.features.num_rows) == ("cctv", "EPSG:4326", 6)
    assert [(s.where, s.reason) for s in data.report.skipped] == [("line 8", "missing coordinates")]
    table = data.features.to_pydict()
    assert table["촬영방향"] == [90.0, 0.0, 225.0, None, 0.0, None]  # 남서 -> 225, 북쪽 -> 0, 'abc' -> none (a dome)
    assert table["화각"] == [60.0, 90.0, 45.0, None, None, 60.0]  # 400 is no field of view
    assert table["감시거리"] == [50.0, 40.0, 30.0, None, None, 60.0]  # -5 is no range
    assert data.properties["camera"] == {
        "direction": "촬영방향", "fov": "화각", "range": "감시거리", "height": None, "default_fov_deg": 60.0,
        "default_range_m": 40.0, "direction_convention": "compass degrees, 0 = north, clockwise"}
    assert data.report.notes[-7:] == [
        "2 direction value(s) in 촬영방향 written as compass words, read as degrees",
        "1 camera(s) with an unusable direction in 촬영방향 ('abc'): drawn as domes",
        "1 camera(s) without a direction in 촬영방향: drawn as domes",
        "1 camera(s) with an unusable field of view in 화각 ('400'): drawn with 60",
        "1 camera(s) without a field of view in 화각: drawn with 60",
        "1 camera(s) with an unusable range in 감시거리 ('-5'): drawn with 40",
        "1 camera(s) without a range in 감시거리: drawn with 40"]
    assert data.report.detected["cameras"] == "6: 4 with a view direction, 2 drawn as domes"


def test_osan_cctv_becomes_cameras_with_the_same_skipped_rows_as_points(shared_data):
    path = shared_data / "C/osan_cctv.csv"
    contribution, [cameras] = read_file(path, ImportOptions())
    _, [points] = read_file(path, ImportOptions(), importer="csv-points")
    assert (contribution.id, cameras.kind, cameras.features.num_rows) == ("cctv-csv", "cctv", 556)
    assert [(s.where, s.reason) for s in cameras.report.skipped] == [(s.where, s.reason) for s in points.report.skipped]
    assert len(cameras.report.skipped) == 11
    assert cameras.features.drop_columns([]).column_names == points.features.column_names
    assert cameras.report.detected["cameras"] == "556: 0 with a view direction, 556 drawn as domes"


# ----- cameras: drawing -------------------------------------------------------------------------------------
@pytest.fixture
def camera_scene(fixtures, project):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    import_file(project, fixtures / CAMERAS)
    model = TwinModel(ProjectReader(project))
    plotter = offscreen_plotter((800, 600))
    scene = SceneView(model, plotter)
    yield project, scene, scene.visual("sejong_cctv_directions")
    scene.close()
    plotter.close()


def camera_positions(project, scene) -> np.ndarray:
    info = project.layer("sejong_cctv_directions")
    xy = project.query(f'SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM "{info.table_name}" ORDER BY fid')
    return np.column_stack([xy.column("x").to_numpy() - scene.origin.x, xy.column("y").to_numpy() - scene.origin.y])


def test_view_sectors_point_along_the_camera_direction_with_its_fov_and_range(camera_scene):
    project, scene, visual = camera_scene
    assert type(visual).__name__ == "CctvVisual"
    sectors = visual.ensure_built()["sectors"].mesh
    fids = np.asarray(sectors.cell_data["fid"])
    assert sorted(set(fids.tolist())) == [0, 1, 2, 4]  # 3 (no direction) and 5 ('abc') are domes
    cameras = camera_positions(project, scene)
    expected = {0: (90.0, 60.0, 50.0), 1: (0.0, 90.0, 40.0), 2: (225.0, 45.0, 30.0), 4: (0.0, 60.0, 40.0)}
    for fid, (azimuth, fov, reach) in expected.items():
        points = np.asarray(sectors.points)[np.unique(sectors.regular_faces[fids == fid])]
        apex = points[np.argmax(points[:, 2])]
        arc = points[points[:, 2] < 1.0]
        assert apex[:2] == pytest.approx(cameras[fid], abs=0.05) and apex[2] == pytest.approx(6.0, abs=0.01)  # mast top
        offsets = arc[:, :2] - cameras[fid]
        assert np.hypot(offsets[:, 0], offsets[:, 1]) == pytest.approx(np.full(len(arc), reach), rel=1e-4)  # on the ground
        bearings = np.degrees(np.arctan2(offsets[:, 0], offsets[:, 1]))  # compass: clockwise from north
        spread = (bearings - azimuth + 180.0) % 360.0 - 180.0
        assert spread.min() == pytest.approx(-fov / 2, abs=0.01) and spread.max() == pytest.approx(fov / 2, abs=0.01)
    legend = visual.legend()
    assert [label for label, _ in legend.swatches] == ["view sector (direction, field of view, range)",
                                                       "camera without direction (dome): 2"]


def test_sectors_are_translucent_and_drawn_where_the_camera_looks(camera_scene):
    project, scene, visual = camera_scene
    actor = visual.actors["sectors"]
    assert actor.GetProperty().GetOpacity() == pytest.approx(0.45)
    scene.view("top")
    image = scene.screenshot().astype(int)
    cameras = camera_positions(project, scene)

    def pixel(x, y):
        renderer = scene.plotter.renderer
        renderer.SetWorldPoint(x, y, 0.3, 1.0)
        renderer.WorldToDisplay()
        px, py, _ = renderer.GetDisplayPoint()
        return image[scene.plotter.window_size[1] - 1 - int(round(py)), int(round(px))]

    east, west = pixel(*(cameras[0] + [30.0, 0.0])), pixel(*(cameras[0] - [30.0, 0.0]))  # camera 0 looks east
    north, south = pixel(*(cameras[1] + [0.0, 25.0])), pixel(*(cameras[1] - [0.0, 25.0]))  # camera 1 looks north
    for seen, away in ((east, west), (north, south)):
        assert seen[0] - seen[2] > 40 and abs(int(away[0]) - int(away[2])) < 15, (seen, away)  # red sector, grey ground


def test_the_osan_cameras_are_all_domes(shared_data, project):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    import_file(project, shared_data / "C/osan_cctv.csv")
    plotter = offscreen_plotter((400, 300))
    scene = SceneView(TwinModel(ProjectReader(project)), plotter)
    try:
        parts = scene.visual("osan_cctv").ensure_built()
        assert parts["sectors"].mesh.n_cells == 0
        assert sorted(set(np.asarray(parts["heads"].mesh.cell_data["fid"]).tolist())) == list(range(556))
        assert sorted(set(np.asarray(parts["masts"].mesh.cell_data["fid"]).tolist())) == list(range(556))
    finally:
        scene.close()
        plotter.close()


# ----- emergency calls ---------------------------------------------------------------------------------------
def test_calls_are_events_from_call_to_arrival_with_the_times_kept(fixtures):
    contribution, [data] = read_file(fixtures / CALLS, ImportOptions())
    assert (contribution.id, data.kind, data.features.num_rows) == ("incidents-csv", "events", 5)
    assert [(s.where, s.reason) for s in data.report.skipped] == [
        ("line 7", "dispatched before the call (출동시각 < 신고시각)"),
        ("line 8", "unreadable time '어제 아침' in 신고시각"),
        ("line 9", "missing coordinates"),
        ("line 10", "arrived before the dispatch (도착시각 < 출동시각)")]
    assert data.report.notes == ["1 incident(s) without an arrival time: shown for 1800 s after the call"]
    assert data.properties["incident"] == {"id": "사건번호", "type": "유형", "priority": "우선순위", "call": "신고시각",
                                           "dispatch": "출동시각", "arrival": "도착시각", "unit": "출동기관"}
    table = data.features.to_pydict()
    assert table["사건번호"] == ["112-0001", "119-0002", "119-0003", "112-0004", "112-0005"]
    # Seoul times (UTC+9) stored as UTC; the Korean text '2025년 5월 14일 9시 15분' read like the ISO ones
    assert table["신고시각"][3] == dt.datetime(2025, 5, 14, 0, 15, tzinfo=UTC)
    assert table["도착시각"][0] == dt.datetime(2025, 5, 13, 23, 39, 5, tzinfo=UTC)
    assert table["t_start"] == table["신고시각"] and table["t_end"] == table["도착시각"]
    assert table["도착시각"][4] is None and table["출동시각"][4] == dt.datetime(2025, 5, 14, 0, 35, tzinfo=UTC)
    assert table["유형"][:3] == ["폭행", "화재", "구급"] and table["우선순위"] == [1, 1, 2, 2, 3]


def test_an_incident_is_on_the_map_from_its_call_until_its_arrival(fixtures, project):
    from twin.store.reader import ProjectReader
    from twin_plugins.safety.incidents import OPEN_S  # noqa: F401  (the documented default)
    from twin.api import TemporalProperties

    import_file(project, fixtures / CALLS)
    info = project.layer("emergency_calls_112_119")
    reader = ProjectReader(project)
    temporal = TemporalProperties.of_layer(info.properties)

    def active(when: dt.datetime) -> list[str]:
        where, params = temporal.predicate(TimeRange.instant(when))
        return [r[0] for r in reader.rows(f'SELECT "사건번호" FROM "{info.table_name}" WHERE {where} ORDER BY fid', params)]

    kst = dt.timezone(dt.timedelta(hours=9))
    assert active(dt.datetime(2025, 5, 14, 8, 31, 0, tzinfo=kst)) == []  # before the first call
    assert active(dt.datetime(2025, 5, 14, 8, 35, 0, tzinfo=kst)) == ["112-0001"]  # called, not yet arrived
    assert active(dt.datetime(2025, 5, 14, 8, 39, 30, tzinfo=kst)) == []  # arrived at 08:39:05
    assert active(dt.datetime(2025, 5, 14, 9, 25, 0, tzinfo=kst)) == ["112-0004", "112-0005"]
    assert active(dt.datetime(2025, 5, 14, 9, 49, 0, tzinfo=kst)) == ["112-0005"]  # no arrival: 30 min after the call
    assert active(dt.datetime(2025, 5, 14, 9, 51, 0, tzinfo=kst)) == []


def test_response_times_per_unit_match_an_independent_computation(fixtures, project):
    import_file(project, fixtures / CALLS)
    result = run_analysis(project, "response-times").to_pylist()
    frame = pd.read_csv(fixtures / CALLS)
    frame = frame[frame["사건번호"].isin(["112-0001", "119-0002", "119-0003", "112-0004", "112-0005"])].copy()
    korean = frame["사건번호"] == "112-0004"
    for column in ("신고시각", "출동시각", "도착시각"):
        text = frame[column].where(~korean, frame[column].str.replace(r"(\d+)년 (\d+)월 (\d+)일 (\d+)시 (\d+)분",
                                                                      r"\1-\2-\3 \4:\5:00", regex=True))
        frame[column] = pd.to_datetime(text)
    frame["response"] = (frame["도착시각"] - frame["신고시각"]).dt.total_seconds() / 60
    frame["dispatch"] = (frame["출동시각"] - frame["신고시각"]).dt.total_seconds() / 60
    expected = {unit: (len(g), int(g["response"].notna().sum()), round(g["response"].median(), 1),
                       round(g["dispatch"].median(), 1)) for unit, g in frame.groupby("출동기관")}
    got = {r["unit"]: (r["incidents"], r["arrived"], r["median_response_min"], r["median_dispatch_min"]) for r in result}
    assert got == expected
    assert got["송파경찰서 잠실지구대"] == (3, 2, 11.0, 2.0)
    by_type = {r["type"]: r["incidents"] for r in run_analysis(project, "response-times", params={"by": "type"}).to_pylist()}
    assert by_type == {"폭행": 1, "화재": 1, "구급": 1, "교통사고": 1, "분실": 1}


def test_english_columns_and_the_accidents_stay_events(tmp_path, shared_data):
    calls = tmp_path / "dispatch_log.csv"
    calls.write_text("incident_id,type,priority,call_time,dispatch_time,arrival_time,unit,lat,lon\n"
                     "A1,fire,1,2025-05-14T08:00:00,2025-05-14T08:01:00,2025-05-14T08:09:00,Station 1,37.51,127.10\n"
                     "A2,medical,2,2025-05-14T08:05:00,,2025-05-14T08:20:00,Station 2,37.52,127.11\n", encoding="utf-8")
    contribution, [data] = read_file(calls, ImportOptions())
    assert contribution.id == "incidents-csv" and data.features.num_rows == 2
    assert data.properties["incident"]["arrival"] == "arrival_time" and data.properties["incident"]["unit"] == "unit"
    contribution, [accidents] = read_file(shared_data / "E/osan_traffic_accidents_taas.csv", ImportOptions())
    assert (contribution.id, accidents.kind, accidents.features.num_rows) == ("events-csv", "events", 691)
    assert "incident" not in accidents.properties


def test_bad_call_files_are_one_error_line_and_the_project_is_unchanged(tmp_path, project):
    times = tmp_path / "calls_bad_times.csv"
    times.write_text("신고시각,도착시각,위도,경도\n언젠가,2025-05-14 08:00,37.5,127.1\n,2025-05-14 08:00,37.5,127.1\n",
                     encoding="utf-8")
    with pytest.raises(InputError) as error:
        import_file(project, times)
    assert str(error.value) == f"{times}: no row has a readable call time in 신고시각 (line 2: unreadable time '언젠가' in 신고시각)"
    projected = tmp_path / "calls_tm.csv"
    projected.write_text("신고시각,도착시각,x,y\n2025-05-14 08:00,2025-05-14 08:10,208800,545900\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        import_file(project, projected)
    assert str(error.value).startswith(f"{projected}: the coordinates are projected, not degrees") and "EPSG:5186" in str(error.value)
    assert project.layers() == []
    import_file(project, projected, ImportOptions(crs="EPSG:5186", timezone=project.timezone))
    assert project.layer("calls_tm").feature_count == 1
