"""GeoParquet read in chunks of rows (a :class:`~twin.api.LayerStream`): only the row groups of a chunk
are in memory at a time. Each chunk is read by the whole-file reader (``vector._geoparquet``) on a row
range, so detection, CRS and footprint extrusion are the same; skipped rows keep their file row numbers."""

from __future__ import annotations

import dataclasses
import pathlib
import re

from twin.api import ImportOptions, InputError, LayerData, LayerStream, chunk_rows

_FEATURE = re.compile(r"^feature (\d+)$")


def stream_geoparquet(path: pathlib.Path, options: ImportOptions) -> LayerStream:
    """The file's layers: the first ``chunk_rows`` rows now, the others chunk by chunk while writing."""
    import pyarrow.parquet as pq

    from twin_plugins.formats.vector import _geoparquet

    try:
        total = pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:
        raise InputError(path, f"not a readable Parquet file: {exc}") from None
    rows = chunk_rows(options)

    def read(start: int) -> list[LayerData]:
        ranged = dataclasses.replace(options, extra={**options.extra, "skip_features": start, "max_features": rows})
        out = _geoparquet(path, ranged)
        out = out if isinstance(out, list) else [out]
        for data in out:
            for item in data.report.skipped:
                match = _FEATURE.match(item.where)
                if match and start:
                    item.where = f"feature {int(match.group(1)) + start}"
        return out

    first = read(0)
    for data in first:
        data.report.detected["read"] = f"in chunks of {rows} rows ({total} rows)"

    def rest():
        for start in range(rows, total, rows):
            try:
                yield read(start)
            except InputError as exc:
                if "no feature has a geometry" not in exc.reason:
                    raise
                first[0].report.note(f"rows {start + 1}-{min(start + rows, total)}: {exc.reason}")

    return LayerStream(first=first, rest=rest())
