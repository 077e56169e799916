"""Stage 1: the underground utilities under the streets, their valves and manholes, and the day's
excavation works (local metres).

One line per utility and road link, offset from the link's centre line to its own place in the road
(sewer in the middle, water and gas under opposite lanes, power and telecom under the sidewalks,
district heating between), at the burial depth of its kind (a 3D line at z = -depth). Depths,
diameters and materials follow Korean practice by road rank; install years follow the stage in which
the area around the link was built (utilities first, a year or two before the buildings), with some
old mains renewed later.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from twin_datasets.new_town import plan

RANK_INDEX = {r: k for k, r in enumerate(plan.RANKS)}  # 주간선, 보조간선, 집산, 국지


@dataclasses.dataclass(frozen=True)
class Kind:
    """One utility: its place across the road (share of the half width, + = left of the link's
    direction), depth, diameter and material per road rank, and a code for its ids."""

    code: str
    offset: float
    depth: tuple[float, float, float, float]
    diameter: tuple[int, int, int, int]
    material: tuple[str, str, str, str]


KINDS = {
    "하수": Kind("SW", 0.0, (3.4, 3.0, 2.4, 1.8), (1000, 800, 600, 300), ("흄관", "흄관", "흄관", "고강성PVC관")),
    "상수": Kind("WS", 0.5, (1.5, 1.4, 1.3, 1.2), (500, 400, 300, 150), ("DCIP", "DCIP", "DCIP", "PE관")),
    "가스": Kind("GS", -0.5, (1.2, 1.2, 1.2, 1.0), (300, 200, 150, 80), ("PLP관", "PLP관", "PE관", "PE관")),
    "전력": Kind("EP", 0.82, (1.5, 1.5, 1.2, 1.0), (200, 200, 150, 150), ("ELP관", "ELP관", "ELP관", "ELP관")),
    "통신": Kind("TC", -0.82, (1.2, 1.2, 1.0, 0.8), (125, 125, 100, 100), ("PE관", "PE관", "PE관", "PVC관")),
    "지역난방": Kind("DH", 0.25, (1.8, 1.8, 1.5, 1.2), (600, 500, 400, 200),
                 ("이중보온관", "이중보온관", "이중보온관", "이중보온관")),
}


def link_stage(links: plan.RoadLinks) -> np.ndarray:
    """The stage in which each link was built: the earliest stage of the cells it borders (gateway links
    and the perimeter go with their neighbours)."""
    cells = plan.zones()
    polygons = np.array([shapely.buffer(c.polygon, 2.0) for c in cells], dtype=object)
    stages = np.array([c.stage for c in cells])
    tree = shapely.STRtree(polygons)
    pairs = tree.query(shapely.line_interpolate_point(links.geometry, 0.5, normalized=True), predicate="intersects")
    out = np.full(len(links), 2)
    first = np.full(len(links), 9)
    np.minimum.at(first, pairs[0], stages[pairs[1]])
    out[first < 9] = first[first < 9]
    return out


def lines(rng: np.random.Generator) -> dict:
    """The utility lines (columns of the source file; geometry: 3D LineStrings in local metres)."""
    links = plan.road_links()
    stage = link_stage(links)
    rank = np.array([RANK_INDEX[r] for r in links.rank])
    old = stage == 1
    n = len(links)
    out: dict[str, list] = {k: [] for k in ("geometry", "관리번호", "시설종류", "매설깊이", "관경", "설치연도", "재질",
                                            "도로명", "link_id")}
    for name, kind in KINDS.items():
        if name == "지역난방":
            has = ~old  # district heating came with the new town
        elif name == "전력":
            has = ~old | (rank < 3)  # the old village's lanes keep overhead lines
        else:
            has = np.ones(n, dtype=bool)
        idx = np.flatnonzero(has)
        offset = kind.offset * links.width[idx] / 2.0
        geom = shapely.offset_curve(links.geometry[idx], offset, quad_segs=2, join_style="mitre")
        depth = np.round(np.asarray(kind.depth)[rank[idx]] + rng.uniform(-0.1, 0.15, len(idx)), 2)
        diameter = np.asarray(kind.diameter)[rank[idx]]
        diameter = np.where(old[idx] & (rank[idx] == 3), np.minimum(diameter, 100 if name != "하수" else 250), diameter)
        material = np.asarray(kind.material, dtype=object)[rank[idx]]
        first_year = np.array([plan.STAGE_YEARS[s][0] for s in stage[idx]])
        year = first_year - 2 + rng.integers(0, 4, len(idx))
        if name in ("상수", "가스"):  # old mains renewed with PE
            renewed = old[idx] & (rng.random(len(idx)) < 0.25)
            year = np.where(renewed, rng.integers(2014, 2023, len(idx)), year)
            material = np.where(renewed, "PE관", np.where(old[idx] & (name == "상수"), "주철관", material))
        coords, parts = shapely.get_coordinates(geom), shapely.get_num_coordinates(geom)
        z = np.repeat(-depth, parts)
        out["geometry"].append(shapely.linestrings(np.column_stack([coords, z]), indices=np.repeat(np.arange(len(idx)), parts)))
        out["관리번호"].append(np.char.add(f"{kind.code}-", links.link_id[idx].astype(str)))
        out["시설종류"].append(np.full(len(idx), name, dtype=object))
        out["매설깊이"].append(depth)
        out["관경"].append(diameter)
        out["설치연도"].append(year)
        out["재질"].append(material)
        out["도로명"].append(links.name[idx])
        out["link_id"].append(links.link_id[idx])
    return {k: np.concatenate(v) for k, v in out.items()}


def valves(network: dict, rng: np.random.Generator) -> dict:
    """Gate valves (제수밸브) on the water mains and shut-off valves on the gas and heating mains, 4 m from
    each end of a main (where it branches at a junction)."""
    kind = network["시설종류"]
    idx = np.flatnonzero(np.isin(kind, ["상수", "가스", "지역난방"]))
    geom = network["geometry"][idx]
    length = shapely.length(geom)
    at = np.concatenate([np.minimum(4.0, length / 2), np.maximum(length - 4.0, length / 2)])
    which = np.concatenate([idx, idx])
    both = np.concatenate([geom, geom])
    points = shapely.force_2d(shapely.line_interpolate_point(both, at))
    keep = np.concatenate([np.ones(len(idx), bool), rng.random(len(idx)) < 0.5])  # one end always, the other often
    points, which = points[keep], which[keep]
    names = {"상수": "제수밸브", "가스": "가스차단밸브", "지역난방": "지역난방차단밸브"}
    code = {"상수": "WV", "가스": "GV", "지역난방": "HV"}
    kinds = kind[which]
    return {
        "geometry": points,
        "관리번호": np.char.add(np.char.add(np.array([code[k] for k in kinds]).astype(str), "-"),
                            np.char.zfill((np.arange(len(points)) + 1).astype(str), 5)).astype(object),
        "시설종류": kinds,
        "밸브종류": np.array([names[k] for k in kinds], dtype=object),
        "관경": network["관경"][which],
        "매설깊이": network["매설깊이"][which],
        "설치연도": network["설치연도"][which],
        "관리번호_관로": network["관리번호"][which],
    }


def manholes(network: dict) -> dict:
    """Sewer manholes at most 50 m apart and at each end; telecom and power manholes every 150 m."""
    kind = network["시설종류"]
    out = []
    for name, spacing, label, code in (("하수", 50.0, "오수맨홀", "SM"), ("통신", 150.0, "통신맨홀", "TM"),
                                        ("전력", 150.0, "전력맨홀", "EM")):
        idx = np.flatnonzero(kind == name)
        geom = network["geometry"][idx]
        length = shapely.length(geom)
        count = np.maximum(np.ceil(length / spacing).astype(int), 1) + (1 if name == "하수" else 0)
        which = np.repeat(idx, count)
        k = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
        denominator = np.repeat(np.maximum(count - (1 if name == "하수" else 0), 1), count)
        at = np.repeat(length, count) * (k + (0 if name == "하수" else 0.5)) / denominator
        points = shapely.force_2d(shapely.line_interpolate_point(network["geometry"][which], at))
        out.append({"geometry": points, "시설종류": np.full(len(which), name, dtype=object),
                    "맨홀종류": np.full(len(which), label, dtype=object), "깊이": network["매설깊이"][which] + 0.5,
                    "설치연도": network["설치연도"][which], "관리번호_관로": network["관리번호"][which],
                    "code": np.full(len(which), code)})
    merged = {k: np.concatenate([o[k] for o in out]) for k in out[0]}
    # a sewer manhole at a junction serves every link ending there: keep one per place
    key = np.round(shapely.get_coordinates(merged["geometry"]) / 1.5).astype(np.int64)
    _, first = np.unique(np.column_stack([key, np.unique(merged["시설종류"], return_inverse=True)[1]]), axis=0,
                         return_index=True)
    first = np.sort(first)
    merged = {k: v[first] for k, v in merged.items()}
    code = merged.pop("code")
    merged["관리번호"] = np.char.add(np.char.add(code.astype(str), "-"),
                                 np.char.zfill((np.arange(len(code)) + 1).astype(str), 5)).astype(object)
    merged["깊이"] = np.round(merged["깊이"], 2)
    return merged


#: works of the day: (name, utility dug for, agency, depth range m)
WORKS = (
    ("상수도관 교체공사", "상수", "미호누리시 상하수도사업소", (1.5, 2.2)),
    ("도시가스 공급관 신설공사", "가스", "세종도시가스", (1.3, 1.8)),
    ("통신관로 신설공사", "통신", "KT 세종지사", (1.0, 1.6)),
    ("하수관로 정비공사", "하수", "미호누리시 상하수도사업소", (2.5, 3.8)),
    ("지역난방 배관 보수공사", "지역난방", "한국지역난방공사 세종지사", (1.8, 2.6)),
    ("전력구 관로 신설공사", "전력", "한국전력공사 세종지사", (1.5, 2.3)),
    ("보도 굴착 복구공사", "통신", "미호누리시 도로과", (0.8, 1.4)),
    ("스마트폴 기초 굴착공사", "전력", "미호누리시 스마트도시과", (1.5, 2.0)),
)


def excavations(network: dict, rng: np.random.Generator, *, count: int = 16) -> dict:
    """The day's excavation works (굴착공사), each from its start to its end time on the demo day.

    Every work digs beside the utility it is for; about half of them lie 1-4 m from a gas main (the
    risk the 1994-95 explosions taught). Two are night works on arterials (00:00-05:30, 21:00-23:50);
    the rest run in the daytime."""
    kinds = network["시설종류"]
    gas = np.flatnonzero(kinds == "가스")
    pick = rng.choice(len(WORKS), size=count)
    near_gas = rng.random(count) < 0.5
    near_gas[:2] = True
    xy = np.empty((count, 2))
    depth = np.empty(count)
    for k in range(count):  # 16 works: the loop is over works, not over data
        name, target, _, (d0, d1) = WORKS[pick[k]]
        pool = gas if near_gas[k] else np.flatnonzero(kinds == target)
        if k < 2:  # the night works are on the arterials (gas mains of 300 mm)
            pool = gas[network["관경"][gas] == 300]
        line = network["geometry"][rng.choice(pool)]
        p = shapely.get_coordinates(shapely.line_interpolate_point(line, rng.uniform(0.2, 0.8), normalized=True))[0, :2]
        a = shapely.get_coordinates(shapely.force_2d(line))
        direction = a[-1] - a[0]
        normal = np.array([-direction[1], direction[0]]) / (np.linalg.norm(direction) or 1.0)
        gap = rng.uniform(1.0, 4.0) if near_gas[k] else rng.uniform(-2.0, 2.0)
        xy[k] = p + normal * gap * rng.choice([-1, 1])
        depth[k] = round(float(rng.uniform(d0, d1)), 1)
    start = rng.integers(8 * 12, 11 * 12, count) * 300  # 08:00-11:00 on the five minutes
    end = start + rng.integers(4 * 12, 8 * 12, count) * 300
    start[0], end[0] = 0, 5 * 3600 + 1800  # a night work on the arterial: 00:00-05:30
    start[1], end[1] = 21 * 3600, 23 * 3600 + 50 * 60
    end = np.minimum(end, 23 * 3600 + 55 * 60)
    order = np.argsort(start, kind="stable")
    names = np.array([WORKS[p][0] for p in pick], dtype=object)
    agency = np.array([WORKS[p][2] for p in pick], dtype=object)
    target = np.array([WORKS[p][1] for p in pick], dtype=object)
    return {"id": np.array([f"EX-20250514-{i + 1:02d}" for i in range(count)], dtype=object),
            "공사명": names[order], "대상시설": target[order], "시행기관": agency[order], "xy": xy[order],
            "시작": start[order], "종료": end[order], "굴착깊이": depth[order],
            "굴착면적": np.round(rng.uniform(6, 60, count), 1)[order]}
