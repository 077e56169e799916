"""Links between services on small hand-checked cases: a camera facing away does not see the incident, a
building in between hides it, a one-way street changes the route, a gas line 1 m outside the risk distance
is not linked; then the links table, `twin links` and removal."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main as twin
from twin.layerdata import ImportReport, LayerData
from twin.links.compute import compute_links
from twin.links.routing import RoadGraph
from twin.store.links import read_links
from twin.store.project import Project
from twin.store.writer import write_layer
from twin.time.range import to_us
from twin.time.tracks import events_layer

X0, Y0 = 200_000.0, 550_000.0
KST = dt.timezone(dt.timedelta(hours=9))
CALL = dt.datetime(2025, 5, 14, 8, 30, tzinfo=KST)


def layer(kind, columns: dict, *, properties=None) -> LayerData:
    return LayerData(kind=kind, features=pa.table(columns), crs="EPSG:5186", report=ImportReport("test"),
                     properties=properties or {})


def wkb(geoms) -> pa.Array:
    return pa.array(shapely.to_wkb(np.asarray(geoms, dtype=object)), pa.binary())


def grid_roads(*, oneway_east_street: bool) -> LayerData:
    """A 2 x 2 block grid of 100 m links (nodes at multiples of 100 m): the bottom street x 0..200 at y 0."""
    lines, oneway = [], []
    for j in range(3):
        for i in range(2):
            lines.append(shapely.LineString([(X0 + i * 100, Y0 + j * 100), (X0 + (i + 1) * 100, Y0 + j * 100)]))
            oneway.append(False)
    for i in range(3):
        for j in range(2):
            lines.append(shapely.LineString([(X0 + i * 100, Y0 + j * 100), (X0 + i * 100, Y0 + (j + 1) * 100)]))
            oneway.append(False)
    if oneway_east_street:  # the bottom street from x 200 to x 100 only (west-bound)
        lines[1] = shapely.LineString([(X0 + 200, Y0), (X0 + 100, Y0)])
        oneway[1] = True
    return layer("lines", {"geometry": wkb(lines), "link_id": [f"L{k}" for k in range(len(lines))],
                           "max_speed_kmh": [36.0] * len(lines), "oneway": oneway},
                 properties={"role": "roads"})


def incidents(points, *, minutes: float = 20.0) -> LayerData:
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    start = np.full(len(points), to_us(CALL))
    return events_layer(t_start_us=start, t_end_us=start + int(minutes * 60e6), x=xs, y=ys,
                        attributes=pa.table({"유형": ["화재"] * len(points)}), crs="EPSG:5186",
                        report=ImportReport("incidents.csv"), properties={"role": "incidents"})


def points(name_role, coords, **columns) -> LayerData:
    geoms = [shapely.Point(x, y) for x, y in coords]
    return layer("points", {"geometry": wkb(geoms), **columns}, properties={"role": name_role})


def links_of(project, layer_name, relation=None):
    rows = read_links(project, layer=layer_name).to_pylist()
    return [r for r in rows if relation is None or r["relation"] == relation]


@pytest.fixture
def city(tmp_path):
    """Roads, one incident at (X0 + 150, Y0 + 5), cameras around it, a tall and a low building, stations."""
    p = Project.open(tmp_path / "links.twin.duckdb", create=True, crs="EPSG:5186")
    write_layer(p, grid_roads(oneway_east_street=False), name="roads")
    write_layer(p, incidents([(X0 + 150, Y0 + 5)]), name="incidents")
    write_layer(p, points("cctv", [(X0 + 150, Y0 - 40), (X0 + 150, Y0 + 45), (X0 + 110, Y0 + 5), (X0 + 190, Y0 + 5)],
                          방향=[0.0, 0.0, 90.0, 90.0], 화각=[60.0] * 4, 감시거리=[80.0] * 4), name="cctv")
    footprints = [shapely.box(X0 + 120, Y0 + 2, X0 + 128, Y0 + 8), shapely.box(X0 + 160, Y0 + 2, X0 + 168, Y0 + 8)]
    write_layer(p, layer("buildings", {"geometry": wkb(footprints), "height": [30.0, 2.0]}), name="buildings")
    write_layer(p, points("police_stations", [(X0, Y0 + 200)]), name="police")
    write_layer(p, points("fire_stations", [(X0 + 200, Y0 + 200)]), name="fire")
    write_layer(p, points("its", [(X0 + 200, Y0 + 100), (X0 + 50, Y0 + 300)], 유형=["검지기", "신호"]), name="its")
    write_layer(p, points("operation_centre", [(X0 + 100, Y0 + 100)]), name="centre")
    yield p
    p.close()


def test_cameras_see_what_faces_them_unless_a_taller_building_is_in_between(city):
    runs = {r.linker: r for r in compute_links(city, only=["incident-cctv"])}
    assert runs["incident-cctv"].error is None
    seen = sorted(r["to_fid"] for r in links_of(city, "incidents", "seen_by"))
    # 0: south of it, facing north, in range: sees it. 1: north of it facing north (away): does not.
    # 2: west, facing east, behind the 30 m building: hidden. 3: east facing east (away): does not see it
    assert seen == [0]
    row = links_of(city, "incidents", "seen_by")[0]
    assert row["distance_m"] == pytest.approx(45.0) and json.loads(row["properties"])["fov_deg"] == 60.0
    assert row["t_start"] == CALL and row["t_end"] == CALL + dt.timedelta(minutes=20)


def test_a_low_building_does_not_hide_the_incident(city):
    city.query("SELECT 1")  # the same city with camera 3 turned to look west, over the 2 m building
    with city.transaction() as con:
        con.execute(f'UPDATE "{city.layer("cctv").table_name}" SET "방향" = 270 WHERE fid = 3')
        con.execute(f'UPDATE "{city.layer("cctv").table_name}" SET "방향" = 270 WHERE fid = 2')
    compute_links(city, only=["incident-cctv"])
    assert sorted(r["to_fid"] for r in links_of(city, "incidents", "seen_by")) == [0, 3]  # 2 now faces away


def test_response_routes_follow_the_one_way_streets(tmp_path):
    def response(oneway: bool) -> dict:
        with Project.open(tmp_path / f"r{oneway}.twin.duckdb", create=True, crs="EPSG:5186") as p:
            write_layer(p, grid_roads(oneway_east_street=oneway), name="roads")
            write_layer(p, incidents([(X0 + 150, Y0)]), name="incidents")
            write_layer(p, points("fire_stations", [(X0 + 200, Y0)]), name="fire")
            compute_links(p, only=["incident-response"])
            (row,) = links_of(p, "incidents", "nearest_fire_by_road")
            row["route"] = shapely.from_wkb(row["route"])
            return row

    direct, around = response(False), response(True)
    # two-way: 50 m west along the bottom street at 10 m/s; one-way west-bound x 200 -> 100 is allowed too
    assert direct["distance_m"] == pytest.approx(50.0) and direct["travel_time_s"] == pytest.approx(5.0)
    assert around["distance_m"] == pytest.approx(50.0)  # west-bound is the one-way's direction: still direct
    # now the other way round: a station at x 0 reaching an incident at x 150 (east-bound) on the one-way
    with Project.open(tmp_path / "east.twin.duckdb", create=True, crs="EPSG:5186") as p:
        write_layer(p, grid_roads(oneway_east_street=True), name="roads")
        write_layer(p, incidents([(X0 + 150, Y0)]), name="incidents")
        write_layer(p, points("fire_stations", [(X0 + 100, Y0)]), name="fire")
        compute_links(p, only=["incident-response"])
        (row,) = links_of(p, "incidents", "nearest_fire_by_road")
    route = shapely.from_wkb(row["route"])
    # east-bound is forbidden: up to y 100, east, down at x 200, then 50 m back west: 100+100+100+50
    assert row["distance_m"] == pytest.approx(350.0) and row["travel_time_s"] == pytest.approx(35.0)
    assert shapely.get_coordinates(route)[:, 1].max() == pytest.approx(Y0 + 100)


def test_detectors_on_the_route_and_the_operation_centre(city):
    runs = {r.linker: r for r in compute_links(city)}
    assert runs["route-its"].error is None and runs["route-its"].links >= 1
    on_route = links_of(city, "incidents", "on_route")
    # the fire station at (200, 200) drives down x = 200 to the incident at (150, 5): the detector at (200, 100)
    assert [(r["to_layer"], r["to_fid"]) for r in on_route] == [("its", 0)]
    assert json.loads(on_route[0]["properties"])["route"] == "nearest_fire_by_road"
    centre = links_of(city, "incidents", "monitored_by")
    assert [(r["to_layer"], r["to_fid"]) for r in centre] == [("centre", 0)]
    assert centre[0]["distance_m"] == pytest.approx(np.hypot(50, 95))


def test_an_excavation_endangers_the_pipes_within_the_risk_distance_gas_first(tmp_path):
    from twin_plugins.services.linkers import RISK_DISTANCE_M

    with Project.open(tmp_path / "dig.twin.duckdb", create=True, crs="EPSG:5186") as p:
        start = to_us(CALL)
        works = events_layer(t_start_us=np.array([start]), t_end_us=np.array([start + 3_600_000_000]),
                             x=np.array([X0]), y=np.array([Y0]), attributes=pa.table({"공사명": ["상수도 교체"]}),
                             crs="EPSG:5186", report=ImportReport("works.csv"), properties={"role": "excavations"})
        write_layer(p, works, name="excavations")
        r = RISK_DISTANCE_M
        pipes = [shapely.LineString([(X0 - 50, Y0 + d), (X0 + 50, Y0 + d)]) for d in (r + 1, r - 1, 3.0, r - 1)]
        write_layer(p, layer("lines", {"geometry": wkb(pipes), "시설종류": ["가스", "가스", "상수", "통신"],
                                       "매설깊이": [1.2, 1.5, 1.0, 0.8], "관경": [100, 300, 200, 50]},
                             properties={"role": "utilities"}), name="utilities")
        compute_links(p, only=["excavation-utilities"])
        rows = links_of(p, "excavations", "at_risk")
    # the gas main 1 m outside the risk distance is not linked; the one 1 m inside comes first, then the others
    assert [r["to_fid"] for r in rows] == [1, 2, 3]
    assert [json.loads(r["properties"])["utility"] for r in rows] == ["가스", "상수", "통신"]
    assert rows[0]["distance_m"] == pytest.approx(RISK_DISTANCE_M - 1) and json.loads(rows[0]["properties"])["depth_m"] == 1.5


def test_the_links_cli_lists_and_computes(city, capsys):
    path = str(city.path)
    city.close()
    assert twin(["links", path, "--compute"]) == 0
    err = capsys.readouterr().err
    assert "incident-cctv: 1 link(s)" in err and "excavation-utilities: the project lacks" in err
    assert twin(["links", path, "incidents", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["to_layer"] for r in rows} == {"cctv", "police", "fire", "its", "centre"}
    for row in rows:
        assert {"from_layer", "from_id", "to_layer", "to_id", "relation", "distance_m", "travel_time_s"} <= set(row)
    fire = next(r for r in rows if r["relation"] == "nearest_fire_by_road")
    assert fire["travel_time_s"] > 0 and fire["active_from"] == "2025-05-14T08:30:00+09:00"
    assert twin(["links", path, "incidents", "0"]) == 0
    text = capsys.readouterr().out
    assert "incidents #0 seen_by cctv #0 (45 m, active 08:30:00-08:50:00)" in text
    assert twin(["links", path, "nope"]) == 1 and "no layer named 'nope'" in capsys.readouterr().err
    assert twin(["links", path]) == 1 and "give the LAYER" in capsys.readouterr().err


def test_links_follow_renames_and_go_with_a_removed_layer(city):
    compute_links(city)
    city.rename_layer("cctv", "CCTV 방범")
    assert {r["to_layer"] for r in links_of(city, "incidents", "seen_by")} == {"CCTV 방범"}
    city.remove_layer("CCTV 방범")
    assert not links_of(city, "incidents", "seen_by") and links_of(city, "incidents", "monitored_by")


def test_routing_is_vectorised_and_matches_the_graph():
    """The router against an independent Dijkstra on a small graph (networkx is not a dependency: by hand)."""
    lines = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (100, 100)]),
             shapely.LineString([(0, 0), (0, 100)]), shapely.LineString([(0, 100), (100, 100)])]
    graph = RoadGraph.from_lines(lines, speed_mps=[10.0, 10.0, 1.0, 10.0])
    times = graph.travel_times(np.array([[0, 0]]), np.array([[0, 100], [100, 100]]))
    assert times.tolist() == [[30.0, 20.0]]  # (0,0)->(100,0)->(100,100)->(0,100) beats the slow 100 s link


def test_selecting_an_incident_draws_its_links_while_they_are_active(city):
    """The model reads the selection's links; the scene draws an arc per link and the routes, only while active."""
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader
    from twin.time.range import TimeRange

    compute_links(city)
    model = TwinModel(ProjectReader(city))
    plotter = offscreen_plotter((480, 360))
    scene = SceneView(model, plotter)
    try:
        model.camera.look("top")
        before = scene.screenshot()
        model.selection.select_feature("incidents", 0)
        relations = sorted(link.relation for link in model.links.items)
        assert relations == ["monitored_by", "nearest_fire_by_road", "nearest_police_by_road", "on_route", "seen_by"]
        camera = next(link for link in model.links.items if link.relation == "seen_by")
        assert camera.start_xy == pytest.approx((X0 + 150, Y0 + 5)) and camera.end_xy == pytest.approx((X0 + 150, Y0 - 40))
        assert scene.link_overlay.shown == 5 and len(scene.link_overlay.actors) == 3  # routes, arcs, linked ends
        lit = scene.screenshot()
        fire = np.array([0xe5, 0x39, 0x35])
        assert (np.abs(lit.astype(int) - fire).max(axis=2) < 30).sum() > (np.abs(before.astype(int) - fire).max(axis=2) < 30).sum() + 50
        model.time.range = TimeRange.instant(CALL - dt.timedelta(hours=1))  # before the call: nothing linked yet
        assert scene.link_overlay.shown == 0
        model.time.range = TimeRange.instant(CALL + dt.timedelta(minutes=5))
        assert scene.link_overlay.shown == 5
        model.layers["cctv"].visible = False  # a link to a hidden layer is hidden with it
        assert scene.link_overlay.shown == 4
        model.lens.stage = 1  # so is one to a layer the stage lens hides... (these layers have no stage: all stay)
        assert scene.link_overlay.shown == 4
        model.layers["cctv"].visible = True
        assert scene.link_overlay.shown == 5
        model.selection.clear()
        assert scene.link_overlay.shown == 0 and not model.links.items
    finally:
        scene.close()
        plotter.close()


