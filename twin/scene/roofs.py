"""Points that stand on roofs: a point without a z of its own inside a building's footprint is drawn on its roof.

A facility mapped inside a building (an operation centre, a camera on a wall) has a footprint point at z 0:
drawn there its glyph is inside the building and hidden at street level. :func:`standing_z` gives every point
of a points layer the z it is drawn at: its own z when it has one (not 0, not NaN), else the roof of the
highest building of a visible buildings layer whose footprint holds it, else its z unchanged (the ground).

All points are matched against the footprints at once, in DuckDB: a spatial join (``ST_Contains`` of the
``lyr_<id>.geom`` footprints, which every buildings layer has: a table, or a view of an external dataset) uses
the layer's R-tree. Roofs are then read for the buildings hit only:

- a mesh table with per-row boxes (tiled at import): its ``zmax`` column, never the vertices;
- an external dataset: :meth:`~twin.scene.dataset_tiles.DatasetTiles.feature_rows` of those buildings, from the
  partitions that hold them only;
- an older mesh table: the top of those rows' ``vertices``;
- footprints without a mesh (drawn extruded): the footprint's base plus its height column.

Results are cached per project and layer (and the buildings layers' state), so that a rebuild of a visual
(a new size) asks nothing again.
"""

from __future__ import annotations

import logging
import weakref

import duckdb
import numpy as np

from twin.errors import TwinError
from twin.scene.features import attribute_types, find_column, numeric_column
from twin.store.project import LayerInfo, Project

#: attributes a footprints-only buildings layer is extruded by (first match), as its visual does
HEIGHT_COLUMNS = ("height", "measuredHeight", "높이", "HAUTEUR")
#: a z within this of 0 is "no z of its own" (a 2D point written as 3D)
NO_Z = 1e-9

log = logging.getLogger(__name__)
_CACHE: "weakref.WeakKeyDictionary[Project, dict[tuple, np.ndarray]]" = weakref.WeakKeyDictionary()


def roof_layers(project: Project) -> list[LayerInfo]:
    """The buildings layers points may stand on: kind ``buildings``, readable, not hidden by their style."""
    return [layer for layer in project.layers()
            if layer.kind == "buildings" and not layer.broken and (layer.style or {}).get("visible", True) is not False
            and layer.feature_count]


