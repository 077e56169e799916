"""Underground utility lines in vector files (GeoPackage, GeoJSON, Shapefile, FlatGeobuf) as a ``utilities`` layer.

Which files: a line layer whose columns show it is a utility network (names compared case-folded):

| role | columns | unit, when missing |
| --- | --- | --- |
| type | ``utility``, ``utility_type``, ``관로종류``, ``시설종류``, ``관종류`` | text (가스, 상수, 하수, 전력, 통신, 난방...); none: the layer name's utility, else "other" |
| depth | ``depth_m``, ``매설깊이``, ``매설심도``, ``burial_depth``, ``depth``, ``심도``, ``토피`` | metres from the ground to the top of the pipe; missing: ``DEFAULT_DEPTH_M`` |
| diameter | ``diameter_mm``, ``관경``, ``pipe_diameter``, ``diameter``, ``구경`` | millimetres; missing: ``DEFAULT_DIAMETER_MM`` |
| install year | ``install_year``, ``설치연도``, ``설치년도``, ``매설연도`` | a year |

A layer is a utility layer when its geometry is linear and it has a depth or a diameter column, or a
type column named for utilities (``utility``, ``utility_type``, ``관로종류``; ``시설종류`` alone is any kind of
facility). Other files and layers stay with the generic ``vector`` importer (this one runs before it, with a
higher priority, only when its ``sniff`` says yes); the non-utility layers of a GeoPackage that also holds
utilities are listed in a note (``--importer vector`` imports them).

Reading is pyogrio's ``read_arrow`` (attributes as Arrow, geometries as WKB), as the twin-formats plugin
does. The depth, diameter and year columns are stored as numbers under their own names (text such as
``"1.2"`` parsed); ``properties["utility"]`` names the columns and the defaults the visual uses. Per
feature: a missing depth or diameter takes the default and is counted in a note; a value that is not a
number or is out of range (depth 0 or below or over 100 m, diameter 0 or below or over 10 m) skips the
feature with its reason (``feature 12: depth 'abc' in 매설깊이 is not a number``); a feature without a line
geometry is skipped too. Everything is vectorised over the layer.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pyarrow as pa
import pyogrio
import pyogrio.errors
import shapely

from twin.api import (ImportOptions, ImportReport, InputError, LayerData, find_named_column, is_geographic,
                      normalize_crs, parse_numbers, source_crs)

TYPE_NAMES = ("utility", "utility_type", "관로종류", "시설종류", "관종류", "시설물종류")
#: type columns that alone say "utilities" (``시설종류`` is any facility type)
UTILITY_TYPE_NAMES = ("utility", "utility_type", "관로종류")
DEPTH_NAMES = ("depth_m", "매설깊이", "매설심도", "burial_depth", "depth", "심도", "토피")
DIAMETER_NAMES = ("diameter_mm", "관경", "pipe_diameter", "pipe_diam", "diameter", "구경")
YEAR_NAMES = ("install_year", "설치연도", "설치년도", "매설연도", "installed")
DEFAULT_DEPTH_M = 1.2
DEFAULT_DIAMETER_MM = 100.0
MAX_DEPTH_M = 100.0
MAX_DIAMETER_MM = 10_000.0
SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")
#: layer geometry types GDAL gives a layer of mixed geometries (its line features are read, the others skipped)
MIXED = ("unknown", "geometry", "geometrycollection")
LINEAR = (1, 5)  # shapely type ids of LineString and MultiLineString
UNREADABLE = (OSError, UnicodeDecodeError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
              pyogrio.errors.FieldError, pyogrio.errors.CRSError)
_CITYJSON = re.compile(r'"type"\s*:\s*"CityJSON')


def utility_columns(names: list[str]) -> dict[str, str | None]:
    """The column of each role among ``names`` (None when absent)."""
    return {"type": find_named_column(names, TYPE_NAMES), "depth": find_named_column(names, DEPTH_NAMES),
            "diameter": find_named_column(names, DIAMETER_NAMES), "year": find_named_column(names, YEAR_NAMES)}


def is_utility_layer(fields: list[str], geometry_type: str | None) -> bool:
    """True for a linear layer (or one of mixed geometries) with a depth or diameter column, or a utility type column."""
    kind = (geometry_type or "").lower().replace(" z", "").replace(" m", "")
    if "linestring" not in kind and kind not in MIXED:
        return False
    roles = utility_columns(fields)
    return bool(roles["depth"] or roles["diameter"] or find_named_column(fields, UTILITY_TYPE_NAMES))


def _layers(path: pathlib.Path) -> list[tuple[str, str | None, list[str]]]:
    """(name, geometry type, field names) of every spatial layer of a vector file."""
    out = []
    for name, _ in pyogrio.list_layers(path):
        info = pyogrio.read_info(path, layer=str(name))
        if info.get("geometry_type"):
            out.append((str(name), info["geometry_type"], [str(f) for f in info["fields"]]))
    return out


def sniff(path: pathlib.Path) -> bool:
    """True when a layer of the file is a utility layer (see the module docstring)."""
    path = pathlib.Path(path)
    if path.suffix.lower() not in SUFFIXES:
        return False
    try:
        if path.suffix.lower() == ".json":
            with open(path, "rb") as fh:
                head = fh.read(65536).decode("utf-8", errors="ignore")
            if _CITYJSON.search(head) or '"Feature' not in head:
                return False
        return any(is_utility_layer(fields, gtype) for _, gtype, fields in _layers(path))
    except UNREADABLE:  # GDAL cannot read it: not ours, the vector importer says why
        return False


def read_utilities(path: pathlib.Path, options: ImportOptions) -> LayerData | list[LayerData]:
    """Every utility layer of a vector file as a ``utilities`` layer (see the module docstring)."""
    path = pathlib.Path(path)
    try:
        listed = _layers(path)
    except UNREADABLE as exc:
        raise InputError(path, f"GDAL cannot open it: {str(exc).split('; It might help')[0]}") from None
    chosen = [(name, gtype) for name, gtype, fields in listed if is_utility_layer(fields, gtype)]
    others = [name for name, gtype, fields in listed if not is_utility_layer(fields, gtype)]
    if not chosen:
        raise InputError(path, "no line layer with utility columns (type 관로종류/utility, depth 매설깊이/depth_m, "
                               "diameter 관경/diameter_mm): import it with --importer vector")
    out = []
    for i, (name, gtype) in enumerate(chosen):
        options.report_progress(0.1 + 0.8 * i / len(chosen), f"layer {name}")
        try:
            meta, table = pyogrio.read_arrow(path, layer=name, encoding=options.encoding)
            table.column_names  # noqa: B018 - decodes the field names now, inside the try
        except UnicodeDecodeError:
            raise InputError(path, f"text is not {options.encoding or 'UTF-8'}: give the encoding with --encoding "
                                   "(e.g. cp949)", where=f"layer {name!r}") from None
        except Exception as exc:  # GDAL says why
            raise InputError(path, f"GDAL cannot read it: {str(exc).split('; It might help')[0]}",
                             where=f"layer {name!r}") from None
        report = ImportReport(source=str(path))
        report.detected.update({"format": "utility lines", "layer": name, "geometry": gtype})
        if others and i == 0:
            report.note("layers without utility columns not imported (use --importer vector): " + ", ".join(others))
        crs = source_crs(path, meta.get("crs"), options, report)
        geometry_name = next(n for n in (meta.get("geometry_name"), "wkb_geometry", "geometry", "geom",
                                         table.column_names[-1]) if n and n in table.column_names)
        crs = _check_degrees(path, crs, table.column(geometry_name), options, report)
        out.append(_layer(path, table.drop_columns([geometry_name]), table.column(geometry_name), crs=crs, report=report,
                          name=name if len(chosen) > 1 else None))
    return out[0] if len(out) == 1 else out


def _check_degrees(path: pathlib.Path, crs: str, wkb: pa.ChunkedArray, options: ImportOptions,
                   report: ImportReport) -> str:
    """A geographic CRS whose coordinates are not degrees (a GeoJSON without ``crs`` is WGS84 by definition, and
    Korean exports often write TM metres in one): ``--crs`` names their CRS, else the import stops saying so."""
    if not is_geographic(crs):
        return crs
    bounds = shapely.total_bounds(shapely.from_wkb(np.asarray(wkb.to_numpy(zero_copy_only=False), dtype=object)))
    if not np.isfinite(bounds).all() or (np.abs(bounds[[0, 2]]).max() <= 180 and np.abs(bounds[[1, 3]]).max() <= 90):
        return crs
    sample = f"{bounds[0]:.0f}, {bounds[1]:.0f}"
    if options.crs:
        wanted = normalize_crs(options.crs)
        report.note(f"the file says {crs} but its coordinates ({sample}) are not degrees: read in {wanted} (--crs)")
        report.detected["crs"] = f"{wanted} (given with --crs)"
        return wanted
    raise InputError(path, f"the coordinates ({sample}) are not degrees, but the file's CRS is {crs} (a GeoJSON "
                           "without a 'crs' member is WGS84): give their CRS with --crs EPSG:NNNN")


def _layer(path: pathlib.Path, attributes: pa.Table, wkb: pa.ChunkedArray, *, crs: str, report: ImportReport,
           name: str | None) -> LayerData:
    attributes = pa.table(list(attributes.columns), names=attributes.column_names)  # drop field metadata
    roles = utility_columns(attributes.column_names)
    geometries = shapely.from_wkb(np.asarray(wkb.to_numpy(zero_copy_only=False), dtype=object))
    keep = np.isin(shapely.get_type_id(geometries), LINEAR) & ~shapely.is_empty(geometries)
    problems: list[tuple[int, str]] = [(int(i), "no line geometry") for i in np.flatnonzero(~keep)]
    columns: dict[str, pa.Array] = {}
    for role, label, high, default, unit in (("depth", "depth", MAX_DEPTH_M, DEFAULT_DEPTH_M, "m"),
                                             ("diameter", "diameter", MAX_DIAMETER_MM, DEFAULT_DIAMETER_MM, "mm")):
        column = roles[role]
        if column is None:
            report.note(f"no {label} column: every line drawn with {default:g} {unit}")
            continue
        values, missing, bad = parse_numbers(attributes.column(column))
        text = attributes.column(column).to_numpy(zero_copy_only=False)
        outside = ~missing & ~bad & ((values <= 0) | (values > high))
        for i in np.flatnonzero(bad & keep):
            problems.append((int(i), f"{label} {text[i]!r} in {column} is not a number"))
        for i in np.flatnonzero(outside & keep):
            problems.append((int(i), f"{label} {values[i]:g} in {column} is outside 0-{high:g} {unit}"))
        keep &= ~(bad | outside)
        if (missing & keep).any():
            report.note(f"{int((missing & keep).sum())} line(s) without a {label} in {column}: drawn with {default:g} {unit}")
        columns[column] = pa.array(np.where(missing, np.nan, values), from_pandas=True)
    if roles["year"]:
        years, missing, bad = parse_numbers(attributes.column(roles["year"]))
        unusable = bad | (~missing & ((years < 1800) | (years > 2200)))
        if (unusable & keep).any():
            report.note(f"{int((unusable & keep).sum())} unusable install year(s) in {roles['year']} left empty")
        years = np.where(unusable | missing, np.nan, np.round(years))
        columns[roles["year"]] = pa.array(years, from_pandas=True).cast(pa.int64())
    if roles["type"]:
        empty = np.asarray(attributes.column(roles["type"]).is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if (empty & keep).any():
            report.note(f"{int((empty & keep).sum())} line(s) without a type in {roles['type']}: coloured by the "
                        "layer's name, else as 'other'")
    for row, reason in sorted(problems):
        report.skip(f"feature {row + 1}", reason)
    if not keep.any():
        raise InputError(path, f"no usable utility line ({problems[0][1]} in feature {problems[0][0] + 1}, ...)"
                         if problems else "no utility line", where=f"layer {name!r}" if name else None)
    for column, values in columns.items():
        attributes = attributes.set_column(attributes.column_names.index(column), column, values)
    rows = pa.array(np.flatnonzero(keep))
    features = attributes.take(rows).append_column(
        "geometry", pa.array(shapely.to_wkb(geometries[keep]), type=pa.binary()))
    report.imported = int(keep.sum())
    report.detected["utility columns"] = ", ".join(f"{r} {c}" for r, c in roles.items() if c) or "none"
    properties = {"source_format": "utilities", "utility": {
        **roles, "default_depth_m": DEFAULT_DEPTH_M, "default_diameter_mm": DEFAULT_DIAMETER_MM,
        "depth_unit": "m", "depth_reference": "ground to the top of the pipe", "diameter_unit": "mm"}}
    return LayerData(kind="utilities", features=features, crs=crs, report=report, name=name, properties=properties,
                     feature_count=int(keep.sum()))
