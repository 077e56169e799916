"""Column types of text tables: integers, decimals, booleans, dates and times, else text.

Like pyarrow's or pandas' inference, with two differences that matter for city data: codes with
leading zeros (``05554`` postcodes, ``0012`` station ids) stay text, and integers too long for
int64 stay text. Inference is one vectorised cast per column and candidate type.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SAMPLE = 1000
_LEADING_ZERO = r"^[+-]?0\d"
_DIGITS = r"^[+-]?\d+$"
_DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_DECIMAL_COMMA = r"^[+-]?\d+(,\d+)?$"
_BOOLEAN = r"^(?i:true|false)$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$"


def _cast(values: pa.Array, type_: pa.DataType) -> pa.Array | None:
    try:
        return pc.cast(values, type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


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
    sample = present.take(pa.array(np.unique(np.linspace(0, len(present) - 1, min(len(present), _SAMPLE)).astype(np.int64))))

    def fits(pattern: str) -> bool:  # the sample first: most text columns fail it at once
        return _all(sample, pattern) and _all(present, pattern)

    numeric = _all(sample, _DECIMAL) or (decimal_comma and _all(sample, _DECIMAL_COMMA))
    if numeric:  # one vectorised cast decides; regular expressions only for leading zeros
        leading_zero = bool(pc.any(pc.match_substring_regex(present, _LEADING_ZERO)).as_py())
        if _all(sample, _DIGITS):
            if _cast(present, pa.int64()) is not None:
                return pc.if_else(blank, null, column) if leading_zero else pc.cast(empty_to_null, pa.int64())
            if _all(present, _DIGITS):  # codes longer than int64
                return pc.if_else(blank, null, column)
        if not leading_zero:
            decimals = empty_to_null if not decimal_comma else pc.replace_substring(empty_to_null, ",", ".")
            floats = _cast(decimals, pa.float64())
            if floats is not None:
                return floats
        return pc.if_else(blank, null, column)
    if fits(_BOOLEAN):
        return pc.equal(pc.utf8_lower(empty_to_null), "true")
    if fits(_DATE):
        try:
            return pc.cast(pc.strptime(empty_to_null, format="%Y-%m-%d", unit="s"), pa.date32())
        except pa.ArrowInvalid:
            pass  # an impossible day such as 2019-02-30: keep the text
    if fits(_DATETIME):
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
