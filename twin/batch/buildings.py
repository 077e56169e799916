"""``twin batch buildings``: footprint files -> LoD1 rows -> a dataset partitioned by tile, on Dask.

The graph, with the data staying on the workers (only counts and schemas come back to the client):

1. per chunk: read it with the project's importer and clean it (:func:`twin.batch.rows.prepare`);
2. the client chooses the dataset CRS (``--crs``, else as a project would from the data's centre);
3. per chunk: reproject, skip what does not reproject, build the rows (:func:`twin.batch.rows.to_rows`);
4. the client numbers the rows (fid = rows of the chunks before + row) and unifies the schemas;
5. per chunk: number, conform and split by tile (:func:`twin.batch.rows.split_tiles`): the shuffle;
6. per tile: gather its pieces from every chunk and write ``tile=<ix>_<iy>/part-<n>.parquet``;
7. the manifest, last, then the folder is renamed into place (:func:`twin.io.atomic.atomic_path`).
"""

from __future__ import annotations

import dataclasses
import operator
import pathlib
import re
import time
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa

from twin.batch import dataset, rows, sources
from twin.batch.cluster import Progress, split_results, wait_all
from twin.crs import is_projected_metric, normalize_crs
from twin.errors import TwinError
from twin.io.atomic import atomic_path
from twin.io.options import ImportOptions

MAX_TILE_M = 1000.0
_COUNTED = re.compile(r"^(\d+) (.*)$")
GEOMETRY_TYPES = {3: "Polygon", 6: "MultiPolygon"}  # WKB type codes -> GeoParquet names


@dataclasses.dataclass
class BatchResult:
    """What a batch run wrote and skipped."""

    out: pathlib.Path
    manifest: dict
    skipped: Counter  # reason -> rows
    examples: dict  # reason -> first places
    notes: list[str]
    seconds: float

    def summary(self) -> str:
        m = self.manifest
        kind = "building(s)" if m["kind"] == "buildings" else f"object(s), {m['sample_count']} sample(s)"
        lines = [f"{self.out}: {m['feature_count']} {kind} in {len(m['partitions'])} file(s), "
                 f"skipped {sum(self.skipped.values())} row(s), {self.seconds:.1f} s"]
        for reason, count in self.skipped.most_common():
            lines.append(f"  skipped {count}: {reason} ({', '.join(self.examples[reason])}"
                         f"{', ...' if count > len(self.examples[reason]) else ''})")
        lines += [f"  note: {text}" for text in self.notes]
        return "\n".join(lines)


def skip_counts(metas: list[dict], sources_list: list[dict], chunk_source: list[int]) -> tuple[Counter, dict]:
    counts: Counter = Counter()
    examples: dict[str, list[str]] = {}
    for meta, source in zip(metas, chunk_source):
        name = pathlib.Path(sources_list[source]["path"]).name
        for where, reason in meta["skipped"]:
            counts[reason] += 1
            shown = examples.setdefault(reason, [])
            if len(shown) < 5:
                shown.append(f"{name}: {where}")
    return counts, examples


def count_sources(source_list: list[dict], chunks: list, metas_a: list[dict], metas_b: list[dict]) -> None:
    """Per source: ``features`` written, and ``rows`` read when the file did not say (written + skipped)."""
    written, skipped = [0] * len(source_list), [0] * len(source_list)
    for chunk, a, b in zip(chunks, metas_a, metas_b):
        written[chunk.source] += b["rows"]
        skipped[chunk.source] += len(a["skipped"]) + len(b["skipped"])
    for source, w, k in zip(source_list, written, skipped):
        source.pop("importer", None)
        source["features"] = w
        if source["rows"] is None:
            source["rows"] = w + k


def merge_notes(notes: list[str]) -> list[str]:
    """The chunks' notes once each; ``"N building(s) ..."`` notes of several chunks summed."""
    sums: dict[str, int] = {}
    for text in notes:
        match = _COUNTED.match(text)
        key, n = (match.group(2), int(match.group(1))) if match else (text, 0)
        sums[key] = sums.get(key, 0) + n
    return [f"{n} {key}" if n else key for key, n in sums.items()]


def _visible(schema: pa.Schema) -> pa.Schema:
    """A chunk's schema without the hidden tile keys."""
    return pa.schema([f for f in schema if not f.name.startswith("__")])


