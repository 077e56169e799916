"""GDAL vector files (GeoPackage, GeoJSON, Shapefile, FlatGeobuf) through pyogrio, and GeoParquet
through pyarrow: one layer per GDAL layer, kind from the geometry type, footprints with a
height or storey attribute extruded to LoD1 buildings.

pyogrio reads straight into Arrow (``read_arrow``): attributes keep their names and types and
geometries arrive as WKB, with no Python object per feature.
"""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pyarrow as pa
import pyogrio
import shapely

from twin.api import (
    ImportOptions,
    ImportReport,
    InputError,
    LayerData,
    decode_text,
    find_named_column,
    kind_groups,
    source_crs,
    wants_stream,
)
from twin_plugins.formats.footprints import (
    BASE_NAMES,
    GROUND_NAMES,
    buildings_layer,
    footprint_columns,
    measure_values,
)

DRIVERS = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
           ".fgb": "FlatGeobuf", ".parquet": "GeoParquet", ".geoparquet": "GeoParquet"}
_GEOJSON_TYPE = re.compile(r'"type"\s*:\s*"(FeatureCollection|Feature|Point|MultiPoint|LineString|MultiLineString|'
                           r'Polygon|MultiPolygon|GeometryCollection)"')
_CITYJSON_TYPE = re.compile(r'"type"\s*:\s*"CityJSON')


def sniff(path: pathlib.Path) -> bool:
    """True for files this importer reads; for ``*.json``, GeoJSON only (CityJSON is refused)."""
    path = pathlib.Path(path)
    if path.suffix.lower() != ".json":
        return True
    with open(path, "rb") as fh:
        head = fh.read(65536).decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if not head.startswith("{") or _CITYJSON_TYPE.search(head):
        return False
    return bool(_GEOJSON_TYPE.search(head))


def read_vector(path: pathlib.Path, options: ImportOptions) -> LayerData | list[LayerData]:
    """Read every spatial layer of a vector file (one LayerData per GDAL layer and geometry kind)."""
    path = pathlib.Path(path)
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        if wants_stream(path, options):  # a big file: chunks of rows (twin_plugins.formats.geoparquet_stream)
            from twin_plugins.formats.geoparquet_stream import stream_geoparquet

            return stream_geoparquet(path, options)
        return _geoparquet(path, options)
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL says why in its message
        raise InputError(path, f"GDAL cannot open it as {DRIVERS.get(path.suffix.lower(), 'a vector file')}: "
                               f"{_gdal_message(exc, path)}") from None
    encoding, how = _dbf_encoding(path, options)
    spatial = [(str(name), gtype) for name, gtype in listed if gtype is not None]
    if not spatial:
        raise InputError(path, "no layer with geometries (only attribute tables)")
    out: list[LayerData] = []
    for i, (name, _) in enumerate(spatial):
        options.report_progress(0.1 + 0.8 * i / len(spatial), f"layer {name}")
        try:
            meta, table = pyogrio.read_arrow(path, layer=name, encoding=encoding, **_row_range(options))
            table.column_names  # noqa: B018 - decodes the field names now, inside the try
        except UnicodeDecodeError:
            raise InputError(path, f"text is not {encoding or 'UTF-8'}: give the encoding with --encoding "
                                   "(e.g. cp949)", where=f"layer {name!r}") from None
        except Exception as exc:
            raise InputError(path, f"GDAL cannot read it: {_gdal_message(exc, path)}", where=f"layer {name!r}") from None
        report = ImportReport(source=str(path))
        report.detected.update({"format": DRIVERS.get(path.suffix.lower(), "GDAL vector"), "layer": name,
                                "geometry": meta.get("geometry_type"), "encoding": meta.get("encoding")})
        if how:
            report.detected["encoding"] = f"{encoding} ({how})"
        if path.suffix.lower() == ".shp" and not any(path.with_suffix(x).exists() for x in (".dbf", ".DBF")):
            report.note("no .dbf beside the .shp: the features have no attributes")
        skipped = [n for n, g in listed if g is None]
        if skipped and i == 0:
            report.note("attribute-only tables not imported: " + ", ".join(map(str, skipped)))
        crs = source_crs(path, meta.get("crs"), options, report)
        geometry_name = _geometry_column(table, meta)
        out += _layers(path, table.drop_columns([geometry_name]), table.column(geometry_name), crs=crs,
                       options=options, report=report, name=name if len(spatial) > 1 else None)
    return out[0] if len(out) == 1 else out