def roof_z(project: Project, xy: np.ndarray, layers: list[LayerInfo] | None = None) -> np.ndarray:
    """The roof z (project CRS) of the highest building whose footprint holds each point ``xy`` (n, 2), NaN where
    no footprint of ``layers`` (default :func:`roof_layers`) holds it. One spatial join per buildings layer."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    out = np.full(len(xy), np.nan)
    finite = np.isfinite(xy).all(axis=1)
    if not finite.any():
        return out
    index = np.flatnonzero(finite)
    for layer in roof_layers(project) if layers is None else layers:
        try:
            points, fids = _hits(project, layer, xy[finite])
            if not len(points):
                continue
            unique, inverse = np.unique(fids, return_inverse=True)
            top = _tops(project, layer, unique)[inverse]
        except (duckdb.Error, TwinError) as exc:  # a damaged buildings layer: its roofs are left out, points drawn
            log.warning("points on roofs: layer %r left out (%s)", layer.name, str(exc).splitlines()[0][:200])
            continue
        keep = np.isfinite(top)
        np.fmax.at(out, index[points[keep]], top[keep])
    return out


def standing_z(project: Project, layer: LayerInfo, xyz: np.ndarray) -> np.ndarray:
    """The z each point of ``layer`` is drawn at (project CRS, (n,)): its own z when it has one, else the roof it
    stands on (:func:`roof_z`), else its z as given (NaN or 0: the ground). Cached per layer and buildings state."""
    xyz = np.asarray(xyz, dtype=np.float64).reshape(len(xyz), -1)
    z = xyz[:, 2].copy() if xyz.shape[1] > 2 else np.full(len(xyz), np.nan)
    own = np.isfinite(z) & (np.abs(z) > NO_Z)
    if own.all() or layer.kind == "buildings":
        return z
    roofs = roof_layers(project)
    if not roofs:
        return z
    key = (layer.id, layer.table_name, layer.feature_count, str(layer.imported_at), len(xyz),
           tuple((b.id, b.feature_count, str(b.imported_at)) for b in roofs))
    cached = _CACHE.setdefault(project, {})
    if key not in cached:
        found = np.full(len(xyz), np.nan)
        found[~own] = roof_z(project, xyz[~own, :2], roofs)
        cached[key] = found
    return np.where(own | ~np.isfinite(cached[key]), z, cached[key])


def _hits(project: Project, layer: LayerInfo, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point index, building fid) of every point inside a footprint of ``layer``: one DuckDB spatial join."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    sql = (f"WITH pts AS (SELECT unnest(range(len($xs)::BIGINT)) AS i, unnest($xs) AS x, unnest($ys) AS y) "
           f"SELECT p.i, b.fid FROM pts p JOIN (SELECT fid, geom FROM {layer.ref()} WHERE geom IS NOT NULL "
           f"AND ST_Intersects_Extent(geom, ST_MakeEnvelope($x0, $y0, $x1, $y1))) b "
           f"ON ST_Contains(b.geom, ST_Point(p.x, p.y))")
    rows = project.numpy(sql, {"xs": xy[:, 0].tolist(), "ys": xy[:, 1].tolist(),
                               "x0": float(lo[0]), "y0": float(lo[1]), "x1": float(hi[0]), "y1": float(hi[1])})
    return np.asarray(rows["i"], dtype=np.int64), np.asarray(rows["fid"], dtype=np.int64)


def _tops(project: Project, layer: LayerInfo, fids: np.ndarray) -> np.ndarray:
    """The roof z of some buildings of ``layer`` (project CRS), NaN where unknown; reads those buildings only."""
    from twin.scene.meshes import has_mesh
    from twin.store import tiles as store_tiles

    if isinstance(layer.properties.get("dataset"), dict):
        from twin.scene.dataset_tiles import source

        return _top_of_rows(source(project, layer).feature_rows(fids.tolist()), fids)
    params = {"fids": fids.tolist()}
    if has_mesh(project, layer):
        columns = set(project.query("SELECT column_name FROM duckdb_columns() WHERE table_name = ?",
                                    [layer.mesh_table]).column("column_name").to_pylist())
        top = "zmax" if store_tiles.has_tiles(columns) else "list_max(list_slice(vertices, 3, len(vertices), 3))"
        rows = project.numpy(f"SELECT m.fid, max({top})::DOUBLE AS top FROM {layer.ref('mesh')} m "
                             f"SEMI JOIN (SELECT unnest($fids) AS fid) w ON m.fid = w.fid GROUP BY m.fid", params)
        return _by_fid(np.asarray(rows["fid"], np.int64), np.asarray(rows["top"], np.float64), fids)
    column = (layer.style or {}).get("extrude") or find_column(attribute_types(project, layer), HEIGHT_COLUMNS)
    if isinstance(column, (int, float)) and not isinstance(column, bool):
        heights = np.full(len(fids), float(column))
    elif isinstance(column, str):
        heights = numeric_column(project, layer, column)[fids]
    else:
        return np.full(len(fids), np.nan)  # flat footprints: nothing to stand on
    rows = project.numpy(f"SELECT t.fid, coalesce(ST_ZMin(t.geom), 0)::DOUBLE AS base FROM {layer.ref()} t "
                         f"SEMI JOIN (SELECT unnest($fids) AS fid) w ON t.fid = w.fid", params)
    base = _by_fid(np.asarray(rows["fid"], np.int64), np.asarray(rows["base"], np.float64), fids)
    base = np.where(np.isfinite(base), base, 0.0)
    return np.where(np.isfinite(heights) & (heights > 0), base + heights, np.nan)


def _top_of_rows(rows, fids: np.ndarray) -> np.ndarray:
    """Highest vertex z per fid of :class:`~twin.scene.meshes.MeshRows`, in the order of ``fids``."""
    if not len(rows.fids) or not len(rows.vertices):
        return np.full(len(fids), np.nan)
    owner = np.repeat(rows.fids, rows.vertex_counts)
    unique, inverse = np.unique(owner, return_inverse=True)
    top = np.full(len(unique), -np.inf)
    np.maximum.at(top, inverse, rows.vertices[:, 2])
    return _by_fid(unique, top, fids)


def _by_fid(have: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values`` (one per fid in ``have``) in the order of ``wanted``, NaN for the missing."""
    out = np.full(len(wanted), np.nan)
    if not len(have):
        return out
    order = np.argsort(have)
    at = np.clip(np.searchsorted(have[order], wanted), 0, len(have) - 1)
    found = have[order][at] == wanted
    out[found] = values[order][at][found]
    return np.where(np.isfinite(out), out, np.nan)
