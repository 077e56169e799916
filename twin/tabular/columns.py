"""Find the coordinate columns of a table by their names, in English and Korean.

Longitude/latitude names (``경도``/``위도``, ``longitude``/``latitude``, ``lon``/``lng``/``lat``) win over
x/y names (``X좌표``/``Y좌표``, ``x``/``y``, ``easting``/``northing``). Prefixed names such as
``설치위치_위도``, ``정류장 위치_경도`` or ``POINT_1_LAT`` match on their last word; when several pairs
exist, a pair that shares its prefix (``POINT_1_``) wins, then the leftmost.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from twin.tabular.korean import normalise_name

LAT_WORDS = {"lat": 3, "latitude": 3, "위도": 3, "위도좌표": 3, "ylat": 2, "gpslat": 2}
LON_WORDS = {"lon": 3, "lng": 3, "longitude": 3, "경도": 3, "경도좌표": 3, "long": 1, "xlon": 2, "gpslon": 2, "gpslng": 2}
X_WORDS = {"x": 3, "x좌표": 3, "좌표x": 3, "x좌표값": 3, "xcoord": 3, "xcoordinate": 3, "coordx": 3, "easting": 3,
           "east": 1, "pointx": 2, "tmx": 2, "utmkx": 2, "posx": 2, "xpos": 2}
Y_WORDS = {"y": 3, "y좌표": 3, "좌표y": 3, "y좌표값": 3, "ycoord": 3, "ycoordinate": 3, "coordy": 3, "northing": 3,
           "north": 1, "pointy": 2, "tmy": 2, "utmky": 2, "posy": 2, "ypos": 2}

_SPLIT = re.compile(r"[\s_\-.:/()\[\]{},;]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclasses.dataclass(frozen=True)
class CoordinateColumns:
    """The columns holding x (longitude or easting) and y (latitude or northing).

    ``geographic`` is True when the names say longitude/latitude, None when they say only x/y
    (the values decide), and ``how`` says how they were found.
    """

    x: str
    y: str
    geographic: bool | None
    how: str
    alternatives: tuple[tuple[str, str], ...] = ()


def _words(name: str) -> list[str]:
    spaced = _CAMEL.sub(" ", str(name))
    return [w for w in _SPLIT.split(normalise_name(spaced)) if w]


def _score(name: str, table: dict[str, int], korean: tuple[str, ...] = ()) -> tuple[int, str]:
    """(score, prefix): how surely ``name`` is this role, and the name without the role word."""
    words = _words(name)
    if not words:
        return 0, ""
    for i in range(len(words) - 1, -1, -1):
        score = table.get(words[i], 0)
        if score:
            return score + (1 if i == len(words) - 1 else 0), " ".join(words[:i] + words[i + 1:])
    folded = normalise_name(name)
    for word in korean:
        if word in folded:
            return 2, folded.replace(word, "").strip(" _-")
    return 0, ""


def _best_pair(names: Sequence[str], first: dict, second: dict, korean: tuple[tuple[str, ...], tuple[str, ...]]):
    a = [(i, *_score(n, first, korean[0])) for i, n in enumerate(names)]
    b = [(i, *_score(n, second, korean[1])) for i, n in enumerate(names)]
    a = [c for c in a if c[1] > 0]
    b = [c for c in b if c[1] > 0]
    pairs = []
    for i, sa, pa_ in a:
        for j, sb, pb in b:
            if i != j:
                pairs.append((-(10 if pa_ == pb else 0) - sa - sb, min(i, j), abs(i - j), i, j))
    pairs.sort()
    return [(names[p[3]], names[p[4]]) for p in pairs]


def find_coordinate_columns(
    names: Sequence[str], *, x: str | None = None, y: str | None = None
) -> CoordinateColumns | None:
    """The coordinate columns among ``names``, or ``None`` when no pair is recognised.

    ``x``/``y`` (the ``--x``/``--y`` flags) name them explicitly: exact names first, then names equal
    after NFC normalisation and case folding. Raises ``KeyError`` (with the known columns) for a
    given name that does not exist, and ``ValueError`` when only one of the two is given.
    """
    names = list(names)
    if x is not None or y is not None:
        if x is None or y is None:
            raise ValueError("give both --x and --y")
        cx, cy = _lookup(names, x), _lookup(names, y)
        if cx == cy:
            raise ValueError(f"--x and --y name the same column {cx!r}")
        return CoordinateColumns(cx, cy, None, "given with --x/--y")
    lonlat = _best_pair(names, LON_WORDS, LAT_WORDS, (("경도",), ("위도",)))
    if lonlat:
        lon, lat = lonlat[0]
        rest = tuple(p for p in lonlat[1:] if lon not in p and lat not in p)
        return CoordinateColumns(lon, lat, True, "by name (longitude/latitude)", rest)
    xy = _best_pair(names, X_WORDS, Y_WORDS, (("x좌표",), ("y좌표",)))
    if xy:
        cx, cy = xy[0]
        rest = tuple(p for p in xy[1:] if cx not in p and cy not in p)
        return CoordinateColumns(cx, cy, None, "by name (x/y)", rest)
    return None


def _lookup(names: list[str], wanted: str) -> str:
    if wanted in names:
        return wanted
    folded = normalise_name(wanted)
    for name in names:
        if normalise_name(name) == folded:
            return name
    shown = ", ".join(repr(n) for n in names)
    raise KeyError(f"no column {wanted!r} (columns: {shown})")


def find_named_column(names: Sequence[str], candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` (already folded) present among ``names``, compared after
    :func:`normalise_name`; the leftmost column wins when two fold to the same name."""
    folded = {normalise_name(n): n for n in reversed(list(names))}
    for candidate in candidates:
        if candidate in folded:
            return folded[candidate]
    return None
