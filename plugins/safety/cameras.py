"""CCTV cameras in CSV (coordinates plus view direction, field of view, range) as a ``cctv`` layer.

Which files: a CSV with coordinate columns and camera columns (names compared case-folded): one that only
camera registers use (``direction_deg``, ``촬영방향``, ``fov_deg``, ``화각``, ``range_m``, ``감시거리``...), or a
generic direction (``방향``, ``direction``, ``azimuth``) with a field of view or a range:

| role | columns | unit, default |
| --- | --- | --- |
| view direction | ``direction_deg``, ``direction``, ``azimuth``, ``방향``, ``촬영방향``, ``방향각``, ``방위각`` | compass degrees, 0 = north, clockwise; ``N``/``북동``... read as 0/45...; none: a dome |
| field of view | ``fov_deg``, ``fov``, ``화각``, ``시야각`` | degrees, 0-360; default 60 |
| range | ``range_m``, ``range``, ``감시거리``, ``촬영거리`` | metres, up to 2 km; default 40 |

or a CSV with coordinates whose file name says CCTV (``*cctv*``, ``*씨씨티비*``, ``*방범카메라*``), such as
the Osan camera list: its cameras have no direction and are drawn as domes.

Reading is the generic points reader of the twin-formats plugin (:func:`twin_plugins.formats.csv_points.
read_csv_points`, on the core's ``twin.tabular``): encodings, coordinate columns by name, swapped and
impossible coordinates skipped by line, summary rows. This module only turns the points into cameras: the
camera columns are parsed to numbers (stored as float64, null where missing or unusable), each unusable
value is counted in a note with examples (the camera stays, with the default or as a dome), and
``properties["camera"]`` names the columns and the defaults the visual uses.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa

from twin.api import (NOT_A_TABLE, ImportOptions, InputError, LayerData, find_coordinate_columns, find_named_column,
                      parse_numbers, read_csv_head)
from twin_plugins.formats.csv_points import read_csv_points

DIRECTION_NAMES = ("direction_deg", "direction", "azimuth", "방향", "촬영방향", "방향각", "방위각", "촬영방향각")
FOV_NAMES = ("fov_deg", "fov", "field_of_view", "화각", "시야각")
RANGE_NAMES = ("range_m", "range", "감시거리", "촬영거리", "감시범위")
#: the camera's height above the ground (m): drawn, not evidence that a file holds cameras
HEIGHT_NAMES = ("height_m", "설치높이", "camera_height", "mount_height")
#: column names that only camera registers use: one of them makes a CSV with coordinates a camera table
CAMERA_ONLY_NAMES = ("direction_deg", "촬영방향", "촬영방향각", "fov_deg", "field_of_view", "화각", "시야각", "range_m",
                     "감시거리", "촬영거리", "감시범위")
NAME_WORDS = ("cctv", "씨씨티비", "방범카메라")
DEFAULT_FOV = 60.0
DEFAULT_RANGE = 40.0
MAX_RANGE = 2000.0
#: compass words (English and Korean) -> degrees clockwise from north
COMPASS = {
    "n": 0, "nne": 22.5, "ne": 45, "ene": 67.5, "e": 90, "ese": 112.5, "se": 135, "sse": 157.5, "s": 180,
    "ssw": 202.5, "sw": 225, "wsw": 247.5, "w": 270, "wnw": 292.5, "nw": 315, "nnw": 337.5,
    "north": 0, "northeast": 45, "east": 90, "southeast": 135, "south": 180, "southwest": 225, "west": 270,
    "northwest": 315, "북": 0, "북동": 45, "동": 90, "남동": 135, "남": 180, "남서": 225, "서": 270, "북서": 315,
    "북쪽": 0, "북동쪽": 45, "동쪽": 90, "남동쪽": 135, "남쪽": 180, "남서쪽": 225, "서쪽": 270, "북서쪽": 315,
}


def camera_columns(names: list[str]) -> dict[str, str | None]:
    """The camera columns among ``names``: ``{"direction": ..., "fov": ..., "range": ...}`` (None when absent)."""
    return {"direction": find_named_column(names, DIRECTION_NAMES), "fov": find_named_column(names, FOV_NAMES),
            "range": find_named_column(names, RANGE_NAMES)}


def named_cctv(path: pathlib.Path) -> bool:
    """True when the file name says the rows are CCTV cameras."""
    name = pathlib.Path(path).name.lower()
    return any(word in name for word in NAME_WORDS)


def sniff(path: pathlib.Path) -> bool:
    """True for a CSV with coordinates and camera columns, or with coordinates and a CCTV file name."""
    path = pathlib.Path(path)
    try:
        names = read_csv_head(path).table.column_names
    except NOT_A_TABLE:  # not a CSV table: not ours, another importer says why
        return False
    if find_coordinate_columns(names) is None:
        return False
    return is_camera_table(names) or named_cctv(path)


def is_camera_table(names: list[str]) -> bool:
    """True when the columns say cameras: a camera-only name (촬영방향, 화각, fov_deg, 감시거리, range_m...), or a
    generic direction (방향, direction, azimuth) together with a field of view or a range. A direction alone
    is not enough: GPS fixes and bus routes have ``direction`` columns too."""
    if find_named_column(names, CAMERA_ONLY_NAMES):
        return True
    columns = camera_columns(names)
    return bool(columns["direction"] and (columns["fov"] or columns["range"]))


def read_cctv_csv(path: pathlib.Path, options: ImportOptions) -> LayerData | list[LayerData]:
    """Cameras as a ``cctv`` layer (see the module docstring); other geometry columns stay their own layers."""
    path = pathlib.Path(path)
    result = read_csv_points(path, options)
    layers = result if isinstance(result, list) else [result]
    points = next((layer for layer in layers if layer.kind == "points"), None)
    if points is None:
        raise InputError(path, "no coordinate columns for the cameras (name them with --x COLUMN --y COLUMN)")
    cameras = _cameras(path, points)
    out = [cameras if layer is points else layer for layer in layers]
    return out[0] if len(out) == 1 else out


def _cameras(path: pathlib.Path, points: LayerData) -> LayerData:
    table, report = points.features, points.report
    columns = camera_columns([c for c in table.column_names if c != "geometry"])
    direction = _values(table, columns["direction"], report, "direction", low=-360.0, high=360.0, compass=True)
    fov = _values(table, columns["fov"], report, "field of view", low=0.0, high=360.0, default=DEFAULT_FOV,
                  open_low=True)
    reach = _values(table, columns["range"], report, "range", low=0.0, high=MAX_RANGE, default=DEFAULT_RANGE,
                    open_low=True)
    if direction is not None:
        direction = np.where(np.isfinite(direction), np.mod(direction, 360.0), np.nan)
    for name, values in ((columns["direction"], direction), (columns["fov"], fov), (columns["range"], reach)):
        if name is not None:
            table = table.set_column(table.column_names.index(name), name, pa.array(values, from_pandas=True))
    directed = int(np.isfinite(direction).sum()) if direction is not None else 0
    report.detected.update({
        "camera columns": ", ".join(f"{role} {name}" for role, name in columns.items() if name) or
                          "none (a CCTV file name: cameras without direction, drawn as domes)",
        "cameras": f"{table.num_rows}: {directed} with a view direction, {table.num_rows - directed} drawn as domes",
    })
    properties = dict(points.properties)
    height = find_named_column([c for c in table.column_names if c != "geometry"], HEIGHT_NAMES)
    properties["camera"] = {**columns, "height": height, "default_fov_deg": DEFAULT_FOV, "default_range_m": DEFAULT_RANGE,
                            "direction_convention": "compass degrees, 0 = north, clockwise"}
    properties["source_format"] = "cctv-csv"
    return LayerData(kind="cctv", features=table, crs=points.crs, report=report, name="cameras",
                     properties=properties, feature_count=table.num_rows)


def _values(table: pa.Table, name: str | None, report, role: str, *, low: float, high: float,
            default: float | None = None, compass: bool = False, open_low: bool = False) -> np.ndarray | None:
    """A camera column as float64 (NaN where missing or unusable); unusable and missing values counted in notes."""
    if name is None:
        if default is not None:
            report.note(f"no {role} column: every camera drawn with {default:g}")
        return None
    column = table.column(name)
    values, missing, bad = parse_numbers(column)
    values = np.asarray(values, dtype=np.float64).copy()
    text = pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)
    if compass and bad.any():
        words = text[bad].astype(str).str.strip().str.lower().map(COMPASS)
        values[np.flatnonzero(bad)] = words.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = bad & ~np.isfinite(values)
        if words.notna().any():
            report.note(f"{int(words.notna().sum())} {role} value(s) in {name} written as compass words, read as degrees")
    outside = np.isfinite(values) & ((values <= low if open_low else values < low) | (values > high))
    unusable = (bad & ~missing) | outside
    if unusable.any():
        shown = [f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in text[unusable].unique()[:5]]
        examples = ", ".join(repr(v) for v in shown)
        what = f"drawn with {default:g}" if default is not None else "drawn as domes"
        report.note(f"{int(unusable.sum())} camera(s) with an unusable {role} in {name} ({examples}): {what}")
    values[unusable | missing] = np.nan
    if missing.any():
        what = f"drawn with {default:g}" if default is not None else "drawn as domes"
        report.note(f"{int(missing.sum())} camera(s) without a {role} in {name}: {what}")
    return values
