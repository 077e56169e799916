"""CRS notations found in city data, the project CRS rule, and Korean CRS round trips."""

from __future__ import annotations

import numpy as np
import pytest

from twin.crs import choose_project_crs, is_geographic, normalize_crs, transform_xy


@pytest.mark.parametrize(
    "text, expected",
    [
        ("EPSG:5186", "EPSG:5186"),
        ("epsg:5179", "EPSG:5179"),
        ("5181", "EPSG:5181"),
        ("urn:ogc:def:crs:EPSG::7415", "EPSG:7415"),
        ("urn:ogc:def:crs:EPSG:0:2056", "EPSG:2056"),
        ("https://www.opengis.net/def/crs/EPSG/0/7415", "EPSG:7415"),
        ("http://www.opengis.net/def/crs/EPSG/0/6677", "EPSG:6677"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"),
        (None, None),
        ("", None),
    ],
)
def test_normalize_notations(text, expected):
    assert normalize_crs(text) == expected


def test_unknown_crs_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown CRS"):
        normalize_crs("EPSG:999999")


@pytest.mark.parametrize(
    "lon, lat, expected",
    [(127.27, 36.49, "EPSG:5186"), (128.9, 35.2, "EPSG:5186"), (4.36, 52.0, "EPSG:32631"),
     (8.54, 47.37, "EPSG:32632"), (139.7, 35.7, "EPSG:32654"), (-122.4, 37.7, "EPSG:32610"), (151.2, -33.9, "EPSG:32756")],
)
def test_project_crs_rule(lon, lat, expected):
    assert choose_project_crs(lon, lat) == expected


@pytest.mark.parametrize("code", ["EPSG:5186", "EPSG:5179", "EPSG:5181", "EPSG:5174"])
def test_korean_crs_round_trip(code):
    lon, lat = np.array([127.0276, 129.0756]), np.array([37.4979, 35.1796])  # Gangnam, Busan
    x, y = transform_xy(lon, lat, "EPSG:4326", code)
    back_lon, back_lat = transform_xy(x, y, code, "EPSG:4326")
    assert np.allclose(back_lon, lon, atol=1e-7) and np.allclose(back_lat, lat, atol=1e-7)
    assert not is_geographic(code)


def test_compound_crs_reprojects_horizontally():
    # RD New + NAP (CityJSON from the Netherlands): Delft's centre lands in UTM 31N near 4.36E
    x, y = transform_xy(np.array([85000.0]), np.array([447000.0]), "EPSG:7415", "EPSG:4326")
    assert 4.3 < x[0] < 4.4 and 51.9 < y[0] < 52.1


def test_reprojection_from_many_threads_uses_objects_of_their_own():
    import concurrent.futures

    lon, lat = np.linspace(126.9, 127.1, 1000), np.linspace(37.4, 37.6, 1000)
    expected = transform_xy(lon, lat, "EPSG:4326", "EPSG:5186")

    def work(_):
        return transform_xy(lon, lat, "EPSG:4326", "EPSG:5186")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for x, y in pool.map(work, range(16)):
            assert np.array_equal(x, expected[0]) and np.array_equal(y, expected[1])
