"""Stage 4, the national pilot city: IoT sensors and their readings every 5 minutes, smart poles, the
autonomous shuttle with its timetable and GPS trace, and the Living Lab's citizen reports (local metres).

The readings follow the simulated traffic: PM10/PM2.5 and noise rise with the vehicles on the links near a
sensor; parking occupancy follows the use of the lot (homes full at night, offices by day, shops at noon
and in the evening).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from twin_datasets.new_town import plan
from twin_datasets.new_town.safety import link_volumes
from twin_datasets.new_town.traffic import INTERVAL_S
from twin_datasets.new_town.ucity import _cell_kind, _right_of, install_years

SLOTS = 86_400 // INTERVAL_S
HOURS = (np.arange(SLOTS) * INTERVAL_S) / 3600.0


@dataclasses.dataclass
class Sensors:
    """The sensor stations (columns, local xy) and their readings per measure (columns)."""

    stations: dict
    readings: dict  # measure -> columns


def _nearest_signals(count: int, rng: np.random.Generator) -> np.ndarray:
    j = plan.junctions()
    sig = np.flatnonzero(j.signal)
    return j.xy[rng.choice(sig, size=count, replace=False)] + np.array([18.0, -18.0])


def sensors(rng: np.random.Generator) -> Sensors:
    """Air quality (대기질), noise (소음) and parking (주차) sensors with a day of 5-minute readings."""
    blocks = plan.blocks()
    air = np.vstack([_nearest_signals(10, rng),
                     shapely.get_coordinates(shapely.point_on_surface(blocks.geometry[blocks.use == "school"]))])
    noise = _nearest_signals(10, rng) + np.array([-36.0, 0.0])
    lots = blocks.geometry[np.isin(blocks.use, ["commercial", "offices", "smart", "civic", "old_core"])]
    lot_kind = blocks.use[np.isin(blocks.use, ["commercial", "offices", "smart", "civic", "old_core"])]
    pick = rng.choice(len(lots), size=min(14, len(lots)), replace=False)
    parking = shapely.get_coordinates(shapely.point_on_surface(lots[pick]))
    xy = np.vstack([air, noise, parking])
    kind = np.array(["대기질"] * len(air) + ["소음"] * len(noise) + ["주차"] * len(parking), dtype=object)
    code = np.array(["AQ"] * len(air) + ["NS"] * len(noise) + ["PK"] * len(parking))
    ids = np.char.add(np.char.add("MN-", code), np.char.zfill((np.arange(len(xy)) + 1).astype(str), 3)).astype(object)
    measures = {"대기질": "PM10, PM2.5", "소음": "소음(dB(A), 5분 등가소음도)", "주차": "주차면 점유율(%)"}
    stations = {"센서ID": ids, "xy": xy, "센서유형": kind, "측정항목": np.array([measures[k] for k in kind], dtype=object),
                "통신방식": rng.choice(np.array(["LoRa", "NB-IoT", "LTE-M"], dtype=object), size=len(xy)),
                "설치연도": rng.integers(2019, 2024, len(xy)), "데이터허브연계": np.full(len(xy), "Y", dtype=object)}
    # traffic near each sensor: vehicles entering the links within ~150 m, per 5 minutes
    links = plan.road_links()
    volume = link_volumes(links.link_id)[:SLOTS]  # slots x links
    distance = shapely.distance(shapely.points(xy)[:, None], links.geometry[None, :])
    weight = np.exp(-distance / 60.0) * (distance < 250)
    traffic = volume @ weight.T  # slots x sensors
    readings = {}
    a = kind == "대기질"
    day = 30 + 14 * np.exp(-((HOURS - 8.5) / 2.2) ** 2) + 9 * np.exp(-((HOURS - 21.5) / 2.5) ** 2) \
        - 7 * np.exp(-((HOURS - 15) / 2.5) ** 2)
    pm10 = day[:, None] + 0.05 * traffic[:, a] + _ar1(rng, (SLOTS, a.sum()), 3.0)
    pm25 = 0.56 * pm10 + _ar1(rng, pm10.shape, 1.2)
    readings["대기질"] = _long(ids[a], {"PM10": np.round(np.clip(pm10, 5, None), 1),
                                        "PM2.5": np.round(np.clip(pm25, 3, None), 1)})
    s = kind == "소음"
    leq = 46 + 8.5 * np.log10(1 + traffic[:, s] / 4.0) + rng.normal(0, 1.0, (SLOTS, s.sum()))
    readings["소음"] = _long(ids[s], {"소음": np.round(leq, 1)})
    p = kind == "주차"
    lot_use = lot_kind[pick]
    capacity = rng.integers(4, 31, p.sum()) * 10
    home = 0.9 - 0.45 * np.exp(-((HOURS - 13) / 4.0) ** 2)
    work = 0.08 + 0.85 * np.exp(-((HOURS - 13) / 3.6) ** 6)
    shop = 0.15 + 0.55 * np.exp(-((HOURS - 12.8) / 1.8) ** 2) + 0.6 * np.exp(-((HOURS - 19.5) / 1.6) ** 2)
    shape = np.where(np.isin(lot_use, ["old_core"])[None, :], home[:, None],
                     np.where(np.isin(lot_use, ["commercial"])[None, :], shop[:, None], work[:, None]))
    occupied = np.clip(shape + _ar1(rng, shape.shape, 0.04), 0.02, 1.0)
    cars = np.round(occupied * capacity[None, :]).astype(int)
    readings["주차"] = _long(ids[p], {"점유율": np.round(cars / capacity[None, :] * 100, 1), "주차대수": cars,
                                     "주차면수": np.broadcast_to(capacity, cars.shape)})
    return Sensors(stations, readings)


def _ar1(rng: np.random.Generator, shape: tuple, sd: float, rho: float = 0.85) -> np.ndarray:
    """Autocorrelated noise along the first axis (time), vectorised over the second."""
    e = rng.normal(0, sd * np.sqrt(1 - rho**2), shape)
    out = np.empty(shape)
    out[0] = rng.normal(0, sd, shape[1])
    for t in range(1, shape[0]):  # 288 steps of a vector
        out[t] = rho * out[t - 1] + e[t]
    return out


def _long(ids: np.ndarray, values: dict) -> dict:
    """Slots x sensors arrays -> rows (sensor, time) sorted by time then sensor."""
    n = len(ids)
    return {"센서ID": np.tile(ids, SLOTS), "t": np.repeat(np.arange(SLOTS) * INTERVAL_S, n),
            **{k: np.asarray(v).reshape(-1) for k, v in values.items()}}


def smart_poles(rng: np.random.Generator) -> dict:
    """Smart poles (스마트폴: light, CCTV, public Wi-Fi, sensors) every 45 m along the streets of the
    stage-4 districts and the 미호대로 pair."""
    links = plan.road_links()
    mids = shapely.get_coordinates(shapely.line_interpolate_point(links.geometry, 0.5, normalized=True))
    stage = np.zeros(len(links), dtype=int)
    for cell in plan.zones():
        x0, y0, x1, y1 = cell.bounds
        stage[(mids[:, 0] >= x0) & (mids[:, 0] <= x1) & (mids[:, 1] >= y0) & (mids[:, 1] <= y1)] = cell.stage
    chosen = np.flatnonzero(((stage == 4) | (links.name == "미호대로")) & ~links.gateway)
    length = shapely.length(links.geometry[chosen])
    count = np.maximum((length // 45).astype(int), 1)
    which = np.repeat(chosen, count)
    k = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
    at = (k + 0.5) / np.repeat(count, count)
    xy = _right_of(links.geometry[which], at, links.width[which] / 2 - 0.8)
    functions = np.array(["스마트가로등, 공공와이파이", "스마트가로등, CCTV, 비상벨", "스마트가로등, IoT센서, 공공와이파이",
                          "스마트가로등, 전기차충전, 유동인구 센서"], dtype=object)
    return {"관리번호": np.char.add("SP-", np.char.zfill((np.arange(len(xy)) + 1).astype(str), 4)).astype(object),
            "xy": xy, "기능": functions[rng.integers(0, len(functions), len(xy))],
            "높이": rng.choice([8.0, 10.0, 12.0], size=len(xy)), "통신": rng.choice(np.array(["LTE-M", "5G"], dtype=object), len(xy)),
            "설치연도": install_years(np.full(len(xy), 4), rng), "link_id": links.link_id[which]}


#: the shuttle's stops (name, local point near the road) in running order; the route loops back to the first
SHUTTLE_STOPS = (("시청", (-40.0, 220.0)), ("누리천 중앙공원", (150.0, 210.0)), ("누리파출소", (550.0, 90.0)),
                 ("리빙랩센터", (790.0, -35.0)), ("데이터허브센터", (1000.0, -110.0)),
                 ("스마트 스카이타워", (905.0, -320.0)), ("센트럴타워", (-250.0, -95.0)))
SHUTTLE_SPEED = 6.0  # m/s cruising (21.6 km/h)
SHUTTLE_DWELL = 30.0  # s at each stop
SERVICE = (7 * 3600, 21 * 3600)


@dataclasses.dataclass
class Shuttle:
    """The route (local line), the stops with their timetable, and the GPS fixes (columns)."""

    route: shapely.LineString
    stops: dict
    fixes: dict


def shuttle(rng: np.random.Generator) -> Shuttle:
    """Two autonomous shuttles on the loop, from 07:00 to 21:00, GPS every 3 s in service and every
    60 s while they charge at the depot (the city hall stop)."""
    from twin.links.routing import RoadGraph

    links = plan.road_links()
    graph = RoadGraph.from_lines(links.geometry, speed_mps=links.speed / 3.6, oneway=links.oneway)
    points = np.array([p for _, p in SHUTTLE_STOPS] + [SHUTTLE_STOPS[0][1]])
    routes = graph.routes(points, points, np.column_stack([np.arange(len(points) - 1), np.arange(1, len(points))]))
    coords = np.vstack([shapely.get_coordinates(r.geometry) for r in routes])
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-6, axis=1)
    route = shapely.LineString(coords[keep])
    stop_at = np.array(shapely.line_locate_point(route, shapely.points(points[:-1])))
    stop_at[0] = 0.0
    length = route.length
    legs = np.diff(np.append(stop_at, length))
    loop = float(legs.sum() / SHUTTLE_SPEED + SHUTTLE_DWELL * len(legs))
    headway = int(np.ceil(loop / 2 / 300.0) * 300)  # two vehicles, on the five minutes
    departures = np.arange(SERVICE[0], SERVICE[1] - loop, headway)
    # timetable: seconds after leaving the first stop at which each stop is reached
    offsets = np.concatenate([[0.0], np.cumsum(legs[:-1] / SHUTTLE_SPEED + SHUTTLE_DWELL)])
    fixes = []
    for v, firsts in enumerate((departures[0::2], departures[1::2])):
        fixes.append(_trace(f"AS-0{v + 1}", firsts, route, stop_at, legs, offsets, rng))
    fixes = {k: np.concatenate([f[k] for f in fixes]) for k in fixes[0]}
    order = np.lexsort((fixes["차량ID"], fixes["t"]))
    fixes = {k: v[order] for k, v in fixes.items()}
    names = np.array([n for n, _ in SHUTTLE_STOPS], dtype=object)
    stops = {"정류장명": names, "xy": shapely.get_coordinates(shapely.line_interpolate_point(route, stop_at)),
             "순번": np.arange(1, len(names) + 1), "첫차": _clock(departures[0] + offsets),
             "막차": _clock(departures[-1] + offsets), "배차간격(분)": np.full(len(names), headway // 60),
             "소요시간(분)": np.round(offsets / 60).astype(int), "노선": np.full(len(names), "자율주행 순환셔틀 A1", dtype=object)}
    return Shuttle(route, stops, fixes)


def _clock(seconds) -> np.ndarray:
    seconds = np.round(np.asarray(seconds)).astype(int)
    return np.array([f"{s // 3600:02d}:{s % 3600 // 60:02d}" for s in seconds], dtype=object)


def _trace(vehicle: str, departures: np.ndarray, route, stop_at, legs, offsets, rng) -> dict:
    """GPS fixes of one shuttle over the day (positions along the route from a timetable)."""
    loop = offsets[-1] + legs[-1] / SHUTTLE_SPEED + SHUTTLE_DWELL
    t_service = np.concatenate([np.arange(d, d + loop, 3.0) for d in departures])
    since = t_service - np.repeat(departures, [len(np.arange(d, d + loop, 3.0)) for d in departures])
    # where along the loop: at a stop (dwell), or moving between stops
    leave = offsets  # leave stop k at offsets[k] (dwell is before leaving, except at the first)
    k = np.clip(np.searchsorted(leave, since, side="right") - 1, 0, len(legs) - 1)
    moving_for = since - leave[k]
    run_time = legs[k] / SHUTTLE_SPEED
    moving = moving_for < run_time
    s = np.where(moving, stop_at[k] + moving_for * SHUTTLE_SPEED, stop_at[k] + legs[k])
    s = np.mod(s, route.length)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(route, s))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(route, np.mod(s + 3.0, route.length)))
    heading = plan.bearing(*(ahead - xy).T)
    speed = np.where(moving, np.round(SHUTTLE_SPEED * 3.6 + rng.normal(0, 1.0, len(s)), 1), 0.0)
    next_stop = np.where(moving, (k + 1) % len(legs), (k + 1) % len(legs))
    state = np.where(moving, "운행", "정차").astype(object)
    depot = shapely.get_coordinates(shapely.line_interpolate_point(route, 0.0))[0] + np.array([0.0, 12.0])
    first, last = departures[0], departures[-1] + loop
    parked = np.concatenate([np.arange(0.0, first, 60.0), np.arange(np.ceil(last / 60) * 60, 86_400.0, 60.0)])
    names = np.array([n for n, _ in SHUTTLE_STOPS], dtype=object)
    t = np.concatenate([parked, t_service])
    n_p = len(parked)
    return {"차량ID": np.full(len(t), vehicle, dtype=object), "t": t.astype(int),
            "xy": np.vstack([np.tile(depot, (n_p, 1)), xy]),
            "속도": np.concatenate([np.zeros(n_p), speed]),
            "방향": np.concatenate([np.zeros(n_p), heading]),
            "운행상태": np.concatenate([np.full(n_p, "충전대기", dtype=object), state]),
            "다음정류장": np.concatenate([np.full(n_p, "", dtype=object), names[next_stop]])}


#: Living Lab report categories and their texts ({place}: where)
REPORTS = {
    "불법주정차": ("{place} 앞 불법주정차 때문에 등굣길이 위험합니다", "{place} 소방차 전용구역에 차가 서 있습니다"),
    "보행안전": ("{place} 횡단보도 신호가 너무 짧아요", "{place} 보도블록이 들떠 있어 넘어질 뻔했습니다"),
    "자율주행셔틀": ("{place} 셔틀 정류장에 도착 예정 시간이 안 나옵니다", "{place}까지 셔틀 노선을 늘려 주세요",
               "셔틀이 {place} 앞에서 오래 멈춰 있었어요"),
    "스마트가로등": ("{place} 스마트가로등이 꺼져 있습니다", "{place} 가로등 밝기를 밤에 더 밝게 해 주세요"),
    "공원·녹지": ("{place} 수변공원 산책로에 물이 고였습니다", "{place} 근처 공원에 그늘막을 설치해 주세요"),
    "소음": ("{place} 공사 소음이 심합니다", "{place} 오토바이 소음 단속 요청합니다"),
    "미세먼지": ("{place} 주변 공기질 정보를 정류장 화면에도 보여 주세요", "{place} 공사장 비산먼지가 많습니다"),
    "생활제안": ("{place}에 공유 킥보드 주차구역을 만들어 주세요", "{place} 데이터허브 앱에 주차 정보를 추가해 주세요",
             "{place} 어린이 보호구역에 스마트 횡단보도를 설치해 주세요"),
}
REPORT_PROFILE = [1, 0.5, 0.3, 0.2, 0.2, 0.5, 1.5, 4, 6, 6, 5, 5, 6, 5, 5, 5, 5, 6, 7, 7, 6, 5, 3, 2]


def reports(columns: dict, rng: np.random.Generator, *, count: int = 54) -> dict:
    """Citizen reports of the Living Lab app: category, text, time and place (local metres)."""
    from twin_datasets.new_town.safety import _places

    p = np.asarray(REPORT_PROFILE, float)
    t = np.sort(rng.choice(24, size=count, p=p / p.sum()) * 3600 + rng.integers(0, 3600, count))
    t = np.minimum(t, 23 * 3600 + 25 * 60)
    t[0] = 0  # the day's log opens at 00:00:00
    centres = shapely.get_coordinates(shapely.centroid(columns["geometry"]))
    weight = np.where(np.isin(_cell_kind(centres), ["smart", "houses"]), 3.0, 1.0) * (columns["세대수"] > 0) + 0.2
    pick = rng.choice(len(centres), size=count, p=weight / weight.sum())
    xy = centres[pick] + rng.normal(0, 12.0, (count, 2))
    place = _places(columns, xy)
    categories = np.array(list(REPORTS), dtype=object)
    category = categories[rng.integers(0, len(categories), count)]
    text = np.array([rng.choice(REPORTS[c]).format(place=pl) for c, pl in zip(category, place)], dtype=object)
    status = rng.choice(np.array(["접수", "검토중", "처리중", "처리완료"], dtype=object), size=count, p=[0.35, 0.3, 0.2, 0.15])
    return {"접수번호": np.array([f"LL-20250514-{i + 1:03d}" for i in range(count)], dtype=object), "분류": category,
            "내용": text, "t": t, "장소": place, "처리상태": status, "xy": xy,
            "공감수": rng.poisson(4, count)}
