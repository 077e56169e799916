"""Stage 2, the U-City: the integrated operation centre, the city fibre network, CCTV, ITS (signals,
detectors, variable message signs) and smart bus stops (local metres; CSV rows get 위도/경도 later).

Cameras: traffic cameras at the signalised junctions looking at them, crime-prevention cameras at
junctions of the residential lanes and along the riverside park, child-protection cameras around the
schools; each with its view direction (``방향``, degrees clockwise from north), field of view (``화각``)
and range (``감시거리``). Installation years follow the stage of the area (the old village got its
cameras when the U-City came).
"""

from __future__ import annotations

import numpy as np
import shapely

from twin_datasets.new_town import buildings, plan
from twin_datasets.new_town.utilities import link_stage


def _cell_stage(xy: np.ndarray) -> np.ndarray:
    """The stage of the cell at each local point (2 outside the cells, e.g. on the 미호대로 median)."""
    out = np.full(len(xy), 2)
    for cell in plan.zones():
        x0, y0, x1, y1 = cell.bounds
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        out[inside] = cell.stage
    return out


def _cell_kind(xy: np.ndarray) -> np.ndarray:
    out = np.full(len(xy), "", dtype=object)
    for cell in plan.zones():
        x0, y0, x1, y1 = cell.bounds
        out[(xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)] = cell.kind
    return out


def install_years(stage: np.ndarray, rng: np.random.Generator, *, earliest: int = 2006) -> np.ndarray:
    """Years of smart-city equipment: the old village's came with the U-City (2006+), the rest with its area."""
    first = np.array([max(plan.STAGE_YEARS[s][0], earliest) for s in stage])
    last = np.array([plan.STAGE_YEARS[s][1] for s in stage])
    last = np.maximum(last, first + 2)
    return first + (rng.random(len(stage)) * (last - first + 1)).astype(int)


def operation_centre() -> dict:
    """The integrated operation centre (통합운영센터) at its building."""
    name, _, _, storeys, year, centre, _ = next(s for s in buildings.SPECIALS if s[2] == "통합운영센터")
    return {"xy": np.array([centre]), "시설명": [name], "개소연도": [year], "운영인원": [48], "층수": [storeys],
            "연계기관": ["112 종합상황실, 119 종합상황실, 재난안전상황실, 교통정보센터"],
            "운영시간": ["24시간"], "주요기능": ["CCTV 통합관제, 교통신호 제어, 재난·재해 대응, 시설물 관리"]}


def fibre(rng: np.random.Generator) -> dict:
    """The city's own fibre network (자가통신망): a backbone under the arterials and collectors, branches
    under the streets of the business and smart districts, in the telecom ducts (0.9 m deep)."""
    links = plan.road_links()
    stage = link_stage(links)
    mids = shapely.get_coordinates(shapely.line_interpolate_point(links.geometry, 0.5, normalized=True))
    kind = _cell_kind(mids)
    backbone = links.rank != "국지도로"
    branch = ~backbone & np.isin(kind, ["commercial", "offices", "smart", "civic"])
    idx = np.flatnonzero(backbone | branch)
    geom = shapely.offset_curve(links.geometry[idx], -0.7 * links.width[idx] / 2, quad_segs=2, join_style="mitre")
    coords, parts = shapely.get_coordinates(geom), shapely.get_num_coordinates(geom)
    geom = shapely.linestrings(np.column_stack([coords, np.full(len(coords), -0.9)]),
                               indices=np.repeat(np.arange(len(idx)), parts))
    is_backbone = backbone[idx]
    cores = np.where(is_backbone, np.where(links.rank[idx] == "주간선도로", 144, 96), 48)
    return {"geometry": geom, "구간ID": np.char.add("FN-", links.link_id[idx].astype(str)).astype(object),
            "구분": np.where(is_backbone, "간선망", "지선망").astype(object),
            "케이블": np.char.add("SM ", np.char.add(cores.astype(str), "C")).astype(object), "코어수": cores,
            "설치연도": install_years(stage[idx], rng, earliest=2009), "도로명": links.name[idx],
            "link_id": links.link_id[idx]}


