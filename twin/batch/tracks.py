"""``twin batch tracks``: GPS CSV / SUMO FCD files -> samples sorted by (t, fid), one folder per UTC day.

Each source is read on a worker by the importer ``twin import`` would choose (one task per file: a month
of tracks is usually many files); its samples are reprojected, cleaned as the store cleans them, and split
by UTC day; each day's pieces from every source are gathered, sorted by (t, fid) and written. Object
numbers (fid) follow the sorted ``object_id`` over all sources, so the result does not depend on the order
of the files or of the workers.
"""

from __future__ import annotations

import operator
import pathlib
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.batch import dataset, sources
from twin.batch.buildings import BatchResult, merge_notes, skip_counts
from twin.batch.cluster import Progress, split_results, wait_all
from twin.crs import is_projected_metric, normalize_crs, transform_xy
from twin.errors import TwinError
from twin.io.atomic import atomic_path
from twin.io.options import ImportOptions
from twin.layerdata import LayerData
from twin.store import cleaning

HEAD = [("fid", pa.int32()), ("object_id", pa.string()), ("t", pa.timestamp("us", tz="UTC")), ("x", pa.float64()),
        ("y", pa.float64()), ("z", pa.float64())]


def read_tracks(chunk: sources.Chunk, options: ImportOptions) -> tuple[list[LayerData], dict]:
    """Read one source (on a worker); keep its moving layers, cleaned before reprojection."""
    kept, skipped = [], []
    for data in sources.read_chunk(chunk, options):
        if data.kind != "moving" or "track" not in data.tables:
            skipped += [(f"{data.kind} layer", f"not a track ({data.kind})")] * data.features.num_rows
            continue
        if data.crs is None:
            raise TwinError(f"{chunk.path}: the file declares no CRS: give it with --source-crs EPSG:NNNN")
        geometries = shapely.from_wkb(data.features.column("geometry").combine_chunks().to_numpy(zero_copy_only=False))
        data, _ = cleaning.before_reprojection(data, geometries)
        kept.append(data)
    boxes = []
    for data in kept:
        track = data.tables["track"]
        if track.num_rows:
            x, y = (pc.min_max(track.column(c)) for c in ("x", "y"))
            lon, lat = transform_xy(np.array([x["min"].as_py(), x["max"].as_py()]),
                                    np.array([y["min"].as_py(), y["max"].as_py()]), data.crs, "EPSG:4326")
            boxes.append([float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())])
    skipped += [(s.where, s.reason) for d in kept for s in d.report.skipped]
    return kept, {"lonlat": dataset.union_box(boxes), "skipped": skipped,
                  "notes": [n for d in kept for n in d.report.notes]}


def samples(datas: list[LayerData], crs: str) -> tuple[pa.Table, dict]:
    """The samples of a source in ``crs`` with their ``object_id``; meta: ids, days, schema, skips."""
    tables, skipped = [], []
    for data in datas:
        track = data.tables["track"]
        x, y = transform_xy(track.column("x").to_numpy(zero_copy_only=False),
                            track.column("y").to_numpy(zero_copy_only=False), data.crs, crs)
        track = track.set_column(track.column_names.index("x"), "x", pa.array(x))
        track = track.set_column(track.column_names.index("y"), "y", pa.array(y))
        before = len(data.report.skipped)
        track = cleaning.clean_table_xy(data, "track", track, ("x", "y"), crs)
        skipped += [(s.where, s.reason) for s in data.report.skipped[before:]]
        ids = data.features.column("object_id").combine_chunks().take(track.column("fid"))
        track = track.drop_columns(["fid"]).add_column(0, "object_id", ids)
        if "z" not in track.column_names:
            track = track.append_column("z", pa.array(np.zeros(track.num_rows)))
        tables.append(track)
    table = pa.concat_tables(tables, promote_options="permissive") if tables else pa.schema(HEAD[1:]).empty_table()
    day = pc.strftime(table.column("t"), format="%Y-%m-%d", locale="C") if table.num_rows else pa.array([], pa.string())
    table = table.append_column("__day", day)
    days = pc.value_counts(table.column("__day")).to_pylist() if table.num_rows else []
    return table, {"rows": table.num_rows, "schema": table.schema, "skipped": skipped,
                   "ids": pc.unique(table.column("object_id")).to_pylist() if table.num_rows else [],
                   "days": {d["values"]: d["counts"] for d in days}}


def split_days(table: pa.Table, ids: pa.Array, schema: pa.Schema) -> dict[str, pa.Table]:
    """Number the objects by the sorted ``ids`` and split the samples by UTC day."""
    fid = pc.index_in(table.column("object_id"), value_set=ids).cast(pa.int32())
    day = table.column("__day")
    body = dataset.conform(table.drop_columns(["__day"]).add_column(0, "fid", fid), schema)
    return {key: body.filter(pc.equal(day, key)) for key in pc.unique(day).to_pylist()}


