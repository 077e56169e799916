"""The analyses of interconnected services, each a table (``twin plugins run``) and a picture (``--picture``):

- ``cctv-coverage``: per incident, how many cameras see it; the share seen and the blind spots on a map;
- ``response-times``: per district and agency (112 police, 119 fire and ambulance), the response times
  (call to arrival) against a target (119 within 8 minutes), as a chart;
- ``excavation-risk``: the utility lines each excavation endangers, gas first, with their depth, on a map.

They read the links computed by the linkers (``twin links --compute``) and the layers through the read-only
project. Queries are one per layer; the tables are small (one row per incident or per pipe at risk).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.api import TwinError, quote_identifier, read_links, table_ref
from twin_plugins.services import layers as L
from twin_plugins.services.roles import layer_for, layers_for

FIRE_WORDS = ("화재", "구급", "구조", "가스", "fire", "ambulance", "rescue", "gas", "119")
POLICE_WORDS = ("범죄", "폭력", "절도", "교통", "112", "crime", "theft", "traffic", "police", "accident")
SEEN, BLIND = "#1b9e77", "#d62728"


def _incidents(project):
    layer = layer_for(project, "incidents")
    if layer is None:
        raise TwinError("the project has no incidents layer (an events layer of incidents, e.g. from twin demo)")
    return layer


def incident_table(project, layer) -> pa.Table:
    """fid, type, priority, unit, call, dispatch, arrival, x, y of every incident."""
    spec = (layer.properties or {}).get("incident") or {}
    cols = {"type": spec.get("type") or L.column_of(project, layer, ("유형", "사건유형", "type")),
            "priority": spec.get("priority") or L.column_of(project, layer, ("우선순위", "priority")),
            "unit": spec.get("unit") or L.column_of(project, layer, ("출동기관", "unit")),
            "dispatch": spec.get("dispatch") or L.column_of(project, layer, ("출동시각", "dispatch_time"))}
    picks = [f'CAST({quote_identifier(col)} AS VARCHAR) AS "{key}"' for key, col in cols.items()
             if col and key != "dispatch"]
    dispatch = (f'TRY_CAST({quote_identifier(cols["dispatch"])} AS TIMESTAMPTZ) AS dispatch' if cols["dispatch"]
                else "NULL::TIMESTAMPTZ AS dispatch")
    sql = (f"SELECT fid, {', '.join(picks) + ',' if picks else ''} t_start AS call, {dispatch}, t_end AS arrival, "
           f"ST_X(ST_PointOnSurface(geom)) AS x, ST_Y(ST_PointOnSurface(geom)) AS y "
           f"FROM {table_ref(layer.table_name)} ORDER BY fid")
    table = project.query(sql)
    for key in ("type", "priority", "unit"):
        if key not in table.column_names:
            table = table.append_column(key, pa.nulls(table.num_rows, pa.string()))
    return table


def agency_of(kind: str | None, unit: str | None) -> str:
    """``119`` or ``112`` from an incident's responding unit, else from its type."""
    for text in (unit, kind):
        low = (text or "").lower()
        if any(w in low for w in ("119", "소방", "안전센터", "fire")):
            return "119"
        if any(w in low for w in ("112", "경찰", "지구대", "파출소", "police")):
            return "112"
    low = (kind or "").lower()
    return "119" if any(w in low for w in FIRE_WORDS) else "112"


# ----- CCTV coverage ------------------------------------------------------------------------------------
def cctv_coverage(project, *, layer=None) -> pa.Table:
    """Per incident: the cameras that see it (from the ``seen_by`` links) and the nearest one's distance."""
    incidents = layer or _incidents(project)
    base = incident_table(project, incidents)
    links = read_links(project, layer=incidents.name, both_ways=False, linker="incident-cctv")
    count = np.zeros(base.num_rows, dtype=np.int64)
    nearest = np.full(base.num_rows, np.nan)
    if links.num_rows:
        fids = base.column("fid").to_numpy()
        where = np.searchsorted(fids, links.column("from_fid").to_numpy())
        np.add.at(count, where, 1)
        gaps = links.column("distance_m").to_numpy(zero_copy_only=False).astype(float)
        np.fmin.at(nearest, where, gaps)
    return pa.table({"incident": base.column("fid"), "type": base.column("type"), "call": base.column("call"),
                     "cameras": pa.array(count), "nearest_camera_m": pa.array(np.round(nearest, 1), mask=np.isnan(nearest)),
                     "seen": pa.array(count > 0), "x": base.column("x"), "y": base.column("y")})