def batch_buildings(client: Any, paths: list[str | pathlib.Path], out: str | pathlib.Path, *,
                    crs: str | None = None, options: ImportOptions | None = None, tile_size: float = 1000.0,
                    chunk_rows: int = 50_000, max_rows_per_file: int = 200_000,
                    progress: Progress | None = None) -> BatchResult:
    """Run the buildings pipeline on ``client``'s cluster and write the dataset at ``out``."""
    start = time.monotonic()
    if not 0 < tile_size <= MAX_TILE_M:
        raise TwinError(f"--tile-size must be in (0, {MAX_TILE_M:g}] metres, not {tile_size:g}")
    if crs is not None:
        crs = normalize_crs(crs)
        if not is_projected_metric(crs):
            raise TwinError(f"--crs {crs}: the dataset needs a projected CRS in metres (e.g. EPSG:5186)")
    dataset.check_out(pathlib.Path(out))
    options = options or ImportOptions()
    say = progress or (lambda message: None)
    chunks, source_list = sources.plan_chunks(paths, chunk_rows=chunk_rows)
    say(f"{len(source_list)} source(s), {len(chunks)} chunk(s) of up to {chunk_rows} rows")

    read = client.map(_read_prepare, chunks, options=options, pure=False)
    prepared, metas_a = split_results(client, read, "read and extruded chunks", say)
    if crs is None:
        crs = dataset.choose_crs([m["lonlat"] for m in metas_a])
        say(f"dataset CRS {crs} (chosen from the data's centre; --crs to choose)")
    built = client.map(_build, prepared, [c.skip or 0 for c in chunks], crs=crs, tile_size=tile_size, pure=False)
    tables, metas_b = split_results(client, built, "reprojected chunks", say)
    del prepared, read

    counts = [m["rows"] for m in metas_b]
    offsets = np.concatenate([[0], np.cumsum(counts)])[:-1].astype(int).tolist()
    schema = dataset.unified_schema([_visible(m["schema"]) for m in metas_b if m["rows"]], dataset.BUILDING_HEAD,
                                    dataset.BUILDING_TAIL)
    split = client.map(rows.split_tiles, tables, offsets, schema=schema, pure=False)
    del tables, built
    tile_pieces: dict[tuple[int, int], list] = {}
    for future, meta in zip(split, metas_b):
        for key in meta["tiles"]:
            tile_pieces.setdefault(key, []).append(client.submit(operator.itemgetter(key), future, pure=False))
    skipped, examples = skip_counts([{"skipped": a["skipped"] + b["skipped"]} for a, b in zip(metas_a, metas_b)],
                                    source_list, [c.source for c in chunks])
    count_sources(source_list, chunks, metas_a, metas_b)
    notes = merge_notes([n for m in metas_a + metas_b for n in m["notes"]])
    out = pathlib.Path(out)
    with atomic_path(out) as tmp:
        tmp.mkdir(parents=True)
        writes = [client.submit(write_tile, str(tmp), key, crs, max_rows_per_file, *tile_pieces[key], pure=False)
                  for key in sorted(tile_pieces)]
        wait_all(client, writes, "tiles written", say)
        partitions = [p for group in client.gather(writes) for p in group]
        del split, tile_pieces, writes
        total = int(sum(counts))
        manifest = dataset.write_manifest(
            tmp, kind="buildings", crs=crs, partitioning="tile", tile_size_m=tile_size, feature_count=total,
            sample_count=0, bbox=dataset.union_box([p["bbox"] for p in partitions]),
            zrange=dataset.union_range([p["zrange"] for p in partitions]), time_span=None,
            columns=dataset.type_strings(schema), sources=source_list, created_by="twin batch buildings",
            partitions=partitions, skipped={reason: n for reason, n in skipped.items()})
    say(f"wrote {out} ({total} buildings, {len(partitions)} files)")
    return BatchResult(out=out, manifest=manifest, skipped=skipped, examples=examples, notes=notes,
                       seconds=time.monotonic() - start)


def _read_prepare(chunk: sources.Chunk, options: ImportOptions):
    datas = sources.read_chunk(chunk, options)
    return rows.prepare(datas, chunk.path)


def _wkb_types(wkb: pa.Array) -> list[int]:
    """Geometry type codes of little-endian WKB values (byte 1: 3 Polygon, 6 MultiPolygon), without parsing them."""
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int32)[wkb.offset:wkb.offset + len(wkb) + 1]
    data = np.frombuffer(wkb.buffers()[2], dtype=np.uint8)
    return np.unique(data[offsets[:-1] + 1]).tolist()


def _build(prepared, skip_offset: int, *, crs: str, tile_size: float):
    return rows.to_rows(prepared, crs, tile_size=tile_size, skip_offset=skip_offset)


def write_tile(folder: str, key: tuple[int, int], crs: str, max_rows: int, *pieces: pa.Table) -> list[dict]:
    """Write one tile's rows (pieces in chunk order, so in fid order) as ``part-<n>.parquet`` files."""
    table = pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0]
    name = f"tile={key[0]}_{key[1]}"
    out = []
    for n, start in enumerate(range(0, table.num_rows, max_rows)):
        part = table.slice(start, max_rows)
        xyz = part.column("vertices").combine_chunks().flatten().to_numpy().reshape(-1, 3)  # the blocks' corners
        z = xyz[:, 2]
        bbox = [float(xyz[:, 0].min()), float(xyz[:, 1].min()), float(xyz[:, 0].max()), float(xyz[:, 1].max())]
        types = sorted(set(_wkb_types(part.column("geometry").combine_chunks())))
        geo = dataset.geo_metadata(crs, bbox, [GEOMETRY_TYPES[t] for t in types if t in GEOMETRY_TYPES])
        relative = f"{name}/part-{n}.parquet"
        size = dataset.write_parquet(part, pathlib.Path(folder) / relative, geo=geo)
        out.append({"path": relative, "rows": part.num_rows, "bbox": bbox,
                    "zrange": [float(z.min()), float(z.max())] if len(z) else None,
                    "t_start": None, "t_end": None, "bytes": size})
    return out
