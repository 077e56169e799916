"""What a time-stamped CSV holds: its time, id, value and coordinate columns, and which track kind it is.

Reading (encoding, delimiter, line ends, coordinate columns) is the core's ``twin.tabular``, shared
with the ``csv-points`` importer; this module only adds the roles that make a table a track:

- ``gps``: coordinates, a time column and an object id that repeats (a trajectory per object);
- ``events``: coordinates and a time column (one row per event, optional end column);
- ``sensors``: a time column, a sensor id and numbers, no coordinates (they come from the facility);
- ``segments``: a road link id and numbers (time optional), no coordinates.

A CSV with coordinates but no recognised time column is not a track: it stays with ``csv-points``.
Time columns are recognised by name *and* by content (80 % of the values parse as times), so a
facility list with an installation date (``startDate``) or the reference date of a standard dataset
(``데이터기준일자``) is not taken for events.
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twin.api import (NOT_A_TABLE, CsvTable, find_coordinate_columns, looks_like_times, normalise_name,
                      parse_numbers, read_csv_head, read_csv_table)

SNIFF_BYTES = 256 * 1024
# NOT_A_TABLE (twin.api) is what reading the head of a file that is not a CSV table of ours raises: the core's
# one-line InputError (empty, binary, undecodable, no header or data rows), the file system's OSError, and the
# parsers' own errors (a header field over the csv module's limit, pyarrow's CSV parser). Anything else is a bug
# and reaches the plugin registry, which disables the plugin and says why.

_TIME_NAMES = {"timestamp", "time", "datetime", "t", "date", "일시", "발생일시", "사고일시", "측정일시", "측정시간",
               "기준일시", "기준일자", "발생일자", "사고일자", "접수일시", "신고일시", "관측일시", "수집일시", "일자",
               "날짜", "recordedat", "observedat", "measuredat", "eventtime", "gpstime", "fixtime", "datetimeutc",
               "timestamputc", "reporttime", "collectedat"}
_TIME_SUFFIXES = ("일시", "시각", "timestamp", "datetime")  # 시각: clock time (측정시각, 발생시각)
_START_NAMES = {"start", "starttime", "startdatetime", "begin", "begintime", "시작", "시작일시", "시작시간", "시작시각",
                "공사시작일시", "통제시작일시", "from"}
_END_NAMES = {"end", "endtime", "enddatetime", "finish", "finishtime", "stop", "stoptime", "종료", "종료일시", "종료시간",
              "종료시각", "공사종료일시", "통제종료일시", "until", "to"}
#: object ids of trajectories, best first
_OBJECT_IDS = ("vehicleid", "vehicle", "vehicleref", "busid", "carid", "taxiid", "trackid", "deviceid", "objectid",
               "mmsi", "userid", "차량id", "차량번호", "차량", "단말기id", "id")
_SENSOR_IDS = ("sensorid", "sensor", "reportid", "stationid", "station", "deviceid", "device", "serial", "serialno",
               "detectorid", "detector", "siteid", "meterid", "시리얼", "센서id", "센서", "측정소", "측정소명", "관측소",
               "지점번호", "검지기id")
_LINK_IDS = ("linkid", "link", "segmentid", "segment", "edgeid", "edge", "roadid", "sectionid", "링크id", "링크아이디",
             "링크", "구간id", "도로구간id")
#: value columns preferred for colouring, best first
_VALUES = ("value", "avgspeed", "speed", "velocityavrg", "velocity", "meanspeed", "평균속도", "속도", "volume", "flow",
           "교통량", "vehiclecount", "count", "occupancy", "pm25", "pm10", "no2", "o3", "temperature", "기온", "level")


def key(name: str) -> str:
    """A column name reduced for matching: case-folded, NFC, without blanks, ``_``, ``-``, ``.``."""
    return re.sub(r"[\s_\-.()]+", "", normalise_name(name))


@dataclasses.dataclass
class Roles:
    """The columns of a CSV by role, and the track kind they make (None: not a track)."""

    kind: str | None
    time: str | None = None
    end: str | None = None
    object_id: str | None = None
    numbers: tuple[str, ...] = ()
    has_coordinates: bool = False


def _pick(names: list[str], wanted: tuple[str, ...]) -> str | None:
    keys = {key(n): n for n in reversed(names)}
    for w in wanted:
        if w in keys:
            return keys[w]
    return None


def time_columns(table: pa.Table) -> tuple[str | None, str | None]:
    """``(start, end)``: the time columns by name whose values parse as times (end may be None)."""
    names = table.column_names

    def usable(name: str) -> bool:
        return looks_like_times(table.column(name).combine_chunks(), min_share=0.6)

    start = next((n for n in names if key(n) in _START_NAMES and usable(n)), None)
    end = next((n for n in names if key(n) in _END_NAMES and usable(n)), None) if start else None
    if start is None:
        start = next((n for n in names if (key(n) in _TIME_NAMES or key(n).endswith(_TIME_SUFFIXES)) and usable(n)), None)
    return start, end


def number_columns(table: pa.Table, *, exclude: set[str]) -> tuple[str, ...]:
    """Columns whose non-empty values are all numbers, except ids, row indexes and ``exclude``."""
    out = []
    for name in table.column_names:
        k = key(name)
        if name in exclude or k.endswith("id") or k in ("", "unnamed0", "index", "fid", "연번", "순번", "번호") \
                or re.fullmatch(r"column\d+", k):
            continue
        values, missing, bad = parse_numbers(table.column(name))
        if (~missing).sum() and not bad.any():
            out.append(name)
    return tuple(out)


def preferred_value(numbers: tuple[str, ...]) -> str | None:
    """The number column that colours the map by default (a speed, a volume, a value...)."""
    return _pick(list(numbers), _VALUES) or (numbers[0] if numbers else None)


def classify(table: pa.Table) -> Roles:
    """The roles of a (sample of a) CSV table and its track kind (see the module docstring)."""
    names = table.column_names
    coords = find_coordinate_columns(names) is not None
    start, end = time_columns(table)
    if coords and start:
        obj = _pick(names, _OBJECT_IDS)
        if obj is not None:
            ids = pc.drop_null(table.column(obj).combine_chunks())
            if len(ids) and len(pc.unique(ids)) <= 0.5 * len(ids):
                return Roles("gps", start, None, obj, has_coordinates=True)
        return Roles("events", start, end, None, has_coordinates=True)
    if coords:
        return Roles(None, has_coordinates=True)
    link = _pick(names, _LINK_IDS)
    sensor = _pick(names, _SENSOR_IDS)
    exclude = {c for c in (start, end, link, sensor) if c}
    numbers = number_columns(table, exclude=exclude)
    if link and numbers:
        return Roles("segments", start, None, link, numbers)
    if sensor and start and numbers:
        return Roles("sensors", start, None, sensor, numbers)
    return Roles(None, start, end)


def head_table(path: pathlib.Path, *, encoding: str | None = None) -> CsvTable:
    """The first rows of a CSV (about 256 KB, cut at a line end) as text columns."""
    return read_csv_head(path, limit=SNIFF_BYTES, encoding=encoding)


@functools.lru_cache(maxsize=32)
def _sniffed(path: str, mtime: float, size: int) -> str | None:
    try:
        table = head_table(pathlib.Path(path)).table
    except NOT_A_TABLE:  # not a CSV table: not ours, another importer will say why
        return None
    return classify(table).kind  # no except: a failure here is a bug of ours, for the registry to report


def kind_of(path: pathlib.Path) -> str | None:
    """The track kind of a CSV file from its first rows (cached per file version), or None.

    None for a file that cannot be read as a CSV table (see :data:`NOT_A_TABLE`); other errors propagate.
    """
    path = pathlib.Path(path)
    try:
        stat = path.stat()
    except OSError:  # gone or unreadable: not ours
        return None
    return _sniffed(str(path.resolve()), stat.st_mtime, stat.st_size)


def sniff_gps(path: pathlib.Path) -> bool:
    return kind_of(path) == "gps"


def sniff_events(path: pathlib.Path) -> bool:
    return kind_of(path) == "events"


def sniff_segments(path: pathlib.Path) -> bool:
    return kind_of(path) == "segments"


def full_table(path: pathlib.Path, encoding: str | None) -> tuple[CsvTable, Roles]:
    """The whole CSV and its roles (classified on all rows)."""
    csv = read_csv_table(path, encoding=encoding)
    return csv, classify(csv.table)


def row_labels(csv: CsvTable, rows: np.ndarray | None = None) -> np.ndarray:
    """``line N`` labels of rows for the import report."""
    lines = csv.lines if rows is None else csv.lines[rows]
    return np.char.add("line ", lines.astype(str))
