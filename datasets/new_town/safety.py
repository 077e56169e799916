"""Stage 3, the integrated platform: the 112 police boxes and 119 safety centres, and the day's calls.

Each call (``사건번호``) has a type, a priority (1 urgent, 2 emergency, 3 ordinary), the time of the call,
the dispatch 40-180 s later, and the arrival: dispatch + the road travel time from the responding station,
computed with the project's router (``twin.links.routing.RoadGraph``) on the town's road links in
EPSG:5186 with the link speeds the traffic simulation gives for the 5-minute interval of the call (the
speed limit where no vehicle was). The station is the fastest of the right kind: 119 for fires,
ambulances, rescues and gas leaks, 112 for crimes and traffic accidents.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

from twin_datasets.new_town import buildings, plan
from twin_datasets.new_town.traffic import INTERVAL_S, LINK_SPEEDS

#: type -> (calls a day, agency, where, priority shares 1/2/3, minutes on scene, hourly profile 0-23)
TYPES = {
    "구급": (34, "119", "homes", (0.3, 0.5, 0.2), (15, 40),
           [2, 1.5, 1, 1, 1, 1.5, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 3, 3, 2]),
    "화재": (6, "119", "buildings", (0.8, 0.2, 0.0), (40, 90),
           [1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 2, 2, 1]),
    "구조": (5, "119", "apartments", (0.4, 0.6, 0.0), (20, 50),
           [0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1, 0]),
    "가스누출": (4, "119", "gas", (1.0, 0.0, 0.0), (40, 120),
             [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0]),
    "교통사고": (24, "112", "traffic", (0.2, 0.5, 0.3), (20, 50),
             [1, 0.5, 0.5, 0.5, 0.5, 1, 3, 6, 8, 5, 4, 4, 4, 4, 4, 5, 6, 7, 8, 6, 4, 3, 2, 1]),
    "범죄신고": (30, "112", "shops_homes", (0.2, 0.4, 0.4), (15, 45),
             [6, 5, 4, 3, 2, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 5, 6, 6, 7, 7]),
}
TEXTS = {
    "구급": ("{place}에서 어르신이 쓰러져 의식이 없습니다", "{place} 앞 자전거 사고로 다리를 다쳤습니다",
           "{place}에서 가슴 통증을 호소하는 환자가 있습니다", "{place} 계단에서 넘어져 머리를 다쳤습니다"),
    "화재": ("{place}에서 연기가 나고 있습니다", "{place} 주방에서 불이 났습니다", "{place} 전기차 충전 중 화재"),
    "구조": ("{place} 승강기에 사람이 갇혔습니다", "{place} 현관문이 잠겨 아이가 혼자 있습니다"),
    "가스누출": ("{place} 부근 굴착 현장에서 가스 냄새가 납니다", "{place} 도로에서 가스 새는 소리가 납니다"),
    "교통사고": ("{place} 부근 차량 2대 추돌사고", "{place} 교차로에서 보행자 접촉사고", "{place} 부근 차량과 오토바이 충돌"),
    "범죄신고": ("{place}에서 주취자가 소란을 피우고 있습니다", "{place} 부근 수상한 사람이 배회합니다",
             "{place}에서 다툼이 벌어졌습니다", "{place} 상가 절도 의심 신고"),
}
PRIORITY_NAME = {1: "긴급", 2: "응급", 3: "일반"}
#: police boxes and safety centres: name -> (kind, agency, staff, vehicles)
STATIONS = {
    "미호누리지구대": ("지구대", "세종북부경찰서", 32, "순찰차 5"),
    "합강파출소": ("파출소", "세종북부경찰서", 14, "순찰차 2"),
    "누리파출소": ("파출소", "세종북부경찰서", 16, "순찰차 3"),
    "미호누리119안전센터": ("119안전센터", "세종소방본부 누리소방서", 28, "펌프차 2, 구급차 2, 구조공작차 1"),
    "누리천119안전센터": ("119안전센터", "세종소방본부 누리소방서", 22, "펌프차 1, 구급차 2"),
}


def stations() -> dict:
    """The police boxes (112) and safety centres (119) at their buildings (local metres)."""
    rows = [s for s in buildings.SPECIALS if s[0] in STATIONS]
    name = np.array([r[0] for r in rows], dtype=object)
    return {"xy": np.array([r[5] for r in rows], dtype=float), "기관명": name,
            "기관유형": np.array([STATIONS[n][0] for n in name], dtype=object),
            "관할": np.array([STATIONS[n][1] for n in name], dtype=object),
            "긴급전화": np.array(["119" if "119" in STATIONS[n][0] else "112" for n in name], dtype=object),
            "상주인원": np.array([STATIONS[n][2] for n in name]),
            "출동차량": np.array([STATIONS[n][3] for n in name], dtype=object),
            "개소연도": np.array([r[4] for r in rows])}


def link_speeds_mps(link_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(interval starts in seconds, speeds m/s as intervals x links in the order of ``link_ids``) from the
    committed traffic."""
    table = pq.read_table(LINK_SPEEDS, columns=["link_id", "begin_s", "speed_kmh"])
    ids = table["link_id"].to_numpy(zero_copy_only=False)
    begin = table["begin_s"].to_numpy().astype(np.int64)
    speed = table["speed_kmh"].to_numpy()
    starts = np.unique(begin)
    position = {k: i for i, k in enumerate(link_ids)}
    col = np.array([position.get(k, -1) for k in np.unique(ids)])
    inverse = np.unique(ids, return_inverse=True)[1]
    out = np.full((len(starts), len(link_ids)), np.nan)
    row = np.searchsorted(starts, begin)
    ok = col[inverse] >= 0
    out[row[ok], col[inverse][ok]] = speed[ok] / 3.6
    return starts, out


