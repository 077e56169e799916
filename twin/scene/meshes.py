"""3D objects from a layer's mesh table (``lyr_<id>_mesh``) as one merged PolyData, built vectorised.

Each row of the mesh table is one part (feature, LoD) with flat ``vertices``, local ``triangles``
and one ``surfaces`` code per triangle. The rows are read as one Arrow table; the list offsets give
every row's vertex base, so the global triangle indices are one ``np.repeat`` away: there is no
Python loop per building.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyvista as pv

from twin.errors import ProjectError
from twin.scene.origin import LocalOrigin
from twin.store.project import LayerInfo, Project

#: cell array of feature ids on every scene mesh (picking, per-feature colouring)
FID = "fid"
#: cell array of semantic surface codes (``twin.layerdata.SURFACE_CODES``) on building meshes
SURFACE = "surface"


@dataclasses.dataclass(frozen=True)
class MeshRows:
    """The chosen LoD rows of a mesh table as flat arrays (project CRS, float64)."""

    fids: np.ndarray  # (rows,) int64
    vertices: np.ndarray  # (n, 3) float64
    vertex_counts: np.ndarray  # (rows,) int64
    triangles: np.ndarray  # (m, 3) int64, local to each row
    triangle_counts: np.ndarray  # (rows,) int64
    surfaces: np.ndarray  # (m,) uint8


def has_mesh(project: Project, layer: LayerInfo) -> bool:
    """True when the layer has a mesh table."""
    found = project.query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ?", [layer.mesh_table])
    return bool(found.column("n")[0].as_py())


def mesh_lods(project: Project, layer: LayerInfo) -> list[str]:
    """The LoDs present in a layer's mesh table, lowest first (``["1.2", "1.3", "2.2"]``)."""
    rows = project.query(f"SELECT DISTINCT lod FROM {layer.ref('mesh')}").column("lod").to_pylist()
    return sorted((r for r in rows if r is not None), key=_lod_key)


def _lod_key(lod: str) -> tuple[float, str]:
    try:
        return float(lod), lod
    except ValueError:
        return -1.0, lod


def chosen_lod(project: Project, layer: LayerInfo, lod: str | None = None) -> str | None:
    """The LoD to draw: ``lod`` when given, else the layer's ``default_lod`` property, else the highest."""
    lods = mesh_lods(project, layer)
    want = lod or layer.properties.get("default_lod")
    if want is not None and str(want) not in lods:
        if lod is not None:
            raise ProjectError(f"layer {layer.name!r} has no LoD {lod} (it has {', '.join(lods) or 'none'})")
        want = None
    return str(want) if want is not None else (lods[-1] if lods else None)


def read_mesh_rows(project: Project, layer: LayerInfo, *, lod: str | None = None) -> MeshRows:
    """The mesh rows to draw: per feature the wanted LoD, falling back to its highest LoD."""
    return read_mesh_rows_where(project, layer, lod=lod)


def read_mesh_rows_where(project: Project, layer: LayerInfo, where: str = "", params: dict | None = None, *,
                         lod: str | None = None, lods: list[str] | None = None) -> MeshRows:
    """The mesh rows to draw of the rows matching ``where`` (SQL over the mesh table's columns with ``$name``
    parameters from ``params``; e.g. the rows of some tiles), per feature the wanted LoD as in :func:`read_mesh_rows`.
    ``lods`` (the layer's, from :func:`mesh_lods`) saves a query when the caller knows them."""
    table = layer.ref("mesh")
    lods = mesh_lods(project, layer) if lods is None else lods
    params = dict(params or {})
    clause = f" WHERE {where}" if where else ""
    if len(lods) <= 1:
        sql = f"SELECT fid, vertices, triangles, surfaces FROM {table}{clause}"
    else:
        # per feature: the wanted LoD when it has it, else its highest (numeric order of "1.2" < "2.2")
        params["want"] = chosen_lod(project, layer, lod)
        sql = (
            f"WITH rows AS (SELECT fid, lod, vertices, triangles, surfaces FROM {table}{clause}), "
            f"pick AS (SELECT fid, arg_max(lod, (lod = $want)::INT * 1000 + coalesce(TRY_CAST(lod AS DOUBLE), 0)) "
            f"AS lod FROM rows GROUP BY fid) "
            f"SELECT m.fid, m.vertices, m.triangles, m.surfaces FROM rows m JOIN pick USING (fid, lod)"
        )
    result = project.query(sql, params) if params else project.query(sql)
    return _flatten(result, layer)


