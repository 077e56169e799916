"""From collected objects and surfaces to layers: one LayerData per theme (Building, Road, ...).

An object belongs to the theme of its root ancestor, so a BuildingPart lives in the layer of its
Building and points to it with ``parent_fid``. Layer rows keep the file's order.
"""

from __future__ import annotations

import pathlib
from collections import Counter
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import shapely

from twin.api import ImportReport, InputError, LayerData
from twin_plugins.formats.cityjson.attributes import json_column, lifted_columns
from twin_plugins.formats.cityjson.collect import Collector
from twin_plugins.formats.cityjson.flatten import Flat
from twin_plugins.formats.cityjson.mesh import build_parts, footprints, inherit_footprints, object_z
from twin_plugins.formats.cityjson.triangulate import offsets, triangulate

#: themes that are "buildings" (3D objects drawn from their mesh) whatever their geometry types
BUILDING_THEMES = ("Building", "Bridge", "Tunnel", "OtherConstruction")
#: geometry types that make any theme a 3D "buildings" layer; the rest (roads, land use, water as
#: MultiSurfaces) are "polygons": drawn flat from their footprints, their mesh kept in the table
VOLUME_TYPES = ("Solid", "MultiSolid", "CompositeSolid", "GeometryInstance")
MAX_DEPTH = 32


def theme_of(kind: str) -> str:
    """Theme (layer) of a root city object type: BuildingPart -> Building, +NoiseBarrier -> NoiseBarrier."""
    kind = kind.lstrip("+")
    for prefix in ("Building", "Bridge", "Tunnel"):
        if kind.startswith(prefix):
            return prefix
    return kind


def lod_key(lod: str) -> tuple[float, str]:
    """Sort key of LoD text: numeric order ("1.2" < "1.3" < "2.2"), unknown text last."""
    try:
        return float(lod), lod
    except ValueError:
        return float("inf"), lod


def parent_rows(collector: Collector, report: ImportReport) -> np.ndarray:
    """Row of each object's parent (-1 for top-level objects and parents not in the file).

    A CityObjectGroup is not a parent: its members keep their own theme (and their real parent).
    """
    index = {oid: row for row, oid in enumerate(collector.ids)}
    groups = {row for row, kind in enumerate(collector.types) if kind == "CityObjectGroup"}
    parent = np.full(len(collector.ids), -1, np.int64)
    missing = set()
    for row, parents in enumerate(collector.parents):
        if parents is None:
            continue
        for candidate in parents:
            found = index.get(candidate) if isinstance(candidate, str) else None
            if found is None:
                missing.add(str(candidate))
            elif found not in groups and found != row:
                parent[row] = found
                break
    for row, children in collector.children:  # old files may list children only
        if row in groups:
            continue
        for child in children:
            found = index.get(child) if isinstance(child, str) else None
            if found is not None and parent[found] < 0 and found != row:
                parent[found] = row
    if missing:
        report.note(f"{len(missing)} parent id(s) not in the file; their children are top-level "
                    f"({', '.join(sorted(missing)[:5])})")
    return parent


def roots(parent: np.ndarray) -> np.ndarray:
    """Root ancestor of each object (itself when top-level); cycles stop after MAX_DEPTH levels."""
    root = np.arange(len(parent))
    for _ in range(MAX_DEPTH):
        up = parent[root]
        moving = up >= 0
        if not moving.any():
            break
        root = np.where(moving, up, root)
    return root


def _spread_up(values: np.ndarray, parent: np.ndarray, ufunc) -> np.ndarray:
    """Objects without a value (NaN) take ``ufunc`` of their children's, level by level."""
    out = values.copy()
    for _ in range(MAX_DEPTH):
        child = np.flatnonzero((parent >= 0) & np.isfinite(out))
        child = child[np.isnan(out[parent[child]])]
        if not len(child):
            break
        fill = np.full(len(out), np.nan)
        ufunc.at(fill, parent[child], out[child])
        out = np.where(np.isnan(out), fill, out)
    return out


