"""Features the project must not hold, found while writing: skipped or repaired, always reported.

- A feature whose coordinates are not a place (lon 500, lat 900; NaN; anything that reprojects to
  inf) is skipped as ``feature N`` (1-based row of the file's layer): never stored as ``POINT (inf inf)``.
- An invalid polygon (a bow-tie) is repaired with ``shapely.make_valid`` (in the source CRS, and again
  after reprojection if that broke one) and counted; one with nothing left (no area) is skipped.
- Rows of extra tables (track samples) whose x/y do not reproject are dropped and counted.

Skipping keeps everything that refers to rows consistent: mesh parts and ``parent_fid`` are renumbered
(a child whose parent was skipped becomes top-level). Layers with extra tables keep their rows (the
tables refer to them) and lose only the geometry.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.crs import is_geographic
from twin.errors import InputError
from twin.geometry.validity import finite_rows, lonlat_rows, repair_polygons
from twin.layerdata import LayerData, MeshData

NOT_A_PLACE = "coordinates are not a place in {crs} (infinite, NaN or beyond the globe)"
DOES_NOT_REPROJECT = "coordinates do not reproject to the project CRS {crs} (infinite or NaN)"


def bad_source_rows(data: LayerData, xy: tuple[np.ndarray, np.ndarray] | None, geometries: np.ndarray | None) -> np.ndarray:
    """Rows (bool mask) whose source coordinates are not finite or, in a geographic CRS, off the globe."""
    if xy is not None:
        x, y = xy
        ok = np.isfinite(x) & np.isfinite(y)
        if data.crs and _geographic(data.crs):
            ok &= lonlat_rows(x, y)
        return ~ok
    ok = finite_rows(geometries)
    if data.crs and _geographic(data.crs) and len(geometries):
        bounds = shapely.bounds(geometries)
        present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
        on_globe = lonlat_rows(bounds[:, 0], bounds[:, 1]) & lonlat_rows(bounds[:, 2], bounds[:, 3])
        ok &= ~present | on_globe
    return ~ok


def bad_mesh_features(mesh: MeshData | None, n_features: int) -> np.ndarray:
    """Feature rows (bool mask) owning a mesh part with a non-finite vertex."""
    bad = np.zeros(n_features, dtype=bool)
    if mesh is None or not len(mesh.vertices):
        return bad
    vertex_bad = ~np.isfinite(mesh.vertices).all(axis=1)
    if not vertex_bad.any():
        return bad
    counts = np.diff(mesh.part_vertex_offsets)
    part_bad = np.add.reduceat(vertex_bad, mesh.part_vertex_offsets[:-1].astype(np.int64)) > 0
    part_bad &= counts > 0
    bad[mesh.part_feature[part_bad]] = True
    return bad


def report_rows(data: LayerData, rows: np.ndarray, reason: str) -> None:
    """Record each skipped row as ``feature N`` (1-based) with ``reason``; lower the imported count."""
    for row in np.flatnonzero(rows).tolist():
        data.report.skip(f"feature {row + 1}", reason)
    if data.report.imported:
        data.report.imported = max(0, data.report.imported - int(rows.sum()))


def drop_rows(data: LayerData, drop: np.ndarray) -> LayerData:
    """``data`` without the feature rows in ``drop``: features, mesh parts and ``parent_fid`` renumbered.

    Layers with extra tables keep every row with a null geometry (their tables refer to the rows).
    """
    if not drop.any():
        return data
    if data.tables:
        geometry = data.features.column("geometry")
        cleared = pc.if_else(pa.array(drop), pa.scalar(None, geometry.type), geometry)
        index = data.features.column_names.index("geometry")
        return dataclasses.replace(data, features=data.features.set_column(index, "geometry", cleared))
    keep = ~drop
    new_row = np.cumsum(keep) - 1
    features = data.features.filter(pa.array(keep))
    if "parent_fid" in features.column_names:
        features = _renumber_parents(features, keep, new_row)
    changes: dict[str, Any] = {"features": features}
    if data.mesh is not None:
        changes["mesh"] = _keep_mesh_parts(data.mesh, keep, new_row)
    if data.feature_count is not None:
        changes["feature_count"] = None  # counted again from the rows left
    return dataclasses.replace(data, **changes)


def _renumber_parents(features: pa.Table, keep: np.ndarray, new_row: np.ndarray) -> pa.Table:
    column = features.column("parent_fid").combine_chunks()
    parent = column.to_numpy(zero_copy_only=False)
    missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    parent = np.where(missing, 0, np.nan_to_num(parent, nan=0)).astype(np.int64)
    valid = ~missing & (parent >= 0) & (parent < len(keep))
    alive = np.zeros(len(parent), dtype=bool)
    alive[valid] = keep[parent[valid]]
    renumbered = pa.array(np.where(alive, new_row[np.clip(parent, 0, len(keep) - 1)], 0), type=column.type,
                          mask=~alive)
    return features.set_column(features.column_names.index("parent_fid"), "parent_fid", renumbered)


def _keep_mesh_parts(mesh: MeshData, keep: np.ndarray, new_row: np.ndarray) -> MeshData:
    part_keep = keep[mesh.part_feature]
    vo, to = mesh.part_vertex_offsets.astype(np.int64), mesh.part_triangle_offsets.astype(np.int64)
    v_keep = np.repeat(part_keep, np.diff(vo))
    t_keep = np.repeat(part_keep, np.diff(to))
    return MeshData(
        vertices=mesh.vertices[v_keep],
        triangles=mesh.triangles[t_keep],
        triangle_surface=mesh.triangle_surface[t_keep],
        part_vertex_offsets=np.concatenate([[0], np.cumsum(np.diff(vo)[part_keep])]),
        part_triangle_offsets=np.concatenate([[0], np.cumsum(np.diff(to)[part_keep])]),
        part_feature=new_row[mesh.part_feature[part_keep]],
        part_lod=np.asarray(mesh.part_lod)[part_keep],
    )


def repair(data: LayerData, geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invalid polygons made valid (noted with their count); returns (geometries, rows with nothing left)."""
    fixed, repaired, failed = repair_polygons(geometries)
    if repaired.any():
        rows = np.flatnonzero(repaired)[:10] + 1
        shown = ", ".join(f"feature {r}" for r in rows.tolist()) + (", ..." if repaired.sum() > 10 else "")
        data.report.note(f"repaired {int(repaired.sum())} invalid polygon(s) with make_valid "
                         f"(self-intersecting rings split into valid parts: {shown})")
        data.report.detected["repaired geometries"] = int(repaired.sum())
    return fixed, failed


