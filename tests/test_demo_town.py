"""The demo town 미호누리 (``twin demo``): deterministic, four stages and their services, a noded road network,
incidents routed over the simulated traffic, the committed SUMO results (docs/demo.md).

The town is built once per session (about 5-10 s, the ``demo_town`` fixture of tests/conftest.py, shared with the
window tests); the determinism test builds it twice more through the CLI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pathlib
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely

from twin.cli.main import main as twin_main
from twin.links.routing import RoadGraph
from twin.store.project import Project
from twin_datasets.new_town import DAY, FILES, traffic
from twin_datasets.new_town.story import TOUR
from twin_datasets.new_town.traffic import simulate

ROLES = ("roads", "buildings", "utilities", "valves", "manholes", "excavations", "operation_centre", "fibre", "cctv",
         "its", "bus_stops", "vehicles", "link_speeds", "police_stations", "fire_stations", "incidents", "sensors",
         "smart_poles", "shuttle", "reports")
ZONE = ZoneInfo("Asia/Seoul")
MIDNIGHT = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=ZONE)
PACKAGE = pathlib.Path(traffic.__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def town(demo_town):
    """The session's demo town (tests/conftest.py, built once with the default seed): (path, timings)."""
    return demo_town


@pytest.fixture(scope="session")
def project(town):
    with Project.open(town[0], read_only=True) as p:
        yield p


def by_role(project, role):
    return [layer for layer in project.layers() if layer.properties.get("role") == role]


def geoms(project, layer, where=""):
    table = project.query(f'SELECT ST_AsWKB(geom) AS g FROM "{layer.table_name}" {where} ORDER BY fid')
    return shapely.from_wkb(table.column("g").to_numpy(zero_copy_only=False))


def table_digest(project: Project, table: str) -> str:
    """A hash of a table's contents: DuckDB's hash of every row (geometries included), in hash order."""
    return project.rows(f'SELECT md5(string_agg(h::VARCHAR, \',\' ORDER BY h)) FROM (SELECT hash(t) AS h FROM "{table}" t)')[0][0]


def fingerprint(path: pathlib.Path) -> tuple[list, dict]:
    """The catalogue (without file paths and import times) and a digest of every layer table."""
    with Project.open(path, read_only=True) as p:
        catalogue = [(la.name, la.kind, la.stage, la.service, la.feature_count, la.bbox, la.zrange, la.time_span,
                      json.dumps(la.properties, sort_keys=True, ensure_ascii=False), json.dumps(la.style, sort_keys=True))
                     for la in p.layers()]
        digests = {t: table_digest(p, t) for la in p.layers() for t in sorted(p.layer_tables(la))}
        # the links (without when they were computed) and the tour's bookmarks and stops are part of the build
        digests["links"] = p.rows("SELECT md5(string_agg(h::VARCHAR, ',' ORDER BY h)) FROM (SELECT hash(t) AS h FROM "
                                  "(SELECT * EXCLUDE (computed_at) FROM links) t)")[0][0]
        digests["bookmarks"] = p.rows("SELECT list(struct_pack(name, camera_position, focal_point, t, layers, stage, "
                                      "caption, selection) ORDER BY position)::VARCHAR FROM bookmarks")[0][0]
        digests["tours"] = p.rows("SELECT list(struct_pack(name, stops, description))::VARCHAR FROM tours")[0][0]
    return catalogue, digests


# ----- the build ----------------------------------------------------------------------------------
def test_same_seed_same_project_and_another_seed_differs(town, tmp_path, capsys):
    path, _ = town
    again, other = tmp_path / "again.twin.duckdb", tmp_path / "other.twin.duckdb"
    assert twin_main(["demo", str(again)]) == 0
    assert twin_main(["demo", str(other), "--seed", "7"]) == 0
    assert twin_main(["demo", str(again)]) == 1  # an existing project needs --overwrite
    assert "--overwrite" in capsys.readouterr().err
    first, second, third = fingerprint(path), fingerprint(again), fingerprint(other)
    assert first[0] == second[0] and first[1] == second[1]
    assert first[0] != third[0] or first[1] != third[1]
    buildings = by_role_table(path, "buildings")
    assert first[1][buildings] != third[1][buildings]


def by_role_table(path, role):
    with Project.open(path, read_only=True) as p:
        return by_role(p, role)[0].table_name


