"""A layer's surfaces as flat arrays for the CityJSON writer: mesh triangles or footprint polygons.

Both paths give :class:`Surfaces`: ring vertices (one row per ring corner), rings, surfaces and
parts (one part = one feature at one LoD), built with numpy and shapely, no Python loop per feature.
:func:`quantise` then turns the corners into shared integer vertices as CityJSON's ``transform`` wants.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.errors import ProjectError


@dataclasses.dataclass
class Surfaces:
    """Surfaces of many parts. Part ``i`` owns surfaces ``part_surfaces[i]:part_surfaces[i+1]``, surface
    ``s`` owns rings ``surface_rings[s]:surface_rings[s+1]``, ring ``r`` owns corners ``ring_corners[r]:...``."""

    corners: np.ndarray  # (n, 3) float64, project CRS
    ring_corners: np.ndarray  # (rings + 1,) int64
    surface_rings: np.ndarray  # (surfaces + 1,) int64
    part_surfaces: np.ndarray  # (parts + 1,) int64
    surface_code: np.ndarray  # (surfaces,) uint8, twin.layerdata.SURFACE_CODES
    part_fid: np.ndarray  # (parts,) int64
    part_lod: list[str]
    triangles: bool  # every surface is one ring of three corners


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _flat_list(column: pa.ChunkedArray, dtype) -> tuple[np.ndarray, np.ndarray]:
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy().astype(np.int64)
    return pc.list_flatten(array).to_numpy(zero_copy_only=False).astype(dtype, copy=False), lengths


def mesh_surfaces(table: pa.Table, layer_name: str) -> Surfaces:
    """Surfaces of mesh rows (``fid, lod, vertices, triangles, surfaces``, ordered by fid): one triangle each."""
    fids = table.column("fid").to_numpy().astype(np.int64)
    vertices, vcount = _flat_list(table.column("vertices"), np.float64)
    triangles, tcount = _flat_list(table.column("triangles"), np.int64)
    codes, scount = _flat_list(table.column("surfaces"), np.uint8)
    if (vcount % 3).any() or (tcount % 3).any():
        raise ProjectError(f"layer {layer_name!r}: its mesh table does not hold xyz / index triples")
    vcount, tcount = vcount // 3, tcount // 3
    if not np.array_equal(scount, tcount):  # rows stored without semantics are unclassified
        full = np.zeros(int(tcount.sum()), np.uint8)
        ok = scount == tcount
        starts = _offsets(tcount)[:-1][ok]
        take = np.repeat(starts - _offsets(scount[ok])[:-1], scount[ok]) + np.arange(int(scount[ok].sum()))
        keep = np.repeat(ok, scount)
        full[take] = codes[keep]
        codes = full
    local = triangles.reshape(-1, 3)
    row_of_triangle = np.repeat(np.arange(len(fids)), tcount)
    if len(local) and ((local < 0) | (local >= vcount[row_of_triangle][:, None])).any():
        bad = int(fids[row_of_triangle[np.flatnonzero(((local < 0) | (local >= vcount[row_of_triangle][:, None])).any(1))[0]]])
        raise ProjectError(f"layer {layer_name!r}: feature {bad} has triangle indices outside its vertices")
    corner_index = (local + _offsets(vcount)[:-1][row_of_triangle][:, None]).ravel()
    m = len(local)
    return Surfaces(
        corners=vertices.reshape(-1, 3)[corner_index],
        ring_corners=np.arange(m + 1, dtype=np.int64) * 3,
        surface_rings=np.arange(m + 1, dtype=np.int64),
        part_surfaces=_offsets(tcount),
        surface_code=codes,
        part_fid=fids,
        part_lod=[str(v) for v in table.column("lod").to_pylist()],
        triangles=True,
    )


def footprint_surfaces(wkb: np.ndarray, fids: np.ndarray, *, lod: str = "0") -> Surfaces:
    """LoD0 surfaces of (multi)polygon footprints: one part per feature with a polygon; z = 0 when 2D.

    Outer rings are counter-clockwise seen from above and holes clockwise, without the closing corner."""
    geoms = shapely.from_wkb(wkb)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    polys, owner = shapely.get_parts(np.where(polygonal, geoms, None), return_index=True)
    keep = ~shapely.is_empty(polys)
    polys, owner = shapely.orient_polygons(polys[keep], exterior_cw=False), owner[keep]
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, include_z=True, return_index=True)
    coords[np.isnan(coords[:, 2]), 2] = 0.0
    per_ring = np.bincount(ring_of, minlength=len(rings))
    last = _offsets(per_ring)[1:] - 1  # the closing corner repeats the first
    open_corners = np.ones(len(coords), bool)
    open_corners[last[per_ring > 0]] = False
    coords, ring_of = coords[open_corners], ring_of[open_corners]
    parts, part_of_poly = np.unique(owner, return_inverse=True)
    return Surfaces(
        corners=coords,
        ring_corners=_offsets(np.bincount(ring_of, minlength=len(rings))),
        surface_rings=_offsets(np.bincount(ring_poly, minlength=len(polys))),
        part_surfaces=_offsets(np.bincount(part_of_poly, minlength=len(parts))),
        surface_code=np.zeros(len(polys), np.uint8),
        part_fid=np.asarray(fids, np.int64)[parts],
        part_lod=[lod] * len(parts),
        triangles=False,
    )


@dataclasses.dataclass
class Quantised:
    """Integer vertices (``vertices * scale + translate`` = coordinates) and each corner's vertex index,
    counted from the start of its group (``group_start``; one group, or one per CityJSONSeq feature)."""

    vertices: np.ndarray  # (v, 3) int64
    vertex_group: np.ndarray  # (v,) int64
    corner_vertex: np.ndarray  # (n,) int64, local to the corner's group
    group_start: np.ndarray  # (groups + 1,) int64 into vertices


def _row_order(keys: np.ndarray) -> np.ndarray:
    """Lexicographic order of non-negative int64 rows: one argsort of packed keys when the bits fit in 63,
    else ``np.lexsort`` (both far faster than ``np.unique(axis=0)``, which sorts rows as bytes)."""
    if not len(keys):
        return np.zeros(0, np.int64)
    low = keys.min(axis=0)
    span = keys.max(axis=0) - low
    bits = [int(v).bit_length() for v in span]
    if sum(bits) <= 63:
        packed = np.zeros(len(keys), np.int64)
        for column, b in enumerate(bits):
            packed = (packed << b) | (keys[:, column] - low[column])
        return np.argsort(packed, kind="stable")
    return np.lexsort(keys.T[::-1])


def quantise(corners: np.ndarray, corner_group: np.ndarray, translate: np.ndarray, scale: np.ndarray,
             groups: int) -> Quantised:
    """Round corners to the transform's grid and share equal vertices within each group."""
    q = np.rint((corners - translate) / scale).astype(np.int64)
    keys = np.column_stack([corner_group.astype(np.int64), q])
    order = _row_order(keys)
    ordered = keys[order]
    new = np.ones(len(keys), bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(keys), np.int64)
    inverse[order] = np.cumsum(new) - 1
    unique = ordered[new]
    starts = np.searchsorted(unique[:, 0], np.arange(groups + 1))
    return Quantised(np.ascontiguousarray(unique[:, 1:]), unique[:, 0].copy(), inverse - starts[corner_group], starts)


def closed_parts(triangles: np.ndarray, triangle_part: np.ndarray, parts: int, *, tolerance: float = 1e-3) -> np.ndarray:
    """True for parts whose triangles (``(m, 3, 3)`` corner coordinates) bound a volume: their vector area
    sums to zero (within ``tolerance`` of their total area, which lets T-junctions of real solids pass)
    and their signed volume is positive (outward faces). Edge matching would refuse T-junctions."""
    if not len(triangles):
        return np.zeros(parts, bool)
    origin = triangles.reshape(-1, 3).min(axis=0)
    p0, p1, p2 = (triangles - origin).transpose(1, 0, 2)
    cross = np.cross(p1 - p0, p2 - p0)
    vector = np.column_stack([np.bincount(triangle_part, cross[:, k], minlength=parts) for k in range(3)])
    area = np.bincount(triangle_part, np.linalg.norm(cross, axis=1), minlength=parts)
    volume = np.bincount(triangle_part, np.einsum("ij,ij->i", p0, cross), minlength=parts) / 6.0
    enough = np.bincount(triangle_part, minlength=parts) >= 4
    return enough & (area > 0) & (np.linalg.norm(vector, axis=1) <= tolerance * area) & (volume > 0)
