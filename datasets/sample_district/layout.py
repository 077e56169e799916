"""The plan of the sample district: a street grid, its blocks and what each block is for.

Everything here is in local metres (x east, y north along the grid) around the district centre;
:func:`to_project` turns local geometries into EPSG:5186 (the grid is turned a little, as new
towns follow their terrain rather than north).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pyproj
import shapely

from twin_datasets.common import move_xy

CRS = "EPSG:5186"
#: Centre of the district: Sejong, near the 5-1 Living Zone (a national smart-city pilot site).
CENTRE_LONLAT = (127.27, 36.49)
ROTATION_DEG = 14.0  # the grid turned counter-clockwise from east

#: Grid lines (local metres). The middle ones are the boulevards.
XS = (-700.0, -450.0, -200.0, 0.0, 220.0, 470.0, 720.0)
YS = (-500.0, -260.0, 0.0, 240.0, 480.0)
NS_NAMES = ("금강로", "새롬로", "가름로", "세종중앙로", "다정로", "집현로", "한솔로")
EW_NAMES = ("합강1로", "합강2로", "한누리대로", "합강3로", "합강4로")

#: class, width (m), lanes, water main diameter (mm), depth (m)
ROAD_CLASSES = {"대로": (40.0, 8, 400, 2.0), "중로": (25.0, 4, 300, 1.5), "소로": (15.0, 2, 150, 1.2)}

#: What each block (column, row) is for; the rest are apartment complexes.
BLOCK_USES = {
    (2, 1): "commercial", (3, 1): "commercial", (2, 2): "landmark", (3, 2): "park",
    (1, 2): "civic", (4, 3): "school", (1, 3): "school", (0, 3): "houses", (5, 0): "houses",
}
SETBACK = 4.0


@dataclasses.dataclass
class Road:
    """One road link between two crossings."""

    link_id: str
    name: str
    road_class: str
    line: shapely.LineString

    @property
    def width(self) -> float:
        return ROAD_CLASSES[self.road_class][0]

    @property
    def lanes(self) -> int:
        return ROAD_CLASSES[self.road_class][1]


@dataclasses.dataclass
class Block:
    """A block between four roads, inside its setbacks."""

    col: int
    row: int
    use: str
    bounds: tuple[float, float, float, float]

    @property
    def polygon(self) -> shapely.Polygon:
        return shapely.box(*self.bounds)


def road_class(index: int, lines: tuple[float, ...], main: int) -> str:
    if index == main:
        return "대로"
    return "중로" if index in (0, len(lines) - 1) else "소로"


def _width(index: int, lines: tuple[float, ...], main: int) -> float:
    return ROAD_CLASSES[road_class(index, lines, main)][0]


MAIN_X, MAIN_Y = XS.index(0.0), YS.index(0.0)


def roads() -> list[Road]:
    """Road links: every grid line cut at its crossings."""
    out: list[Road] = []
    for i, x in enumerate(XS):
        for j in range(len(YS) - 1):
            line = shapely.LineString([(x, YS[j]), (x, YS[j + 1])])
            out.append(Road(f"LK{len(out) + 1:04d}", NS_NAMES[i], road_class(i, XS, MAIN_X), line))
    for j, y in enumerate(YS):
        for i in range(len(XS) - 1):
            line = shapely.LineString([(XS[i], y), (XS[i + 1], y)])
            out.append(Road(f"LK{len(out) + 1:04d}", EW_NAMES[j], road_class(j, YS, MAIN_Y), line))
    return out


def blocks() -> list[Block]:
    """The blocks between the roads, with their use."""
    out = []
    for i in range(len(XS) - 1):
        for j in range(len(YS) - 1):
            x0 = XS[i] + _width(i, XS, MAIN_X) / 2 + SETBACK
            x1 = XS[i + 1] - _width(i + 1, XS, MAIN_X) / 2 - SETBACK
            y0 = YS[j] + _width(j, YS, MAIN_Y) / 2 + SETBACK
            y1 = YS[j + 1] - _width(j + 1, YS, MAIN_Y) / 2 - SETBACK
            out.append(Block(i, j, BLOCK_USES.get((i, j), "apartments"), (x0, y0, x1, y1)))
    return out


def crossings() -> list[tuple[int, int, float, float]]:
    """Grid crossings as (column line, row line, x, y)."""
    return [(i, j, x, y) for i, x in enumerate(XS) for j, y in enumerate(YS)]


@functools.lru_cache(maxsize=1)
def _origin() -> tuple[float, float]:
    transformer = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x, y = transformer.transform(*CENTRE_LONLAT)
    return float(x), float(y)


def local_to_project(xy: np.ndarray) -> np.ndarray:
    """Local metres (n, 2) -> EPSG:5186 (n, 2)."""
    a = np.radians(ROTATION_DEG)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.asarray(xy, dtype=float)[:, :2] @ rot.T + np.array(_origin())


def to_project(geometries: np.ndarray) -> np.ndarray:
    """Local geometries -> EPSG:5186 geometries (z kept)."""
    return move_xy(geometries, local_to_project)


def bearing(dx: float, dy: float) -> float:
    """Compass bearing (degrees clockwise from north) of a local direction, after the grid's turn."""
    angle = np.degrees(np.arctan2(dy, dx)) + ROTATION_DEG  # counter-clockwise from east
    return float((90.0 - angle) % 360.0)


def to_lonlat(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres -> WGS84 longitude, latitude (for the facility CSVs)."""
    transformer = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    projected = local_to_project(xy)
    lon, lat = transformer.transform(projected[:, 0], projected[:, 1])
    return np.asarray(lon), np.asarray(lat)
