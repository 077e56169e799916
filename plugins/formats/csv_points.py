"""CSV with coordinates -> a points layer (plus a layer per column of GeoJSON/WKT geometries).

Detection (encoding, delimiter, line ends, coordinate columns by name in English and Korean,
geographic or projected values, swapped and impossible rows) lives in the core's ``twin.tabular``
(shared with the track importers through ``twin.api``); this module decides and reports.
Everything is vectorised: pyarrow parses, numpy masks select, WKB is built in numpy.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.api import (
    KOREAN_CRS,
    PROBLEMS,
    CoordinateColumns,
    CsvTable,
    ImportOptions,
    ImportReport,
    InputError,
    LayerData,
    check_points,
    find_coordinate_columns,
    geometry_kind,
    infer_types,
    is_geographic,
    korean_crs_candidates,
    looks_geographic,
    normalize_crs,
    parse_numbers,
    points_wkb,
    read_csv_table,
    summary_rows,
    wants_stream,
)
from twin_plugins.formats.csv_geometry import geometry_text_columns, parse_geometry_text

LOOKED_FOR = "위도/경도, latitude/longitude, lat/lon/lng, X좌표/Y좌표, x/y, easting/northing, prefixed names such as 설치위치_위도"


def read_csv_points(path: pathlib.Path, options: ImportOptions) -> LayerData | list[LayerData]:
    """Import a CSV whose rows are places (facilities, sensors, accidents) as a points layer."""
    path = pathlib.Path(path)
    if wants_stream(path, options):  # a big file: chunks of rows (twin_plugins.formats.csv_stream)
        from twin_plugins.formats.csv_stream import stream_csv_points

        stream = stream_csv_points(path, options)
        if stream is not None:
            return stream
    options.report_progress(0.05, "reading")
    csv = read_csv_table(path, encoding=options.encoding)
    layers = csv_layers(path, csv, options)
    return layers[0] if len(layers) == 1 else layers


def csv_layers(path: pathlib.Path, csv: CsvTable, options: ImportOptions) -> list[LayerData]:
    """The layers of a CSV read into a table: points from coordinate columns, one per geometry column."""
    options.report_progress(0.5, "checking coordinates")
    geometry_columns = geometry_text_columns(csv.table)
    columns = _columns(path, csv, options, geometry_columns)
    layers = []
    if columns is not None:
        layers.append(_points_layer(path, csv, columns, options, geometry_columns))
    crs = layers[0].crs if layers else _crs_option(path, options) or "EPSG:4326"
    for name, notation in geometry_columns.items():
        extra = _geometry_layer(path, csv, name, notation, crs, timezone=options.timezone, options=options)
        if extra is not None:
            layers.append(extra)
    if not layers:
        raise InputError(path, f"no usable geometry in the columns {', '.join(geometry_columns)}")
    return layers


def _crs_option(path: pathlib.Path, options: ImportOptions) -> str | None:
    try:
        return normalize_crs(options.crs)
    except ValueError as exc:
        raise InputError(path, f"--crs: {exc}") from None


def _columns(path, csv: CsvTable, options: ImportOptions, geometry_columns: dict) -> CoordinateColumns | None:
    names = csv.table.column_names
    try:
        columns = find_coordinate_columns(names, x=options.x, y=options.y)
    except (KeyError, ValueError) as exc:
        raise InputError(path, str(exc).strip("\"'")) from None
    if columns is None and not geometry_columns:
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise InputError(path, f"no coordinate columns (looked for {LOOKED_FOR}; the columns are: {shown}); "
                               "name them with --x COLUMN --y COLUMN")
    return columns


def _decide_crs(path, x: np.ndarray, y: np.ndarray, columns: CoordinateColumns, options: ImportOptions) -> tuple[str, str]:
    """The source CRS and how it was decided."""
    given = _crs_option(path, options)
    if given:
        return given, "given with --crs"
    finite = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
    degrees = not finite.any() or looks_geographic(x, y)
    if columns.geographic and finite.any():  # named lon/lat: only values beyond any angle say "projected"
        degrees = max(np.median(np.abs(x[finite])), np.median(np.abs(y[finite]))) <= 360
    if degrees:
        return "EPSG:4326", "longitude/latitude in degrees, WGS84 assumed (EPSG:4326)"
    sample = f"{columns.x} {np.median(x[finite]):.1f}, {columns.y} {np.median(y[finite]):.1f}"
    hint = korean_crs_candidates(x, y)
    hint_text = ""
    if hint:
        hint_text = " They look like Korean projected coordinates: " + "; ".join(f"{c} = {KOREAN_CRS[c]}" for c in hint)
    raise InputError(path, f"the coordinates are projected, not degrees (median {sample}): give their CRS with "
                           f"--crs EPSG:NNNN.{hint_text}")


def _points_layer(path, csv: CsvTable, columns: CoordinateColumns, options: ImportOptions, geometry_columns) -> LayerData:
    table = csv.table
    report = ImportReport(source=str(path))
    report.detected.update(csv.detected())
    report.detected.update({"x column": columns.x, "y column": columns.y, "columns found": columns.how})
    if columns.alternatives:
        report.note("other coordinate columns not used: " + ", ".join("/".join(p) for p in columns.alternatives))
    decimal_comma = csv.delimiter == ";"
    x, miss_x, bad_x = parse_numbers(table.column(columns.x), decimal_comma=decimal_comma)
    y, miss_y, bad_y = parse_numbers(table.column(columns.y), decimal_comma=decimal_comma)
    usable = ~csv.blank_rows
    crs, how = _decide_crs(path, x[usable], y[usable], columns, options)
    report.detected["crs"] = f"{crs} ({how})"
    check = check_points(x, y, crs, missing=miss_x | miss_y, not_number=(bad_x | bad_y) & ~(miss_x | miss_y),
                         learn_orientation=options.x is None)
    if check.columns_swapped:
        report.note(f"most rows hold latitudes in {columns.x!r} and longitudes in {columns.y!r}: "
                    "the two columns were read the other way round")
        report.detected["x column"], report.detected["y column"] = columns.y, columns.x
    _report_rows(report, csv, check.problem, usable)
    keep = (check.problem == 0) & usable
    if not keep.any():
        counts = {**check.counts(), **({"with a wrong number of fields": len(csv.bad_rows)} if csv.bad_rows else {})}
        reasons = "; ".join(f"{n} {r}" for r, n in counts.items()) or "no data rows"
        raise InputError(path, f"no usable row ({reasons}); check the columns {columns.x}/{columns.y}"
                               " or name others with --x/--y")
    kept = table.filter(pa.array(keep))
    others = infer_types(kept.drop_columns([columns.x, columns.y]), timezone=options.timezone,
                         decimal_comma=decimal_comma)
    numbers = {columns.x: pa.array(x[keep]), columns.y: pa.array(y[keep])}  # parsed already: no second inference
    features = pa.table({name: numbers[name] if name in numbers else others.column(name) for name in kept.column_names}
                        | {"geometry": points_wkb(check.x[keep], check.y[keep])})
    report.imported = int(keep.sum())
    return LayerData(kind="points", features=features, crs=crs, report=report, name="points",
                     properties={"x_column": report.detected["x column"], "y_column": report.detected["y column"],
                                 "geometry_columns": list(geometry_columns)})


def _report_rows(report: ImportReport, csv: CsvTable, problem: np.ndarray, usable: np.ndarray) -> None:
    """Skipped rows in file order with their line numbers; separator and summary rows said as such."""
    skipped = [(line, f"wrong number of fields ({reason})") for line, reason in csv.bad_rows]
    blanks = int(csv.blank_rows.sum())
    if blanks:
        report.note(f"{blanks} empty row(s) (all cells blank, used as separators) ignored")
    if csv.renamed:
        report.note("header names changed: " + ", ".join(f"{k!r} -> {v!r}" for k, v in csv.renamed.items()))
    bad = np.flatnonzero((problem != 0) & usable)
    summary, label = summary_rows(csv.table.take(pa.array(bad))) if len(bad) else (np.zeros(0, bool), None)
    for k, i in enumerate(bad.tolist()):
        reason = f"summary row ({label[k]!r}), not a place" if summary[k] else PROBLEMS[int(problem[i])]
        skipped.append((int(csv.lines[i]), reason))
    for line, reason in sorted(skipped, key=lambda item: item[0]):
        report.skip(f"line {line}", reason)


def _geometry_layer(path, csv: CsvTable, name: str, notation: str, crs: str, *, timezone: str,
                    options: ImportOptions | None = None) -> LayerData | None:
    """A layer from a column of GeoJSON or WKT geometries (other columns as attributes); polygons with a
    height or storeys column become LoD1 buildings, as in a GeoPackage (footprints.py)."""
    report = ImportReport(source=str(path))
    report.detected.update(csv.detected())
    report.detected.update({"geometry column": f"{name} ({notation})", "crs": crs})
    geometries = parse_geometry_text(csv.table.column(name), notation)
    present = ~pc.is_null(csv.table.column(name)).to_numpy(zero_copy_only=False)
    parsed = ~shapely.is_missing(geometries)
    usable = ~csv.blank_rows
    for i in np.flatnonzero(usable & ~parsed):
        report.skip(f"line {csv.lines[i]}", f"{name}: {'not valid ' + notation if present[i] else 'empty'}")
    keep = usable & parsed
    if not keep.any():
        return None
    if not is_geographic(crs) and notation == "GeoJSON":
        report.note("GeoJSON cells read in the CRS of the point columns")
    attributes = infer_types(csv.table.filter(pa.array(keep)).drop_columns([name]), timezone=timezone)
    wkb = pa.array(shapely.to_wkb(geometries[keep]), type=pa.binary())
    report.imported = int(keep.sum())
    kind = geometry_kind(geometries[keep])
    if kind == "polygons" and options is not None:
        from twin_plugins.formats.vector import footprint_layer

        buildings = footprint_layer(path, attributes, geometries[keep], crs=crs, options=options, report=report,
                                    name=name)
        if buildings is not None:
            return buildings
    return LayerData(kind=kind, features=attributes.append_column("geometry", wkb), crs=crs, report=report, name=name)