def draw_coverage(figure, project, result: pa.Table) -> None:
    """The incidents on the road map: seen by a camera (green) or blind spots (red), with the cameras."""
    ax = figure.subplots()
    _draw_roads(ax, project)
    for cams in layers_for(project, "cctv"):
        c = L.features(project, cams)
        ax.scatter(c["x"], c["y"], s=8, marker="^", color="#607d8b", label=f"CCTV ({len(c['fid'])})", zorder=2)
    seen = result.column("seen").to_numpy(zero_copy_only=False).astype(bool)
    x, y = (result.column(k).to_numpy(zero_copy_only=False) for k in ("x", "y"))
    ax.scatter(x[seen], y[seen], s=36, color=SEEN, edgecolor="white", linewidth=0.6, zorder=3,
               label=f"seen by CCTV ({int(seen.sum())})")
    ax.scatter(x[~seen], y[~seen], s=60, marker="X", color=BLIND, edgecolor="white", linewidth=0.6, zorder=4,
               label=f"blind spot ({int((~seen).sum())})")
    share = 100.0 * seen.mean() if len(seen) else 0.0
    ax.set_title(f"CCTV coverage of the day's incidents: {share:.0f}% seen ({int(seen.sum())} of {len(seen)})")
    _finish_map(ax)


# ----- response times -------------------------------------------------------------------------------------
def response_times(project, *, layer=None, target_min: float = 8.0) -> pa.Table:
    """Per district and agency: incidents, median and 90th percentile response (call to arrival, minutes), and
    the share within ``target_min``."""
    incidents = layer or _incidents(project)
    base = incident_table(project, incidents)
    minutes = pc.divide(pc.cast(pc.milliseconds_between(base.column("call"), base.column("arrival")), pa.float64()),
                        60_000.0).to_numpy(zero_copy_only=False)
    agency = np.array([agency_of(k, u) for k, u in zip(base.column("type").to_pylist(), base.column("unit").to_pylist())])
    district = districts_of(project, base.column("x").to_numpy(zero_copy_only=False),
                            base.column("y").to_numpy(zero_copy_only=False))
    rows = []
    for d in sorted(set(district)):
        for a in ("112", "119"):
            sel = (district == d) & (agency == a) & np.isfinite(minutes)
            if not sel.any():
                continue
            values = minutes[sel]
            rows.append({"district": d, "agency": a, "incidents": int(sel.sum()),
                         "median_min": round(float(np.median(values)), 1), "p90_min": round(float(np.percentile(values, 90)), 1),
                         "within_target": round(float((values <= target_min).mean()), 3), "target_min": float(target_min)})
    schema = pa.schema([("district", pa.string()), ("agency", pa.string()), ("incidents", pa.int64()),
                        ("median_min", pa.float64()), ("p90_min", pa.float64()), ("within_target", pa.float64()),
                        ("target_min", pa.float64())])
    return pa.Table.from_pylist(rows, schema=schema)


