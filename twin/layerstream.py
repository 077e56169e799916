"""Layers read in chunks: what an importer returns for a file too big to hold in memory.

An importer may return a :class:`LayerStream` instead of ``LayerData`` (or a list of them): the first
chunk of each layer, read when the file is planned (its kind, CRS, columns and placement are judged on
it), and an iterator of later chunks, read while the layers are written, all inside the one import
transaction (a failure in any chunk leaves the project as it was). The writer numbers the rows of
every chunk after those before it (``fid``, mesh ``part_feature`` and ``parent_fid`` are per chunk, as
in a whole ``LayerData``), merges the chunks' reports into the first chunk's, and takes extents,
counts and time spans over all chunks. See docs/plugins.md ("Streaming big files").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twin.layerdata import LayerData, MeshData

#: rows (features) per chunk that the built-in streaming importers read at a time
CHUNK_ROWS = 50_000
#: files at least this big are streamed by the built-in importers (smaller ones are read whole)
STREAM_BYTES = 256 << 20


@dataclasses.dataclass
class LayerStream:
    """A file's layers as chunks: ``first`` (one ``LayerData`` per layer) now, ``rest`` while writing.

    Each item of ``rest`` is a ``LayerData`` or a list of them; a chunk belongs to the layer of
    ``first`` with the same ``name`` and ``kind`` (or the one layer of its kind). A chunk that
    matches no layer is skipped and noted in the first layer's report.
    """

    first: list[LayerData]
    rest: Iterable[LayerData | list[LayerData]]

    def chunks(self) -> Iterator[list[LayerData | None]]:
        """Later chunks aligned with ``first`` (``None`` where a chunk has nothing for a layer)."""
        for item in self.rest:
            parts = item if isinstance(item, (list, tuple)) else [item]
            aligned: list[LayerData | None] = [None] * len(self.first)
            for part in parts:
                if part is None:
                    continue
                slot = self._slot(part)
                if slot is None:
                    self.first[0].report.note(f"{part.features.num_rows} row(s) of a {part.kind} layer "
                                              f"{part.name or ''!s} found after the first chunk were not imported")
                    continue
                if aligned[slot] is not None:
                    aligned[slot] = concat([aligned[slot], part])
                else:
                    aligned[slot] = part
            yield aligned

    def _slot(self, part: LayerData) -> int | None:
        for i, data in enumerate(self.first):
            if data.name == part.name and data.kind == part.kind:
                return i
        kinds = [i for i, data in enumerate(self.first) if data.kind == part.kind]
        return kinds[0] if len(kinds) == 1 else None

    def gather(self) -> list[LayerData]:
        """All chunks joined into whole layers (what a caller that cannot stream needs; holds it all)."""
        whole = [[data] for data in self.first]
        for aligned in self.chunks():
            for i, part in enumerate(aligned):
                if part is not None:
                    whole[i].append(part)
        return [concat(parts) for parts in whole]


def merge_report(into: LayerData, part: LayerData) -> None:
    """Add a chunk's report (when it is not the same object) to its layer's."""
    if part.report is into.report:
        return
    into.report.imported += part.report.imported
    into.report.skipped.extend(part.report.skipped)
    into.report.notes.extend(n for n in part.report.notes if n not in into.report.notes)
    for key, value in part.report.detected.items():
        into.report.detected.setdefault(key, value)


def concat(parts: list[LayerData]) -> LayerData:
    """Chunks of one layer as one ``LayerData`` (rows renumbered after the rows before them)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    features, meshes, offset = [], [], 0
    for part in parts:
        features.append(offset_parents(part.features, offset))
        if part.mesh is not None:
            meshes.append(offset_mesh(part.mesh, offset))
        offset += part.features.num_rows
        if part is not first:
            merge_report(first, part)
    tables = {}
    for suffix in first.tables:
        tables[suffix] = pa.concat_tables([p.tables[suffix] for p in parts if suffix in p.tables],
                                          promote_options="permissive")
    span = [p.time_span for p in parts if p.time_span]
    counts = [p.feature_count for p in parts]
    return dataclasses.replace(
        first,
        features=pa.concat_tables(features, promote_options="permissive"),
        mesh=join_meshes(meshes) if meshes else None,
        tables=tables,
        feature_count=sum(counts) if all(c is not None for c in counts) else None,
        time_span=(min(s[0] for s in span), max(s[1] for s in span)) if span else None,
    )


def offset_parents(features: pa.Table, offset: int) -> pa.Table:
    """``parent_fid`` of a chunk's rows moved by ``offset`` (the rows before the chunk)."""
    if not offset or "parent_fid" not in features.column_names:
        return features
    index = features.column_names.index("parent_fid")
    column = features.column(index)
    moved = pc.add(column.cast(pa.int64()), pa.scalar(offset, pa.int64()))
    return features.set_column(index, "parent_fid", moved)


def offset_mesh(mesh: MeshData, offset: int) -> MeshData:
    """A chunk's mesh whose parts point at rows ``offset`` further on."""
    if not offset:
        return mesh
    return dataclasses.replace(mesh, part_feature=np.asarray(mesh.part_feature, dtype=np.int64) + offset)


def join_meshes(meshes: list[MeshData]) -> MeshData:
    """Meshes (already offset) as one: vertices, triangles and part offsets concatenated."""
    vo = [np.asarray(meshes[0].part_vertex_offsets, np.int64)]
    to = [np.asarray(meshes[0].part_triangle_offsets, np.int64)]
    for m in meshes[1:]:
        vo.append(np.asarray(m.part_vertex_offsets[1:], np.int64) + vo[-1][-1])
        to.append(np.asarray(m.part_triangle_offsets[1:], np.int64) + to[-1][-1])
    return MeshData(
        vertices=np.concatenate([m.vertices for m in meshes]),
        triangles=np.concatenate([m.triangles for m in meshes]),
        triangle_surface=np.concatenate([m.triangle_surface for m in meshes]),
        part_vertex_offsets=np.concatenate(vo),
        part_triangle_offsets=np.concatenate(to),
        part_feature=np.concatenate([np.asarray(m.part_feature, np.int64) for m in meshes]),
        part_lod=np.concatenate([np.asarray(m.part_lod, dtype=object) for m in meshes]),
    )


def wants_stream(path, options) -> bool:
    """Should a built-in importer stream ``path``? ``options.extra["stream"]`` (True/False) decides when
    given; a row range (``skip_features``, `twin batch`) never streams; else files of ``STREAM_BYTES`` and more."""
    extra = getattr(options, "extra", None) or {}
    if extra.get("stream") is not None:
        return bool(extra["stream"])
    if "skip_features" in extra:
        return False
    try:
        return path.stat().st_size >= STREAM_BYTES
    except OSError:
        return False


def chunk_rows(options) -> int:
    """Rows per chunk: ``options.extra["chunk_rows"]`` or :data:`CHUNK_ROWS`."""
    extra = getattr(options, "extra", None) or {}
    return max(1, int(extra.get("chunk_rows") or CHUNK_ROWS))