def test_the_links_dock_lists_the_selection_links_and_frames_the_other_end(qtbot, city, tmp_path):
    from PySide6 import QtCore

    from twin.model.session import Session
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    compute_links(city)
    path = city.path
    city.close()
    settings = AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    window = QtMainWindow(Session.open(path), settings=settings)
    window.resize(1200, 800)
    window.show()
    try:
        assert window.view.wait_until_ready(30)
        assert "Select a feature" in window.links.title.text()
        window.model.selection.select_feature("incidents", 0)
        rows = window.links.rows()
        assert len(rows) == 5 and ("seen by CCTV", "cctv #0", "45 m", "", "08:30–08:50") in rows
        fire = next(r for r in rows if r[0] == "119 fire by road")
        assert fire[1] == "fire #0" and fire[3].count(":") == 1  # minutes:seconds by road
        assert window.view.scene.link_overlay.shown == 5
        item = next(window.links.tree.topLevelItem(i) for i in range(len(rows)) if rows[i][1] == "cctv #0")
        window.links.tree.itemClicked.emit(item, 0)
        assert window.model.camera.last_look == ("cctv", 0)
        window.links.show_arcs.setChecked(False)
        assert window.view.scene.link_overlay.shown == 0 and not window.model.links.items
    finally:
        window.close()
