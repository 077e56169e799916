"""When each feature of a layer was completed or installed: the years the stage lens filters by.

A layer names its column in ``properties["built_year"]`` (an empty string turns the filter off); otherwise the
first column with a known name is used (``준공연도``, ``사용승인일``, ``yearOfConstruction``...). Values may be
years (2004), dates in a number (20040315, 200403), dates or timestamps, or text containing a year
(``"2004-03-15"``, ``"2004년 3월"``); anything else counts as unknown (NaN) and is never hidden.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twin.store.identifiers import quote, table_ref
from twin.store.project import LayerInfo

#: column names read as a completion or install year, in order of preference (lower case compared)
YEAR_COLUMNS = (
    "준공연도", "준공년도", "준공일", "준공일자", "사용승인연도", "사용승인년도", "사용승인일", "사용승인일자", "건축연도",
    "건축년도", "건립연도", "설치연도", "설치년도", "설치일", "설치일자", "매설연도", "매설년도",
    "completion_year", "year_completed", "year_built", "built_year", "yearofconstruction", "construction_year",
    "install_year", "installed_year", "year_installed",
)


def year_column(reader, layer: LayerInfo) -> str | None:
    """The column of ``layer``'s feature table holding completion years, or None."""
    declared = (layer.properties or {}).get("built_year")
    columns = [row[0] for row in reader.rows(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [layer.table_name])]
    if isinstance(declared, str):
        return declared if declared in columns else None
    lower = {c.lower(): c for c in reversed(columns)}
    return next((lower[name] for name in YEAR_COLUMNS if name in lower), None)


def built_years(reader, layer: LayerInfo) -> tuple[np.ndarray, np.ndarray] | None:
    """(fids, years as float with NaN for unknown) of a layer's features, or None when it has no year column."""
    column = year_column(reader, layer)
    if column is None:
        return None
    table = reader.query(f"SELECT fid, {quote(column)} AS y FROM {table_ref(layer.table_name)}")
    fids = table.column("fid").to_numpy(zero_copy_only=False).astype(np.int64)
    return fids, to_years(table.column("y"))


def to_years(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Years as float64 (NaN where none can be read) from numbers, dates, timestamps or text; vectorised."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    kind = values.type
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return pc.year(values).to_numpy(zero_copy_only=False).astype(np.float64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        found = pc.extract_regex(values, r"(?P<y>(?:1[89]|20)\d{2})")
        values = pc.cast(pc.struct_field(found, [0]), pa.float64())
        return _plausible(values.to_numpy(zero_copy_only=False).astype(np.float64))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        numbers = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            digits = np.floor(np.log10(np.abs(numbers))) + 1
            numbers = np.where(digits > 4, np.floor(numbers / 10.0 ** (digits - 4)), numbers)  # 20040315 -> 2004
        return _plausible(numbers)
    return np.full(len(values), np.nan)


def _plausible(years: np.ndarray) -> np.ndarray:
    """Years outside 1800-2100 are unknown (a storey count in the wrong column is not a year)."""
    with np.errstate(invalid="ignore"):
        return np.where((years >= 1800) & (years <= 2100), years, np.nan)
