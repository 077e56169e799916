"""The story the demo town tells: its links between services, and a tour through four stages and one call.

:func:`tell` runs on the built project (every layer imported): it computes the links with the plugins'
linkers (the same ``compute_links`` as ``twin links --compute``), then writes bookmarks and the tour
:data:`TOUR`: the town at Stage 1 to Stage 4, each with a caption in Korean and English, then one incident
followed from the call to the arrival of the first unit, with the city CCTV that saw it, the 112 and 119
stations that answered it, the route and the ITS on it, and the clock running. Cameras are framed from the
layers' extents (no renderer needed), so the same seed gives the same tour on every machine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from twin.store.identifiers import table_ref

#: the tour ``twin demo`` stores (``twin tour PROJECT list``, ``twin movie PROJECT --tour ...``)
TOUR = "미호누리 Story"
#: what the movies are framed for
ASPECT = 16 / 9
#: roles shown at each stage of the tour (the layers come from their ``properties.role``)
STAGE_ROLES = {
    1: ("buildings", "roads", "blocks", "parks", "stream", "utilities", "valves", "excavations"),
    2: ("buildings", "roads", "parks", "stream", "operation_centre", "fibre", "cctv", "its", "bus_stops", "vehicles"),
    3: ("buildings", "roads", "parks", "stream", "operation_centre", "cctv", "police_stations", "fire_stations",
        "incidents"),
    4: ("buildings", "roads", "parks", "stream", "sensors", "air_quality", "shuttle", "shuttle_route", "shuttle_stops",
        "reports"),
}
#: roles shown at each step of the call: the cameras that see it and the centre; then the stations, the routes,
#: the ITS and the traffic; at the arrival everything (a link to a hidden layer is not drawn)
BASE_ROLES = ("buildings", "roads", "parks", "stream", "incidents")
CALL_ROLES = {
    "Call": BASE_ROLES + ("cctv", "operation_centre"),
    "Dispatch": BASE_ROLES + ("police_stations", "fire_stations", "its", "vehicles"),
    "Arrival": BASE_ROLES + ("cctv", "operation_centre", "police_stations", "fire_stations", "its", "vehicles"),
}
CAPTIONS = {
    1: ("1단계 국가GIS (1995-2002) · 가스 폭발 뒤 지하시설물을 지도에",
        "Stage 1 · National GIS (1995-2002): the pipes under the streets mapped"),
    2: ("2단계 U-City (2003-2013) · 통합운영센터, CCTV, ITS",
        "Stage 2 · U-City (2003-2013): operation centre, CCTV, traffic systems"),
    3: ("3단계 통합플랫폼 (2014-2017) · CCTV가 112·119와 연결",
        "Stage 3 · Integrated platform (2014-2017): city CCTV feeds 112 and 119"),
    4: ("4단계 국가 시범도시 (2018-) · 데이터 허브, IoT, 셔틀, 리빙랩",
        "Stage 4 · Pilot city (2018-): data hub, IoT, shuttle, Living Lab"),
}
#: who answers a call of each type (유형)
AGENCIES = {"화재": "119", "구급": "119", "구조": "119", "가스누출": "119", "범죄신고": "112", "교통사고": "112·119"}
KINDS_EN = {"화재": "a fire", "구급": "a medical emergency", "구조": "a rescue", "가스누출": "a gas leak",
            "범죄신고": "a crime report", "교통사고": "a traffic accident"}
#: (hour, minute) shown at each stage: works under way at 10:00; the morning peak for traffic and sensors
STAGE_TIMES = {1: (10, 0), 2: (8, 0), 3: (8, 30), 4: (8, 15)}
#: simulated seconds per second while holding at a stage (vehicles and the shuttle move)
STAGE_SPEED = {1: 0.0, 2: 60.0, 3: 60.0, 4: 60.0}


def tell(session) -> dict:
    """Compute the links of the built project and store the bookmarks and the tour; returns what was made
    (``links`` per linker, ``bookmarks``, ``tour``, ``incident``: the fid followed)."""
    from twin.links.compute import compute_links

    project = session.project
    runs = compute_links(project)
    failed = [f"{r.linker}: {r.error}" for r in runs if r.error]
    if failed:
        raise RuntimeError("the demo's links could not be computed: " + "; ".join(failed))
    layers = _layers_by_role(project)
    marks = [_stage_bookmark(project, layers, stage) for stage in (1, 2, 3, 4)]
    incident = choose_incident(project, layers)
    stops = [dict(bookmark=m.name, transition=3.0, hold=5.0, speed=STAGE_SPEED[s]) for s, m in zip((1, 2, 3, 4), marks)]
    if incident is not None:
        call_marks, call_stops = _incident_bookmarks(project, layers, incident)
        marks += call_marks
        stops += call_stops
    _store(project, marks, stops)
    return {"links": {r.linker: r.links for r in runs}, "bookmarks": [m.name for m in marks], "tour": TOUR,
            "incident": None if incident is None else incident["fid"]}


# ----- the layers ---------------------------------------------------------------------------------------------
def _layers_by_role(project) -> dict[str, list]:
    out: dict[str, list] = {}
    for layer in project.layers():
        role = (layer.properties or {}).get("role")
        if role:
            out.setdefault(role, []).append(layer)
    return out


def _names(layers: dict[str, list], roles) -> tuple[str, ...]:
    return tuple(layer.name for role in roles for layer in layers.get(role, []))


def _town_bounds(project, layers) -> tuple[float, ...]:
    boxes = np.array([layer.bbox for layer in layers.get("buildings", []) + layers.get("roads", [])
                      if layer.bbox is not None], dtype=np.float64)
    return (boxes[:, 0].min(), boxes[:, 2].max(), boxes[:, 1].min(), boxes[:, 3].max(), 0.0, 60.0)


#: the movie frame the views are framed for, and what the legend (right) and the caption (bottom) cover
FRAME = (1280, 720)
LEGEND_PX, CAPTION_PX = 240, 90


def _pose(bounds, *, azimuth: float, elevation: float, margin: float = 1.05):
    """The pose that shows ``bounds`` in the part of the frame the legend and the caption leave free."""
    from twin.scene.camera import fit_pose

    width, height = FRAME
    free = (width - LEGEND_PX) / (height - CAPTION_PX)
    pose = fit_pose(bounds, azimuth=azimuth, elevation=elevation, aspect=free, margin=margin)
    # fit_pose framed the free part's shape in the whole frame: scale to the frame, then move it clear
    scale = height / (height - CAPTION_PX)
    back = np.subtract(pose.position, pose.focal_point) * scale
    pose = dataclasses.replace(pose, position=tuple(np.add(pose.focal_point, back)))
    return pose.panned(LEGEND_PX / 2.0, -CAPTION_PX / 2.0, height)


def _at(project, hour: int, minute: int, second: int = 0) -> dt.datetime:
    from twin_datasets.new_town.sources import DAY

    return dt.datetime.combine(DAY, dt.time(hour, minute, second), tzinfo=ZoneInfo(project.timezone))


# ----- the four stages ----------------------------------------------------------------------------------------
def _stage_bookmark(project, layers, stage: int):
    from twin.present.bookmarks import Bookmark

    town = _town_bounds(project, layers)
    # the whole town from the south-west, a little lower at Stage 1 to see the pipes under the ground
    pose = _pose(town, azimuth=200.0 + 10.0 * stage, elevation=38.0 if stage == 1 else 45.0, margin=0.8)
    ko, en = CAPTIONS[stage]
    return Bookmark(f"Stage {stage}", pose, time=_at(project, *STAGE_TIMES[stage]),
                    layers=_names(layers, STAGE_ROLES[stage]), stage=stage, caption=f"{ko}\n{en}")


# ----- one incident from the call to the arrival --------------------------------------------------------------
def choose_incident(project, layers) -> dict | None:
    """The incident the tour follows: seen by city CCTV, answered by 112 and 119 with detectors on the route,
    called in a traffic peak (07:00-10:00 or 17:00-20:00) when there is one; the most urgent, then the earliest."""
    from twin.store.links import read_links

    incidents = layers.get("incidents", [])
    if not incidents:
        return None
    layer = incidents[0]
    links = read_links(project, layer=layer.name).to_pylist()
    by_fid: dict[int, dict[str, list]] = {}
    for link in links:
        if link["from_layer"] == layer.name:
            by_fid.setdefault(link["from_fid"], {}).setdefault(link["relation"], []).append(link)
    rows = {r["fid"]: r for r in project.query(
        f'SELECT fid, t_start, t_end, "출동시각" AS dispatch, "유형" AS kind, "우선순위" AS priority, "신고내용" AS said, '
        f'ST_X(geom) AS x, ST_Y(geom) AS y FROM {table_ref(layer.table_name)}').to_pylist()}
    tz = ZoneInfo(project.timezone)

    def score(fid: int) -> tuple:
        relations = by_fid[fid]
        hour = rows[fid]["t_start"].astimezone(tz).hour
        peak = 7 <= hour < 10 or 17 <= hour < 20
        times = [lk["travel_time_s"] for rel in ("nearest_fire_by_road", "nearest_police_by_road")
                 for lk in relations.get(rel, []) if lk["travel_time_s"] is not None]
        drive = min(times) if times else 0.0
        return (not relations.get("seen_by"), not peak, not 120.0 <= drive <= 600.0, -len(relations.get("seen_by", [])),
                not relations.get("on_route"), rows[fid]["priority"] if rows[fid]["priority"] is not None else 9,
                rows[fid]["t_start"], fid)

    needed = {"seen_by", "nearest_police_by_road", "nearest_fire_by_road"}
    candidates = [fid for fid, rel in by_fid.items() if needed <= set(rel) and fid in rows]
    if not candidates:
        candidates = [fid for fid in by_fid if fid in rows]
    if not candidates:
        return None
    fid = min(candidates, key=score)
    return {"fid": fid, "layer": layer.name, **rows[fid], "links": by_fid[fid]}


def _incident_bookmarks(project, layers, incident) -> tuple[list, list[dict]]:
    from twin.present.bookmarks import Bookmark

    tz = ZoneInfo(project.timezone)
    links = incident["links"]
    call, arrival = incident["t_start"].astimezone(tz), incident["t_end"].astimezone(tz)
    dispatch = _time(incident["dispatch"], tz) or call + dt.timedelta(seconds=60)
    dispatch = min(max(dispatch, call), arrival)
    seen = links.get("seen_by", [])
    responses = [lk for rel in ("nearest_fire_by_road", "nearest_police_by_road") for lk in links.get(rel, [])]
    first = min(responses, key=lambda lk: lk["travel_time_s"] or np.inf) if responses else None
    on_route = links.get("on_route", [])
    x, y = incident["x"], incident["y"]
    selection = ((incident["layer"], incident["fid"]),)
    shown = {step: _names(layers, roles) for step, roles in CALL_ROLES.items()}
    kind = str(incident["kind"] or "")
    agency = AGENCIES.get(kind, "112·119")
    cams = _points_of(project, layers, [(lk["to_layer"], lk["to_fid"]) for lk in seen])
    near = np.vstack([[x, y], cams]) if len(cams) else np.array([[x, y]])
    close = _pose(_box(near, pad=60.0, least=240.0), azimuth=200.0, elevation=58.0)
    ends = [(lk["to_layer"], lk["to_fid"]) for lk in responses]
    route_xy = [shapely.get_coordinates(shapely.from_wkb(lk["route"])) for lk in responses if lk["route"] is not None]
    spread = np.vstack([near, _points_of(project, layers, ends), *route_xy])
    wide = _pose(_box(spread, pad=120.0, least=500.0), azimuth=200.0, elevation=66.0)
    minutes = (arrival - call).total_seconds() / 60.0
    by_road = ""
    if first is not None and first["travel_time_s"] is not None:
        m, sec = divmod(int(round(first["travel_time_s"])), 60)
        by_road = f" · 도로 {first['distance_m'] / 1000:.1f} km, {m}분 {sec:02d}초"
    english = KINDS_EN.get(kind, "an incident")
    marks = [
        Bookmark("Call", close, time=call, layers=shown["Call"], selection=selection,
                 caption=f"{call:%H:%M} {agency} 신고 · {kind or '사건'} · CCTV {len(seen)}대가 현장을 비춤\n"
                         f"{call:%H:%M} {english} is called in; {len(seen)} city CCTV show the scene"),
        Bookmark("Dispatch", wide, time=dispatch, layers=shown["Dispatch"], selection=selection,
                 caption=f"{dispatch:%H:%M} 출동 · 가장 가까운 112·119, 경로 위 ITS {len(on_route)}곳\n"
                         f"{dispatch:%H:%M} dispatch: the nearest 112 and 119 by road, {len(on_route)} ITS on the way"),
        Bookmark("Arrival", close, time=arrival, layers=shown["Arrival"], selection=selection,
                 caption=f"{arrival:%H:%M} 도착 · 신고 후 {minutes:.0f}분{by_road}\n"
                         f"{arrival:%H:%M} the first unit is on scene, {minutes:.0f} min after the call"),
    ]
    ride = max((arrival - dispatch).total_seconds(), 1.0)
    stops = [dict(bookmark="Call", transition=4.0, hold=4.0, speed=5.0),
             dict(bookmark="Dispatch", transition=2.5, hold=8.0, speed=ride / 8.0),  # the drive, call to arrival
             dict(bookmark="Arrival", transition=2.5, hold=4.0, speed=0.0)]
    return marks, stops


def _points_of(project, layers, features) -> np.ndarray:
    """(x, y) of features given as (layer name, fid), in the project CRS."""
    out = []
    by_name = {layer.name: layer for group in layers.values() for layer in group}
    for name, fid in features:
        layer = by_name.get(name)
        if layer is None:
            continue
        rows = project.rows(f'SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) '
                            f'FROM {table_ref(layer.table_name)} WHERE fid = ?', [int(fid)])
        out += [r for r in rows if r[0] is not None]
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def _box(xy: np.ndarray, *, pad: float, least: float) -> tuple[float, ...]:
    """Bounds around points, ``pad`` metres wider on each side and at least ``least`` metres across."""
    lo, hi = xy.min(axis=0) - pad, xy.max(axis=0) + pad
    centre, half = (lo + hi) / 2.0, np.maximum((hi - lo) / 2.0, least / 2.0)
    return (centre[0] - half[0], centre[0] + half[0], centre[1] - half[1], centre[1] + half[1], 0.0, 30.0)


def _time(value, tz) -> dt.datetime | None:
    """A stored time (a timestamp, or ISO text) in ``tz``; None when there is none."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
    return value.astimezone(tz)


def _store(project, marks, stops) -> None:
    from twin.present.store import PresentStore
    from twin.present.tours import Tour, TourStop

    store = PresentStore(project)
    for mark in marks:
        store.save_bookmark(mark, replace=True)
    # a stop's time comes from its bookmark; the Dispatch leg's speed plays the drive in its hold
    tour = Tour(TOUR, tuple(TourStop(**stop) for stop in stops),
                "미호누리 through the four stages of Korea's smart cities, then one call from the 112/119 "
                "to the arrival across CCTV, dispatch, the route and the ITS")
    store.save_tour(tour, replace=True)