def write_day(folder: str, day: str, max_rows: int, *pieces: pa.Table) -> list[dict]:
    """One day's samples sorted by (t, fid), in part files of at most ``max_rows`` (time order)."""
    table = pa.concat_tables(pieces).sort_by([("t", "ascending"), ("fid", "ascending")])
    out = []
    for n, start in enumerate(range(0, table.num_rows, max_rows)):
        part = table.slice(start, max_rows)
        relative = f"date={day}/part-{n}.parquet"
        size = dataset.write_parquet(part, pathlib.Path(folder) / relative)
        x, y, z, t = (pc.min_max(part.column(c)) for c in ("x", "y", "z", "t"))
        out.append({"path": relative, "rows": part.num_rows,
                    "bbox": [x["min"].as_py(), y["min"].as_py(), x["max"].as_py(), y["max"].as_py()],
                    "zrange": [z["min"].as_py(), z["max"].as_py()], "t_start": t["min"].as_py().isoformat(),
                    "t_end": t["max"].as_py().isoformat(), "bytes": size})
    return out


def batch_tracks(client: Any, paths: list[str | pathlib.Path], out: str | pathlib.Path, *, crs: str | None = None,
                 options: ImportOptions | None = None, max_rows_per_file: int = 1_000_000,
                 progress: Progress | None = None) -> BatchResult:
    """Run the tracks pipeline on ``client``'s cluster and write the dataset at ``out``."""
    start = time.monotonic()
    say = progress or (lambda message: None)
    if crs is not None:
        crs = normalize_crs(crs)
        if not is_projected_metric(crs):
            raise TwinError(f"--crs {crs}: the dataset needs a projected CRS in metres (e.g. EPSG:5186)")
    dataset.check_out(pathlib.Path(out))
    chunks, source_list = sources.plan_chunks(paths, chunk_rows=1 << 62)
    chunks = [sources.Chunk(c.index, c.source, c.path, c.importer) for c in chunks]  # whole files
    read = client.map(read_tracks, chunks, options=options or ImportOptions(), pure=False)
    read_values, metas_a = split_results(client, read, "read sources", say)
    if crs is None:
        crs = dataset.choose_crs([m["lonlat"] for m in metas_a])
        say(f"dataset CRS {crs} (chosen from the data's centre; --crs to choose)")
    built = client.map(samples, read_values, crs=crs, pure=False)
    built_values, metas_b = split_results(client, built, "reprojected sources", say)
    del read, read_values
    ids = pa.array(sorted({i for m in metas_b for i in m["ids"]}), type=pa.string())
    schema = dataset.unified_schema([pa.schema([f for f in m["schema"] if f.name != "__day"])
                                     for m in metas_b if m["rows"]], HEAD, [])
    [ids_future] = client.scatter([ids], broadcast=True)
    split = client.map(split_days, built_values, ids=ids_future, schema=schema, pure=False)
    pieces: dict[str, list] = {}
    for future, meta in zip(split, metas_b):
        for day in meta["days"]:
            pieces.setdefault(day, []).append(client.submit(operator.itemgetter(day), future, pure=False))
    for source, meta, chunk in zip(source_list, metas_b, chunks):  # one chunk per source
        source.pop("importer", None)
        source["rows"] = meta["rows"] + len(metas_a[chunk.index]["skipped"]) + len(meta["skipped"])
        source["samples"] = meta["rows"]
    skipped, examples = skip_counts([{"skipped": a["skipped"] + b["skipped"]} for a, b in zip(metas_a, metas_b)],
                                    source_list, [c.source for c in chunks])
    out = pathlib.Path(out)
    with atomic_path(out) as tmp:
        tmp.mkdir(parents=True)
        writes = [client.submit(write_day, str(tmp), day, max_rows_per_file, *pieces[day], pure=False)
                  for day in sorted(pieces)]
        wait_all(client, writes, "days written", say)
        partitions = [p for group in client.gather(writes) for p in group]
        del split, pieces, writes, built
        span = [partitions[0]["t_start"], max(p["t_end"] for p in partitions)] if partitions else None
        manifest = dataset.write_manifest(
            tmp, kind="moving", crs=crs, partitioning="date", feature_count=len(ids),
            sample_count=int(sum(p["rows"] for p in partitions)),
            bbox=dataset.union_box([p["bbox"] for p in partitions]),
            zrange=dataset.union_range([p["zrange"] for p in partitions]), time_span=span,
            columns=dataset.type_strings(schema), sources=source_list, created_by="twin batch tracks",
            partitions=partitions, skipped=dict(skipped))
    notes = merge_notes([n for m in metas_a for n in m["notes"]])
    say(f"wrote {out} ({len(ids)} objects, {manifest['sample_count']} samples, {len(partitions)} files)")
    return BatchResult(out=out, manifest=manifest, skipped=skipped, examples=examples, notes=notes,
                       seconds=time.monotonic() - start)
