"""What a 3D Tiles export reads from a layer: its triangles per feature and its attribute table.

The mesh table (``lyr_<id>_mesh``: one row per feature and LoD, flat ``vertices``, row-local
``triangles``, one ``surfaces`` code per triangle) is read as one Arrow table and flattened through
the list offsets, as ``twin.scene.meshes`` does: no Python loop per building. Per feature the
layer's ``default_lod`` is taken when it has it, else its highest LoD.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twin.errors import ProjectError
from twin.store.project import LayerInfo, Project

#: columns of the layer table that are not exported as metadata properties
SKIPPED_COLUMNS = ("geom",)


@dataclasses.dataclass(frozen=True)
class LayerMeshes:
    """One layer's features as flat arrays in the project CRS (the rows of a feature merged), and its attributes.

    Feature ``i`` owns ``vertex_counts[i]`` vertices and ``triangle_counts[i]`` triangles, laid end to end
    in feature order.
    """

    layer: LayerInfo
    fids: np.ndarray  # (features,) int64, ascending, unique
    vertices: np.ndarray  # (n, 3) float64
    vertex_counts: np.ndarray  # (features,) int64
    triangles: np.ndarray  # (m, 3) int64, global indices into ``vertices``
    triangle_counts: np.ndarray  # (features,) int64
    surfaces: np.ndarray  # (m,) uint8, twin.layerdata.SURFACE_CODES
    attributes: pa.Table  # one row per entry of ``fids``, same order

    @property
    def feature_count(self) -> int:
        return len(self.fids)


def offsets(counts: np.ndarray) -> np.ndarray:
    """Start of each run of ``counts`` items laid end to end."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.cumsum(counts) - counts


def has_mesh(project: Project, layer: LayerInfo) -> bool:
    """True when the layer has a mesh table (3D objects)."""
    return project.has_table(layer.mesh_table)


def read_layer(project: Project, layer: LayerInfo) -> LayerMeshes:
    """The layer's meshes (one LoD per feature) and the attributes of those features."""
    if not has_mesh(project, layer):
        raise ProjectError(f"layer {layer.name!r} has no 3D objects (no mesh table) to export as 3D Tiles")
    mesh = layer.ref("mesh")
    want = layer.properties.get("default_lod")
    sql = (
        f"WITH pick AS (SELECT fid, arg_max(lod, coalesce((lod = $want)::INT, 0) * 1000 + coalesce(TRY_CAST(lod AS DOUBLE), 0)) AS lod "
        f"FROM {mesh} GROUP BY fid) "
        f"SELECT m.fid, m.vertices, m.triangles, m.surfaces FROM {mesh} m JOIN pick USING (fid, lod) ORDER BY m.fid"
    )
    table = project.query(sql, {"want": None if want is None else str(want)})
    rows = _merge_rows(_flatten(table, layer))
    columns = [r["column_name"] for r in project.query(f"DESCRIBE {layer.ref()}").to_pylist()]
    keep = [c for c in columns if c not in SKIPPED_COLUMNS]
    attrs = project.query(f"SELECT * EXCLUDE (geom) FROM {layer.ref()} ORDER BY fid") if "geom" in columns else \
        project.query(f"SELECT * FROM {layer.ref()} ORDER BY fid")
    attrs = attrs.select(keep)
    table_fids = attrs.column("fid").to_numpy().astype(np.int64)
    where = np.searchsorted(table_fids, rows["fids"])
    found = (where < len(table_fids)) & (table_fids[np.minimum(where, len(table_fids) - 1)] == rows["fids"]) \
        if len(table_fids) else np.zeros(len(rows["fids"]), dtype=bool)
    if not found.all():
        bad = int(rows["fids"][np.flatnonzero(~found)[0]])
        raise ProjectError(f"layer {layer.name!r}: mesh row of feature {bad} has no feature row")
    return LayerMeshes(layer=layer, attributes=attrs.take(pa.array(where)), **rows)


def _merge_rows(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows sorted by fid -> one entry per feature (its rows' vertices and triangles are already contiguous)."""
    fids, first = np.unique(rows["fids"], return_index=True)
    if len(fids) == len(rows["fids"]):
        return rows
    rows = dict(rows)
    rows["vertex_counts"] = np.add.reduceat(rows["vertex_counts"], first) if len(first) else rows["vertex_counts"]
    rows["triangle_counts"] = np.add.reduceat(rows["triangle_counts"], first) if len(first) else rows["triangle_counts"]
    rows["fids"] = fids
    return rows


def _flatten(table: pa.Table, layer: LayerInfo) -> dict[str, np.ndarray]:
    fids = table.column("fid").to_numpy().astype(np.int64)
    vertices, vcounts = _flat_list(table.column("vertices"), np.float64)
    triangles, tcounts = _flat_list(table.column("triangles"), np.int64)
    surfaces, scounts = _flat_list(table.column("surfaces"), np.uint8)
    bad_rows = (vcounts % 3 != 0) | (tcounts % 3 != 0)
    if bad_rows.any():
        bad = int(fids[np.flatnonzero(bad_rows)[0]])
        raise ProjectError(f"layer {layer.name!r}: mesh of feature {bad} is not made of xyz triples / index triples")
    vcounts, tcounts = vcounts // 3, tcounts // 3
    if not np.array_equal(scounts, tcounts):
        wrong = (scounts != 0) & (scounts != tcounts)
        if wrong.any():
            bad = int(fids[np.flatnonzero(wrong)[0]])
            raise ProjectError(f"layer {layer.name!r}: feature {bad} has not one surface code per triangle")
        filled = np.zeros(int(tcounts.sum()), dtype=np.uint8)
        with_codes = np.flatnonzero(scounts > 0)
        start = np.repeat(offsets(tcounts)[with_codes] - offsets(scounts[with_codes]), scounts[with_codes])
        filled[start + np.arange(len(surfaces))] = surfaces
        surfaces = filled
    triangles = triangles.reshape(-1, 3)
    limit = np.repeat(vcounts, tcounts)[:, None]
    outside = ((triangles < 0) | (triangles >= limit)).any(axis=1)
    if outside.any():
        row = int(np.searchsorted(np.cumsum(tcounts), np.flatnonzero(outside)[0], side="right"))
        raise ProjectError(f"layer {layer.name!r}: feature {int(fids[row])} has triangle indices outside its vertices")
    triangles = triangles + np.repeat(offsets(vcounts), tcounts)[:, None]
    return {"fids": fids, "vertices": vertices.reshape(-1, 3), "vertex_counts": vcounts,
            "triangles": triangles, "triangle_counts": tcounts, "surfaces": surfaces}


def _flat_list(column: pa.ChunkedArray, dtype) -> tuple[np.ndarray, np.ndarray]:
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy().astype(np.int64)
    values = pc.list_flatten(array).to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    return values, lengths
