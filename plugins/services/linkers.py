"""The links between services, each ``link(project) -> links table | None`` (``[[linkers]]`` in twin.toml).

- ``incident-cctv``: an incident -> every camera that can see it (range, view angle, buildings in between);
- ``incident-response``: an incident -> its nearest 112 and 119 stations by travel time over the roads (link
  speeds of the traffic at the time of the call when the project has them), with the route;
- ``route-its``: an incident -> the ITS detectors, signals and signs along its response routes;
- ``incident-centre``: an incident -> the integrated operation centre that watches it;
- ``excavation-utilities``: an excavation -> the utility lines within the risk distance, gas first.

Links of incidents and excavations are active over the event's own time span.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import shapely

from twin.api import RoadGraph, cameras_seeing, pairs_within, quote_identifier, table_ref
from twin_plugins.services import layers as L
from twin_plugins.services.roles import layer_for, layers_for

#: default camera range and field of view when the register has none (a dome camera on a pole)
CAMERA_RANGE_M = 80.0
#: detectors and signals closer than this to a response route are on it
ROUTE_BUFFER_M = 15.0
#: utility lines closer than this to an excavation are at risk (1994-95: gas mains hit by works)
RISK_DISTANCE_M = 10.0
#: which utility comes first in the risk list (lower first)
UTILITY_RANK = {"gas": 0, "가스": 0, "heating": 1, "지역난방": 1, "난방": 1, "power": 2, "전력": 2, "water": 3, "상수": 3,
                "sewer": 4, "하수": 4, "telecom": 5, "통신": 5}
POLICE_WORDS = ("112", "경찰", "police", "지구대", "파출소")
FIRE_WORDS = ("119", "소방", "fire", "안전센터", "구급")


def _column(values, kind, n):
    """An Arrow column of ``kind`` from None (nulls), an Arrow array or anything ``pa.array`` takes."""
    if values is None:
        return pa.nulls(n, kind)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values.cast(kind)
    return pa.array(values, kind)


def _links(relation, from_layer, from_fid, to_layer, to_fid, *, distance=None, travel=None, start=None, end=None,
           route=None, properties=None) -> pa.Table:
    n = len(from_fid)
    return pa.table({
        "relation": pa.array(relation if isinstance(relation, (list, np.ndarray)) else [relation] * n, pa.string()),
        "from_layer": pa.array([from_layer] * n, pa.string()),
        "from_fid": pa.array(np.asarray(from_fid, dtype=np.int64)),
        "to_layer": pa.array([to_layer] * n, pa.string()),
        "to_fid": pa.array(np.asarray(to_fid, dtype=np.int64)),
        "distance_m": _column(None if distance is None else np.asarray(distance, dtype=np.float64), pa.float64(), n),
        "travel_time_s": _column(None if travel is None else np.asarray(travel, dtype=np.float64), pa.float64(), n),
        "t_start": _column(start, pa.timestamp("us", tz="UTC"), n),
        "t_end": _column(end, pa.timestamp("us", tz="UTC"), n),
        "route": _column(route, pa.binary(), n),
        "properties": _column(None if properties is None else [json.dumps(p, ensure_ascii=False) for p in properties],
                              pa.string(), n),
    })


def _concat(tables: list[pa.Table]) -> pa.Table | None:
    tables = [t for t in tables if t is not None and t.num_rows]
    return pa.concat_tables(tables) if tables else None


def _incidents(project):
    incidents = layer_for(project, "incidents")
    if incidents is None:
        return None, None
    data = L.features(project, incidents)
    fid, start, end = L.spans(project, incidents)
    order = np.searchsorted(fid, data["fid"])
    data["start"], data["end"] = start[order], end[order]
    return incidents, data


def _span_arrays(data, index):
    start = data["start"][index]
    end = data["end"][index]
    end = np.where(np.isnat(end), start + np.timedelta64(3600, "s"), end)
    return (pa.array(start, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
            pa.array(end, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")))


# ----- incident -> cameras ---------------------------------------------------------------------------------
def incident_cctv(project) -> pa.Table | None:
    """Every camera that can see each incident."""
    incidents, data = _incidents(project)
    cameras = layers_for(project, "cctv")
    if incidents is None or not cameras:
        return None
    buildings = layer_for(project, "buildings")
    obstacles = heights = None
    if buildings is not None:
        height = L.column_of(project, buildings, ("height", "measuredHeight", "높이"))
        b = L.features(project, buildings, {"height": height})
        obstacles, heights = L.geometries(b), L.numbers(b["height"], 10.0)
    targets = np.column_stack([data["x"], data["y"]])
    out = []
    for cams in cameras:
        cols = {"heading": L.column_of(project, cams, ("direction_deg", "방향", "촬영방향", "heading", "direction")),
                "fov": L.column_of(project, cams, ("fov_deg", "화각", "fov")),
                "range": L.column_of(project, cams, ("range_m", "감시거리", "range"))}
        c = L.features(project, cams, cols)
        heading = L.numbers(c["heading"], np.nan)
        fov = L.numbers(c["fov"], 360.0)
        reach = L.numbers(c["range"], CAMERA_RANGE_M)
        ti, ci, distance = cameras_seeing(targets, np.column_stack([c["x"], c["y"]]), heading, fov, reach,
                                          obstacles=obstacles, obstacle_heights=heights)
        start, end = _span_arrays(data, ti)
        props = [{"heading_deg": None if not np.isfinite(heading[k]) else float(heading[k]), "fov_deg": float(fov[k])}
                 for k in ci]
        out.append(_links("seen_by", incidents.name, data["fid"][ti], cams.name, c["fid"][ci], distance=distance,
                          start=start, end=end, properties=props))
    return _concat(out) or _links("seen_by", incidents.name, [], cameras[0].name, [])


# ----- incident -> stations by road ---------------------------------------------------------------------------
def road_graph(project, roads, link_speeds=None):
    """The road layer as a RoadGraph (speed from its speed column, else 50 km/h; one-way from its flag)."""
    speed_col = L.column_of(project, roads, ("max_speed_kmh", "max_speed", "speed_kmh", "제한속도", "speed"))
    oneway_col = L.column_of(project, roads, ("oneway", "일방통행", "one_way"))
    key_col = None
    if link_speeds is not None:
        key_col = L.column_of(project, roads, [(link_speeds.properties.get("join") or {}).get("key", "link_id")])
    data = L.features(project, roads, {"speed": speed_col, "oneway": oneway_col, "key": key_col})
    data["has_key"] = key_col is not None
    kmh = L.numbers(data["speed"], 50.0)
    oneway = _flags(data["oneway"]) if oneway_col else None
    graph = RoadGraph.from_lines(L.geometries(data), speed_mps=np.maximum(kmh, 5.0) / 3.6, oneway=oneway)
    return graph, data


def _flags(values) -> np.ndarray:
    text = np.char.lower(np.asarray([str(v) for v in values], dtype=str))
    return np.isin(text, ("1", "true", "yes", "y", "t", "일방", "o", "oneway", "1.0"))


def speeds_at(project, link_speeds, keys: np.ndarray, bins: np.ndarray, hold_s: float) -> np.ndarray:
    """Per time bin (datetime64[us] array) and road link key, the link speed in m/s (NaN where unknown)."""
    track = link_speeds.properties.get("track", {})
    value = track.get("value", "value")
    table = project.query(
        f"SELECT f.object_id AS key, epoch_us(t.t) AS t, t.{quote_identifier(value)} AS v "
        f"FROM {table_ref(link_speeds.table('track'))} t JOIN {table_ref(link_speeds.table_name)} f USING (fid) "
        "WHERE t.t IS NOT NULL ORDER BY t.t")
    out = np.full((len(bins), len(keys)), np.nan)
    if not table.num_rows:
        return out
    key_index = {str(k): i for i, k in enumerate(keys)}
    columns = np.array([key_index.get(str(k), -1) for k in table.column("key").to_pylist()])
    t = table.column("t").to_numpy()
    v = table.column("v").to_numpy(zero_copy_only=False).astype(np.float64)
    scale = 1.0 if any(w in value.lower() for w in ("mps", "m_s", "m/s")) else 1 / 3.6
    for row, at in enumerate(bins.astype("datetime64[us]").astype(np.int64)):
        live = (t <= at) & (t > at - hold_s * 1e6) & (columns >= 0)
        out[row, columns[live]] = v[live] * scale  # rows are in time order: the latest reading wins
    return out


def incident_response(project) -> pa.Table | None:
    """Each incident's nearest 112 and 119 stations by travel time, with the route."""
    incidents, data = _incidents(project)
    roads = layer_for(project, "roads")
    if incidents is None or roads is None:
        return None
    stations = _stations(project)
    if not stations:
        return None
    link_speeds = layer_for(project, "link_speeds")
    graph, road = road_graph(project, roads, link_speeds)
    targets = np.column_stack([data["x"], data["y"]])
    bins = data["start"].astype("datetime64[m]")
    bins = bins - (bins.astype(np.int64) % 5).astype("timedelta64[m]")  # 5-minute bins
    unique_bins, which = np.unique(bins, return_inverse=True)
    speeds = None
    if link_speeds is not None and road["has_key"]:
        hold = float(link_speeds.properties.get("track", {}).get("hold_s", 300.0)) or 300.0
        speeds = speeds_at(project, link_speeds, road["key"], unique_bins.astype("datetime64[us]"), hold)
    else:  # the speed limits hold all day: one search for every incident
        unique_bins, which = unique_bins[:1], np.zeros_like(which)
    out = []
    for relation, layer, sel in stations:
        st = L.features(project, layer)
        xy = np.column_stack([st["x"], st["y"]])[sel]
        fids = st["fid"][sel]
        if not len(fids):
            continue
        best_station = np.zeros(len(targets), dtype=np.int64)
        best_time = np.full(len(targets), np.inf)
        routes_geom = np.empty(len(targets), dtype=object)
        lengths = np.zeros(len(targets))
        for b in range(len(unique_bins)):  # one Dijkstra per station and 5-minute bin, not per incident
            rows = np.flatnonzero(which.ravel() == b)
            g = graph if speeds is None else graph.with_speeds(np.where(np.isfinite(speeds[b]), speeds[b],
                                                                        graph.speeds))
            for route in g.nearest_routes(xy, targets[rows]):
                k = rows[route.target]
                best_station[k], best_time[k] = route.source, route.travel_time_s
                routes_geom[k], lengths[k] = route.geometry, route.distance_m
        ok = np.isfinite(best_time)
        index = np.flatnonzero(ok)
        start, end = _span_arrays(data, index)
        wkb = [shapely.to_wkb(g) if g is not None else None for g in routes_geom[index]]
        props = [{"speeds": "traffic at the time of the call" if speeds is not None else "speed limits"}] * len(index)
        out.append(_links(relation, incidents.name, data["fid"][index], layer.name, fids[best_station[index]],
                          distance=lengths[index], travel=best_time[index], start=start, end=end, route=wkb,
                          properties=props))
    return _concat(out)


