"""``srsName`` in the notations seen in CityGML files, the axis order of geographic CRSs, reprojection.

``EPSG:6697``, ``urn:ogc:def:crs:EPSG::6697``, ``http://www.opengis.net/def/crs/EPSG/0/6697``, compound
URNs (``urn:ogc:def:crs,crs:EPSG::6668,crs:EPSG::6697``), OGC compound URLs (``.../crs-compound?1=...&2=...``)
and the German AdV names (``urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH``). Geographic CRSs are written in
their authority's axis order (EPSG:6697: latitude, longitude, height); the importer hands x = longitude on.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pyproj

from twin.api import normalize_crs, transform_xy

_EPSG = re.compile(r"EPSG(?:::|:|/[^/]*/|/)(\d{4,6})", re.I)
#: German AdV CRS names (the horizontal part; heights stay as they are)
ADV = {"ETRS89_UTM32": "EPSG:25832", "ETRS89_UTM33": "EPSG:25833", "DE_DHDN_3GK2": "EPSG:31466",
       "DE_DHDN_3GK3": "EPSG:31467", "DE_DHDN_3GK4": "EPSG:31468", "DE_DHDN_3GK5": "EPSG:31469"}


@functools.lru_cache(maxsize=64)
def parse_srs(text: str) -> str:
    """The CRS named by an ``srsName`` as ``EPSG:NNNN`` (or WKT); ValueError when it names none.

    A compound notation gives its first horizontal component (heights are kept as written).
    """
    text = text.strip()
    if text.lower().startswith("urn:adv:crs:"):
        for name, code in ADV.items():
            if text[12:].upper().startswith(name):
                return code
        raise ValueError(f"unknown AdV CRS {text!r}")
    codes = _EPSG.findall(text)
    if len(codes) > 1:
        for code in codes:
            crs = pyproj.CRS.from_user_input(f"EPSG:{code}")
            if crs.is_geographic or crs.is_projected or crs.is_compound:
                return f"EPSG:{int(code)}"
        raise ValueError(f"no horizontal CRS in {text!r}")
    if len(codes) == 1:
        return normalize_crs(f"EPSG:{codes[0]}")
    return normalize_crs(text)


@functools.lru_cache(maxsize=64)
def latitude_first(crs: str) -> bool:
    """True when the (horizontal part of the) CRS is geographic with latitude as its first axis."""
    obj = pyproj.CRS.from_user_input(crs)
    if obj.is_compound:
        obj = next((s for s in obj.sub_crs_list if s.is_geographic or s.is_projected), obj)
    if not obj.is_geographic or not obj.axis_info:
        return False
    return obj.axis_info[0].direction.lower() == "north"


def to_xy_order(xyz: np.ndarray, crs: str) -> tuple[np.ndarray, bool]:
    """Coordinates as read -> x = longitude first for latitude-first CRSs.

    Returns the array and whether the file's order was kept against its CRS (its first numbers are
    longitudes: out of the latitude range while the second ones fit), which the report notes.
    """
    if not len(xyz) or not latitude_first(crs):
        return xyz, False
    first, second = xyz[:, 0], xyz[:, 1]
    if (np.abs(first) > 90).any() and (np.abs(second) <= 90).all():
        return xyz, True
    return xyz[:, [1, 0, 2]], False


def reproject(xyz: np.ndarray, src: str, dst: str) -> np.ndarray:
    """x/y from ``src`` into ``dst`` (both in x = easting/longitude order); z kept."""
    if src == dst or not len(xyz):
        return xyz
    x, y = transform_xy(xyz[:, 0], xyz[:, 1], src, dst)
    return np.column_stack([x, y, xyz[:, 2]])