def test_the_build_times_each_step_and_finishes_with_the_links_and_the_tour(town, project):
    _, timings = town  # the time itself is measured by bench/bench_demo.py, not asserted here
    assert {"generate and write sources", "finish"} <= set(timings) and all(t >= 0 for t in timings.values())
    assert project.rows("SELECT count(*) FROM links")[0][0] > 0 and project.rows("SELECT count(*) FROM tours")[0][0] == 1


def test_layers_have_their_stage_service_and_role(town, project, capsys):
    capsys.readouterr()
    assert twin_main(["info", str(town[0]), "--json"]) == 0  # the CLI in-process
    info = json.loads(capsys.readouterr().out)
    assert info["crs"] == "EPSG:5186"
    stages = {layer["stage"] for layer in info["layers"]}
    assert stages == {1, 2, 3, 4} and all(isinstance(s, int) for s in stages)
    assert {"infrastructure", "traffic", "safety", "environment", "planning"} <= {la["service"] for la in info["layers"]}
    roles = {layer.properties.get("role") for layer in project.layers()}
    assert set(ROLES) <= roles
    assert len(project.layers()) == len(FILES)
    incidents = [la for la in project.layers() if "incident" in la.name]
    assert len(incidents) == 1 and incidents[0].kind == "events" and incidents[0].service == "safety"
    assert incidents[0].properties["role"] == "incidents" and 80 <= incidents[0].feature_count <= 150
    wanted = {"utilities": "infrastructure", "excavations": "infrastructure", "vehicles": "traffic",
              "link_speeds": "traffic", "its": "traffic", "shuttle": "traffic", "cctv": "safety",
              "police_stations": "safety", "fire_stations": "safety", "sensors": "environment",
              "reports": "environment", "buildings": "planning"}
    for role, service in wanted.items():
        assert {la.service for la in by_role(project, role)} == {service}, role


def test_three_thousand_buildings_from_every_stage(project):
    (layer,) = by_role(project, "buildings")
    assert layer.kind == "buildings" and layer.feature_count >= 3000
    table = project.query(f'SELECT "용도", "세부용도", "층수", "준공연도", height FROM "{layer.table_name}"').to_pydict()
    uses = set(table["용도"])
    assert {"공동주택", "업무시설", "교육연구시설", "근린생활시설", "공공청사"} <= uses
    assert {"시청", "통합운영센터", "지구대", "파출소", "119안전센터", "아파트"} <= set(table["세부용도"])
    years = np.array(table["준공연도"])
    assert years.min() >= 1998 and years.max() <= 2024
    for lo, hi in ((1995, 2002), (2003, 2013), (2014, 2017), (2018, 2024)):  # each stage shows a different city
        assert ((years >= lo) & (years <= hi)).sum() >= 300
    storeys = np.array(table["층수"])
    assert storeys[np.array(table["세부용도"]) == "아파트"].min() >= 10 and storeys.max() >= 40
    feet = geoms(project, layer)
    pairs = shapely.STRtree(feet).query(feet, predicate="intersects")
    assert (pairs[0] == pairs[1]).all()  # no two buildings overlap
    (roads,) = by_role(project, "roads")
    assert not shapely.intersects(feet, shapely.union_all(geoms(project, roads))).any()  # streets stay free
    x0, y0, x1, y1 = layer.bbox
    assert 1800 < x1 - x0 < 2600 and 1800 < y1 - y0 < 2600  # about 2 x 2 km


def test_the_town_has_parks_a_stream_blocks_and_parcels(project):
    (parks,), (stream,), (blocks,), (parcels,) = (by_role(project, r) for r in ("parks", "stream", "blocks", "parcels"))
    kinds = set(project.query(f'SELECT "공원구분" FROM "{parks.table_name}"').column(0).to_pylist())
    assert {"근린공원", "수변공원", "어린이공원"} <= kinds
    water = geoms(project, stream)[0]
    assert water.area > 30_000 and water.length / water.area > 0.05  # long and narrow
    assert blocks.feature_count > 150 and parcels.feature_count > 1500
    area = sum(shapely.area(geoms(project, blocks)))
    assert 2.0e6 < area < 4.0e6  # the developable land of a 3-5 km² town


