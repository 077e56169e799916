"""Entry points declared in ``plugins/formats/twin.toml``: sniff, read_cityjson and read_cityjsonseq."""

from __future__ import annotations

import contextlib
import gc
import pathlib
from collections.abc import Iterator

import numpy as np

from twin.api import ImportOptions, ImportReport, InputError, LayerData
from twin_plugins.formats.cityjson.collect import Collector, locate
from twin_plugins.formats.cityjson.layers import build_layers
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
    """Read a CityJSON 1.0/1.1/2.0 file into one LayerData per theme (Building first)."""
    path = pathlib.Path(path)
    report = ImportReport(str(path))
    options.report_progress(0.0, "parsing")
    with gc_paused():
        doc = parse_bytes(path, path.read_bytes())
        header = read_header(path, doc)
        crs = resolve_crs(path, header, options, report)
        vertices = vertices_of(path, doc, header)
        objects = doc.get("CityObjects")
        total = max(len(objects), 1) if objects is not None and hasattr(objects, "__len__") else 1
        collector = Collector(path, report)
        limit = len(vertices)
        options.report_progress(0.05, "reading city objects")
        for i, (oid, obj) in enumerate(city_objects(path, doc)):
            collector.add_object(oid, obj, base=0, limit=limit)
            if i % PROGRESS_EVERY == 0:
                options.report_progress(0.05 + 0.45 * i / total, "reading city objects")
        del doc, objects
        flat = locate(collector, collector.finish(), limit, finite=np.isfinite(vertices).all(axis=1))
    return _finish(path, collector, flat, vertices, header, crs, report, options, fmt="CityJSON")


def read_cityjsonseq(path: pathlib.Path, options: ImportOptions) -> list[LayerData]:
    """Read a CityJSONSeq (``.city.jsonl``): a CityJSON header line, then one CityJSONFeature per line.

    Each feature has its own vertices (under the header's transform). A line that is not a valid
    feature is skipped and reported with its line number (an error with --strict).
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
    count = len(chunks[0])
    if head.get("CityObjects") is not None:
        for oid, obj in city_objects(path, head):
            collector.add_object(oid, obj, base=0, limit=count)
    del head
    done = len(text)
    features = 0
    with gc_paused():
        for number, text in lines:
            done += len(text)
            try:
                doc = parse_bytes(path, text, line=number)
                kind = doc.get("type") if hasattr(doc, "get") else None
                if kind != "CityJSONFeature":
                    raise InputError(path, f"type is {kind!r}, not 'CityJSONFeature'")
                own = vertices_of(path, doc, header, where=f"line {number}", raw=True)
                objects = list(city_objects(path, doc, where=f"line {number}"))
            except InputError as exc:
                report.skip(f"line {number}", exc.reason)
                continue
            finally:
                doc = None
            for oid, obj in objects:
                collector.add_object(oid, obj, base=count, limit=len(own))
            chunks.append(own)
            count += len(own)
            features += 1
            if features % PROGRESS_EVERY == 0:
                options.report_progress(0.5 * done / size, "reading features")
        if not features and not collector.ids:
            raise InputError(path, "no CityJSONFeature line could be read")
        report.detected["features (lines)"] = features
        vertices = header.real(np.concatenate(chunks))
        flat = locate(collector, collector.finish(), len(vertices), what="its feature",
                      finite=np.isfinite(vertices).all(axis=1))
    return _finish(path, collector, flat, vertices, header, crs, report, options, fmt="CityJSONSeq")


def _finish(path, collector, flat, vertices, header, crs, report, options, *, fmt: str) -> list[LayerData]:
    if len(set(collector.ids)) < len(collector.ids):
        report.note("some city object ids occur more than once; parents refer to the last one")
    vertices, flat = expand_instances(collector, vertices, flat, header)
    return build_layers(path, collector, flat, vertices, crs=crs, version=header.version, fmt=fmt, report=report,
                        progress=options.report_progress)