def _flatten(table: pa.Table, layer: LayerInfo) -> MeshRows:
    fids = table.column("fid").to_numpy().astype(np.int64)
    vertices, vcounts = _flat_list(table.column("vertices"), np.float64)
    triangles, tcounts = _flat_list(table.column("triangles"), np.int64)
    surfaces, scounts = _flat_list(table.column("surfaces"), np.uint8)
    if (vcounts % 3).any() or (tcounts % 3).any():
        bad = int(fids[np.flatnonzero((vcounts % 3) | (tcounts % 3))[0]])
        raise ProjectError(f"layer {layer.name!r}: mesh of feature {bad} is not made of xyz triples / index triples")
    vcounts, tcounts = vcounts // 3, tcounts // 3
    if not np.array_equal(scounts, tcounts):
        scounts_ok = scounts == 0  # no semantics stored: unclassified
        if not (scounts_ok | (scounts == tcounts)).all():
            bad = int(fids[np.flatnonzero(~(scounts_ok | (scounts == tcounts)))[0]])
            raise ProjectError(f"layer {layer.name!r}: feature {bad} has not one surface code per triangle")
        surfaces = _fill_missing_surfaces(surfaces, scounts, tcounts)
    triangles = triangles.reshape(-1, 3)
    limit = np.repeat(vcounts, tcounts)[:, None]
    if len(triangles) and ((triangles < 0) | (triangles >= limit)).any():
        row = np.searchsorted(np.cumsum(tcounts), np.flatnonzero(((triangles < 0) | (triangles >= limit)).any(axis=1))[0], side="right")
        raise ProjectError(f"layer {layer.name!r}: feature {int(fids[row])} has triangle indices outside its vertices")
    return MeshRows(fids, vertices.reshape(-1, 3), vcounts, triangles, tcounts, surfaces)


