"""Reading what the linkers need from a project's layers: positions, geometries, chosen columns, times.

Everything is one query per layer through the read-only ``ProjectReader``; table and column names are
quoted with ``twin.api.table_ref`` / ``quote_identifier`` (a project file is data).
"""

from __future__ import annotations

import numpy as np
import shapely

from twin.api import quote_identifier, table_ref


def columns(project, layer) -> list[str]:
    """The column names of a layer's feature table."""
    rows = project.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                        [layer.table_name])
    return [r[0] for r in rows]


def column_of(project, layer, candidates) -> str | None:
    """The first of ``candidates`` the layer has (exact, then ignoring case)."""
    names = columns(project, layer)
    for wanted in candidates:
        if wanted in names:
            return wanted
    lowered = {n.lower(): n for n in names}
    return next((lowered[w.lower()] for w in candidates if w.lower() in lowered), None)


def features(project, layer, extra: dict[str, str | None] | None = None) -> dict[str, np.ndarray]:
    """``fid``, ``x``, ``y`` (a point on each feature: the point itself, else the centroid), ``wkb`` (the
    geometry) and each ``extra`` column under its key (None: a column of NaN), ordered by fid."""
    extra = {k: v for k, v in (extra or {}).items()}
    picks = [f"{quote_identifier(col)} AS {quote_identifier(key)}" for key, col in extra.items() if col]
    sql = ("SELECT fid, ST_X(ST_PointOnSurface(geom)) AS x, ST_Y(ST_PointOnSurface(geom)) AS y, "
           f"ST_AsWKB(geom) AS wkb{''.join(', ' + p for p in picks)} FROM {table_ref(layer.table_name)} "
           "WHERE geom IS NOT NULL ORDER BY fid")
    table = project.query(sql)
    out = {"fid": table.column("fid").to_numpy().astype(np.int64),
           "x": table.column("x").to_numpy(zero_copy_only=False).astype(np.float64),
           "y": table.column("y").to_numpy(zero_copy_only=False).astype(np.float64),
           "wkb": table.column("wkb").to_numpy(zero_copy_only=False)}
    for key, col in extra.items():
        out[key] = table.column(key).to_numpy(zero_copy_only=False) if col else np.full(table.num_rows, np.nan)
    return out


def geometries(data: dict[str, np.ndarray]) -> np.ndarray:
    """The shapely geometries of :func:`features`."""
    return shapely.from_wkb(data["wkb"])


def numbers(values, default: float) -> np.ndarray:
    """A column as floats (text such as ``'45'`` or ``'45°'`` read as numbers; blanks take ``default``)."""
    import pandas as pd

    text = pd.Series(np.asarray(values, dtype=object)).astype("string").str.strip().str.rstrip("°m").str.strip()
    out = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(out), out, default)


def spans(project, layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fid, start, end) of an events layer (``t_start``/``t_end`` as numpy datetime64[us]; end NaT when open)."""
    table = project.query(f"SELECT fid, t_start, t_end FROM {table_ref(layer.table_name)} ORDER BY fid")
    return (table.column("fid").to_numpy().astype(np.int64),
            table.column("t_start").to_numpy(zero_copy_only=False).astype("datetime64[us]"),
            table.column("t_end").to_numpy(zero_copy_only=False).astype("datetime64[us]"))
