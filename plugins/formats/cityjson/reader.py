"""Entry points declared in ``plugins/formats/twin.toml``: sniff, read_cityjson and read_cityjsonseq."""

from __future__ import annotations

import contextlib
import gc
import pathlib
from collections.abc import Iterator

import numpy as np

from twin.api import ImportOptions, ImportReport, InputError, LayerData, LayerStream, chunk_rows, wants_stream
from twin_plugins.formats.cityjson.collect import Collector, locate
from twin_plugins.formats.cityjson.layers import build_layers
from twin_plugins.formats.cityjson.lift import Lifted, LiftFallback, lift_boundaries
from twin_plugins.formats.cityjson.source import (
    SNIFF_BYTES, city_objects, looks_like_cityjson, parse_bytes, read_header, read_lines, resolve_crs, vertices_of,
)
from twin_plugins.formats.cityjson.templates import expand_instances

CITYJSON_SUFFIXES = (".city.json", ".cityjson")
PROGRESS_EVERY = 5000


def sniff(path: pathlib.Path) -> bool:
    """Is this a CityJSON file? Reads only the first 64 KB. A ``.city.json`` that is not gets a clear error."""
    path = pathlib.Path(path)
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    ok, why = looks_like_cityjson(head)
    if not ok and path.name.lower().endswith(CITYJSON_SUFFIXES):
        raise InputError(path, f"not a CityJSON file: {why}")
    return ok


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are made (they hold no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_cityjson(path: pathlib.Path, options: ImportOptions) -> list[LayerData]:
    """Read a CityJSON 1.0/1.1/2.0 file into one LayerData per theme (Building first).

    The boundaries arrays are first lifted out of the text and read with numpy (:mod:`lift`); when
    that does not apply cleanly, the file is read again the ordinary way (same result, slower).
    """
    path = pathlib.Path(path)
    options.report_progress(0.0, "parsing")
    lifted = lift_boundaries(path.read_bytes())  # the original text is not kept: read again on fallback
    if lifted is not None:
        try:
            return _read_document(path, lifted[0], options, lifted=lifted[1])
        except (LiftFallback, InputError):
            pass  # errors are then reported from the original text, with its positions
        lifted = None
    return _read_document(path, path.read_bytes(), options, lifted=None)


def _read_document(path: pathlib.Path, data: bytes, options: ImportOptions, *, lifted: Lifted | None):
    report = ImportReport(str(path))
    with gc_paused():
        doc = parse_bytes(path, data)
        del data
        header = read_header(path, doc)
        crs = resolve_crs(path, header, options, report)
        vertices = vertices_of(path, doc, header)
        objects = doc.get("CityObjects")
        total = max(len(objects), 1) if objects is not None and hasattr(objects, "__len__") else 1
        collector = Collector(path, report)
        collector.lifted = lifted
        limit = len(vertices)
        options.report_progress(0.05, "reading city objects")
        for i, (oid, obj) in enumerate(city_objects(path, doc)):
            collector.add_object(oid, obj, base=0, limit=limit)
            if i % PROGRESS_EVERY == 0:
                options.report_progress(0.05 + 0.45 * i / total, "reading city objects")
        del doc, objects
        flat = collector.finish()
        if lifted is not None:
            lifted.check_all_used()
        flat = locate(collector, flat, limit, finite=np.isfinite(vertices).all(axis=1))
        collector.lifted = None
    return _finish(path, collector, flat, vertices, header, crs, report, options, fmt="CityJSON")


def read_cityjsonseq(path: pathlib.Path, options: ImportOptions) -> list[LayerData] | LayerStream:
    """Read a CityJSONSeq (``.city.jsonl``): a CityJSON header line, then one CityJSONFeature per line.

    Each feature has its own vertices (under the header's transform). A line that is not a valid
    feature is skipped and reported with its line number (an error with --strict). A big file (see
    :func:`twin.api.wants_stream`) is read as a :class:`LayerStream` of ``chunk_rows`` features a chunk.
    """
    path = pathlib.Path(path)
    report = ImportReport(str(path))
    size = max(path.stat().st_size, 1)
    lines = read_lines(path)
    first = next(lines, None)
    if first is None:
        raise InputError(path, "the file is empty")
    number, text = first
    head = parse_bytes(path, text, line=number)
    header = read_header(path, head)
    crs = resolve_crs(path, header, options, report)
    collector = Collector(path, report)
    chunks = [vertices_of(path, head, header, where=f"line {number}", raw=True)]
    if head.get("CityObjects") is not None:
        for oid, obj in city_objects(path, head):
            collector.add_object(oid, obj, base=0, limit=len(chunks[0]))
    del head
    progress = _Progress(options, size, len(text))
    if not wants_stream(path, options):
        features = _read_features(path, lines, header, collector, chunks, progress, limit=None)
        if not features and not collector.ids:
            raise InputError(path, "no CityJSONFeature line could be read")
        report.detected["features (lines)"] = features
        return _seq_layers(path, collector, chunks, header, crs, report, options)
    rows = chunk_rows(options)
    features = _read_features(path, lines, header, collector, chunks, progress, limit=rows)
    if not features and not collector.ids:
        raise InputError(path, "no CityJSONFeature line could be read")
    report.detected["features (lines)"] = f"{features} in the first chunk (read in chunks of {rows})"
    datas = _seq_layers(path, collector, chunks, header, crs, report, options)
    return LayerStream(first=datas, rest=_more_chunks(path, lines, header, crs, report, options, progress, rows))


def _more_chunks(path, lines, header, crs, report, options, progress, rows):
    """The chunks after the first: ``rows`` feature lines each, their own report (merged by the writer)."""
    while True:
        chunk_report = ImportReport(str(path))
        collector = Collector(path, chunk_report)
        chunks: list[np.ndarray] = []
        features = _read_features(path, lines, header, collector, chunks, progress, limit=rows)
        if not collector.ids:
            report.skipped.extend(chunk_report.skipped)  # bad lines at the end: counted in the layer's report
            if features == 0 and not chunk_report.skipped:
                return
            continue
        yield _seq_layers(path, collector, chunks, header, crs, chunk_report, options)


class _Progress:
    def __init__(self, options: ImportOptions, size: int, done: int) -> None:
        self.options, self.size, self.done, self.features = options, size, done, 0

    def step(self, nbytes: int) -> None:
        self.done += nbytes
        self.features += 1
        if self.features % PROGRESS_EVERY == 0:
            self.options.report_progress(0.5 * self.done / self.size, "reading features")


def _read_features(path, lines, header, collector: Collector, chunks: list, progress: _Progress, *,
                   limit: int | None) -> int:
    """Read feature lines into ``collector`` (their vertices into ``chunks``) until ``limit`` features or the end."""
    count = sum(len(c) for c in chunks)
    features = 0
    with gc_paused():
        for number, text in lines:
            progress.step(len(text))
            try:
                doc = parse_bytes(path, text, line=number)
                kind = doc.get("type") if hasattr(doc, "get") else None
                if kind != "CityJSONFeature":
                    raise InputError(path, f"type is {kind!r}, not 'CityJSONFeature'")
                own = vertices_of(path, doc, header, where=f"line {number}", raw=True)
                objects = list(city_objects(path, doc, where=f"line {number}"))
            except InputError as exc:
                collector.report.skip(f"line {number}", exc.reason)
                continue
            finally:
                doc = None
            for oid, obj in objects:
                collector.add_object(oid, obj, base=count, limit=len(own))
            chunks.append(own)
            count += len(own)
            features += 1
            if limit is not None and features >= limit:
                break
    return features


def _seq_layers(path, collector: Collector, chunks: list, header, crs, report, options) -> list[LayerData]:
    with gc_paused():
        vertices = header.real(np.concatenate(chunks)) if chunks else np.empty((0, 3))
        flat = locate(collector, collector.finish(), len(vertices), what="its feature",
                      finite=np.isfinite(vertices).all(axis=1))
    return _finish(path, collector, flat, vertices, header, crs, report, options, fmt="CityJSONSeq")


def _finish(path, collector, flat, vertices, header, crs, report, options, *, fmt: str) -> list[LayerData]:
    if len(set(collector.ids)) < len(collector.ids):
        report.note("some city object ids occur more than once; parents refer to the last one")
    vertices, flat = expand_instances(collector, vertices, flat, header)
    return build_layers(path, collector, flat, vertices, crs=crs, version=header.version, fmt=fmt, report=report,
                        progress=options.report_progress)