def _flat_list(column: pa.ChunkedArray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Values and per-row lengths of a list column (nulls count as empty), without a Python loop."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy().astype(np.int64)
    values = pc.list_flatten(array).to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    return values, lengths


def _fill_missing_surfaces(surfaces: np.ndarray, scounts: np.ndarray, tcounts: np.ndarray) -> np.ndarray:
    out = np.zeros(int(tcounts.sum()), dtype=np.uint8)
    rows_with = np.flatnonzero(scounts > 0)
    if rows_with.size:
        idx = np.repeat(offsets(tcounts)[rows_with] - offsets(scounts[rows_with]), scounts[rows_with])
        out[idx + np.arange(len(surfaces))] = surfaces
    return out


def rows_to_polydata(rows: MeshRows, origin: LocalOrigin) -> pv.PolyData:
    """One PolyData of all rows: local float32 points, triangles, ``fid`` and ``surface`` cell arrays."""
    vertex_base = offsets(rows.vertex_counts)
    faces = rows.triangles + np.repeat(vertex_base, rows.triangle_counts)[:, None]
    points = origin.to_local(rows.vertices)
    mesh = pv.PolyData.from_regular_faces(points, faces.astype(np.int64, copy=False))
    mesh.cell_data[FID] = np.repeat(rows.fids, rows.triangle_counts)
    mesh.cell_data[SURFACE] = rows.surfaces
    return mesh


def solids_first(mesh: pv.PolyData) -> tuple[pv.PolyData, int]:
    """The mesh with the triangles of its outward-wound solids first (``twin.scene.winding``), and their count."""
    from twin.scene.winding import outward_solids

    faces = mesh.regular_faces if mesh.n_cells else np.empty((0, 3), dtype=np.int64)
    solid = outward_solids(mesh.points, faces, mesh.cell_data[FID])
    count = int(solid.sum())
    if count in (0, mesh.n_cells):
        return mesh, count
    return take_cells(mesh, np.argsort(~solid, kind="stable")), count


def take_cells(mesh: pv.PolyData, cells: np.ndarray | slice) -> pv.PolyData:
    """Some triangles of a triangle mesh (an index array or a slice; its points shared), with their cell arrays."""
    out = pv.PolyData.from_regular_faces(mesh.points, mesh.regular_faces[cells])
    for name in mesh.cell_data.keys():
        out.cell_data[name] = np.asarray(mesh.cell_data[name])[cells]
    return out


def building_mesh(project: Project, layer: LayerInfo, origin: LocalOrigin, *, lod: str | None = None) -> pv.PolyData:
    """The merged mesh of a layer's 3D objects, relative to ``origin``."""
    return rows_to_polydata(read_mesh_rows(project, layer, lod=lod), origin)


def merge_triangles(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> pv.PolyData:
    """One mesh of several ``(points (n, 3), triangles (m, 3) local to the piece, fids (m,))`` pieces."""
    pieces = [p for p in pieces if len(p[1])]
    if not pieces:
        return empty_mesh()
    base = offsets(np.array([len(p[0]) for p in pieces]))
    points = np.concatenate([p[0] for p in pieces]).astype(np.float32)
    faces = np.concatenate([p[1] + b for p, b in zip(pieces, base)]).astype(np.int64)
    mesh = pv.PolyData.from_regular_faces(points, faces)
    mesh.cell_data[FID] = np.concatenate([p[2] for p in pieces]).astype(np.int64)
    return mesh


def empty_mesh() -> pv.PolyData:
    """A mesh without cells that still carries the ``fid`` array."""
    mesh = pv.PolyData()
    mesh.cell_data[FID] = np.empty(0, dtype=np.int64)
    return mesh


def polyline_cells(counts: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The VTK cell array ``[n, i0, ..., n, ...]`` of polylines of ``counts`` vertices from ``starts``."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    total = int(counts.sum())
    out = np.empty(total + len(counts), dtype=np.int64)
    head = offsets(counts + 1)
    out[head] = counts
    body = np.ones(len(out), dtype=bool)
    body[head] = False
    out[body] = np.repeat(starts, counts) + (np.arange(total) - np.repeat(offsets(counts), counts))
    return out


def offsets(counts: np.ndarray) -> np.ndarray:
    """Start of each run of ``counts`` items laid end to end (exclusive cumulative sum)."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.cumsum(counts) - counts


def cells_subset(mesh: pv.PolyData, cells: np.ndarray) -> pv.PolyData:
    """The given cells of a mesh as a new PolyData (cell arrays kept); fast for triangle meshes."""
    cells = np.asarray(cells, dtype=np.int64)
    if cells.size == 0:
        return pv.PolyData()
    if mesh.n_cells and mesh.is_all_triangles:
        faces = mesh.regular_faces[cells]
        used, compact = np.unique(faces, return_inverse=True)
        sub = pv.PolyData.from_regular_faces(np.asarray(mesh.points)[used], compact.reshape(-1, 3))
        for name in mesh.cell_data.keys():
            sub.cell_data[name] = np.asarray(mesh.cell_data[name])[cells]
        return sub
    return mesh.extract_cells(cells).extract_surface(algorithm="dataset_surface")


def point_fids(mesh: pv.PolyData) -> np.ndarray | None:
    """The feature id of every point of a triangle mesh whose features share no vertex (all scene
    meshes), from its ``fid`` cells; stored as a point array too. None for other meshes."""
    if FID in mesh.point_data:
        return np.asarray(mesh.point_data[FID])
    if not mesh.n_cells or FID not in mesh.cell_data or not mesh.is_all_triangles:
        return None
    out = np.zeros(mesh.n_points, dtype=np.int64)
    out[mesh.regular_faces.ravel()] = np.repeat(np.asarray(mesh.cell_data[FID]), 3)
    mesh.point_data[FID] = out
    return out