def _row_range(options: ImportOptions) -> dict:
    """``skip_features``/``max_features`` from ``options.extra`` (a chunk of rows, for `twin batch`), else none."""
    if "skip_features" not in options.extra:
        return {}
    rows = {"skip_features": int(options.extra["skip_features"])}
    if options.extra.get("max_features") is not None:
        rows["max_features"] = int(options.extra["max_features"])
    return rows


def _parquet_rows(parquet, rows: dict) -> pa.Table:
    """Rows ``skip_features`` .. ``+max_features`` of a Parquet file, reading only the row groups they lie in."""
    start = rows["skip_features"]
    stop = start + rows.get("max_features", parquet.metadata.num_rows)
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    ends = np.cumsum(sizes)
    groups = [i for i in range(len(sizes)) if ends[i] > start and ends[i] - sizes[i] < stop]
    if not groups:
        return parquet.schema_arrow.empty_table()
    first = int(ends[groups[0]] - sizes[groups[0]])
    return parquet.read_row_groups(groups).slice(start - first, stop - start)


def _gdal_message(exc: Exception, path: pathlib.Path | None = None) -> str:
    """GDAL's message without the file name (the error names it already) and without its driver hint."""
    text = str(exc).split("; It might help")[0].strip()
    if path is not None:
        text = text.replace(f"'{path}' ", "").replace(f"{path}: ", "")
    return text or type(exc).__name__


def _geometry_column(table: pa.Table, meta: dict) -> str:
    for name in (meta.get("geometry_name"), "wkb_geometry", "geometry", "geom"):
        if name and name in table.column_names:
            return name
    return table.column_names[-1]


def _dbf_encoding(path: pathlib.Path, options: ImportOptions) -> tuple[str | None, str | None]:
    """The text encoding to read a layer with: ``--encoding``, else for a Shapefile without ``.cpg``
    and without a code page byte, a guess from the bytes of its ``.dbf`` (UTF-8 or CP949)."""
    if options.encoding:
        return options.encoding, "given with --encoding"
    if path.suffix.lower() != ".shp":
        return None, None
    if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None, None
    dbf = next((path.with_suffix(s) for s in (".dbf", ".DBF") if path.with_suffix(s).exists()), None)
    if dbf is None:
        return None, None
    data = dbf.read_bytes()
    if len(data) < 32 or data[29] != 0:  # byte 29: the code page GDAL reads itself
        return None, None
    header_length = int.from_bytes(data[8:10], "little")
    names = b"".join(data[k:k + 11] for k in range(32, min(header_length, len(data)) - 1, 32) if data[k] != 0x0D)
    text = (names + b"\n" + data[header_length:]).replace(b"\x00", b" ").replace(b"\x1a", b" ")
    if text.isascii():
        return None, None
    try:
        guess = decode_text(text, path=dbf)
    except InputError:
        return None, None
    return guess.codec, "no .cpg: guessed from the .dbf bytes"


def _layers(path, attributes: pa.Table, wkb: pa.ChunkedArray, *, crs: str, options: ImportOptions,
            report: ImportReport, name: str | None) -> list[LayerData]:
    """Split a GDAL layer by geometry dimension and build each part (buildings when it can)."""
    attributes = pa.table([c for c in attributes.columns], names=attributes.column_names)  # drop field metadata
    raw = np.asarray(wkb.to_numpy(zero_copy_only=False), dtype=object)
    geometries = shapely.from_wkb(raw, on_invalid="ignore")  # GEOS refuses e.g. a line of one point: skipped
    unreadable = shapely.is_missing(geometries) & np.not_equal(raw, None)
    groups = kind_groups(geometries)
    empty = np.setdiff1d(np.arange(len(geometries)), np.concatenate(list(groups.values()) or [np.empty(0, int)]))
    for row in empty.tolist():
        report.skip(f"feature {row + 1}", "invalid geometry (GEOS cannot read it, e.g. a line of one point)"
                    if unreadable[row] else "no geometry")
    if not groups:
        raise InputError(path, "no feature has a geometry", where=f"layer {name!r}" if name else None)
    out = []
    for kind, rows in groups.items():
        part_report = report if len(groups) == 1 else _copy_report(report)
        part_name = name if len(groups) == 1 else f"{name or path.stem} {kind}"
        table = attributes.take(pa.array(rows))
        geoms = geometries[rows]
        if kind == "polygons":
            layer = _maybe_buildings(path, table, geoms, crs=crs, options=options, report=part_report, name=part_name)
            if layer is not None:
                out.append(layer)
                continue
        part_report.imported = len(rows)
        features = with_geometry(table, geoms)
        out.append(LayerData(kind=kind, features=features, crs=crs, report=part_report, name=part_name))
    return out


