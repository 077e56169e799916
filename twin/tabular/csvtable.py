"""Read a CSV file into an Arrow table of text, with the file line number of every row.

The parse is pyarrow's C++ reader (multi-threaded); this module adds what it does not know:
the encoding (:mod:`twin.tabular.encoding`), the delimiter, clean column names, rows with the
wrong number of fields (skipped with their line numbers), and the line where each row starts
(header = line 1; a record with a quoted line break counts from its first line).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from twin.errors import InputError
from twin.tabular.encoding import decode_text

DELIMITERS = (",", "\t", ";", "|")


@dataclasses.dataclass
class CsvTable:
    """A CSV file as Arrow text columns (empty cells are null) plus what was detected."""

    table: pa.Table  # every column pa.string()
    lines: np.ndarray  # (rows,) int64: file line number where each row starts (header = 1)
    encoding: str
    newline: str
    delimiter: str
    renamed: dict[str, str]  # header names that had to change (empty or repeated), original -> new
    bad_rows: list[tuple[int, str]]  # (line, reason) of rows with a wrong number of fields
    blank_rows: np.ndarray  # (rows,) bool: rows whose cells are all empty (separator rows such as ",,,")

    def detected(self) -> dict[str, str]:
        """The facts for ``ImportReport.detected``."""
        names = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
        return {"encoding": self.encoding, "delimiter": names.get(self.delimiter, self.delimiter),
                "line endings": self.newline}


def detect_delimiter(header: str, *, suffix: str = "") -> str:
    """The delimiter of a header line: tab for ``.tsv``, else the most frequent of , tab ; |."""
    if suffix.lower() == ".tsv":
        return "\t"
    counts = [(header.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] > 0 else ","


def clean_names(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Header names usable as columns: BOM and surrounding blanks removed, empty ones named
    ``column_N`` (1-based position), repeated ones suffixed ``_2``, ``_3``..."""
    out: list[str] = []
    renamed: dict[str, str] = {}
    for i, raw in enumerate(names):
        name = raw.replace("\ufeff", "").strip()
        if not name:
            name = f"column_{i + 1}"
        base, k = name, 2
        while name in out:
            name, k = f"{base}_{k}", k + 1
        if name != raw:
            renamed[raw] = name
        out.append(name)
    return out, renamed


def record_lines(data: bytes) -> tuple[np.ndarray, bool]:
    """1-based line numbers where non-blank CSV records start, and whether any quoted field spans lines.

    A newline inside double quotes does not start a record (quote parity, vectorised)."""
    b = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    quotes = np.flatnonzero(b == 34)
    inside = (np.searchsorted(quotes, nl) % 2) == 1 if len(quotes) else np.zeros(len(nl), dtype=bool)
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(b)]])
    length = ends - starts
    first = b[np.minimum(starts, max(len(b) - 1, 0))] if len(b) else np.zeros(len(starts), np.uint8)
    blank = (length == 0) | ((length == 1) & (first == 13))
    begins = np.concatenate([[True], ~inside])
    return np.flatnonzero(begins & ~blank).astype(np.int64) + 1, bool(inside.any())


#: what an importer's sniff takes as "not a CSV table, not mine" (another importer says why)
NOT_A_TABLE = (InputError, OSError, UnicodeDecodeError, csv.Error, pa.ArrowInvalid)


def read_csv_head(path: str | pathlib.Path, *, limit: int = 64 * 1024, encoding: str | None = None) -> CsvTable:
    """The first rows of a CSV (its first ``limit`` bytes, cut at a line end) as text columns, for sniffing."""
    with open(path, "rb") as fh:
        data = fh.read(limit)
        more = fh.read(1)
    if more and b"\n" in data:
        data = data[: data.rfind(b"\n") + 1]
    return read_csv_table(path, encoding=encoding, data=data)


def read_csv_table(path: str | pathlib.Path, *, encoding: str | None = None, data: bytes | None = None) -> CsvTable:
    """Read ``path`` (or ``data``) as a CSV of text columns. Raises :class:`InputError` for an empty or
    binary file, undecodable text, or a file without a header and data rows."""
    path = pathlib.Path(path)
    raw = path.read_bytes() if data is None else data
    if not raw or raw.isspace():  # isspace stops at the first other byte: no copy of a large file
        raise InputError(path, "the file is empty")
    text = decode_text(raw, path=path, encoding=encoding)
    body = text.data
    if not body or body.isspace():
        raise InputError(path, "the file is empty (no text after its byte-order mark)")
    header_end = body.find(b"\n")
    header_line = (body if header_end < 0 else body[:header_end]).decode("utf-8").rstrip("\r")
    delimiter = detect_delimiter(header_line, suffix=path.suffix)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a header field longer than the csv module's limit
        raise InputError(path, f"cannot read the header: {exc}", where="line 1") from None
    names, renamed = clean_names(header)
    if len(names) < 2:
        raise InputError(path, f"not a CSV table: the first line has {len(names)} column(s)", where="line 1")
    starts, multiline = record_lines(body)
    invalid: list[tuple[int | None, str]] = []

    def on_invalid(row) -> str:
        invalid.append((row.number, f"{row.actual_columns} field(s) instead of {row.expected_columns}"))
        return "skip"

    def parse(threads: bool) -> pa.Table:
        return pcsv.read_csv(
            io.BytesIO(body),
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads, block_size=8 << 20),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=multiline,
                                             invalid_row_handler=on_invalid),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=True, quoted_strings_can_be_null=True),
        )

    try:
        table = parse(True)
        if invalid:
            invalid.clear()
            table = parse(False)  # single-threaded, the reader numbers the bad rows
    except pa.ArrowInvalid as exc:
        raise InputError(path, f"cannot be read as CSV: {exc}") from None
    bad_records = {number for number, _ in invalid if number}
    keep = np.ones(len(starts), dtype=bool)
    keep[0] = False  # the header
    for number in bad_records:
        if 0 < number <= len(starts):
            keep[number - 1] = False
    lines = starts[keep]
    if len(lines) != table.num_rows:  # stray quotes confuse the parity count: number by position
        lines = np.arange(table.num_rows, dtype=np.int64) + 2
    bad_rows = [(int(starts[n - 1]) if n and n <= len(starts) else 0, reason) for n, reason in invalid]
    if table.num_rows == 0 and not bad_rows:
        raise InputError(path, "no data rows under the header")
    return CsvTable(table=table, lines=lines, encoding=text.encoding, newline=text.newline, delimiter=delimiter,
                    renamed=renamed, bad_rows=bad_rows, blank_rows=_blank_rows(table))


def _blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose cells are all empty (the reader made empty cells null; a null bitmap AND per column)."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        if column.null_count == 0:
            return np.zeros(table.num_rows, dtype=bool)
        blank &= pc.is_null(column).to_numpy(zero_copy_only=False)
    return blank