def build_layers(path: pathlib.Path, collector: Collector, flat: Flat, vertices: np.ndarray, *, crs: str,
                 version: str, fmt: str, report: ImportReport,
                 progress: Callable[[float, str], None]) -> list[LayerData]:
    """Triangulate, group and tabulate everything collected from one file into LayerData per theme."""
    n_obj = len(collector.ids)
    if n_obj == 0:
        raise InputError(path, "the file has no city objects")
    parent = parent_rows(collector, report)
    keep = usable_objects(collector, flat, parent, report)
    if not keep.any():
        first = report.skipped[0] if report.skipped else None
        reason = f"{first.reason} ({first.where}; {len(report.skipped)} skipped)" if first else "no geometry"
        raise InputError(path, f"no usable city object: {reason}")
    types = np.asarray(collector.types, dtype=object)
    themes = np.asarray([theme_of(t) for t in types[roots(parent)]], dtype=object)
    counts = Counter(themes[keep].tolist())
    names = sorted(counts, key=lambda t: (t != "Building", -counts[t], t))
    position = {name: i for i, name in enumerate(names)}
    layer_of = np.fromiter((position.get(t, len(names)) for t in themes.tolist()), np.int64, n_obj)
    order = np.lexsort((np.arange(n_obj), layer_of))
    order = order[keep[order]]  # objects with no valid geometry left are skipped (reported where they failed)
    rank = np.full(n_obj, -1, np.int64)
    rank[order] = np.arange(len(order))

    progress(0.55, "triangulating")
    tris = triangulate(vertices, flat)
    if tris.degenerate:
        report.note(f"{tris.degenerate} surface(s) without area (collinear or fewer than 3 vertices) have no triangles")
    codes = collector.surface_codes(tris.flat)
    lod_names = sorted(set(collector.geom_lod), key=lod_key) or ["?"]
    lod_lookup = {name: i for i, name in enumerate(lod_names)}
    geom_lod = np.fromiter((lod_lookup[x] for x in collector.geom_lod), np.int64, len(collector.geom_lod))
    geom_obj = np.frombuffer(collector.geom_obj, np.int64)
    progress(0.82, "building meshes")
    parts = build_parts(vertices, tris, codes, geom_obj, geom_lod, rank, len(lod_names))
    zmin, zmax = object_z(parts, n_obj)
    zmin, zmax = _spread_up(zmin, parent, np.fmin), _spread_up(zmax, parent, np.fmax)
    progress(0.86, "footprints")
    shapes = inherit_footprints(footprints(vertices, tris, codes, geom_obj, geom_lod, parts, n_obj), parent)
    wkb = shapely.to_wkb(shapes)
    lod_array = np.asarray(lod_names, dtype=object)
    volume = np.zeros(len(names), bool)
    volume_obj = geom_obj[[t in VOLUME_TYPES for t in collector.geom_type]]
    volume[layer_of[volume_obj[keep[volume_obj]]]] = True
    part_rank = rank[parts.obj]
    datas = []
    report.detected["format"] = f"{fmt} {version}"
    report.detected["city objects"] = dict(Counter(collector.types).most_common())
    report.detected["LoDs"] = [lod_names[i] for i in np.unique(parts.lod).tolist()]
    for j, theme in enumerate(names):
        start = counts_before(names, counts, j)
        stop = start + counts[theme]
        rows = order[start:stop]
        p0, p1 = np.searchsorted(part_rank, [start, stop])
        mesh = parts.mesh(int(p0), int(p1), part_rank[p0:p1] - start, lod_array) if p1 > p0 else None
        lods_here = [lod_names[i] for i in sorted(set(parts.lod[p0:p1].tolist()))]
        lod_count = np.bincount(part_rank[p0:p1] - start, minlength=len(rows))
        lods = pa.ListArray.from_arrays(pa.array(offsets(lod_count).astype(np.int32)),
                                        pa.array(lod_array[parts.lod[p0:p1]].tolist(), pa.string()))
        layer_report = report if j == 0 else ImportReport(report.source)  # file-level skips and notes: first layer
        features = _features(rows, parent, rank, start, collector, wkb, zmax - zmin, lods)
        layer_report.imported = len(rows)
        kinds = Counter(types[rows].tolist())
        datas.append(LayerData(
            kind="buildings" if theme in BUILDING_THEMES or volume[j] else "polygons",
            features=features,
            crs=crs,
            report=layer_report,
            mesh=mesh,
            name=theme,
            properties={
                "lods": lods_here,
                "default_lod": lods_here[-1] if lods_here else None,
                "object_types": dict(kinds.most_common()),
                "theme": theme,
                "source_format": f"{fmt} {version}",
                "semantic_surfaces": bool(mesh is not None and mesh.triangle_surface.any()),
            },
        ))
    return datas


def usable_objects(collector: Collector, flat: Flat, parent: np.ndarray, report: ImportReport) -> np.ndarray:
    """Objects to keep: all but those that had geometry and have no surface left, in themselves or a descendant."""
    n_obj = len(collector.ids)
    geom_obj = np.frombuffer(collector.geom_obj, np.int64)
    alive = np.zeros(n_obj, bool)
    alive[geom_obj[flat.owner]] = True
    for _ in range(MAX_DEPTH):  # a Building whose geometry is in its BuildingParts is usable
        up = parent[alive & (parent >= 0)]
        up = up[~alive[up]]
        if not len(up):
            break
        alive[up] = True
    had = np.zeros(n_obj, bool)
    had[geom_obj] = True
    failed = {item.where for item in report.skipped}
    if failed:
        had |= np.fromiter((oid in failed for oid in collector.ids), bool, n_obj)
    return alive | ~had


def counts_before(names: list[str], counts: Counter, j: int) -> int:
    """Number of objects in the layers before layer ``j``."""
    return sum(counts[n] for n in names[:j])


def _features(rows: np.ndarray, parent: np.ndarray, rank: np.ndarray, start: int, collector: Collector,
              wkb: np.ndarray, height: np.ndarray, lods: pa.Array) -> pa.Table:
    ids = [collector.ids[r] for r in rows.tolist()]
    up = parent[rows]
    has_parent = up >= 0
    parent_fid = np.where(has_parent, rank[np.maximum(up, 0)] - start, 0)
    attributes = [collector.attributes[r] for r in rows.tolist()]
    columns = {
        "geometry": pa.array(wkb[rows].tolist(), pa.binary()),
        "object_id": pa.array(ids, pa.string()),
        "object_type": pa.array([collector.types[r] for r in rows.tolist()], pa.string()),
        "parent_fid": pa.array(parent_fid, pa.int64(), mask=~has_parent),
        "parent_id": pa.array([collector.ids[p] if p >= 0 else None for p in up.tolist()], pa.string()),
        "height": pa.array(height[rows], pa.float64(), mask=np.isnan(height[rows])),
        "lods": lods,
        "attributes": json_column(attributes),
    }
    lifted, _ = lifted_columns(attributes)
    columns.update(lifted)
    return pa.table(columns)
