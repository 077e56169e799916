"""Sources cut into chunks of rows, each read on a worker by the project's own importer.

A chunk is read with exactly the code ``twin import`` runs (:func:`twin.io.importing.read_file`, the
importer the registry chooses), so a building's attributes, height and LoD1 block are the ones an import
makes. GDAL vector files with one layer and GeoParquet files are cut into chunks of ``chunk_rows``
features (``skip_features``/``max_features`` in ``ImportOptions.extra``, honoured by the vector importer);
other formats (CSV, CityJSON, FCD...) are read one file per task.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

from twin.errors import InputError, TwinError
from twin.io.importing import check_readable, choose_importer, read_file, sha256_of
from twin.io.options import ImportOptions
from twin.layerdata import LayerData

#: importers whose files can be read in chunks of rows
CHUNKED_IMPORTERS = ("vector",)
_FEATURE = re.compile(r"^feature (\d+)$")


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Rows ``skip`` .. ``skip + count`` of source number ``source`` (``skip`` None: the whole file)."""

    index: int
    source: int
    path: str
    importer: str
    skip: int | None = None
    count: int | None = None


def plan_chunks(paths: list[str | pathlib.Path], *, chunk_rows: int = 50_000,
                importer: str | None = None) -> tuple[list[Chunk], list[dict]]:
    """The chunks of ``paths`` in order, and one provenance entry per source (path, sha256, rows)."""
    chunks: list[Chunk] = []
    sources: list[dict] = []
    for number, raw in enumerate(paths):
        path = pathlib.Path(raw)
        check_readable(path)
        if path.is_dir():
            raise InputError(path, "is a folder: give the files (e.g. data/*.gpkg)")
        chosen = choose_importer(path, importer=importer)
        rows = _row_count(path) if chosen.id in CHUNKED_IMPORTERS else None
        sources.append({"path": str(path.resolve()), "sha256": sha256_of(path), "rows": rows,
                        "importer": chosen.id})
        if rows is None:
            chunks.append(Chunk(len(chunks), number, str(path), chosen.id))
            continue
        for skip in range(0, max(rows, 1), chunk_rows):
            chunks.append(Chunk(len(chunks), number, str(path), chosen.id, skip, chunk_rows))
    return chunks, sources


def _row_count(path: pathlib.Path) -> int | None:
    """Feature count of a one-layer GDAL file or a GeoParquet file; None when it must be read whole."""
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception as exc:
            raise InputError(path, f"not a readable Parquet file: {exc}") from None
    import pyogrio

    if path.suffix.lower() in (".geojson", ".json"):
        return None  # GDAL parses a GeoJSON file from its start for every chunk: read it whole, once
    try:
        layers = [name for name, gtype in pyogrio.list_layers(path) if gtype is not None]
        if len(layers) != 1:
            return None
        count = pyogrio.read_info(path, layer=layers[0], force_feature_count=True)["features"]
    except Exception as exc:
        raise InputError(path, f"GDAL cannot open it: {str(exc).splitlines()[0]}") from None
    return int(count) if count is not None and count >= 0 else None


def read_chunk(chunk: Chunk, options: ImportOptions) -> list[LayerData]:
    """Read one chunk with its importer (on a worker).

    Errors come back as plain :class:`TwinError` (one line naming the file), which pickles across processes.
    """
    opts = dataclasses.replace(options, extra=dict(options.extra), progress=None, cancelled=None)
    opts.extra["stream"] = False  # the importers' streaming is for writing into a project; a task wants its rows
    if chunk.skip is not None:
        opts.extra.update(skip_features=chunk.skip, max_features=chunk.count)
    try:
        _, datas = read_file(chunk.path, opts, importer=chunk.importer)
    except InputError as exc:
        if chunk.skip and exc.reason.startswith("no usable feature"):
            return []  # a later chunk whose rows are all bad: counted by the chunks that read them
        raise TwinError(str(exc)) from None
    except TwinError as exc:
        raise TwinError(str(exc)) from None
    return datas  # skipped rows are numbered in the chunk: renumber_skips once the chunk is cleaned


def renumber_skips(data: LayerData, offset: int) -> None:
    """``feature N`` of a chunk -> ``feature N + offset`` (the row in the whole file)."""
    for item in data.report.skipped:
        match = _FEATURE.match(item.where)
        if match:
            item.where = f"feature {int(match.group(1)) + offset}"

