"""Links benchmark: 1,000 incidents x 500 CCTV cameras x a road graph, against a naive Python baseline.

A synthetic new town (a grid of roads split at every junction, some one-way; four buildings per block) is
written to a project; then, in one run:

- the real path: ``compute_links`` with the built-in services linkers (incident -> CCTV with view cone
  and building occlusion, incident -> nearest 112 and 119 by road with the route, route -> ITS detectors,
  incident -> operation centre), links stored in the project;
- the naive baseline on the same arrays: a Python double loop over incidents x cameras (distance, bearing,
  field of view, then each building near the sight line with shapely one pair at a time) and, for the road,
  one heapq Dijkstra per station over a dict adjacency with each incident snapped to its nearest node by a
  loop over the nodes.

It prints the times, the ratios and how far the two agree (camera pairs in common; travel times).

Usage: ``.venv/bin/python bench/bench_links.py [--incidents 1000] [--cameras 500] [--blocks 30]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import math
import pathlib
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import shapely

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from twin.layerdata import ImportReport, LayerData  # noqa: E402
from twin.links.compute import compute_links  # noqa: E402
from twin.store.links import read_links  # noqa: E402
from twin.store.project import Project  # noqa: E402
from twin.store.writer import write_layer  # noqa: E402
from twin.time.range import to_us  # noqa: E402
from twin.time.tracks import events_layer  # noqa: E402

X0, Y0 = 230_000.0, 420_000.0  # EPSG:5186, beside Sejong
BLOCK = 110.0  # metres between streets
KST = dt.timezone(dt.timedelta(hours=9))
DAY = dt.datetime(2025, 5, 14, tzinfo=KST)
CAMERA_RANGE, CAMERA_FOV = 80.0, 70.0


def town(blocks: int, n_incidents: int, n_cameras: int, seed: int = 7) -> dict:
    """Roads, buildings, cameras, stations, detectors and incidents of a synthetic grid town (numpy arrays)."""
    rng = np.random.default_rng(seed)
    lines, oneway = [], []
    for j in range(blocks + 1):
        for i in range(blocks):
            a, b = (X0 + i * BLOCK, Y0 + j * BLOCK), (X0 + (i + 1) * BLOCK, Y0 + j * BLOCK)
            lines.append(shapely.LineString([a, b] if j % 2 else [b, a]))
            oneway.append(j % 5 == 2)  # every fifth street one-way, alternating directions
    for i in range(blocks + 1):
        for j in range(blocks):
            lines.append(shapely.LineString([(X0 + i * BLOCK, Y0 + j * BLOCK), (X0 + i * BLOCK, Y0 + (j + 1) * BLOCK)]))
            oneway.append(False)
    lines = np.array(lines, dtype=object)
    # four buildings per block, 20-60 m tall, 12 m back from the streets
    cx, cy = np.meshgrid(np.arange(blocks) * BLOCK + BLOCK / 2, np.arange(blocks) * BLOCK + BLOCK / 2)
    cx, cy = cx.ravel() + X0, cy.ravel() + Y0
    offsets = np.array([(-22.0, -22.0), (22.0, -22.0), (-22.0, 22.0), (22.0, 22.0)])
    bx = (cx[:, None] + offsets[None, :, 0]).ravel()
    by = (cy[:, None] + offsets[None, :, 1]).ravel()
    half = rng.uniform(10.0, 18.0, bx.size)
    footprints = shapely.box(bx - half, by - half, bx + half, by + half)
    heights = rng.uniform(20.0, 60.0, bx.size)

    def on_streets(n: int) -> np.ndarray:
        pick = rng.integers(0, len(lines), n)
        return shapely.get_coordinates(shapely.line_interpolate_point(lines[pick], rng.uniform(0.1, 0.9, n),
                                                                     normalized=True))

    cameras = on_streets(n_cameras)
    return dict(
        lines=lines, oneway=np.array(oneway), footprints=footprints, heights=heights,
        cameras=cameras, heading=rng.uniform(0, 360, n_cameras), incidents=on_streets(n_incidents),
        police=on_streets(6), fire=on_streets(4), its=on_streets(300),
        calls=np.sort(rng.integers(0, 86_400, n_incidents)),
    )


def _layer(kind: str, columns: dict, role: str) -> LayerData:
    return LayerData(kind=kind, features=pa.table(columns), crs="EPSG:5186", report=ImportReport("bench"),
                     properties={"role": role})


def _wkb(geoms) -> pa.Array:
    return pa.array(shapely.to_wkb(np.asarray(geoms, dtype=object)), pa.binary())


def _points(xy) -> pa.Array:
    return _wkb(shapely.points(xy))


def write_town(path: pathlib.Path, t: dict) -> Project:
    project = Project.open(path, create=True, crs="EPSG:5186")
    n = len(t["lines"])
    write_layer(project, _layer("lines", {"geometry": _wkb(t["lines"]), "link_id": [f"L{k}" for k in range(n)],
                                          "max_speed_kmh": np.full(n, 50.0), "oneway": t["oneway"]}, "roads"), name="roads")
    write_layer(project, _layer("buildings", {"geometry": _wkb(t["footprints"]), "height": t["heights"]}, "buildings"),
                name="buildings")
    k = len(t["cameras"])
    write_layer(project, _layer("points", {"geometry": _points(t["cameras"]), "방향": t["heading"],
                                           "화각": np.full(k, CAMERA_FOV), "감시거리": np.full(k, CAMERA_RANGE)}, "cctv"),
                name="cctv")
    write_layer(project, _layer("points", {"geometry": _points(t["police"])}, "police_stations"), name="112 police")
    write_layer(project, _layer("points", {"geometry": _points(t["fire"])}, "fire_stations"), name="119 fire")
    write_layer(project, _layer("points", {"geometry": _points(t["its"]), "유형": ["검지기"] * len(t["its"])}, "its"),
                name="its")
    write_layer(project, _layer("points", {"geometry": _points([[X0, Y0]])}, "operation_centre"), name="centre")
    start = to_us(DAY) + t["calls"].astype(np.int64) * 1_000_000
    xy = t["incidents"]
    write_layer(project, events_layer(t_start_us=start, t_end_us=start + 1_200_000_000, x=xy[:, 0], y=xy[:, 1],
                                      attributes=pa.table({"유형": ["교통사고"] * len(xy)}), crs="EPSG:5186",
                                      report=ImportReport("bench"), properties={"role": "incidents"}),
                name="incidents")
    return project


# ----- the naive baseline ------------------------------------------------------------------------------------
def naive_cameras(t: dict) -> set[tuple[int, int]]:
    """(incident, camera) pairs by a double Python loop; occlusion tested one building at a time."""
    tree = shapely.STRtree(t["footprints"])
    seen = set()
    for i, (x, y) in enumerate(t["incidents"]):
        for c, (cx, cy) in enumerate(t["cameras"]):
            dx, dy = x - cx, y - cy
            distance = math.hypot(dx, dy)
            if distance > CAMERA_RANGE:
                continue
            bearing = math.degrees(math.atan2(dx, dy)) % 360.0
            off = abs((bearing - t["heading"][c] + 180.0) % 360.0 - 180.0)
            if off > CAMERA_FOV / 2 and distance > 0:
                continue
            sight = shapely.LineString([(cx, cy), (x, y)])
            blocked = False
            for b in tree.query(sight, predicate="intersects"):
                foot = t["footprints"][b]
                if foot.contains(shapely.Point(cx, cy)) or foot.contains(shapely.Point(x, y)):
                    continue
                crossing = sight.intersection(foot)
                fraction = min(max(shapely.Point(cx, cy).distance(crossing) / max(sight.length, 1e-9), 0.0), 1.0)
                if t["heights"][b] > 8.0 + (1.5 - 8.0) * fraction:
                    blocked = True
                    break
            if not blocked:
                seen.add((i, c))
    return seen


def naive_travel(t: dict, speed_mps: float = 50.0 / 3.6) -> np.ndarray:
    """Seconds from the nearest fire station to each incident: heapq Dijkstra per station, nodes by loops."""
    nodes: dict[tuple[float, float], int] = {}
    adjacency: dict[int, list[tuple[int, float]]] = {}
    for line, one in zip(t["lines"], t["oneway"]):
        (ax, ay), (bx, by) = line.coords[0], line.coords[-1]
        a = nodes.setdefault((round(ax, 1), round(ay, 1)), len(nodes))
        b = nodes.setdefault((round(bx, 1), round(by, 1)), len(nodes))
        cost = line.length / speed_mps
        adjacency.setdefault(a, []).append((b, cost))
        if not one:
            adjacency.setdefault(b, []).append((a, cost))
    coords = list(nodes)

    def nearest(x: float, y: float) -> int:
        return min(range(len(coords)), key=lambda k: (coords[k][0] - x) ** 2 + (coords[k][1] - y) ** 2)

    best = np.full(len(t["incidents"]), np.inf)
    targets = [nearest(x, y) for x, y in t["incidents"]]
    for sx, sy in t["fire"]:
        dist = {nearest(sx, sy): 0.0}
        heap = [(0.0, next(iter(dist)))]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist.get(u, math.inf):
                continue
            for v, w in adjacency.get(u, ()):
                if d + w < dist.get(v, math.inf):
                    dist[v] = d + w
                    heapq.heappush(heap, (d + w, v))
        best = np.minimum(best, [dist.get(k, math.inf) for k in targets])
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--blocks", type=int, default=30, help="blocks per side of the grid town")
    args = parser.parse_args()

    t = town(args.blocks, args.incidents, args.cameras)
    print(f"town: {len(t['lines'])} road links, {len(t['footprints'])} buildings, {len(t['cameras'])} cameras, "
          f"{len(t['incidents'])} incidents, {len(t['police'])} + {len(t['fire'])} stations, {len(t['its'])} ITS")
    import twin_plugins.services.linkers  # noqa: F401 - imports (scipy...) are not what is measured

    with tempfile.TemporaryDirectory() as folder:
        project = write_town(pathlib.Path(folder) / "links.twin.duckdb", t)
        start = time.perf_counter()
        runs = compute_links(project)
        total = time.perf_counter() - start
        for run in runs:
            state = run.error or run.skipped or f"{run.links} links"
            print(f"  {run.linker:22s} {run.seconds * 1000:9.0f} ms  {state}")
        print(f"compute_links (every linker, links stored): {total:.2f} s")
        links = read_links(project)
        cams = {(int(f), int(c)) for f, c, r in zip(links.column("from_fid").to_pylist(), links.column("to_fid").to_pylist(),
                                                   links.column("relation").to_pylist()) if r == "seen_by"}
        fire = {int(f): s for f, s, r in zip(links.column("from_fid").to_pylist(),
                                            links.column("travel_time_s").to_pylist(),
                                            links.column("relation").to_pylist()) if r == "nearest_fire_by_road"}
        seconds = {r.linker: r.seconds for r in runs}
        project.close()

    start = time.perf_counter()
    naive_seen = naive_cameras(t)
    naive_cam_s = time.perf_counter() - start
    start = time.perf_counter()
    naive_fire = naive_travel(t)
    naive_road_s = time.perf_counter() - start
    from twin.links.routing import RoadGraph

    start = time.perf_counter()
    graph = RoadGraph.from_lines(t["lines"], speed_mps=50.0 / 3.6, oneway=t["oneway"])
    ours_fire = graph.travel_times(t["fire"], t["incidents"]).min(axis=0)
    graph_s = time.perf_counter() - start
    cam_s, road_s = seconds.get("incident-cctv", float("nan")), seconds.get("incident-response", float("nan"))
    print(f"incident -> CCTV: vectorised {cam_s * 1000:.0f} ms, naive double loop {naive_cam_s * 1000:.0f} ms "
          f"(x{naive_cam_s / cam_s:.0f}); pairs {len(cams)} vs {len(naive_seen)}, in common {len(cams & naive_seen)}")
    ours = np.array([fire.get(i, np.inf) for i in range(len(t["incidents"]))])
    ok = np.isfinite(ours) & np.isfinite(naive_fire)
    print(f"incident -> nearest 119 by road, travel times only: RoadGraph (csgraph) {graph_s * 1000:.0f} ms, naive "
          f"heapq Dijkstra per station {naive_road_s * 1000:.0f} ms (x{naive_road_s / graph_s:.1f}); the linker for "
          f"112 and 119 with {2 * len(t['incidents'])} routes and stored links: {road_s * 1000:.0f} ms")
    assert np.allclose(ours_fire, ours, equal_nan=True), "the linker and RoadGraph disagree"
    print(f"  travel times: median |ours - naive| {np.median(np.abs(ours[ok] - naive_fire[ok])):.1f} s (ours attaches "
          f"incidents mid-link, the naive one snaps them to the nearest junction); {int(ok.sum())} compared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
