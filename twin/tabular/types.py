"""Column types of text tables: integers, decimals, booleans, dates and times, else text.

Like pyarrow's or pandas' inference, with two differences that matter for city data: codes with
leading zeros (``05554`` postcodes, ``0012`` station ids) stay text, and integers too long for
int64 stay text. Inference is one vectorised cast per column and candidate type.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_LEADING_ZERO = r"^[+-]?0\d"
_INTEGER = r"^[+-]?\d{1,18}$"
_DIGITS = r"^[+-]?\d+$"
_DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_DECIMAL_COMMA = r"^[+-]?\d+(,\d+)?$"
_BOOLEAN = r"^(?i:true|false)$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$"


def _all(values: pa.Array, pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(values, pattern)).as_py())


def infer_column(
    column: pa.Array | pa.ChunkedArray, *, timezone: str | None = None, decimal_comma: bool = False
) -> pa.Array | pa.ChunkedArray:
    """A text column converted to the narrowest type that holds all its non-empty values.

    Datetimes without an offset are read in ``timezone`` and stored as UTC when it is given (else
    kept naive). With ``decimal_comma`` (semicolon-separated files), ``56,15`` is a decimal. Empty and
    blank cells become nulls; text columns keep their values unchanged.
    """
    if not pa.types.is_string(column.type):
        return column
    trimmed = pc.utf8_trim_whitespace(column)
    blank = pc.equal(trimmed, "")
    null = pa.scalar(None, pa.string())
    empty_to_null = pc.if_else(blank, null, trimmed)
    present = pc.drop_null(empty_to_null)
    if len(present) == 0:
        return pc.if_else(blank, null, column)
    leading_zero = bool(pc.any(pc.match_substring_regex(present, _LEADING_ZERO)).as_py())
    if _all(present, _DIGITS):  # codes: integers unless a leading zero or a length beyond int64 says text
        if not leading_zero and _all(present, _INTEGER):
            return pc.cast(empty_to_null, pa.int64())
        return pc.if_else(blank, null, column)
    if not leading_zero and _all(present, _DECIMAL):
        return pc.cast(empty_to_null, pa.float64())
    if decimal_comma and not leading_zero and _all(present, _DECIMAL_COMMA):
        return pc.cast(pc.replace_substring(empty_to_null, ",", "."), pa.float64())
    if _all(present, _BOOLEAN):
        return pc.equal(pc.utf8_lower(empty_to_null), "true")
    if _all(present, _DATE):
        try:
            return pc.cast(pc.strptime(empty_to_null, format="%Y-%m-%d", unit="s"), pa.date32())
        except pa.ArrowInvalid:
            pass  # an impossible day such as 2019-02-30: keep the text
    if _all(present, _DATETIME):
        try:
            stamps = pc.cast(pc.replace_substring(empty_to_null, "T", " "), pa.timestamp("us"))
        except pa.ArrowInvalid:
            stamps = None
        if stamps is not None:
            if timezone:
                stamps = pc.cast(pc.assume_timezone(stamps, timezone=timezone, ambiguous="earliest",
                                                    nonexistent="earliest"), pa.timestamp("us", tz="UTC"))
            return stamps
    return pc.if_else(blank, null, column)


def infer_types(
    table: pa.Table, *, keep_text: tuple[str, ...] = (), timezone: str | None = None, decimal_comma: bool = False
) -> pa.Table:
    """:func:`infer_column` on every column of ``table`` except ``keep_text``."""
    columns = [table.column(n) if n in keep_text
               else infer_column(table.column(n), timezone=timezone, decimal_comma=decimal_comma)
               for n in table.column_names]
    return pa.table(columns, names=table.column_names)
