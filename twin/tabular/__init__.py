"""Tabular text files as city data: encodings, CSV rows with line numbers, column types,
coordinate columns found by name (English and Korean) and coordinate checks.

Qt-free and importer-neutral: the CSV points importer and the track/event importers share it
(through :mod:`twin.api`). See docs/importers.md for the detection rules.
"""

from twin.tabular.columns import CoordinateColumns, find_coordinate_columns, find_named_column
from twin.tabular.coords import PROBLEMS, PointCheck, check_points, looks_geographic, parse_numbers
from twin.tabular.csvtable import NOT_A_TABLE, CsvTable, read_csv_head, read_csv_table
from twin.tabular.encoding import DecodedText, codec_for, decode_text, normalise_newlines
from twin.tabular.korean import (
    KOREAN_CRS,
    SUMMARY_LABELS,
    contains_hangul,
    korean_crs_candidates,
    normalise_name,
    summary_rows,
)
from twin.tabular.types import infer_column, infer_types

__all__ = [
    "KOREAN_CRS",
    "NOT_A_TABLE",
    "PROBLEMS",
    "SUMMARY_LABELS",
    "CoordinateColumns",
    "CsvTable",
    "DecodedText",
    "PointCheck",
    "check_points",
    "codec_for",
    "contains_hangul",
    "decode_text",
    "find_coordinate_columns",
    "find_named_column",
    "infer_column",
    "infer_types",
    "korean_crs_candidates",
    "looks_geographic",
    "normalise_name",
    "normalise_newlines",
    "parse_numbers",
    "read_csv_head",
    "read_csv_table",
    "summary_rows",
]
