"""Coordinate reference systems: parse every notation found in city data, choose a project CRS,
and reproject coordinates vectorised with pyproj (always x/y = easting/northing or lon/lat)."""

from __future__ import annotations

import re
import threading

import numpy as np
import pyproj

KOREA_LONLAT_BOX = (124.0, 33.0, 132.0, 39.0)
KOREA_DEFAULT_CRS = "EPSG:5186"

_EPSG_PATTERNS = [
    re.compile(r"^\s*epsg\s*:\s*(\d+)\s*$", re.I),
    re.compile(r"^\s*(\d{4,6})\s*$"),
    re.compile(r"^\s*urn:ogc:def:crs:epsg:[^:]*:(\d+)\s*$", re.I),
    re.compile(r"^\s*https?://www\.opengis\.net/def/crs/epsg/[^/]*/(\d+)\s*$", re.I),
]
_CRS84 = re.compile(r"(urn:ogc:def:crs:ogc:[^:]*:crs84|/def/crs/ogc/[^/]*/crs84)\s*$", re.I)


def normalize_crs(text: str | int | None) -> str | None:
    """Return ``EPSG:NNNN`` for any EPSG notation (code, ``EPSG:n``, URN, OGC URL), ``EPSG:4326`` for
    CRS84, otherwise the input as pyproj understands it (WKT or PROJ string). ``None`` stays ``None``.

    Raises ``ValueError`` for text that names no CRS.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    text = str(text)
    if _CRS84.search(text):
        return "EPSG:4326"
    for pattern in _EPSG_PATTERNS:
        match = pattern.match(text)
        if match:
            code = int(match.group(1))
            _crs_object(f"EPSG:{code}")  # validates the code
            return f"EPSG:{code}"
    crs = _crs_object(text)
    epsg = crs.to_epsg(min_confidence=90)
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


_per_thread = threading.local()


def _thread_cache(name: str) -> dict:
    """A cache private to the calling thread: pyproj CRS and Transformer objects must not be
    shared between threads (sharing them crashed inside PROJ when Qt workers reprojected)."""
    cache = getattr(_per_thread, name, None)
    if cache is None:
        cache = {}
        setattr(_per_thread, name, cache)
    return cache


def _crs_object(text: str) -> pyproj.CRS:
    cache = _thread_cache("crs")
    if text not in cache:
        cache[text] = _make_crs(text)
    return cache[text]


def _make_crs(text: str) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        raise ValueError(f"unknown CRS {text!r}") from exc


def horizontal(text: str) -> pyproj.CRS:
    """The horizontal part of a CRS (RD New of 'RD New + NAP height'), for 2D reprojection."""
    crs = _crs_object(text)
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if sub.is_projected or sub.is_geographic:
                return sub
    return crs


def is_geographic(text: str) -> bool:
    """True when coordinates in this CRS are longitude/latitude degrees."""
    return horizontal(text).is_geographic


def _transformer(src: str, dst: str) -> pyproj.Transformer:
    cache = _thread_cache("transformers")
    if (src, dst) not in cache:
        cache[(src, dst)] = _make_transformer(src, dst)
    return cache[(src, dst)]


def _make_transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(horizontal(src), horizontal(dst), always_xy=True)


def same_crs(a: str, b: str) -> bool:
    """True when two CRS notations describe the same horizontal system."""
    return a == b or horizontal(a) == horizontal(b)


def transform_xy(x: np.ndarray, y: np.ndarray, src: str, dst: str) -> tuple[np.ndarray, np.ndarray]:
    """Reproject coordinate arrays (lon/lat order for geographic CRSs). Returns new float64 arrays."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if same_crs(src, dst):
        return x.copy(), y.copy()
    tx, ty = _transformer(src, dst).transform(x, y)
    return np.asarray(tx, dtype=np.float64), np.asarray(ty, dtype=np.float64)


def choose_project_crs(lon: float, lat: float) -> str:
    """EPSG:5186 when the data's centre lies in South Korea, else the UTM zone of the centre."""
    xmin, ymin, xmax, ymax = KOREA_LONLAT_BOX
    if xmin <= lon <= xmax and ymin <= lat <= ymax:
        return KOREA_DEFAULT_CRS
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def centre_lonlat(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[float, float]:
    """Longitude/latitude of the centre of the bounding box of coordinates given in ``crs``."""
    cx = (float(np.nanmin(x)) + float(np.nanmax(x))) / 2.0
    cy = (float(np.nanmin(y)) + float(np.nanmax(y))) / 2.0
    lon, lat = transform_xy(np.array([cx]), np.array([cy]), crs, "EPSG:4326")
    return float(lon[0]), float(lat[0])


def is_projected_metric(text: str) -> bool:
    """True for a projected CRS in metres (a valid project CRS)."""
    crs = horizontal(text)
    if not crs.is_projected:
        return False
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    return unit in ("metre", "meter", "m")