def districts_of(project, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The district of each point: a polygon of a districts layer, else the compass quarter of the town."""
    layer = layer_for(project, "districts")
    if layer is not None:
        name_col = L.column_of(project, layer, ("name", "이름", "행정동", "district", "명칭"))
        d = L.features(project, layer, {"name": name_col})
        polygons = L.geometries(d)
        names = np.asarray([str(n) for n in d["name"]] if name_col else [f"district {f}" for f in d["fid"]], dtype=object)
        pts = shapely.points(x, y)
        pi, di = shapely.STRtree(polygons).query(pts, predicate="within")
        out = np.full(len(x), "outside", dtype=object)
        out[pi] = names[di]
        return out.astype(str)
    cx, cy = np.nanmedian(x), np.nanmedian(y)
    ns = np.where(y >= cy, "north", "south")
    ew = np.where(x >= cx, "east", "west")
    return np.char.add(np.char.add(ns.astype(str), "-"), ew.astype(str))


def draw_response(figure, project, result: pa.Table) -> None:
    """Median response time by district for 112 and 119, the 90th percentile as a whisker, the target line."""
    ax = figure.subplots()
    districts = sorted(set(result.column("district").to_pylist()))
    width = 0.38
    for k, (agency, colour) in enumerate((("112", "#1e63d6"), ("119", "#e53935"))):
        rows = [r for r in result.to_pylist() if r["agency"] == agency]
        by = {r["district"]: r for r in rows}
        xs = np.arange(len(districts)) + (k - 0.5) * width
        med = [by[d]["median_min"] if d in by else np.nan for d in districts]
        p90 = [by[d]["p90_min"] if d in by else np.nan for d in districts]
        ax.bar(xs, med, width, color=colour, label=f"{agency} median")
        ax.errorbar(xs, med, yerr=[np.zeros(len(med)), np.array(p90) - np.array(med)], fmt="none", ecolor="#333333",
                    capsize=3, linewidth=1)
        for xv, d in zip(xs, districts):
            if d in by:
                ax.text(xv, 0.2, f"{by[d]['within_target'] * 100:.0f}%", ha="center", va="bottom", color="white",
                        fontsize=8, fontweight="bold")
    target = result.column("target_min")[0].as_py() if result.num_rows else 8.0
    ax.axhline(target, color="#333333", linestyle="--", linewidth=1, label=f"target {target:g} min")
    ax.set_xticks(np.arange(len(districts)), districts)
    ax.set_ylabel("minutes from call to arrival")
    ax.set_title("Response times by district (bar: median, whisker: 90th percentile, % within target)")
    ax.legend(loc="upper right", fontsize=8)


# ----- excavation risk ----------------------------------------------------------------------------------------
def excavation_risk(project, *, layer=None) -> pa.Table:
    """The utility lines at risk near each excavation, gas first (from the ``at_risk`` links)."""
    excavations = layer or layer_for(project, "excavations")
    if excavations is None:
        raise TwinError("the project has no excavations layer (an events layer of excavation works)")
    links = read_links(project, layer=excavations.name, both_ways=False, linker="excavation-utilities")
    name_col = L.column_of(project, excavations, ("공사명", "name", "title"))
    names = {}
    if name_col:
        t = project.query(f"SELECT fid, CAST({quote_identifier(name_col)} AS VARCHAR) AS n FROM "
                          f"{table_ref(excavations.table_name)}")
        names = dict(zip(t.column("fid").to_pylist(), t.column("n").to_pylist()))
    rows = []
    for r in links.to_pylist():
        props = _json(r["properties"])
        rows.append({"excavation": r["from_fid"], "works": names.get(r["from_fid"]), "starts": r["t_start"],
                     "ends": r["t_end"], "utility": props.get("utility"), "utility_layer": r["to_layer"],
                     "utility_fid": r["to_fid"], "distance_m": round(r["distance_m"], 1),
                     "depth_m": props.get("depth_m"), "diameter_mm": props.get("diameter_mm"), "rank": props.get("rank")})
    schema = pa.schema([("excavation", pa.int64()), ("works", pa.string()), ("starts", pa.timestamp("us", tz="UTC")),
                        ("ends", pa.timestamp("us", tz="UTC")), ("utility", pa.string()), ("utility_layer", pa.string()),
                        ("utility_fid", pa.int64()), ("distance_m", pa.float64()), ("depth_m", pa.float64()),
                        ("diameter_mm", pa.float64()), ("rank", pa.int64())])
    return pa.Table.from_pylist(rows, schema=schema)


def draw_excavations(figure, project, result: pa.Table) -> None:
    """The excavations and the pipes they endanger, coloured by utility, on the road map."""
    ax = figure.subplots()
    _draw_roads(ax, project)
    excavations = layer_for(project, "excavations")
    if excavations is not None:
        e = L.features(project, excavations)
        ax.scatter(e["x"], e["y"], s=90, marker="s", color="#6d4c41", edgecolor="white", label="excavation", zorder=4)
    palette = {"가스": "#f4c20d", "gas": "#f4c20d", "상수": "#1e63d6", "하수": "#8e24aa", "전력": "#e53935",
               "통신": "#43a047", "지역난방": "#fb8c00"}
    for layer_name in sorted(set(result.column("utility_layer").to_pylist())):
        info = project.layer(layer_name)
        fids = [r["utility_fid"] for r in result.to_pylist() if r["utility_layer"] == layer_name]
        kinds = {r["utility_fid"]: r["utility"] for r in result.to_pylist() if r["utility_layer"] == layer_name}
        t = project.query(f"SELECT fid, ST_AsWKB(geom) AS wkb FROM {table_ref(info.table_name)} "
                          "WHERE list_contains(?, fid)", [fids])
        for fid, geom in zip(t.column("fid").to_pylist(), shapely.from_wkb(t.column("wkb").to_numpy(zero_copy_only=False))):
            coords = shapely.get_coordinates(geom)
            kind = kinds.get(fid) or ""
            ax.plot(coords[:, 0], coords[:, 1], color=palette.get(kind, "#546e7a"), linewidth=3, zorder=3)
    for kind, colour in palette.items():
        if kind in set(result.column("utility").to_pylist()):
            ax.plot([], [], color=colour, linewidth=3, label=f"{kind} at risk")
    gas = sum(1 for k in result.column("utility").to_pylist() if k in ("가스", "gas"))
    ax.set_title(f"Excavation risk: {result.num_rows} utility line(s) within reach of the works, {gas} gas")
    _finish_map(ax)


# ----- map helpers -----------------------------------------------------------------------------------------
def _draw_roads(ax, project) -> None:
    roads = layer_for(project, "roads")
    if roads is None:
        return
    geoms = L.geometries(L.features(project, roads))
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    breaks = np.flatnonzero(np.diff(index)) + 1
    for part in np.split(coords, breaks):
        ax.plot(part[:, 0], part[:, 1], color="#c7c7c7", linewidth=0.8, zorder=1)


def _finish_map(ax) -> None:
    ax.set_aspect("equal")
    ax.set_xlabel("x (m, project CRS)")
    ax.set_ylabel("y (m)")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.ticklabel_format(useOffset=False, style="plain")


def _json(text):
    import json

    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    """Minutes from ``start`` to ``end`` (None when either is missing)."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 60.0