def clean_table_xy(data: LayerData, suffix: str, table: pa.Table, xy: tuple[str, str], crs: str) -> pa.Table:
    """Rows of an extra table whose reprojected x/y are not finite are dropped and counted."""
    x = table.column(xy[0]).to_numpy(zero_copy_only=False).astype(np.float64)
    y = table.column(xy[1]).to_numpy(zero_copy_only=False).astype(np.float64)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if not bad.any():
        return table
    for row in np.flatnonzero(bad)[:1000].tolist():
        data.report.skip(f"{suffix} row {row + 1}", DOES_NOT_REPROJECT.format(crs=crs))
    if bad.sum() > 1000:
        data.report.note(f"{int(bad.sum())} {suffix} rows in all did not reproject (the first 1000 are listed)")
    return table.filter(pa.array(~bad))


def source_xy_ok(data: LayerData, suffix: str, xy: tuple[str, str]) -> np.ndarray:
    """Rows of an extra table whose source x/y are finite (and on the globe for a geographic CRS)."""
    table = data.tables[suffix]
    x = table.column(xy[0]).to_numpy(zero_copy_only=False).astype(np.float64)
    y = table.column(xy[1]).to_numpy(zero_copy_only=False).astype(np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if data.crs and _geographic(data.crs):
        ok &= lonlat_rows(x, y)
    return ok


def _geographic(crs: str) -> bool:
    try:
        return is_geographic(crs)
    except Exception:  # an unknown CRS is refused where it is used, with its own message
        return False



def before_reprojection(data: LayerData, geometries: Any) -> tuple[LayerData, Any]:
    """Skip features (and track rows) whose source coordinates are not a place; before the project CRS is chosen.

    ``geometries`` is a shapely array or the writer's ``PointXY`` (x, y arrays) of the rows.
    """
    points = hasattr(geometries, "x")
    bad = bad_source_rows(data, (geometries.x, geometries.y) if points else None, None if points else geometries)
    for suffix, xy in data.table_xy.items():
        ok = source_xy_ok(data, suffix, xy)
        if not ok.all():
            for row in np.flatnonzero(~ok)[:1000].tolist():
                data.report.skip(f"{suffix} row {row + 1}", NOT_A_PLACE.format(crs=data.crs))
            data = dataclasses.replace(data, tables={**data.tables, suffix: data.tables[suffix].filter(pa.array(ok))})
    data, geometries = _drop(data, geometries, bad, NOT_A_PLACE.format(crs=data.crs))
    return _repair(data, geometries)


def _repair(data: LayerData, geometries: Any) -> tuple[LayerData, Any]:
    if hasattr(geometries, "x") or not len(geometries):
        return data, geometries
    geometries, failed = repair(data, geometries)
    return _drop(data, geometries, failed, "invalid polygon that make_valid cannot repair (it has no area)")


def after_reprojection(data: LayerData, geometries: Any, mesh: MeshData | None,
                       crs: str) -> tuple[LayerData, Any, MeshData | None]:
    """Skip what does not reproject to ``crs`` (inf/NaN), repair invalid polygons, skip what cannot be repaired."""
    points = hasattr(geometries, "x")
    if points:
        bad = ~(np.isfinite(geometries.x) & np.isfinite(geometries.y))
    else:
        bad = ~finite_rows(geometries)
    bad |= bad_mesh_features(mesh, len(bad))
    data = dataclasses.replace(data, mesh=mesh)
    data, geometries = _drop(data, geometries, bad, DOES_NOT_REPROJECT.format(crs=crs))
    data, geometries = _repair(data, geometries)  # in the source CRS first; reprojection rarely breaks one
    return data, geometries, data.mesh


def _drop(data: LayerData, geometries: Any, bad: np.ndarray, reason: str) -> tuple[LayerData, Any]:
    if not bad.any():
        return data, geometries
    if bad.all() and not any(t.num_rows for t in data.tables.values()):
        raise InputError(data.report.source, f"no usable feature: {reason} (all {len(bad)} features)")
    report_rows(data, bad, reason)
    if hasattr(geometries, "x"):
        if data.tables:  # rows stay (tables refer to them), without a geometry
            kept = shapely.points(np.where(bad, 0.0, geometries.x), np.where(bad, 0.0, geometries.y))
            kept[bad] = None
        else:
            kept = type(geometries)(geometries.x[~bad], geometries.y[~bad])
    elif data.tables:
        kept = geometries.copy()
        kept[bad] = None
    else:
        kept = geometries[~bad]
    return drop_rows(data, bad), kept
