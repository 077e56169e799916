"""Reading a file for an import: choose the importer by file pattern (and content), read, name the layers.

The importers come from plugins (built-in ones through the same entry points as third-party
ones). Reading never touches the project; :mod:`twin.io.service` plans and writes imports.
"""

from __future__ import annotations

import hashlib
import pathlib

from twin.errors import InputError
from twin.layerdata import LayerData
from twin.layerstream import LayerStream
from twin.io.options import ImportOptions
from twin.plugins.manifest import Contribution
from twin.plugins.registry import PluginRegistry, registry as default_registry
from twin.store.dataset_manifest import is_dataset_folder


def sha256_of(path: pathlib.Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def check_readable(path: pathlib.Path) -> None:
    """Fail with one clear line for a missing, unreadable or empty file."""
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(path, "the file is empty")


def choose_importer(path: pathlib.Path, *, registry: PluginRegistry | None = None, importer: str | None = None) -> Contribution:
    """The importer for ``path``: by id when given, else by file pattern, asking ``sniff`` when several match."""
    reg = registry or default_registry
    if importer:
        return reg.contribution("importers", importer)
    candidates = reg.importers_for(path)
    if path.is_dir() and is_dataset_folder(path):  # referenced as one layer, not read (twin.io.dataset_import)
        raise InputError(path, "is a partitioned dataset (twin-dataset.json): `twin import PROJECT FOLDER` "
                               "references it as one layer (docs/datasets.md)")
    if path.is_dir():  # folders (a GTFS feed unzipped): only importers declaring `folders = true`, by content
        folder_readers = _by_priority([c for c in reg.contributions("importers") if c.fields.get("folders")])
        for candidate in folder_readers:
            if "sniff" not in candidate.fields or _sniff(reg, candidate, path):
                return candidate
        raise InputError(path, "is a folder that no importer recognises (give a file, or a GTFS feed folder)")
    if not candidates:
        known = sorted({p for c in reg.contributions("importers") for p in c.fields.get("patterns", [])})
        raise InputError(path, f"no importer for this kind of file (known patterns: {', '.join(known)})")
    errors = []
    for candidate in candidates:
        if "sniff" not in candidate.fields:
            return candidate
        try:
            if reg.call(candidate, path, key="sniff"):
                return candidate
        except InputError as exc:
            errors.append(exc.reason)
    if errors:
        raise InputError(path, errors[0])
    titles = ", ".join(c.title for c in candidates)
    raise InputError(path, f"the content is not any of: {titles}")


def _by_priority(items: list[Contribution]) -> list[Contribution]:
    return sorted(items, key=lambda c: -int(c.fields.get("priority", 0)))


def _sniff(reg: PluginRegistry, candidate: Contribution, path: pathlib.Path) -> bool:
    try:
        return bool(reg.call(candidate, path, key="sniff"))
    except InputError:
        return False


def read_file(
    path: str | pathlib.Path,
    options: ImportOptions | None = None,
    *,
    registry: PluginRegistry | None = None,
    importer: str | None = None,
    stream: bool = False,
):
    """Read a file with its importer into plain layer data (the project is not touched): ``(importer,
    layers)``. A streamed file (:class:`~twin.layerstream.LayerStream`) is gathered into whole layers,
    unless ``stream``: then ``(importer, first chunks, stream or None)`` (:func:`read_source`)."""
    contribution, datas, layers = read_source(path, options, registry=registry, importer=importer)
    if stream:
        return contribution, datas, layers
    if layers is not None:
        datas = layers.gather()
    return contribution, datas


def read_source(
    path: str | pathlib.Path,
    options: ImportOptions | None = None,
    *,
    registry: PluginRegistry | None = None,
    importer: str | None = None,
) -> tuple[Contribution, list[LayerData], LayerStream | None]:
    """Like :func:`read_file`, but a streaming importer's later chunks stay unread: (importer, the first
    chunk of each layer, the stream or ``None``)."""
    path = pathlib.Path(path)
    options = options or ImportOptions()
    check_readable(path)
    reg = registry or default_registry
    contribution = choose_importer(path, registry=reg, importer=importer)
    result = reg.call(contribution, path, options)
    stream = result if isinstance(result, LayerStream) else None
    if stream is not None:
        result = stream.first
    datas = list(result) if isinstance(result, (list, tuple)) else [result]
    if not datas:
        raise InputError(path, "nothing to import")
    if not any(usable(data) for data in datas):
        raise InputError(path, no_usable_reason(datas))
    if options.strict:
        for data in datas:
            if data.report.skipped:
                first = data.report.skipped[0]
                raise InputError(path, f"{first.reason} ({len(data.report.skipped)} row(s) would be skipped; --strict)",
                                 where=first.where)
    if stream is not None and options.strict:
        stream = LayerStream(first=datas, rest=_strict_chunks(path, stream))
    return contribution, datas, stream


def _strict_chunks(path: pathlib.Path, stream: LayerStream):
    """Later chunks, failing the import (--strict) at the first chunk whose reading skipped a row."""
    chunks = iter(stream.chunks())
    while True:
        before = [len(d.report.skipped) for d in stream.first]  # the previous chunk is written by now
        aligned = next(chunks, None)
        if aligned is None:
            return
        for data, seen, part in zip(stream.first, before, aligned):
            new = data.report.skipped[seen:]
            if part is not None and part.report is not data.report:
                new = new + part.report.skipped
            if new:
                raise InputError(path, f"{new[0].reason} ({len(new)} row(s) of a later chunk would be skipped; "
                                       "--strict)", where=new[0].where)
        yield aligned


def usable(data: LayerData) -> bool:
    """True when a layer holds something to write: a feature with a geometry, a mesh part or a table row."""
    if any(table.num_rows for table in data.tables.values()):
        return True
    if data.mesh is not None and data.mesh.part_count:
        return True
    features = data.features
    if "geometry" not in features.column_names:
        return features.num_rows > 0
    return features.num_rows > features.column("geometry").null_count


def no_usable_reason(datas: list[LayerData]) -> str:
    """Why a file gave nothing to import, quoting the importer's first reason for skipping."""
    skipped = [item for data in datas for item in data.report.skipped]
    if not skipped:
        return "no usable feature (nothing with a geometry)"
    first = skipped[0]
    return f"no usable feature: {first.where}: {first.reason} ({len(skipped)} skipped)"


def layer_names(project, path: pathlib.Path, datas: list[LayerData], wanted: str | None) -> list[str]:
    """Names for the new layers: ``--layer`` or the file's stem, plus the part name for multi-layer files."""
    stem = path.name
    for suffix in (".city.jsonl", ".city.json", ".citygml", ".gml", ".geojson", ".gpkg", ".json", ".csv", ".shp", ".parquet", ".osm", ".xml", ".zip"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    base = wanted or stem
    names = []
    for data in datas:
        name = base if len(datas) == 1 else f"{base} {data.name or data.kind}"
        if wanted and len(datas) == 1:
            names.append(name)  # an explicit name that exists is an error, not renamed silently
        else:
            candidate = project.unique_layer_name(name)
            while candidate in names:
                candidate = project.unique_layer_name(candidate + "'")
            names.append(candidate)
    return names

