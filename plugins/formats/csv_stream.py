"""A CSV of points read in chunks of rows (a :class:`~twin.api.LayerStream`): only one block of the file
is in memory at a time.

The file is cut into blocks of about ``chunk_rows`` records at record ends (a newline outside double
quotes, so quoted line breaks stay inside their record); each block is read with the file's header by
the whole-file code (:func:`csv_layers`), and its line numbers are moved to the block's place in the
file. The CRS is decided on the first chunk and kept for the others. UTF-16 files and files with old
Mac line ends (CR only) are read whole (``None``).
"""

from __future__ import annotations

import codecs
import dataclasses
import pathlib
from collections.abc import Iterator

import numpy as np

from twin.api import ImportOptions, InputError, LayerData, LayerStream, chunk_rows, read_csv_table

SAMPLE = 1 << 20


def stream_csv_points(path: pathlib.Path, options: ImportOptions) -> LayerStream | None:
    """The CSV's layers, a first chunk now and the rest while writing; ``None``: read it whole."""
    from twin_plugins.formats.csv_points import csv_layers

    with open(path, "rb") as fh:
        head = fh.read(SAMPLE)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    end = head.find(b"\n")
    if end < 0 or (b"\r" in head and b"\r\n" not in head):
        return None
    header = head[: end + 1]
    body = head[end + 1:]
    rows = chunk_rows(options)
    block = max(4096, int(len(body) / max(body.count(b"\n"), 1) * rows))
    blocks = _blocks(path, len(header), block)
    first_block = next(blocks, None)
    if first_block is None:
        return None

    def read(line: int, data: bytes, opts: ImportOptions) -> list[LayerData]:
        csv = read_csv_table(path, encoding=opts.encoding, data=header + data)
        shift = line - 2  # the block's first record is on file line `line`, read as line 2
        if shift:
            csv = dataclasses.replace(csv, lines=csv.lines + shift,
                                      bad_rows=[(n + shift if n else n, why) for n, why in csv.bad_rows])
        return csv_layers(path, csv, opts)

    first = read(*first_block, options)
    for data in first:
        data.report.detected["read"] = f"in chunks of about {rows} rows"
    crs = first[0].crs
    later = dataclasses.replace(options, crs=crs, progress=None)

    def rest() -> Iterator[list[LayerData]]:
        for line, data in blocks:
            try:
                yield read(line, data, later)
            except InputError as exc:
                if "no usable" not in exc.reason and "no data rows" not in exc.reason:
                    raise
                last = line + data.count(b"\n") - 1
                first[0].report.note(f"lines {line}-{last}: {exc.reason}")

    return LayerStream(first=first, rest=rest())


def _blocks(path: pathlib.Path, start: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(file line of the first record, bytes) of blocks of about ``size`` bytes that end at a record end."""
    line = 2
    carry = b""
    with open(path, "rb") as fh:
        fh.seek(start)
        while True:
            chunk = fh.read(size)
            buf = carry + chunk if carry else chunk
            if not chunk:
                if buf.strip():
                    yield line, buf
                return
            cut = _record_end(buf)
            if cut <= 0:
                carry = buf
                continue
            out, carry = buf[:cut], buf[cut:]
            if out.strip():
                yield line, out
            line += out.count(b"\n")


def _record_end(buf: bytes) -> int:
    """Index just after the last newline that is outside double quotes (0: none)."""
    b = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    if not len(nl):
        return 0
    quotes = np.flatnonzero(b == 34)
    outside = nl[(np.searchsorted(quotes, nl) % 2) == 0] if len(quotes) else nl
    return int(outside[-1]) + 1 if len(outside) else 0
