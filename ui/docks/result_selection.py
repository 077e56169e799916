"""Which features a set of selected query-result rows points at.

A row points at a feature when it carries ``fid`` and its layer is known: from a ``layer`` column
(layer name), a ``table_name`` column (``lyr_<id>``), or, when neither is there, from the one layer
feature table the query reads. Rows with a geometry column point at that geometry, whatever it is.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.tabular.results import geometry_columns

_TABLE_REF = re.compile(r'"?\b(lyr_\d+)\b"?(?!_)', re.I)


@dataclasses.dataclass
class ResultSelection:
    """Features (per layer name, their fids) and free geometries (project CRS) to highlight."""

    features: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    geometries: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, dtype=object))

    @property
    def empty(self) -> bool:
        return not self.features and not len(self.geometries)

    def describe(self) -> str:
        parts = [f"{len(f)} feature(s) of {name}" for name, f in self.features.items()]
        if len(self.geometries):
            parts.append(f"{len(self.geometries)} geometr{'y' if len(self.geometries) == 1 else 'ies'}")
        return ", ".join(parts) or "nothing to highlight"


def tables_in_sql(sql: str) -> set[str]:
    """Layer feature tables (``lyr_<id>``, not ``lyr_<id>_mesh``) named in a query."""
    return {m.group(1).lower() for m in _TABLE_REF.finditer(sql)}


def _column(table: pa.Table, *names: str) -> str | None:
    lowered = {n.lower(): n for n in table.column_names}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def select_rows(table: pa.Table, rows: list[int] | np.ndarray, sql: str, layers: list) -> ResultSelection:
    """``layers``: the catalogue entries (``LayerInfo``) of the model's layers."""
    """What ``rows`` of a query result point at (see the module docstring)."""
    selection = ResultSelection()
    if not len(rows) or table.num_rows == 0:
        return selection
    picked = table.take(pa.array(np.asarray(rows, dtype=np.int64)))
    fid_col = _column(picked, "fid")
    if fid_col is not None and pa.types.is_integer(picked.schema.field(fid_col).type):
        by_table = {layer.table_name.lower(): layer.name for layer in layers}
        names = {layer.name for layer in layers}
        layer_col = _column(picked, "layer", "layer_name")
        table_col = _column(picked, "table_name", "layer_table")
        fids = picked.column(fid_col)
        if layer_col is not None:
            keys = picked.column(layer_col).to_pylist()
            owners = [k if k in names else None for k in keys]
        elif table_col is not None:
            owners = [by_table.get(str(k).lower()) if k is not None else None for k in picked.column(table_col).to_pylist()]
        else:
            referenced = [by_table[t] for t in tables_in_sql(sql) if t in by_table]
            owners = [referenced[0] if len(referenced) == 1 else None] * picked.num_rows
        fid_values = fids.to_numpy(zero_copy_only=False)
        valid = ~np.asarray(pc.is_null(fids).to_numpy(zero_copy_only=False), dtype=bool)
        owner_array = np.asarray(owners, dtype=object)
        for owner in {o for o in owners if o is not None}:
            mask = valid & (owner_array == owner)
            selection.features[owner] = np.unique(fid_values[mask].astype(np.int64))
    geoms = geometry_columns(picked)
    if geoms and not selection.features:
        wkb = picked.column(geoms[0]).to_numpy(zero_copy_only=False)
        values = shapely.from_wkb(wkb)
        selection.geometries = values[~shapely.is_missing(values)]
    return selection
