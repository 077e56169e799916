"""The master plan of 미호누리 (Mihonuri), a fictional Korean new town beside Sejong 5-1: its roads, stream,
cells and blocks. The plan does not depend on the seed (the committed traffic was simulated on it);
only what is built on it (buildings, facilities, events) does.

Everything is in local metres (x east, y north along the grid, origin at the town centre);
:func:`to_project` turns local geometries into EPSG:5186 (the grid is turned 12° counter-clockwise).

The road network is a list of *source lines* (an arterial from end to end, a local street across its
cell) that :func:`road_links` nodes at every junction with ``shapely.node``: each link ends where it
meets another, as node-link road data and the router need. One-way links run from their first to their
last vertex.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pyproj
import shapely

from twin_datasets.common import move_xy

CRS = "EPSG:5186"
#: centre of the town: north of the Sejong 5-1 Living Zone (합강동), between the Geum and the Miho rivers
CENTRE_LONLAT = (127.305, 36.522)
ROTATION_DEG = 12.0
HALF = 1000.0  # the town is 2 x 2 km inside its perimeter roads
GATE = 1200.0  # gateway links leave the town towards Sejong and Jochiwon
TOWN = "미호누리"

#: road_rank -> (width per lane m, sidewalks m)
RANKS = ("주간선도로", "보조간선도로", "집산도로", "국지도로")
#: SUMO priorities of the ranks
PRIORITY = {"주간선도로": 13, "보조간선도로": 11, "집산도로": 9, "국지도로": 7}

# x, name, rank, lanes, speed km/h, (y from, y to)
NS_ROADS = (
    (-1000.0, "연기로", "주간선도로", 4, 60, (-HALF, HALF)),
    (-650.0, "가람로", "집산도로", 4, 50, (-HALF, HALF)),
    (-250.0, "누리대로", "주간선도로", 6, 60, (-GATE, GATE)),
    (150.0, "노을로", "집산도로", 4, 50, (-HALF, HALF)),
    (550.0, "보람로", "보조간선도로", 4, 50, (-HALF, HALF)),
    (1000.0, "새누리로", "주간선도로", 4, 60, (-HALF, HALF)),
)
# y, name, rank, lanes, speed, (x from, x to): the two 미호대로 carriageways are a one-way pair around a
# linear park (eastbound south, westbound north: traffic keeps right)
EW_ROADS = (
    (-1000.0, "합강로", "주간선도로", 4, 60, (-GATE, HALF)),
    (-620.0, "도담로", "집산도로", 4, 50, (-HALF, HALF)),
    (-320.0, "아름로", "집산도로", 2, 50, (-HALF, HALF)),
    (-35.0, "미호대로", "주간선도로", 3, 60, (-GATE, GATE)),
    (35.0, "미호대로", "주간선도로", 3, 60, (GATE, -GATE)),
    (380.0, "마루로", "보조간선도로", 4, 50, (-HALF, HALF)),
    (700.0, "다솜로", "집산도로", 4, 50, (-HALF, HALF)),
    (1000.0, "한빛로", "주간선도로", 4, 60, (-HALF, GATE)),
)
ONE_WAY_EW = (-35.0, 35.0)
XS = tuple(r[0] for r in NS_ROADS)
#: the cells lie between these lines (the 미호대로 median is a park, not a cell)
Y_BANDS = ((-1000.0, -620.0), (-620.0, -320.0), (-320.0, -35.0), (35.0, 380.0), (380.0, 700.0), (700.0, 1000.0))
X_BANDS = tuple(zip(XS[:-1], XS[1:]))

#: (x band, y band) -> (zone, stage in which it was built)
ZONES = {
    (0, 0): ("old_core", 1), (1, 0): ("apartments_school", 1), (0, 1): ("old_core", 1),
    (2, 0): ("apartments", 2), (3, 0): ("apartments", 3), (4, 0): ("houses", 4),
    (1, 1): ("old_core", 1), (2, 1): ("apartments_school", 2), (3, 1): ("apartments_school", 3),
    (4, 1): ("apartments", 4),
    (0, 2): ("houses", 2), (1, 2): ("commercial", 2), (2, 2): ("commercial", 2), (3, 2): ("offices", 3),
    (4, 2): ("smart", 4),
    (0, 3): ("houses", 2), (1, 3): ("commercial", 3), (2, 3): ("civic", 2), (3, 3): ("park", 2),
    (4, 3): ("apartments", 4),
    (0, 4): ("apartments", 2), (1, 4): ("apartments_school", 2), (2, 4): ("apartments", 3), (3, 4): ("apartments", 3),
    (4, 4): ("houses", 4),
    (0, 5): ("houses", 2), (1, 5): ("apartments", 2), (2, 5): ("apartments_school", 3), (3, 5): ("houses", 3),
    (4, 5): ("houses_school", 4),
}
#: years of each stage (completion years of what was built then)
STAGE_YEARS = {1: (1998, 2002), 2: (2004, 2013), 3: (2014, 2017), 4: (2018, 2024)}

#: the stream 누리천 (a tributary of the Miho river) from the north edge to the east edge
STREAM_POINTS = ((-560.0, 1120.0), (-480.0, 860.0), (-330.0, 690.0), (-120.0, 590.0), (120.0, 470.0),
                 (290.0, 300.0), (370.0, 130.0), (470.0, -60.0), (640.0, -230.0), (820.0, -370.0),
                 (1120.0, -440.0))
STREAM_HALF_WIDTH = 11.0
RIVERSIDE_HALF_WIDTH = 42.0  # the riverside park on both banks (수변공원)


@dataclasses.dataclass(frozen=True)
class Zone:
    """One cell of the plan between major roads."""

    col: int
    row: int
    kind: str
    stage: int
    bounds: tuple[float, float, float, float]

    @property
    def polygon(self) -> shapely.Polygon:
        return shapely.box(*self.bounds)


def zones() -> list[Zone]:
    """The cells of the plan, west to east, south to north."""
    out = []
    for (i, j), (kind, stage) in sorted(ZONES.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        (x0, x1), (y0, y1) = X_BANDS[i], Y_BANDS[j]
        out.append(Zone(i, j, kind, stage, (x0, y0, x1, y1)))
    return out


# ----- the stream ---------------------------------------------------------------------------------
def _chaikin(points: np.ndarray, rounds: int = 4) -> np.ndarray:
    for _ in range(rounds):
        q = 0.75 * points[:-1] + 0.25 * points[1:]
        r = 0.25 * points[:-1] + 0.75 * points[1:]
        inner = np.empty((2 * len(q), 2))
        inner[0::2], inner[1::2] = q, r
        points = np.vstack([points[:1], inner, points[-1:]])
    return points


@functools.lru_cache(maxsize=1)
def stream_line() -> shapely.LineString:
    """The centre line of the stream, smoothed, with a small fixed meander."""
    base = _chaikin(np.array(STREAM_POINTS))
    line = shapely.LineString(base)
    s = np.linspace(0, line.length, 260)
    pts = shapely.get_coordinates(shapely.line_interpolate_point(line, s))
    tangent = np.gradient(pts, axis=0)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) / np.linalg.norm(tangent, axis=1)[:, None]
    wiggle = 14.0 * np.sin(s / 95.0) + 6.0 * np.sin(s / 37.0)
    return shapely.LineString(pts + normal * wiggle[:, None])


def stream_channel() -> shapely.Polygon:
    """The water surface of the stream (a narrow polygon)."""
    return shapely.buffer(stream_line(), STREAM_HALF_WIDTH, quad_segs=4)


def stream_corridor() -> shapely.Polygon:
    """Stream and riverside park: no building, no local street."""
    return shapely.buffer(stream_line(), RIVERSIDE_HALF_WIDTH, quad_segs=4)


# ----- roads --------------------------------------------------------------------------------------
@dataclasses.dataclass
class SourceLines:
    """Road centre lines before noding, with their attributes (parallel arrays)."""

    geometry: list
    name: list
    rank: list
    lanes: list
    speed: list
    oneway: list

    def add(self, coords, name: str, rank: str, lanes: int, speed: int, oneway: bool = False) -> None:
        self.geometry.append(shapely.LineString(coords))
        self.name.append(name)
        self.rank.append(rank)
        self.lanes.append(int(lanes))
        self.speed.append(int(speed))
        self.oneway.append(bool(oneway))


def road_width(rank, lanes) -> np.ndarray:
    """Width of the road reserve (m): 3.25 m per lane, a median on 6-lane arterials, sidewalks by rank."""
    lanes = np.asarray(lanes, dtype=float)
    rank = np.asarray(rank, dtype=object)
    sidewalk = np.select([rank == "주간선도로", rank == "보조간선도로", rank == "집산도로"], [5.0, 4.0, 3.0], 1.5)
    median = np.where(lanes >= 6, 4.0, 0.0)
    return lanes * 3.25 + median + 2 * sidewalk


def _local_positions(start: float, end: float, spacing: float, margin: float) -> np.ndarray:
    """Evenly spaced street positions strictly inside (start, end), about ``spacing`` apart."""
    count = max(int(round((end - start) / spacing)) - 1, 0)
    if count == 0:
        return np.empty(0)
    values = start + (end - start) * np.arange(1, count + 1) / (count + 1)
    return values[(values > start + margin) & (values < end - margin)]


#: zone kind -> (E-W local street spacing, N-S local street spacing, one-way E-W streets)
LOCAL_GRID = {
    "old_core": (58.0, 115.0, True),
    "houses": (56.0, 165.0, False),
    "commercial": (95.0, 100.0, False),
    "offices": (140.0, 135.0, False),
    "smart": (140.0, 150.0, False),
}


def _street_name(parent: str, index: int) -> str:
    return f"{parent}{index}길"


def _major_name_at(value: float, roads: tuple) -> str:
    for position, name, *_ in roads:
        if abs(position - value) < 1e-6:
            return name
    raise KeyError(value)


def source_lines() -> SourceLines:
    """Every road of the plan as a whole line (before noding)."""
    lines = SourceLines([], [], [], [], [], [])
    for x, name, rank, lanes, speed, (y0, y1) in NS_ROADS:
        lines.add([(x, y0), (x, y1)], name, rank, lanes, speed)
    for y, name, rank, lanes, speed, (x0, x1) in EW_ROADS:
        lines.add([(x0, y), (x1, y)], name, rank, lanes, speed, oneway=y in ONE_WAY_EW)
    jitter = np.random.default_rng(1995)  # the old village streets are not quite straight: fixed, not the seed
    counters: dict[str, int] = {}

    def name_from(parent: str) -> str:
        counters[parent] = counters.get(parent, 0) + 1
        return _street_name(parent, counters[parent])

    for zone in zones():
        x0, y0, x1, y1 = zone.bounds
        south = _major_name_at(y0, tuple((r[0], r[1]) for r in EW_ROADS))
        west = _major_name_at(x0, tuple((r[0], r[1]) for r in NS_ROADS))
        kind = zone.kind
        if kind in LOCAL_GRID:
            dy, dx, oneway = LOCAL_GRID[kind]
            ys = _local_positions(y0, y1, dy, 20.0)
            xs = _local_positions(x0, x1, dx, 40.0)
            if kind == "old_core":
                ys = ys + jitter.uniform(-6, 6, len(ys))
                xs = xs + jitter.uniform(-10, 10, len(xs))
            for k, y in enumerate(ys):
                ends = [(x0, y), (x1, y)] if k % 2 == 0 else [(x1, y), (x0, y)]
                if kind == "old_core":  # a bend in the old lanes
                    mid = (x0 + x1) / 2 + jitter.uniform(-30, 30)
                    ends = [ends[0], (mid, y + jitter.uniform(-5, 5)), ends[1]]
                lanes = 1 if oneway else 2
                lines.add(ends, name_from(west), "국지도로", lanes, 30, oneway=oneway)
            for x in xs:
                lines.add([(x, y0), (x, y1)], name_from(south), "국지도로", 2, 30)
        elif kind in ("apartments", "apartments_school"):
            xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
            if kind == "apartments" and (zone.col + zone.row) % 2 and y1 - y0 > 320:  # two complexes, one above the other
                lines.add([(x0, ym), (x1, ym)], name_from(west), "국지도로", 2, 30)
            else:
                lines.add([(xm, y0), (xm, y1)], name_from(south), "국지도로", 2, 30)
            if kind == "apartments_school":
                lines.add([(x0, y0 + 150.0), (xm, y0 + 150.0)], name_from(west), "국지도로", 2, 30)
        elif kind == "houses_school":
            xs = x0 + 0.38 * (x1 - x0)
            lines.add([(xs, y0), (xs, y1)], name_from(south), "국지도로", 2, 30)
            lines.add([(x0, (y0 + y1) / 2), (xs, (y0 + y1) / 2)], name_from(west), "국지도로", 2, 30)
            for y in _local_positions(y0, y1, 56.0, 20.0):
                lines.add([(xs, y), (x1, y)], name_from(west), "국지도로", 2, 30)
            lines.add([((xs + x1) / 2, y0), ((xs + x1) / 2, y1)], name_from(south), "국지도로", 2, 30)
        elif kind == "civic":
            lines.add([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)], name_from(west), "국지도로", 2, 30)
    return lines


@dataclasses.dataclass
class RoadLinks:
    """The noded road network: one row per link (parallel arrays, local metres)."""

    geometry: np.ndarray  # LineStrings, one-way links in their direction of travel
    link_id: np.ndarray
    name: np.ndarray
    rank: np.ndarray
    lanes: np.ndarray
    speed: np.ndarray  # km/h
    oneway: np.ndarray
    width: np.ndarray
    gateway: np.ndarray  # the link leaves the town (its outer end is an external zone)

    def __len__(self) -> int:
        return len(self.link_id)


@functools.lru_cache(maxsize=1)
def road_links() -> RoadLinks:
    """The road network noded at every junction (see the module docstring); the same on every call."""
    src = source_lines()
    geoms = np.array(src.geometry, dtype=object)
    corridor = shapely.buffer(stream_corridor(), 4.0)
    local = np.array(src.rank) == "국지도로"
    geoms[local] = shapely.difference(geoms[local], corridor)  # local streets stop at the riverside park
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = shapely.length(parts) > 1.0
    parts, owner = parts[keep], owner[keep]
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    # which source part each noded piece lies on: the part nearest to the piece's middle
    middle = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(parts)
    which = tree.query_nearest(middle, all_matches=False)[1]
    source = owner[which]
    # one-way pieces keep the direction of their source line
    start = shapely.line_locate_point(parts[which], shapely.get_point(noded, 0))
    end = shapely.line_locate_point(parts[which], shapely.get_point(noded, -1))
    noded = np.where(start > end, shapely.reverse(noded), noded)
    position = np.minimum(start, end)
    order = np.lexsort((position, source))
    noded, source = noded[order], source[order]
    noded = shapely.set_precision(noded, 0.001)
    take = lambda values, dtype=object: np.asarray(values, dtype=dtype)[source]  # noqa: E731
    rank, lanes = take(src.rank), take(src.lanes, np.int64)
    bounds = shapely.bounds(noded)
    outside = (np.abs(bounds[:, [0, 2]]).max(axis=1) > HALF + 1) | (np.abs(bounds[:, [1, 3]]).max(axis=1) > HALF + 1)
    return RoadLinks(
        geometry=noded, link_id=np.array([f"L{i + 1:04d}" for i in range(len(noded))], dtype=object),
        name=take(src.name), rank=rank, lanes=lanes, speed=take(src.speed, np.int64),
        oneway=take(src.oneway, bool), width=road_width(rank, lanes), gateway=outside,
    )


def signalised(rank: np.ndarray, a: np.ndarray, b: np.ndarray, count: int) -> np.ndarray:
    """Junctions with traffic lights: three or more links meet, at least three of them collectors or above
    and one of them an arterial (``a``/``b``: node of each link's first/last vertex)."""
    degree = np.bincount(np.concatenate([a, b]), minlength=count)
    major = np.isin(rank, ("주간선도로", "보조간선도로", "집산도로"))
    arterial = np.isin(rank, ("주간선도로", "보조간선도로"))
    major_at = np.bincount(np.concatenate([a[major], b[major]]), minlength=count)
    arterial_at = np.bincount(np.concatenate([a[arterial], b[arterial]]), minlength=count)
    return (degree >= 3) & (major_at >= 3) & (arterial_at >= 1)


@dataclasses.dataclass
class Junctions:
    """The nodes of the road network (local metres): where links meet or end."""

    xy: np.ndarray
    degree: np.ndarray
    signal: np.ndarray
    first: np.ndarray  # node of each link's first vertex
    last: np.ndarray  # node of each link's last vertex


@functools.lru_cache(maxsize=1)
def junctions() -> Junctions:
    """The junctions of :func:`road_links` (the same rule as the SUMO network's traffic lights)."""
    links = road_links()
    first = shapely.get_coordinates(shapely.get_point(links.geometry, 0))
    last = shapely.get_coordinates(shapely.get_point(links.geometry, -1))
    ends = np.concatenate([first, last])
    keys, inverse = np.unique(np.round(ends / 0.01).astype(np.int64), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    xy = np.zeros((len(keys), 2))
    xy[inverse] = ends
    a, b = inverse[: len(links)], inverse[len(links):]
    degree = np.bincount(inverse, minlength=len(keys))
    return Junctions(xy, degree, signalised(links.rank, a, b, len(keys)), a, b)


def carriageway() -> shapely.Geometry:
    """The road reserves (width of each link) as one polygon: nothing is built there."""
    links = road_links()
    return shapely.union_all(shapely.buffer(links.geometry, links.width / 2, quad_segs=2))


# ----- blocks -------------------------------------------------------------------------------------
@dataclasses.dataclass
class Blocks:
    """Blocks between the roads (parallel arrays): polygon, use, zone, stage."""

    geometry: np.ndarray
    use: np.ndarray  # zone kind, or park / school / linear_park / riverside
    zone: np.ndarray  # index into zones() (-1: none)
    stage: np.ndarray

    def __len__(self) -> int:
        return len(self.geometry)


SETBACK = 3.0  # building line behind the road reserve


@functools.lru_cache(maxsize=1)
def blocks() -> Blocks:
    """Blocks: the town inside its perimeter roads, minus the road reserves (and a setback), minus the
    stream corridor; each tagged with the use of its cell (school blocks and the linear park included)."""
    links = road_links()
    reserve = shapely.union_all(shapely.buffer(links.geometry, links.width / 2 + SETBACK, quad_segs=3))
    land = shapely.difference(shapely.box(-HALF, -HALF, HALF, HALF), reserve)
    land = shapely.difference(land, stream_corridor())
    parts = shapely.get_parts(land)
    parts = parts[shapely.area(parts) > 400.0]
    parts = shapely.set_precision(parts, 0.01)
    inside = shapely.get_coordinates(shapely.point_on_surface(parts))
    order = np.lexsort((np.round(inside[:, 0]), np.round(inside[:, 1])))
    parts, inside = parts[order], inside[order]
    cells = zones()
    zone = np.full(len(parts), -1)
    for k, cell in enumerate(cells):
        x0, y0, x1, y1 = cell.bounds
        zone[(inside[:, 0] > x0) & (inside[:, 0] < x1) & (inside[:, 1] > y0) & (inside[:, 1] < y1)] = k
    use = np.array([cells[z].kind if z >= 0 else "linear_park" for z in zone], dtype=object)
    stage = np.array([cells[z].stage if z >= 0 else 2 for z in zone], dtype=np.int64)
    area = shapely.area(parts)
    # school blocks: the south-west block of an apartments_school cell, the west block of houses_school
    for k, cell in enumerate(cells):
        mine = np.flatnonzero(zone == k)
        if not mine.size:
            continue
        if cell.kind == "apartments_school":
            x0, y0 = cell.bounds[:2]
            corner = mine[np.argmin(np.hypot(inside[mine, 0] - x0, inside[mine, 1] - y0))]
            use[corner] = "school"
        elif cell.kind == "houses_school":
            x0, y0, x1, y1 = cell.bounds
            west = mine[inside[mine, 0] < x0 + 0.38 * (x1 - x0)]
            if west.size:
                use[west[np.argmin(inside[west, 1])]] = "school"
                for extra in west[np.argsort(inside[west, 1])][1:]:
                    use[extra] = "park"
        use[mine[(use[mine] == "apartments_school")]] = "apartments"
        use[mine[(use[mine] == "houses_school")]] = "houses"
    use[(use != "park") & (use != "school") & (area < 1500.0) & (use != "linear_park")] = "pocket_park"
    return Blocks(geometry=parts, use=use, zone=zone, stage=stage)


# ----- coordinates --------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def origin() -> tuple[float, float]:
    """The town centre in EPSG:5186."""
    x, y = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(*CENTRE_LONLAT)
    return float(x), float(y)


def _rotation() -> np.ndarray:
    a = np.radians(ROTATION_DEG)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def local_to_project(xy: np.ndarray) -> np.ndarray:
    """Local metres (n, 2) -> EPSG:5186 (n, 2)."""
    return np.asarray(xy, dtype=float)[:, :2] @ _rotation().T + np.array(origin())


def project_to_local(xy: np.ndarray) -> np.ndarray:
    """EPSG:5186 (n, 2) -> local metres."""
    return (np.asarray(xy, dtype=float)[:, :2] - np.array(origin())) @ _rotation()


def to_project(geometries) -> np.ndarray:
    """Local geometries -> EPSG:5186 geometries (z kept)."""
    return move_xy(geometries, local_to_project)


def to_lonlat(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres (n, 2) -> WGS84 longitude, latitude (for the CSVs, rounded to 7 decimals ~ 1 cm)."""
    projected = local_to_project(xy)
    lon, lat = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(projected[:, 0], projected[:, 1])
    return np.round(np.asarray(lon), 7), np.round(np.asarray(lat), 7)


def bearing(dx, dy) -> np.ndarray:
    """Compass bearing (degrees clockwise from north) of local directions, after the grid's turn."""
    angle = np.degrees(np.arctan2(dy, dx)) + ROTATION_DEG  # counter-clockwise from east
    return np.round((90.0 - angle) % 360.0, 1)
