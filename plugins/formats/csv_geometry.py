"""Geometries written as text in CSV cells: GeoJSON objects (``{"type":"Polygon",...}``) or WKT.

TAAS hotspot files carry each hotspot's area as an escaped GeoJSON Polygon in one cell beside
its point; such a column becomes a layer of its own (parsed vectorised by shapely).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

_GEOJSON = r'^\s*\{.*"type"\s*:\s*"(Point|MultiPoint|LineString|MultiLineString|Polygon|MultiPolygon)".*"coordinates"'
_GEOJSON_ANY = r'^\s*\{.*"coordinates"\s*:.*"type"\s*:\s*"(Point|MultiPoint|LineString|MultiLineString|Polygon|MultiPolygon)"'
_WKT = r"^\s*(?i:(multi)?(point|linestring|polygon)|geometrycollection)\s*(?i:z|m|zm)?\s*(\(|(?i:empty))"


def _share(values: pa.Array, *patterns: str) -> float:
    hits = pc.match_substring_regex(values, patterns[0])
    for pattern in patterns[1:]:
        hits = pc.or_(hits, pc.match_substring_regex(values, pattern))
    return (pc.sum(pc.cast(hits, pa.int64())).as_py() or 0) / max(len(values), 1)


def geometry_text_columns(table: pa.Table, *, threshold: float = 0.5) -> dict[str, str]:
    """Columns whose non-empty cells are at least half GeoJSON geometries or WKT: ``{name: "GeoJSON" | "WKT"}``
    (the cells that are not become skipped rows of that layer)."""
    found: dict[str, str] = {}
    for name in table.column_names:
        column = table.column(name)
        if not pa.types.is_string(column.type):
            continue
        present = pc.drop_null(column)
        if len(present) == 0:
            continue
        sample = present.slice(0, 2000)
        if _share(sample, _GEOJSON, _GEOJSON_ANY) >= threshold:
            found[name] = "GeoJSON"
        elif _share(sample, _WKT) >= threshold:
            found[name] = "WKT"
    return found


def parse_geometry_text(column: pa.Array | pa.ChunkedArray, notation: str) -> np.ndarray:
    """Shapely geometries of a text column (``None`` where a cell is empty or invalid)."""
    values = pc.fill_null(column, "").to_numpy(zero_copy_only=False).astype(object)
    values[values == ""] = None
    if notation == "GeoJSON":
        return shapely.from_geojson(values, on_invalid="ignore")
    return shapely.from_wkt(values, on_invalid="ignore")