def _stations(project) -> list[tuple[str, object, np.ndarray]]:
    """(relation, layer, row mask) for the 112 and the 119 stations: their own layers, or one layer of both
    told apart by a type column."""
    found = []
    for role, relation in (("police_stations", "nearest_police_by_road"), ("fire_stations", "nearest_fire_by_road")):
        for layer in layers_for(project, role):
            found.append((relation, layer, slice(None)))
    if found:
        return found
    for layer in layers_for(project, "stations"):
        kind = L.column_of(project, layer, ("기관유형", "유형", "type", "agency"))
        if kind is None:
            continue
        values = np.asarray([str(v) for v in L.features(project, layer, {"kind": kind})["kind"]])
        police = np.array([any(w in v.lower() for w in POLICE_WORDS) for v in values], dtype=bool)
        fire = np.array([any(w in v.lower() for w in FIRE_WORDS) for v in values], dtype=bool)
        found += [("nearest_police_by_road", layer, police), ("nearest_fire_by_road", layer, fire)]
    return found


# ----- route -> ITS, incident -> operation centre --------------------------------------------------------------
def route_its(project) -> pa.Table | None:
    """The detectors, signals and signs along each incident's response routes."""
    from twin.api import read_links

    its_layers = layers_for(project, "its")
    routes = read_links(project, linker="incident-response")
    if not its_layers or not routes.num_rows:
        return None
    geoms = shapely.from_wkb(routes.column("route").to_numpy(zero_copy_only=False))
    has_route = np.flatnonzero(~shapely.is_missing(geoms))
    out = []
    for its in its_layers:
        kind_col = L.column_of(project, its, ("유형", "type", "kind"))
        d = L.features(project, its, {"kind": kind_col})
        points = shapely.points(d["x"], d["y"])
        # every (route, detector) pair within the buffer at once, then where along the route each one is
        ri, pi = shapely.STRtree(points).query(geoms[has_route], predicate="dwithin", distance=ROUTE_BUFFER_M)
        if not len(ri):
            continue
        ri = has_route[ri]
        gap = shapely.distance(geoms[ri], points[pi])
        along = shapely.line_locate_point(geoms[ri], points[pi])
        order = np.lexsort((along, ri))
        ri, pi, gap, along = ri[order], pi[order], gap[order], along[order]
        take = pa.array(ri)
        props = [{"along_m": round(float(a), 1), "route": rel, "station": st, "station_fid": sf,
                  "type": None if kind_col is None else str(d["kind"][p])}
                 for a, rel, st, sf, p in zip(along, routes.column("relation").take(take).to_pylist(),
                                              routes.column("to_layer").take(take).to_pylist(),
                                              routes.column("to_fid").take(take).to_pylist(), pi)]
        from_layers = routes.column("from_layer").take(take).to_pylist()
        table = _links("on_route", from_layers[0], routes.column("from_fid").take(take).to_numpy(), its.name,
                       d["fid"][pi], distance=gap, start=routes.column("t_start").take(take),
                       end=routes.column("t_end").take(take), properties=props)
        out.append(table.set_column(1, "from_layer", pa.array(from_layers, pa.string())))
    return _concat(out)


