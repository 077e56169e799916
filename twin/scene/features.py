"""Reading a layer's features for the scene: geometries in fid order and attribute columns by meaning.

Data arrive with many names for the same thing (``depth``, ``심도``; ``direction``, ``촬영방향``), so
columns are found by candidate names, exact first, then as a part of the name.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import shapely

from twin.store.identifiers import quote
from twin.scene.drawable import finite_only
from twin.store.project import LayerInfo, Project


@dataclasses.dataclass(frozen=True)
class FeatureGeometries:
    """The non-null geometries of a layer with their feature ids (project CRS)."""

    fids: np.ndarray  # (n,) int64
    geoms: np.ndarray  # (n,) shapely geometries

    def parts(self) -> tuple[np.ndarray, np.ndarray]:
        """Single parts (points, lines, polygons) of multi-geometries and the fid of each part."""
        parts, index = shapely.get_parts(self.geoms, return_index=True)
        return parts, self.fids[index]


def read_geometries(project: Project, layer: LayerInfo) -> FeatureGeometries:
    """All non-empty geometries of a layer, in fid order, read through Arrow and shapely (vectorised)."""
    table = project.query(
        f"SELECT fid, ST_AsWKB(geom) AS wkb FROM {layer.ref()} "
        "WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom) ORDER BY fid"
    )
    if table.num_rows == 0:
        return FeatureGeometries(np.empty(0, dtype=np.int64), np.empty(0, dtype=object))
    wkb = table.column("wkb").combine_chunks().to_numpy(zero_copy_only=False)
    geoms, fids = finite_only(layer.name, shapely.from_wkb(wkb), table.column("fid").to_numpy().astype(np.int64))
    return FeatureGeometries(fids, geoms)


def attribute_types(project: Project, layer: LayerInfo) -> dict[str, pa.DataType]:
    """Attribute columns of a layer and their Arrow types (without ``fid`` and ``geom``)."""
    schema = project.query(f"SELECT * EXCLUDE (geom) FROM {layer.ref()} LIMIT 0").schema
    return {field.name: field.type for field in schema if field.name != "fid"}


def find_column(names: list[str] | dict[str, object], candidates: tuple[str, ...]) -> str | None:
    """The first column named like one of ``candidates``: exact (any case) first, then containing it."""
    lowered = {name.lower(): name for name in names}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    for candidate in candidates:
        for low, name in lowered.items():
            if candidate.lower() in low:
                return name
    return None


def numeric_column(project: Project, layer: LayerInfo, name: str) -> np.ndarray:
    """A column as float64 in fid order (text is converted where it reads as a number; else NaN)."""
    table = project.query(f"SELECT TRY_CAST({quote(name)} AS DOUBLE) AS v FROM {layer.ref()} ORDER BY fid")
    return table.column("v").to_numpy(zero_copy_only=False).astype(np.float64)


def text_column(project: Project, layer: LayerInfo, name: str) -> tuple[np.ndarray, list[str]]:
    """A column as category codes in fid order (-1 = missing or blank) and the distinct texts."""
    import pyarrow.compute as pc

    sql = f"SELECT nullif(trim(CAST({quote(name)} AS VARCHAR)), '') AS v FROM {layer.ref()} ORDER BY fid"
    encoded = pc.dictionary_encode(project.query(sql).column("v")).combine_chunks()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def numeric_attribute(project: Project, layer: LayerInfo, candidates: tuple[str, ...]) -> np.ndarray | None:
    """Values (fid order) of the first column named like ``candidates`` that holds numbers, or None."""
    types = attribute_types(project, layer)
    remaining = dict(types)
    while remaining:
        name = find_column(remaining, candidates)
        if name is None:
            return None
        values = numeric_column(project, layer, name)
        if np.isfinite(values).any():
            return values
        remaining.pop(name)
    return None