# ----- roads and routing ------------------------------------------------------------------------------
def road_graph(project, speeds=None):
    (roads,) = by_role(project, "roads")
    table = project.query(f'SELECT link_id, oneway, max_speed_kmh, ST_AsWKB(geom) AS g FROM "{roads.table_name}" ORDER BY fid')
    lines = shapely.from_wkb(table.column("g").to_numpy(zero_copy_only=False))
    ids = np.array(table.column("link_id").to_pylist())
    limit = np.array(table.column("max_speed_kmh").to_pylist(), dtype=float) / 3.6
    graph = RoadGraph.from_lines(lines, speed_mps=limit, oneway=np.array(table.column("oneway").to_pylist(), dtype=bool))
    return graph, ids, limit


def test_the_road_network_is_noded_with_lanes_and_one_way_pairs(project):
    (roads,) = by_role(project, "roads")
    columns = set(project.query(f'SELECT * FROM "{roads.table_name}" LIMIT 0').column_names)
    assert {"link_id", "도로명", "lanes", "oneway", "max_speed_kmh", "road_rank"} <= columns
    rows = project.query(f'SELECT road_rank, lanes, oneway FROM "{roads.table_name}"').to_pydict()
    rank, lanes, oneway = (np.array(rows[k]) for k in ("road_rank", "lanes", "oneway"))
    arterial = rank == "주간선도로"
    assert set(lanes[arterial & ~oneway]) <= {4, 6} and 6 in lanes and (arterial & oneway).any()
    assert {"주간선도로", "보조간선도로", "집산도로", "국지도로"} == set(rank)
    graph, _, _ = road_graph(project)
    centre = np.array([[(roads.bbox[0] + roads.bbox[2]) / 2, (roads.bbox[1] + roads.bbox[3]) / 2]])
    reach = np.isfinite(graph.travel_times(centre, graph.nodes))
    assert reach.mean() >= 0.95, reach.mean()
    # every link ends where it meets another: no link end lies on the inside of another link
    lines = graph.lines
    ends = shapely.points(np.concatenate([shapely.get_coordinates(shapely.get_point(lines, 0)),
                                          shapely.get_coordinates(shapely.get_point(lines, -1))]))
    hits = shapely.STRtree(lines).query(ends, predicate="dwithin", distance=0.05)
    owner = np.concatenate([np.arange(len(lines))] * 2)
    other = hits[1] != owner[hits[0]]
    d_start = shapely.distance(ends[hits[0][other]], shapely.get_point(lines[hits[1][other]], 0))
    d_end = shapely.distance(ends[hits[0][other]], shapely.get_point(lines[hits[1][other]], -1))
    assert (np.minimum(d_start, d_end) < 0.05).all()


