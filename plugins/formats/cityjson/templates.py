"""GeometryInstance: copies of ``geometry-templates`` placed by a matrix and a reference vertex.

Each template is flattened once; all instances of a template are transformed together with one
``einsum`` and appended as vertices and surfaces of their own geometry.
"""

from __future__ import annotations

import numpy as np

from twin.api import ImportReport
from twin_plugins.formats.cityjson.collect import Collector, locate
from twin_plugins.formats.cityjson.flatten import Flat
from twin_plugins.formats.cityjson.source import Header


def _templates(collector: Collector, header: Header) -> tuple[Collector, Flat, np.ndarray, list[int | None]] | None:
    templates = header.templates or {}
    try:
        tverts = np.asarray(templates.get("vertices-templates", []), dtype=np.float64).reshape(-1, 3)
    except (TypeError, ValueError):
        return None
    geometries = templates.get("templates")
    if not isinstance(geometries, list):
        return None
    sub = Collector(collector.path, ImportReport(collector.report.source))
    sub.add_object("geometry-templates", {"type": "GeometryTemplates"})
    gids = [sub.add_geometry(0, g, base=0, limit=len(tverts), oid=f"template {i}") if isinstance(g, dict)
            and g.get("type") != "GeometryInstance" else None for i, g in enumerate(geometries)]
    flat = locate(sub, sub.finish(), len(tverts), what="vertices-templates")
    for item in sub.report.skipped:
        collector.report.note(f"geometry {item.where} not usable: {item.reason}")
    return sub, flat, tverts, gids


def expand_instances(collector: Collector, vertices: np.ndarray, flat: Flat, header: Header) -> tuple[np.ndarray, Flat]:
    """Vertices and surfaces with every valid GeometryInstance added; invalid instances are reported."""
    if not collector.instances:
        return vertices, flat
    found = _templates(collector, header)
    groups: dict[int, list[tuple[int, int, np.ndarray]]] = {}
    for gid, geometry, base, limit in collector.instances:
        oid = collector.ids[collector.geom_obj[gid]]
        if found is None:
            collector.report.skip(oid, "GeometryInstance, but the file has no usable 'geometry-templates'")
            continue
        sub, _, _, gids = found
        template = geometry.get("template")
        refs = geometry.get("boundaries")
        matrix = geometry.get("transformationMatrix", [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
        if not isinstance(template, int) or not 0 <= template < len(gids) or gids[template] is None:
            collector.report.skip(oid, f"GeometryInstance of template {template!r}, which the file does not have")
            continue
        if not (isinstance(refs, list) and len(refs) == 1 and isinstance(refs[0], int) and 0 <= refs[0] < limit):
            collector.report.skip(oid, "GeometryInstance needs one reference vertex index in range as boundaries")
            continue
        try:
            m = np.asarray(matrix, dtype=np.float64).reshape(4, 4)
        except (TypeError, ValueError):
            collector.report.skip(oid, "GeometryInstance transformationMatrix must be 16 numbers")
            continue
        groups.setdefault(template, []).append((gid, base + refs[0], m))
    if not groups:
        return vertices, flat
    sub, tflat, tverts, gids = found
    new_vertices, new_flats = [vertices], [flat]
    count = len(vertices)
    for template, items in groups.items():
        tgid = gids[template]
        keep = tflat.owner == tgid
        if not keep.any():
            for gid, _, _ in items:
                collector.report.skip(collector.ids[collector.geom_obj[gid]], f"template {template} has no valid surfaces")
            continue
        ring_keep = np.repeat(keep, tflat.rings)
        idx = tflat.indices[np.repeat(ring_keep, tflat.ring_len)]
        used, local = np.unique(idx, return_inverse=True)
        inst = np.asarray([g for g, _, _ in items], np.int64)
        mats = np.stack([m for _, _, m in items])
        refs = vertices[np.asarray([r for _, r, _ in items], np.int64)]
        placed = np.einsum("nij,kj->nki", mats[:, :3, :3], tverts[used]) + (mats[:, :3, 3] + refs)[:, None, :]
        new_vertices.append(placed.reshape(-1, 3))
        n, k = len(items), len(used)
        offset = len(collector.sem_codes)
        codes = sub.sem_codes[sub.sem_offset[tgid]:sub.sem_offset[tgid] + sub.sem_count[tgid]]
        collector.sem_codes = np.concatenate([collector.sem_codes, codes])
        collector.sem_offset[inst] = offset
        collector.sem_count[inst] = len(codes)
        for gid in inst.tolist():
            collector.geom_lod[gid] = sub.geom_lod[tgid]
        surfaces = int(keep.sum())
        new_flats.append(Flat(
            owner=np.repeat(inst, surfaces),
            value=np.tile(tflat.value[keep], n),
            rings=np.tile(tflat.rings[keep], n),
            ring_len=np.tile(tflat.ring_len[ring_keep], n),
            indices=(local[None, :] + count + k * np.arange(n)[:, None]).ravel(),
        ))
        count += n * k
    merged = Flat(*(np.concatenate([getattr(f, name) for f in new_flats])
                    for name in ("owner", "value", "rings", "ring_len", "indices")))
    return np.concatenate(new_vertices), merged
