"""Coordinate values of table rows: parse them, and find the rows that cannot be right.

All checks are numpy masks over whole columns. A row is unusable when its coordinates are
missing, not numbers, 0/0, out of the longitude/latitude range, outside the area of use of the
CRS, swapped (latitude in the longitude column: the swapped pair fits where the others are), or
far from where the majority of rows lie (a typo such as longitude 172 for 127).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twin.crs import KOREA_LONLAT_BOX, horizontal, is_geographic, transform_xy

OK, MISSING, NOT_NUMBER, ZERO, OUT_OF_RANGE, OUTSIDE_AREA, SWAPPED, FAR = range(8)

PROBLEMS = {
    MISSING: "missing coordinates",
    NOT_NUMBER: "coordinate is not a number",
    ZERO: "coordinates are 0, 0 (a placeholder for unknown)",
    OUT_OF_RANGE: "coordinates out of range for longitude/latitude",
    OUTSIDE_AREA: "coordinates outside the area of use of the CRS",
    SWAPPED: "latitude and longitude swapped",
    FAR: "far away from all other rows (a typo?)",
}

_NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
_NUMBER_COMMA = r"^\s*[+-]?\d+(,\d+)?\s*$"


@dataclasses.dataclass
class PointCheck:
    """The outcome of :func:`check_points`: per-row problem codes (0 = usable) and what was learnt."""

    x: np.ndarray
    y: np.ndarray
    problem: np.ndarray  # int8 codes, see PROBLEMS
    columns_swapped: bool = False
    region: tuple[float, float, float, float] | None = None  # lon/lat box of the majority

    @property
    def ok(self) -> np.ndarray:
        return self.problem == OK

    def counts(self) -> dict[str, int]:
        """Number of rows per problem, for the report."""
        return {PROBLEMS[c]: int((self.problem == c).sum()) for c in PROBLEMS if (self.problem == c).any()}


def parse_numbers(values: pa.Array | pa.ChunkedArray, *, decimal_comma: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numbers of a column that may hold text. Returns ``(values float64 with NaN, missing, not_a_number)``.

    Empty and blank cells are *missing*; any other text that is not a decimal number is *not a
    number*. With ``decimal_comma``, ``37,5`` reads as 37.5 (semicolon-separated European files).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    n = len(values)
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        out = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        out = np.where(pc.is_null(values).to_numpy(zero_copy_only=False), np.nan, out).astype(np.float64)
        return out, np.isnan(out), np.zeros(n, dtype=bool)
    text = pc.cast(values, pa.string())
    trimmed = pc.utf8_trim_whitespace(text)
    missing = pc.fill_null(pc.equal(trimmed, ""), True)
    if not decimal_comma:  # the common case: one cast, no regular expression
        try:
            out = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), trimmed), pa.float64())
        except pa.ArrowInvalid:
            out = None
        if out is not None:
            missing_np = missing.to_numpy(zero_copy_only=False)
            values_np = pc.fill_null(out, np.nan).to_numpy(zero_copy_only=False).astype(np.float64)
            return values_np, missing_np, np.zeros(n, dtype=bool)
    if decimal_comma:
        comma = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER_COMMA), False)
        trimmed = pc.if_else(comma, pc.replace_substring(trimmed, ",", "."), trimmed)
    number = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER), False)
    cleaned = pc.if_else(number, trimmed, pa.scalar(None, pa.string()))
    out = pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    missing_np = missing.to_numpy(zero_copy_only=False)
    bad = ~number.to_numpy(zero_copy_only=False) & ~missing_np
    return out, missing_np, bad


def _in_range(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)


def _in_box(lon: np.ndarray, lat: np.ndarray, box) -> np.ndarray:
    x0, y0, x1, y1 = box
    with np.errstate(invalid="ignore"):
        return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def area_of_use(crs: str, *, margin: float = 1.0) -> tuple[float, float, float, float]:
    """Longitude/latitude box where ``crs`` is meant to be used, grown by ``margin`` degrees."""
    area = horizontal(crs).area_of_use
    if area is None or is_geographic(crs):
        return (-180.0, -90.0, 180.0, 90.0)
    west, east = area.west, area.east if area.east >= area.west else area.east + 360
    return (west - margin, area.south - margin, east + margin, area.north + margin)


def _lonlat(x: np.ndarray, y: np.ndarray, crs: str, geographic: bool, usable: np.ndarray):
    if geographic:
        return x, y
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    if usable.any():
        with np.errstate(invalid="ignore", over="ignore"):
            lon[usable], lat[usable] = transform_xy(x[usable], y[usable], crs, "EPSG:4326")
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 1e30)
    lon[bad], lat[bad] = np.nan, np.nan
    return lon, lat


def majority_region(lon: np.ndarray, lat: np.ndarray, *, min_rows: int = 5) -> tuple[float, float, float, float] | None:
    """Where most points lie: the 2-98 % quantile box (25-75 % under 50 rows, where the extremes
    would be the outliers themselves) grown by 3 times its size, at least 1 degree, on each side;
    joined with South Korea's box when its centre is in Korea. ``None`` for too few rows."""
    if len(lon) < min_rows:
        return None
    q = [0.02, 0.98] if len(lon) >= 50 else [0.25, 0.75]
    x0, x1 = np.quantile(lon, q)
    y0, y1 = np.quantile(lat, q)
    mx, my = max(1.0, 3 * (x1 - x0)), max(1.0, 3 * (y1 - y0))
    box = (x0 - mx, y0 - my, x1 + mx, y1 + my)
    kx0, ky0, kx1, ky1 = KOREA_LONLAT_BOX
    if kx0 <= (x0 + x1) / 2 <= kx1 and ky0 <= (y0 + y1) / 2 <= ky1:
        box = (min(box[0], kx0), min(box[1], ky0), max(box[2], kx1), max(box[3], ky1))
    return tuple(float(v) for v in box)