def link_volumes(link_ids: np.ndarray) -> np.ndarray:
    """Vehicles entering each link per 5 minutes (intervals x links) from the committed traffic."""
    table = pq.read_table(LINK_SPEEDS, columns=["link_id", "begin_s", "volume"])
    ids = table["link_id"].to_numpy(zero_copy_only=False)
    begin = table["begin_s"].to_numpy().astype(np.int64)
    position = {k: i for i, k in enumerate(link_ids)}
    uniq, inverse = np.unique(ids, return_inverse=True)
    lookup = np.array([position.get(k, -1) for k in uniq])[inverse]
    out = np.zeros((int(pc.max(table["begin_s"]).as_py()) // INTERVAL_S + 1, len(link_ids)))
    ok = lookup >= 0
    np.add.at(out, (begin[ok] // INTERVAL_S, lookup[ok]), table["volume"].to_numpy()[ok])
    return out


@dataclasses.dataclass
class Incidents:
    """The day's calls (parallel arrays; times in seconds since 00:00; xy local metres)."""

    columns: dict
    xy: np.ndarray


def _places(columns: dict, xy: np.ndarray) -> np.ndarray:
    """A place name for each point: the nearest named building (complex, school, public building)."""
    names = np.where(columns["단지명"] != "", columns["단지명"], columns["건물명"])
    named = np.flatnonzero((columns["단지명"] != "") | np.isin(columns["용도"], ["공공청사", "교육연구시설", "업무시설",
                                                                          "판매시설", "문화및집회시설"]))
    centres = shapely.centroid(columns["geometry"][named])
    which = shapely.STRtree(centres).query_nearest(shapely.points(xy), all_matches=False)[1]
    return names[named][which]


def incidents(columns: dict, utility_lines: dict, works: dict, station_xy_project: np.ndarray,
              station_names: np.ndarray, station_agency: np.ndarray, to_project_xy, rng: np.random.Generator) -> Incidents:
    """The day's calls (see the module docstring). ``columns``: the buildings (local metres);
    ``utility_lines``: the utilities (for gas leaks); ``works``: the excavations; stations in the project CRS as
    their CSV rows will be imported; ``to_project_xy``: local (n, 2) -> project (n, 2) through the
    CSV's rounded 위도/경도, as the import will place the incidents."""
    from twin.links.routing import RoadGraph

    links = plan.road_links()
    lines = plan.to_project(links.geometry)
    volume = link_volumes(links.link_id)
    kinds, calls, xy = [], [], []
    for kind, (count, _, where, _, _, profile) in TYPES.items():  # six types
        p = np.asarray(profile, float)
        hours = rng.choice(24, size=count, p=p / p.sum())
        seconds = np.minimum(hours * 3600 + rng.integers(0, 3600, count), 23 * 3600)
        xy.append(_locations(kind, where, seconds, columns, utility_lines, works, links, volume, rng))
        kinds.append(np.full(count, kind, dtype=object))
        calls.append(seconds)
    kind = np.concatenate(kinds)
    call = np.concatenate(calls).astype(np.int64)
    xy = np.concatenate(xy)
    order = np.lexsort((np.arange(len(call)), call))
    kind, call, xy = kind[order], call[order], xy[order]
    call[0] = 0  # the log of the day opens at 00:00:00
    n = len(call)
    dispatch = call + rng.integers(40, 181, n)
    agency = np.array([TYPES[k][1] for k in kind], dtype=object)
    prio = np.array([rng.choice([1, 2, 3], p=TYPES[k][3]) for k in kind])
    starts, speeds = link_speeds_mps(links.link_id)
    free = links.speed / 3.6
    target = to_project_xy(xy)
    arrival = np.zeros(n, dtype=np.int64)
    station = np.empty(n, dtype=object)
    travel = np.zeros(n)
    graph0 = RoadGraph.from_lines(lines, speed_mps=free, oneway=links.oneway)
    slot = np.clip(np.searchsorted(starts, call, side="right") - 1, 0, len(starts) - 1)
    for s in np.unique(slot):  # one graph per 5-minute interval with calls (about a hundred)
        here = np.flatnonzero(slot == s)
        graph = graph0.with_speeds(np.where(np.isfinite(speeds[s]), speeds[s], free))
        times = graph.travel_times(station_xy_project, target[here])  # stations x calls
        for a in ("112", "119"):
            mine = here[agency[here] == a]
            if not len(mine):
                continue
            rows = np.flatnonzero(station_agency == a)
            t = times[np.ix_(rows, np.searchsorted(here, mine))]
            best = np.argmin(t, axis=0)
            station[mine] = station_names[rows[best]]
            travel[mine] = t[best, np.arange(len(mine))]
    arrival = dispatch + np.round(travel).astype(np.int64)
    scene = np.array([rng.uniform(*TYPES[k][4]) * 60 for k in kind])
    closed = np.minimum(arrival + np.round(scene).astype(np.int64), 86_399)
    place = _places(columns, xy)
    text = np.array([rng.choice(TEXTS[k]).format(place=p) for k, p in zip(kind, place)], dtype=object)
    number = np.array([f"{a}-20250514-{i + 1:04d}" for i, a in enumerate(agency)], dtype=object)
    return Incidents({"사건번호": number, "유형": kind, "우선순위": prio, "신고시각": call, "출동시각": dispatch,
                      "도착시각": arrival, "출동기관": station, "종료": closed, "신고내용": text, "장소": place,
                      "travel_s": travel}, xy)


def _locations(kind, where, seconds, columns, utility_lines, works, links, volume, rng) -> np.ndarray:
    """Local points for ``len(seconds)`` calls of one type."""
    count = len(seconds)
    centres = shapely.get_coordinates(shapely.centroid(columns["geometry"]))
    use = columns["용도"]
    if where in ("homes", "shops_homes", "apartments", "buildings"):
        if where == "homes":
            w = columns["세대수"].astype(float)
        elif where == "apartments":
            w = (columns["세부용도"] == "아파트").astype(float)
        elif where == "shops_homes":
            w = np.where(use == "근린생활시설", 4.0, 0.0) + np.minimum(columns["세대수"], 8)
        else:
            w = np.sqrt(columns["연면적"])
        pick = rng.choice(len(w), size=count, p=w / w.sum())
        return centres[pick] + rng.normal(0, 2.0, (count, 2))
    if where == "gas":
        out = np.empty((count, 2))
        active = np.flatnonzero(works["시작"] < 20 * 3600)
        for k in range(count):  # four calls
            if k < 2 and len(active):  # a leak where a work digs beside a gas main, while it digs
                w = active[rng.integers(len(active))]
                seconds[k] = int(rng.integers(works["시작"][w] + 1800, min(works["종료"][w], 22 * 3600)))
                out[k] = works["xy"][w] + rng.normal(0, 1.5, 2)
            else:
                gas = np.flatnonzero(utility_lines["시설종류"] == "가스")
                line = utility_lines["geometry"][rng.choice(gas)]
                out[k] = shapely.get_coordinates(shapely.line_interpolate_point(line, rng.random(), normalized=True))[0, :2]
        return out
    # traffic accidents: on the arterials and collectors, where the traffic is at that time
    major = np.flatnonzero((links.rank != "국지도로") & ~links.gateway)
    slot = np.minimum(seconds // INTERVAL_S, len(volume) - 1)
    out = np.empty((count, 2))
    for k in range(count):  # a couple of dozen calls
        w = volume[slot[k], major] + 0.5
        link = major[rng.choice(len(major), p=w / w.sum())]
        point = shapely.line_interpolate_point(links.geometry[link], rng.uniform(0.1, 0.9), normalized=True)
        out[k] = shapely.get_coordinates(point)[0]
    return out