def incident_centre(project) -> pa.Table | None:
    """Every incident -> the operation centre(s) that watch the city."""
    incidents, data = _incidents(project)
    centres = layers_for(project, "operation_centre")
    if incidents is None or not centres:
        return None
    out = []
    for centre in centres:
        c = L.features(project, centre)
        if not len(c["fid"]):
            continue
        gap = np.hypot(data["x"][:, None] - c["x"][None, :], data["y"][:, None] - c["y"][None, :])
        nearest = np.argmin(gap, axis=1)
        index = np.arange(len(data["fid"]))
        start, end = _span_arrays(data, index)
        out.append(_links("monitored_by", incidents.name, data["fid"], centre.name, c["fid"][nearest],
                          distance=gap[index, nearest], start=start, end=end))
    return _concat(out)


# ----- excavation -> utilities -----------------------------------------------------------------------------------
def excavation_utilities(project) -> pa.Table | None:
    """The utility lines within :data:`RISK_DISTANCE_M` of each excavation, gas first."""
    excavations = layer_for(project, "excavations")
    utilities = layers_for(project, "utilities")
    if excavations is None or not utilities:
        return None
    e = L.features(project, excavations)
    fid, start, end = L.spans(project, excavations)
    order = np.searchsorted(fid, e["fid"])
    e["start"], e["end"] = start[order], end[order]
    sites = L.geometries(e)
    out = []
    for layer in utilities:
        cols = (layer.properties or {}).get("columns", {}) if isinstance((layer.properties or {}).get("columns"),
                                                                           dict) else {}
        cols = {"type": cols.get("type") or L.column_of(project, layer, ("utility", "시설종류", "관로종류", "type")),
                "depth": cols.get("depth") or L.column_of(project, layer, ("depth_m", "매설깊이", "매설심도", "depth")),
                "diameter": cols.get("diameter") or L.column_of(project, layer, ("diameter_mm", "관경", "diameter"))}
        u = L.features(project, layer, cols)
        ia, ib, gap = pairs_within(sites, L.geometries(u), RISK_DISTANCE_M)
        if not len(ia):
            continue
        kinds = np.asarray([str(v) if v is not None else "" for v in u["type"]], dtype=object)[ib]
        rank = np.array([_rank(k) for k in kinds])
        order = np.lexsort((gap, rank, ia))
        ia, ib, gap, kinds, rank = ia[order], ib[order], gap[order], kinds[order], rank[order]
        depth = L.numbers(u["depth"], np.nan)[ib]
        diameter = L.numbers(u["diameter"], np.nan)[ib]
        s, en = _span_arrays(e, ia)
        props = [{"utility": k, "rank": int(r), "depth_m": None if not np.isfinite(d) else float(d),
                  "diameter_mm": None if not np.isfinite(m) else float(m)}
                 for k, r, d, m in zip(kinds, rank, depth, diameter)]
        out.append(_links("at_risk", excavations.name, e["fid"][ia], layer.name, u["fid"][ib], distance=gap,
                          start=s, end=en, properties=props))
    return _concat(out) or _links("at_risk", excavations.name, [], utilities[0].name, [])


def _rank(kind: str) -> int:
    text = kind.lower()
    return min((r for word, r in UTILITY_RANK.items() if word in text), default=9)