def speeds_at(project, seconds: np.ndarray, ids: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Link speeds (m/s, links in road order) from the project's link-speed readings at each time."""
    (layer,) = by_role(project, "link_speeds")
    value = layer.properties["track"]["value"]
    table = project.query(
        f'SELECT f.object_id AS link, epoch(t.t) AS t, t."{value}" AS v FROM "{layer.table("track")}" t '
        f'JOIN "{layer.table_name}" f USING (fid)').to_pydict()
    start = MIDNIGHT.timestamp()
    slot = ((np.array(table["t"]) - start) // 300).astype(int)
    column = {k: i for i, k in enumerate(ids)}
    grid = np.tile(limit, (288, 1))
    grid[slot, [column[k] for k in table["link"]]] = np.array(table["v"]) / 3.6
    return grid[(np.asarray(seconds) // 300).astype(int)]


def test_each_arrival_is_the_router_time_from_the_fastest_station(project):
    (incidents,) = by_role(project, "incidents")
    rows = project.query(
        f'SELECT epoch("신고시각") AS call, epoch("출동시각") AS dispatch, epoch("도착시각") AS arrival, "출동기관" AS unit, '
        f'"유형" AS kind, ST_X(geom) AS x, ST_Y(geom) AS y FROM "{incidents.table_name}" ORDER BY fid').to_pydict()
    stations = {}
    for role in ("police_stations", "fire_stations"):
        (layer,) = by_role(project, role)
        for name, x, y in project.rows(f'SELECT "기관명", ST_X(geom), ST_Y(geom) FROM "{layer.table_name}"'):
            stations[name] = (role, (x, y))
    graph, ids, limit = road_graph(project)
    call = np.array(rows["call"]) - MIDNIGHT.timestamp()
    dispatch, arrival = np.array(rows["dispatch"]), np.array(rows["arrival"])
    assert ((dispatch - np.array(rows["call"]) >= 40) & (dispatch - np.array(rows["call"]) <= 180)).all()
    speeds = speeds_at(project, call, ids, limit)
    names = list(stations)
    xy = np.array([stations[n][1] for n in names])
    for k in range(len(call)):
        times = graph.with_speeds(speeds[k]).travel_times(xy, np.array([[rows["x"][k], rows["y"][k]]]))[:, 0]
        unit = names.index(rows["unit"][k])
        same_kind = [i for i, n in enumerate(names) if stations[n][0] == stations[rows["unit"][k]][0]]
        assert abs((arrival[k] - dispatch[k]) - times[unit]) <= 1.0, rows["unit"][k]
        assert times[unit] <= min(times[i] for i in same_kind) + 1e-6  # the fastest of its kind
        wanted = "police_stations" if rows["kind"][k] in ("범죄신고", "교통사고") else "fire_stations"
        assert stations[rows["unit"][k]][0] == wanted


# ----- time ---------------------------------------------------------------------------------------
def test_timed_layers_span_the_demo_day_from_midnight(project):
    timed = [la for la in project.layers() if la.time_span]
    assert len(timed) >= 3
    for layer in timed:
        start, end = (t.astimezone(ZONE) for t in layer.time_span)
        assert start == MIDNIGHT, (layer.name, start)
        assert end <= MIDNIGHT + dt.timedelta(days=1), (layer.name, end)
    (vehicles,) = by_role(project, "vehicles")
    counts = project.query(
        f'SELECT floor((epoch(t) - {MIDNIGHT.timestamp()}) / 900)::INT AS q, count(*) AS n, '
        f'max(epoch(t)) - min(epoch(t)) AS span FROM "{vehicles.table("track")}" GROUP BY q').to_pydict()
    quarters = dict(zip(counts["q"], counts["n"]))
    for hour in (7, 8, 9, 17, 18, 19):  # positions in every quarter hour of both peaks
        for q in range(hour * 4, hour * 4 + 4):
            assert quarters.get(q, 0) > 200, (hour, q)
    gaps = project.rows(
        f'SELECT count(*) FILTER (WHERE gap = 5), count(*) FROM (SELECT epoch(t) - lag(epoch(t)) OVER '
        f'(PARTITION BY fid ORDER BY t) AS gap FROM "{vehicles.table("track")}") WHERE gap IS NOT NULL')[0]
    assert gaps[0] / gaps[1] > 0.99  # every 5 s (longer only while SUMO teleports a jammed vehicle)
    (speeds,) = by_role(project, "link_speeds")
    assert speeds.kind == "segments" and speeds.properties["join"]["layer"] == by_role(project, "roads")[0].name
    n = project.rows(f'SELECT count(DISTINCT t) FROM "{speeds.table("track")}"')[0][0]
    assert n == 288  # every 5 minutes for 24 h


def test_utilities_and_excavations_near_gas_mains(project):
    (utilities,) = by_role(project, "utilities")
    rows = project.query(f'SELECT "시설종류" AS k, "매설깊이" AS d, "관경" AS mm, "설치연도" AS y, "재질" AS m '
                         f'FROM "{utilities.table_name}"').to_pydict()
    kinds = np.array(rows["k"])
    assert set(kinds) == {"가스", "상수", "하수", "전력", "통신", "지역난방"}
    depth = np.array(rows["d"])
    assert depth[kinds == "하수"].mean() > depth[kinds == "가스"].mean() > 0.8
    assert utilities.zrange[0] < -1.0  # 3D lines at their depth
    (works,) = by_role(project, "excavations")
    table = project.query(f'SELECT "굴착깊이", ST_AsWKB(geom) AS g FROM "{works.table_name}"').to_pydict()
    gas = shapely.force_2d(geoms(project, utilities, "WHERE \"시설종류\" = '가스'"))
    points = shapely.from_wkb(table["g"])
    nearest = shapely.distance(points[:, None], gas[None, :]).min(axis=1)
    assert (nearest < 5.0).sum() >= 3
    assert len(by_role(project, "valves")[0].name) and by_role(project, "manholes")[0].feature_count > 1000


def test_stage_two_and_four_facilities(project):
    (cctv,) = by_role(project, "cctv")
    cams = project.query(f'SELECT "방향", "화각", "감시거리", "설치연도", "용도" FROM "{cctv.table_name}"').to_pydict()
    assert set(cams["용도"]) == {"방범", "교통", "어린이보호"} and cctv.feature_count >= 150
    assert 0 <= min(cams["방향"]) and max(cams["방향"]) < 360 and min(cams["설치연도"]) >= 2006
    (its,) = by_role(project, "its")
    kinds = project.query(f'SELECT DISTINCT "유형" FROM "{its.table_name}"').column(0).to_pylist()
    assert {"신호제어기", "차량검지기", "도로전광표지"} == set(kinds)
    (sensors,) = by_role(project, "sensors")
    readings = [la for la in project.layers() if la.kind == "sensors"]
    assert len(readings) == 3 and all(la.properties["join"]["layer"] == sensors.name for la in readings)
    for layer in readings:
        per_sensor = project.rows(f'SELECT min(c), max(c) FROM (SELECT count(*) AS c FROM "{layer.table("track")}" GROUP BY fid)')
        assert per_sensor[0] == (288, 288)
    (shuttle,) = by_role(project, "shuttle")
    assert shuttle.kind == "moving" and shuttle.feature_count == 2


# ----- the committed traffic -----------------------------------------------------------------------
def test_the_build_reads_the_committed_traffic_within_the_size_budget(project):
    (vehicles,) = by_role(project, "vehicles")
    assert vehicles.source_sha256 == hashlib.sha256(traffic.VEHICLES.read_bytes()).hexdigest()
    samples = project.rows(f'SELECT count(*) FROM "{vehicles.table("track")}"')[0][0]
    assert samples == pq.read_metadata(traffic.VEHICLES).num_rows
    (speeds,) = by_role(project, "link_speeds")
    assert project.rows(f'SELECT count(*) FROM "{speeds.table("track")}"')[0][0] == pq.read_metadata(traffic.LINK_SPEEDS).num_rows
    committed = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sum(p.stat().st_size for p in committed) < 20 * 2**20
    info = traffic.run_info()
    assert info["sumo"].endswith("1.28.0") and info["begin_s"] == 0 and info["end_s"] == 86_400
    assert info["fcd"]["rows"] == samples


@pytest.mark.skipif(simulate.sumo_home() is None, reason="SUMO is not installed (pip install eclipse-sumo==1.28.0 sumolib==1.28.0)")
def test_the_sumo_script_runs_on_a_small_piece_of_the_town(tmp_path):
    info = simulate.simulate(tmp_path / "out", tmp_path / "work", begin=7 * 3600, end=7 * 3600 + 900, scale=0.3,
                             clip=(-300.0, -400.0, 300.0, 400.0), probe_share=1.0)
    assert info["trips_total"] > 20 and info["statistics"]["vehicles"]["inserted"] > 0
    fcd = pq.read_table(tmp_path / "out" / "vehicles.parquet")
    assert {"timestep_time", "vehicle_id", "vehicle_x", "vehicle_y", "vehicle_speed"} <= set(fcd.column_names)
    assert fcd.num_rows > 100 and (np.asarray(fcd["timestep_time"]) % 5 == 0).all()
    x0, y0, x1, y1 = 226_000, 434_600, 228_700, 437_400  # back in EPSG:5186, inside the town
    assert (x0 < np.min(fcd["vehicle_x"])) and (np.max(fcd["vehicle_x"]) < x1)
    assert (y0 < np.min(fcd["vehicle_y"])) and (np.max(fcd["vehicle_y"]) < y1)
    speeds = pq.read_table(tmp_path / "out" / "link_speeds.parquet")
    assert speeds.num_rows == info["network"]["links"] * 3 and np.asarray(speeds["observed"]).any()


# ----- the story: links, the stage lens, the tour, the movies ---------------------------------------------------
def test_an_incident_layer_links_to_cameras_stations_its_and_the_centre(town, capsys):
    assert twin_main(["links", str(town[0]), "사건 incidents", "--json"]) == 0
    links = json.loads(capsys.readouterr().out)
    reached = {link["to_layer"] for link in links if link["from_layer"] == "사건 incidents"}
    assert {"CCTV", "112 지구대·파출소 police", "119 안전센터 fire stations", "ITS 시설 ITS",
            "통합운영센터 operation centre"} <= reached
    keys = {"from_layer", "from_id", "to_layer", "to_id", "relation", "distance_m", "travel_time_s"}
    assert all(keys <= set(link) for link in links)
    by_road = [link for link in links if link["relation"] == "nearest_fire_by_road"]
    seen = [link for link in links if link["relation"] == "seen_by"]
    assert by_road and all(link["travel_time_s"] > 0 for link in by_road)
    assert seen and all(link["travel_time_s"] is None and 0 <= link["distance_m"] <= 200 for link in seen)
    fids = {link["from_id"] for link in links if link["relation"] == "nearest_police_by_road"}
    assert len(fids) == project_count(town[0], "incidents")  # every call is answered by road


def project_count(path, role) -> int:
    with Project.open(path, read_only=True) as p:
        return by_role(p, role)[0].feature_count


def test_the_stage_lens_hides_buildings_completed_after_the_stage(project):
    from twin.model.twin import TwinModel
    from twin.store.reader import ProjectReader

    (layer,) = by_role(project, "buildings")
    model = TwinModel(ProjectReader(project))
    for stage, last in ((1, 2002), (2, 2013), (3, 2017)):
        model.lens.stage = stage
        later = project.rows(f'SELECT count(*) FROM "{layer.table_name}" WHERE "준공연도" > ?', [last])[0][0]
        assert len(model.feature_view(layer.name).hidden) == later > 0
    model.lens.look(3, changes=True)
    before = project.rows(f'SELECT count(*) FROM "{layer.table_name}" WHERE "준공연도" < 2014')[0][0]
    assert len(model.feature_view(layer.name).ghosted) == before


def test_the_tour_goes_through_four_stages_then_one_call(town, project, capsys):
    from twin.present.store import PresentStore
    from twin.present.tours import TourPlayer

    assert twin_main(["tour", str(town[0]), "list"]) == 0
    assert TOUR in capsys.readouterr().out
    store = PresentStore(project)
    tour = store.tour(TOUR)
    marks = {m.name: m for m in store.bookmarks()}
    assert [s.bookmark for s in tour.stops] == ["Stage 1", "Stage 2", "Stage 3", "Stage 4", "Call", "Dispatch", "Arrival"]
    for stage in (1, 2, 3, 4):
        mark = marks[f"Stage {stage}"]
        korean, english = mark.caption.split("\n")
        assert mark.stage == stage and f"{stage}단계" in korean and english.startswith(f"Stage {stage}")
    call, dispatch, arrival = marks["Call"], marks["Dispatch"], marks["Arrival"]
    assert call.selection == dispatch.selection == arrival.selection and len(call.selection) == 1
    assert call.time <= dispatch.time <= arrival.time
    (layer_name, fid), = call.selection
    row = project.rows(f'SELECT t_start, t_end FROM "{by_role(project, "incidents")[0].table_name}" WHERE fid = ?',
                       [fid])[0]
    assert (call.time, arrival.time) == row  # from the call to the arrival of the first unit
    player = TourPlayer(tour, marks)
    held = [player.state(player.hold_end(i) - 0.01) for i in range(len(tour.stops))]
    assert held[5].time_range.end == pytest.approx(arrival.time, abs=dt.timedelta(seconds=2))  # the clock ran on
    relations = {link["relation"] for link in
                 project.query(f"SELECT relation FROM links l JOIN layers f ON f.id = l.from_layer "
                               f"WHERE f.name = ? AND from_fid = ?", [layer_name, fid]).to_pylist()}
    assert {"seen_by", "nearest_police_by_road", "nearest_fire_by_road", "monitored_by"} <= relations


def test_ten_minutes_of_the_day_are_a_hundred_frames_of_that_size(town, tmp_path):
    from twin.present.movie import read_movie_info

    out = tmp_path / "ten.mp4"
    assert twin_main(["movie", str(town[0]), "--from", "2025-05-14T08:00", "--to", "2025-05-14T08:10", "--speed", "60",
                      "--fps", "10", "--size", "640x360", "--out", str(out)]) == 0
    info = read_movie_info(out)
    assert info["frames"] == 100 and info["size"] == (640, 360)


def test_the_tour_is_filmed(town, tmp_path):
    from twin.present.movie import read_movie_info

    out = tmp_path / "tour.mp4"
    assert twin_main(["movie", str(town[0]), "--tour", TOUR, "--fps", "2", "--size", "320x180", "--out", str(out)]) == 0
    assert read_movie_info(out)["frames"] >= 100
