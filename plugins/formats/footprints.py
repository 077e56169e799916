"""Building footprints with a height or storey attribute -> a "buildings" layer with LoD1 blocks.

Shared by the vector and OSM importers. Height columns and storey columns are found by name
(English, French, Dutch, German and Korean names, case-insensitive); values may be numbers or
text such as ``"12 m"``, ``"12,5"``, ``"40 ft"`` or OSM's multi-valued ``"3;4"`` (the largest counts).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from twin.api import (
    HEIGHT_SOURCES,
    ImportOptions,
    ImportReport,
    InputError,
    LayerData,
    extrude_footprints,
    find_named_column,
    footprint_base_z,
    normalise_name,
    resolve_heights,
)

#: Attribute names holding a building's height in metres (first match wins, in this order). Korean:
#: ``높이`` and its variants, ``heit`` (the building register's 높이(m), 건축물대장 표제부).
HEIGHT_NAMES = ("height", "measuredheight", "measured_height", "building:height", "building_height", "bldg_height",
                "bld_height", "hauteur", "높이", "건물높이", "건축물높이", "heit", "hoehe", "höhe", "gebaeudehoehe",
                "h_building")
#: Attribute names holding the number of storeys above ground. Korean: ``지상층수``/``층수``, and the coded
#: names of the portals: ``GRND_FLR``, ``GRND_FLR_CNT``/``grndFlrCnt`` (building register), ``GRO_FLO_CO``
#: (road-name address buildings, 도로명주소 건물).
STOREY_NAMES = ("building:levels", "storeys", "storeysaboveground", "stories", "levels", "floors", "num_floors",
                "nb_floors", "n_floors", "지상층수", "층수", "지상층", "grnd_flr", "grnd_flr_cnt", "grndflrcnt",
                "gro_flo_co", "ground_floors", "bouwlagen", "b3_bouwlagen", "nb_etages", "etages", "geschosse")
#: Attribute names holding the height of the bottom of the block above ground (OSM ``min_height``).
BASE_NAMES = ("min_height", "building:min_height")
#: Attribute names holding the ground elevation, used when the footprints are 2D.
GROUND_NAMES = ("z_min", "zmin", "ground_z", "base_z", "h_maaiveld", "지반고", "지반높이")

_NUMBER = r"^\s*(?P<value>[+-]?\d+(?:[.,]\d+)?)\s*(?P<unit>m|meters?|metres?|ft|feet|foot|'|층|f|fl|floors?|levels?)?\s*$"
_UNIT_FACTOR = {"ft": 0.3048, "feet": 0.3048, "foot": 0.3048, "'": 0.3048}


def footprint_columns(path, names: list[str], options: ImportOptions) -> tuple[str | None, str | None]:
    """The height and storeys columns: ``--height-column``/``--storeys-column`` when given (exact name, else
    the same name folded), else found by name (:data:`HEIGHT_NAMES`, :data:`STOREY_NAMES`)."""
    height = _given(path, names, options.height_column, "--height-column")
    storeys = _given(path, names, options.storeys_column, "--storeys-column")
    if height is None and not options.height_column:
        height = find_named_column(names, HEIGHT_NAMES)
    if storeys is None and not options.storeys_column:
        storeys = find_named_column(names, STOREY_NAMES)
    return height, storeys


def _given(path, names: list[str], wanted: str | None, flag: str) -> str | None:
    if not wanted:
        return None
    if wanted in names:
        return wanted
    folded = [n for n in names if normalise_name(n) == normalise_name(wanted)]
    if folded:
        return folded[0]
    shown = ", ".join(names) or "none"
    raise InputError(path, f"{flag} {wanted}: the file has no such column (columns: {shown})")


def measure_values(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Numbers in metres (or counts) from a numeric or text column; NaN where nothing is readable."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    n = len(column)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_decimal(column.type):
        return pc.fill_null(pc.cast(column, pa.float64()), np.nan).to_numpy(zero_copy_only=False).astype(np.float64)
    text = pc.cast(column, pa.string())
    parts = pc.split_pattern(text, ";")
    owner = pc.list_parent_indices(parts).to_numpy()
    flat = pc.utf8_lower(pc.list_flatten(parts))
    found = pc.extract_regex(flat, _NUMBER)
    number = pc.replace_substring(pc.struct_field(found, "value"), ",", ".")
    value = pc.fill_null(pc.cast(number, pa.float64()), np.nan).to_numpy(zero_copy_only=False).astype(np.float64)
    unit = pc.fill_null(pc.struct_field(found, "unit"), "").to_numpy(zero_copy_only=False)
    factor = np.ones(len(value))
    for name, f in _UNIT_FACTOR.items():
        factor[unit == name] = f
    out = np.full(n, np.nan)
    np.fmax.at(out, owner, value * factor)
    return out


def buildings_layer(
    features: pa.Table,
    geometries: np.ndarray,
    *,
    crs: str | None,
    options: ImportOptions,
    report: ImportReport,
    name: str | None = None,
    height: np.ndarray | None = None,
    storeys: np.ndarray | None = None,
    base: np.ndarray | None = None,
    ground: np.ndarray | None = None,
    properties: dict | None = None,
) -> LayerData:
    """Extrude footprints to LoD1 blocks; ``features`` holds the attributes and a WKB ``geometry``.

    Adds the reserved columns ``height`` (metres used for the block) and ``height_from``
    (``height``, ``storeys`` or ``default``); source columns of those names become ``*_src``.
    """
    n = features.num_rows
    heights, source = resolve_heights(height, storeys, count=n, storey_height=options.storey_height,
                                      default_height=options.default_height)
    total = heights.copy()
    bottom = footprint_base_z(geometries)
    if ground is not None:
        flat = ~shapely.has_z(geometries) & np.isfinite(ground)
        bottom[flat] = ground[flat]
    if base is not None:
        lift = np.isfinite(base) & (base > 0) & (heights > base)
        bottom = bottom + np.where(lift, base, 0.0)
        heights = np.where(lift, heights - base, heights)
    extrusion = extrude_footprints(geometries, heights, base=bottom)
    counts = np.bincount(source, minlength=3)
    if counts[0]:
        report.note(f"{counts[0]} building(s) extruded by their height")
    if counts[1]:
        report.note(f"{counts[1]} building(s) had storeys only: storeys x {options.storey_height:g} m used")
    if counts[2]:
        report.note(f"{counts[2]} building(s) had neither height nor storeys: {options.default_height:g} m used")
    if extrusion.repaired:
        report.note(f"{extrusion.repaired} invalid footprint(s) (self-intersecting rings...) repaired with make_valid")
    missing = extrusion.without_mesh
    if len(missing):
        report.note(f"{len(missing)} feature(s) without a usable polygon have no 3D block")
    reserved = ("height", "height_from")
    # case-insensitive: DuckDB's names are, so a source "HEIGHT" would otherwise push ours aside as "height_1"
    features = features.rename_columns([f"{c}_src" if c.lower() in reserved else c for c in features.column_names])
    label = np.array(HEIGHT_SOURCES, dtype=object)[source]
    features = features.append_column("height", pa.array(total)).append_column(
        "height_from", pa.array(label, type=pa.string()))
    report.imported = n
    props = {"lod": "1", "storey_height": options.storey_height, "default_height": options.default_height,
             "height_sources": {s: int(c) for s, c in zip(HEIGHT_SOURCES, counts)}}
    props.update(properties or {})
    return LayerData(kind="buildings", features=features, crs=crs, report=report, mesh=extrusion.mesh,
                     name=name, properties=props)