def cctv(rng: np.random.Generator) -> dict:
    """City CCTV: traffic (교통), crime prevention (방범) and child protection (어린이보호) cameras."""
    j = plan.junctions()
    links = plan.road_links()
    rows = []
    # traffic cameras: two opposite corners of every signalised junction, looking at its centre
    sig = np.flatnonzero(j.signal)
    for sx, sy in ((1, 1), (-1, -1)):
        cam = j.xy[sig] + np.array([sx, sy]) * 15.0
        rows.append(dict(xy=cam, look=j.xy[sig] - cam + rng.normal(0, 2, cam.shape), use="교통",
                         fov=rng.integers(55, 76, len(sig)), range_=rng.integers(8, 14, len(sig)) * 10))
    # crime prevention: junctions of local lanes in the residential areas (most of them)
    local_node = np.zeros(len(j.xy), dtype=bool)
    local = links.rank == "국지도로"
    local_node[j.first[local]] = True
    local_node[j.last[local]] = True
    kind = _cell_kind(j.xy)
    homes = np.flatnonzero(local_node & ~j.signal & (j.degree >= 3) & (kind != "park"))
    share = np.where(np.isin(kind[homes], ["old_core", "houses"]), 0.7, 0.5)
    homes = homes[rng.random(len(homes)) < share]
    corner = rng.choice([-1, 1], size=(len(homes), 2)) * 5.0
    cam = j.xy[homes] + corner
    street = np.where(rng.random(len(homes))[:, None] < 0.5, np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    look = -corner + street * rng.choice([-1, 1], size=(len(homes), 1)) * 30.0
    rows.append(dict(xy=cam, look=look, use="방범", fov=rng.integers(85, 111, len(homes)),
                     range_=rng.integers(3, 7, len(homes)) * 10))
    # riverside park: every 220 m along the stream, looking along it
    stream = plan.stream_line()
    s = np.arange(150.0, stream.length - 100, 220.0)
    here = shapely.get_coordinates(shapely.line_interpolate_point(stream, s))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(stream, s + 20.0))
    side = np.column_stack([-(ahead - here)[:, 1], (ahead - here)[:, 0]]) / 20.0
    cam = here + side * 28.0
    inside = (np.abs(cam) < plan.HALF - 20).all(axis=1)
    rows.append(dict(xy=cam[inside], look=(ahead - here)[inside], use="방범", fov=np.full(inside.sum(), 100),
                     range_=np.full(inside.sum(), 60)))
    # child protection: four corners of every school block, looking into the school zone streets
    blocks = plan.blocks()
    schools = blocks.geometry[blocks.use == "school"]
    for g in schools:
        x0, y0, x1, y1 = g.bounds
        corners = np.array([(x0 - 2, y0 - 2), (x1 + 2, y0 - 2), (x1 + 2, y1 + 2), (x0 - 2, y1 + 2)])
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        along = np.array([(1, 0), (0, 1), (-1, 0), (0, -1)], dtype=float)
        rows.append(dict(xy=corners, look=(centre - corners) * 0.3 + along * 40.0, use="어린이보호",
                         fov=np.full(4, 90), range_=rng.integers(5, 9, 4) * 10))
    xy = np.concatenate([r["xy"] for r in rows])
    look = np.concatenate([r["look"] for r in rows])
    use = np.concatenate([np.full(len(r["xy"]), r["use"], dtype=object) for r in rows])
    stage = _cell_stage(xy)
    return {"id": np.array([f"CCTV-{i + 1:04d}" for i in range(len(xy))], dtype=object), "xy": xy,
            "방향": plan.bearing(look[:, 0], look[:, 1]),
            "화각": np.concatenate([r["fov"] for r in rows]).astype(int),
            "감시거리": np.concatenate([r["range_"] for r in rows]).astype(int),
            "설치연도": install_years(stage, rng), "용도": use,
            "카메라대수": np.where(use == "교통", 1, rng.integers(1, 3, len(xy)))}