def check_points(
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    *,
    missing: np.ndarray | None = None,
    not_number: np.ndarray | None = None,
    learn_orientation: bool = True,
) -> PointCheck:
    """Find the usable rows of coordinate columns ``x``/``y`` given in ``crs``.

    With ``learn_orientation`` (names said lon/lat but could be wrong), the majority of rows decides
    which column is longitude: if most rows only make sense swapped, the columns are swapped as a
    whole (``columns_swapped``); single swapped rows are then reported, not repaired.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    problem = np.zeros(n, dtype=np.int8)
    if missing is not None:
        problem[missing] = MISSING
    if not_number is not None:
        problem[not_number & (problem == OK)] = NOT_NUMBER
    problem[(problem == OK) & (np.isnan(x) | np.isnan(y))] = MISSING
    problem[(problem == OK) & (np.isinf(x) | np.isinf(y))] = OUT_OF_RANGE
    problem[(problem == OK) & (x == 0) & (y == 0)] = ZERO
    usable = problem == OK
    geographic = is_geographic(crs)
    area = area_of_use(crs)

    def fits(lon, lat):
        return usable & _in_range(lon, lat) & _in_box(lon, lat, area)

    lon, lat = _lonlat(x, y, crs, geographic, usable)
    slon, slat = _lonlat(y, x, crs, geographic, usable)
    fit, sfit = fits(lon, lat), fits(slon, slat)
    swapped_columns = False
    if learn_orientation:
        korea = _in_box(lon, lat, KOREA_LONLAT_BOX) & usable
        skorea = _in_box(slon, slat, KOREA_LONLAT_BOX) & usable
        votes = int(((fit & ~sfit) | (korea & ~skorea)).sum())
        svotes = int(((sfit & ~fit) | (skorea & ~korea)).sum())
        if svotes > votes:
            x, y, lon, lat, slon, slat, fit, sfit = y, x, slon, slat, lon, lat, sfit, fit
            swapped_columns = True
    region = majority_region(lon[fit], lat[fit])
    inside = fit & (_in_box(lon, lat, region) if region else True)
    sinside = sfit & (_in_box(slon, slat, region) if region else True) & ~inside
    problem[sinside] = SWAPPED
    rest = usable & ~inside & ~sinside
    in_range = _in_range(lon, lat)
    problem[rest & ~in_range] = OUT_OF_RANGE if geographic else OUTSIDE_AREA
    problem[rest & in_range & ~_in_box(lon, lat, area)] = OUTSIDE_AREA
    problem[rest & in_range & _in_box(lon, lat, area)] = FAR
    return PointCheck(x=x, y=y, problem=problem, columns_swapped=swapped_columns, region=region)


def looks_geographic(x: np.ndarray, y: np.ndarray) -> bool:
    """True when most finite rows fit longitude/latitude ranges (either way round)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
    if not finite.any():
        return False
    fits = _in_range(x[finite], y[finite]) | _in_range(y[finite], x[finite])
    return bool(fits.mean() > 0.5)