def with_geometry(table: pa.Table, geometries: np.ndarray) -> pa.Table:
    """``table`` with a WKB ``geometry`` column appended; works for features without attributes
    (``"properties": {}``, a shapefile without ``.dbf``), whose table has no column to keep a row count."""
    wkb = pa.array(shapely.to_wkb(geometries), type=pa.binary())
    if table.num_columns == 0:
        return pa.table({"geometry": wkb})
    return table.append_column("geometry", wkb)


def _copy_report(report: ImportReport) -> ImportReport:
    copy = ImportReport(source=report.source, skipped=list(report.skipped), notes=list(report.notes))
    copy.detected.update(report.detected)
    return copy


def _maybe_buildings(path, table: pa.Table, geometries: np.ndarray, *, crs, options, report, name) -> LayerData | None:
    names = table.column_names
    height_col, storey_col = footprint_columns(path, names, options)
    if height_col is None and storey_col is None:
        return None
    report.detected["height column"] = height_col
    report.detected["storeys column"] = storey_col
    base_col, ground_col = find_named_column(names, BASE_NAMES), find_named_column(names, GROUND_NAMES)
    features = with_geometry(table, geometries)
    return buildings_layer(
        features, geometries, crs=crs, options=options, report=report, name=name,
        height=measure_values(table.column(height_col)) if height_col else None,
        storeys=measure_values(table.column(storey_col)) if storey_col else None,
        base=measure_values(table.column(base_col)) if base_col else None,
        ground=measure_values(table.column(ground_col)) if ground_col else None,
        properties={"height_column": height_col, "storeys_column": storey_col},
    )


def footprint_layer(path, table: pa.Table, geometries: np.ndarray, *, crs, options, report, name) -> LayerData | None:
    """Polygons with a height or storeys column as LoD1 buildings (None without such a column); for other readers
    of polygons with attributes (CSV with WKT/GeoJSON cells)."""
    return _maybe_buildings(path, table, geometries, crs=crs, options=options, report=report, name=name)


def _geoparquet(path: pathlib.Path, options: ImportOptions) -> LayerData | list[LayerData]:
    import pyarrow.parquet as pq
    import pyproj

    try:
        rows = _row_range(options)
        table = _parquet_rows(pq.ParquetFile(path), rows) if rows else pq.read_table(path)
    except Exception as exc:
        raise InputError(path, f"not a readable Parquet file: {exc}") from None
    geo = json.loads((table.schema.metadata or {}).get(b"geo", b"null"))
    if not geo or "primary_column" not in geo:
        raise InputError(path, "a Parquet file without GeoParquet 'geo' metadata (no geometry column declared)")
    primary = geo["primary_column"]
    column_meta = geo.get("columns", {}).get(primary, {})
    report = ImportReport(source=str(path))
    report.detected.update({"format": f"GeoParquet {geo.get('version', '')}".strip(),
                            "geometry": ", ".join(column_meta.get("geometry_types", [])) or "any"})
    if "crs" not in column_meta:
        declared = "OGC:CRS84"  # the GeoParquet default
    elif column_meta["crs"] is None:
        declared = None
    else:
        declared = pyproj.CRS.from_json_dict(column_meta["crs"]).to_wkt()
    crs = source_crs(path, declared, options, report)
    if column_meta.get("encoding", "WKB").upper() == "WKB":
        wkb = table.column(primary)
    else:
        import geopandas

        frame = geopandas.read_parquet(path, columns=[primary])
        if rows:
            frame = frame.iloc[rows["skip_features"]:rows["skip_features"] + table.num_rows]
        wkb = pa.chunked_array([pa.array(shapely.to_wkb(frame.geometry.values), type=pa.binary())])
    others = [c for c in geo.get("columns", {}) if c != primary and c in table.column_names]
    if others:
        report.note("other geometry columns kept as WKB attributes: " + ", ".join(others))
    out = _layers(path, table.drop_columns([primary]), wkb, crs=crs, options=options, report=report, name=None)
    return out[0] if len(out) == 1 else out