def _right_of(line_geoms, at: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Points ``at`` (share of the length) along lines, moved ``distance`` to the right of their direction."""
    p = shapely.get_coordinates(shapely.line_interpolate_point(line_geoms, at, normalized=True))
    q = shapely.get_coordinates(shapely.line_interpolate_point(line_geoms, np.minimum(at + 0.02, 1.0), normalized=True))
    d = q - p
    d /= np.linalg.norm(d, axis=1, keepdims=True).clip(1e-9)
    return p + np.column_stack([d[:, 1], -d[:, 0]]) * distance[:, None]


def its(rng: np.random.Generator) -> dict:
    """ITS devices with the link they sit on: signal controllers at the signalised junctions, vehicle
    detectors (VDS) on arterials and collectors, variable message signs on the roads into the town."""
    j = plan.junctions()
    links = plan.road_links()
    out_xy, kind, link, method = [], [], [], []
    sig = np.flatnonzero(j.signal)
    # the controller's link: the most important link at the junction (lowest rank index, then link order)
    node = np.concatenate([j.first, j.last])
    link_of = np.tile(np.arange(len(links)), 2)
    rank = np.array([plan.RANKS.index(r) for r in links.rank])[link_of]
    order = np.lexsort((link_of, rank, node))
    node, link_of = node[order], link_of[order]
    head = np.ones(len(node), dtype=bool)
    head[1:] = node[1:] != node[:-1]
    main_link = np.full(len(j.xy), -1)
    main_link[node[head]] = link_of[head]
    out_xy.append(j.xy[sig] + np.array([-13.0, 13.0]))
    kind.append(np.full(len(sig), "신호제어기", dtype=object))
    link.append(links.link_id[main_link[sig]])
    method.append(np.full(len(sig), "감응식", dtype=object))
    major = np.flatnonzero((links.rank != "국지도로") & ~links.gateway & (shapely.length(links.geometry) > 150))
    vds = major[::2]
    out_xy.append(_right_of(links.geometry[vds], np.full(len(vds), 0.5), links.width[vds] / 2 - 1.0))
    kind.append(np.full(len(vds), "차량검지기", dtype=object))
    link.append(links.link_id[vds])
    method.append(np.where(rng.random(len(vds)) < 0.6, "영상검지", "루프검지").astype(object))
    into = np.flatnonzero(links.gateway)
    out_xy.append(_right_of(links.geometry[into], np.full(len(into), 0.7), links.width[into] / 2 + 1.0))
    kind.append(np.full(len(into), "도로전광표지", dtype=object))
    link.append(links.link_id[into])
    method.append(np.full(len(into), "LED 풀컬러", dtype=object))
    xy = np.concatenate(out_xy)
    kinds = np.concatenate(kind)
    code = np.select([kinds == "신호제어기", kinds == "차량검지기"], ["SG", "VD"], "VM")
    names = dict(zip(links.link_id, links.name))
    link_ids = np.concatenate(link)
    return {"관리번호": np.char.add(np.char.add(code.astype(str), "-"),
                                np.char.zfill((np.arange(len(xy)) + 1).astype(str), 4)).astype(object),
            "xy": xy, "유형": kinds, "link_id": link_ids,
            "도로명": np.array([names[k] for k in link_ids], dtype=object), "방식": np.concatenate(method),
            "설치연도": install_years(_cell_stage(xy), rng, earliest=2008)}


def bus_stops(rng: np.random.Generator) -> dict:
    """Smart bus stops about every 400 m along the arterials and collectors, on both sides."""
    links = plan.road_links()
    candidates = np.flatnonzero((links.rank != "국지도로") & ~links.gateway & (shapely.length(links.geometry) > 120))
    mids = shapely.get_coordinates(shapely.line_interpolate_point(links.geometry[candidates], 0.5, normalized=True))
    chosen: list[int] = []
    for k in range(len(candidates)):  # greedy thinning over ~200 links
        if all(np.hypot(*(mids[k] - mids[c])) > 380 for c in chosen):
            chosen.append(k)
    idx = candidates[chosen]
    two = ~links.oneway[idx]
    side_links = np.concatenate([idx, idx[two]])
    reverse = np.concatenate([np.zeros(len(idx), bool), np.ones(int(two.sum()), bool)])
    geom = np.where(reverse, shapely.reverse(links.geometry[side_links]), links.geometry[side_links])
    xy = _right_of(geom, np.full(len(side_links), 0.5), links.width[side_links] / 2 - 1.5)
    stage = _cell_stage(xy)
    smart = stage >= 3
    near = _landmarks()
    tree = shapely.STRtree(shapely.points(near[0]))
    which, dist = tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    crossing = _crossing_names()
    where = shapely.STRtree(shapely.points(crossing[0])).query_nearest(shapely.points(xy), all_matches=False)[1]
    label = np.where(dist < 220, near[1][which[1]].astype(str), crossing[1][where].astype(str))
    name = np.char.add(label.astype(str), np.where(reverse, "(건너편)", ""))
    routes = np.where(links.name[side_links] == "누리대로", "B51, 552", np.where(np.isin(
        links.name[side_links], ["미호대로", "노을로", "마루로", "새누리로"]), "B52, 1004", "552, 1004"))
    return {"정류장ID": np.char.add("0", (5101 + np.arange(len(xy))).astype(str)).astype(object), "xy": xy,
            "정류장명": name.astype(object),
            "유형": np.where(smart, "스마트정류장", "BIS정류장").astype(object),
            "설비": np.where(smart, "BIS, 냉난방, 공기청정기, USB충전, 비상벨", "BIS").astype(object),
            "경유노선": routes.astype(object), "설치연도": install_years(stage, rng, earliest=2008)}


def _landmarks() -> tuple[np.ndarray, np.ndarray]:
    """Named places for stop names: the public buildings and the schools (local centres, names)."""
    specials = buildings.SPECIALS
    xy = [s[5] for s in specials]
    names = [s[0].replace("미호누리 ", "") for s in specials]
    blocks = plan.blocks()
    schools = blocks.geometry[blocks.use == "school"]
    for k, g in enumerate(schools):
        xy.append(tuple(shapely.get_coordinates(shapely.centroid(g))[0]))
        names.append(buildings.SCHOOLS[k % len(buildings.SCHOOLS)])
    return np.array(xy), np.array(names, dtype=object)


def _crossing_names() -> tuple[np.ndarray, np.ndarray]:
    """The signalised junctions and their names (``누리대로·마루로``, the two most important roads)."""
    j = plan.junctions()
    links = plan.road_links()
    node = np.concatenate([j.first, j.last])
    link_of = np.tile(np.arange(len(links)), 2)
    sig = np.flatnonzero(j.signal)
    names = []
    for k in sig:  # 40 junctions
        roads = list(dict.fromkeys(links.name[link_of[node == k]]))
        names.append("·".join(roads[:2]) if len(roads) > 1 else f"{roads[0]} 교차로")
    return j.xy[sig], np.array(names, dtype=object)
