"""OpenStreetMap buildings (OSM XML or PBF) -> a "buildings" layer with LoD1 blocks.

GDAL's OSM driver (through pyogrio) assembles closed ways and multipolygon relations, holes
included, into its ``multipolygons`` layer. Keys without a column of their own, ``height`` and
``building:levels`` among them, sit in ``other_tags``, an hstore-like text
(``"height"=>"154.41","building:levels"=>"39"``): the keys we need are pulled out of it with one
vectorised regular expression per key over the whole column.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from twin.api import ImportOptions, ImportReport, InputError, LayerData, normalize_crs
from twin_plugins.formats.footprints import buildings_layer, measure_values

#: other_tags keys copied into columns of their own (text, as OSM has them)
TAG_COLUMNS = ("height", "building:levels", "min_height", "building:min_level", "roof:levels", "roof:shape",
               "building:use", "name:ko", "name:en", "addr:city", "addr:street", "addr:housenumber", "addr:postcode",
               "start_date")


def tag_values(other_tags: pa.Array | pa.ChunkedArray, key: str) -> pa.Array:
    """The value of ``key`` in every hstore-like ``other_tags`` text (null where absent)."""
    escaped = re.escape(key)
    pattern = rf'(?:^|,)"{escaped}"=>"(?P<value>(?:[^"\\]|\\.)*)"'
    return pc.struct_field(pc.extract_regex(other_tags, pattern), "value")


def read_osm_buildings(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """Buildings of an OSM file with their heights (``height``, else ``building:levels``)."""
    path = pathlib.Path(path)
    options.report_progress(0.05, "reading OSM")
    try:
        meta, table = pyogrio.read_arrow(path, layer="multipolygons")
    except Exception as exc:
        raise InputError(path, f"GDAL cannot read it as OpenStreetMap: {exc}") from None
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    if geometry_name not in table.column_names:
        geometry_name = table.column_names[-1]
    other = table.column("other_tags") if "other_tags" in table.column_names else pa.nulls(table.num_rows, pa.string())
    building = table.column("building") if "building" in table.column_names else pa.nulls(table.num_rows, pa.string())
    is_building = pc.and_(pc.is_valid(building), pc.not_equal(pc.fill_null(building, ""), "no"))
    keep = pc.fill_null(is_building, False)
    if not pc.any(keep).as_py():
        raise InputError(path, "no buildings (no area with a 'building' tag)")
    options.report_progress(0.5, "heights")
    table = table.filter(keep)
    other = pc.filter(other, keep)
    report = ImportReport(source=str(path))
    report.detected.update({"format": "OpenStreetMap", "layer": "multipolygons", "crs": "EPSG:4326",
                            "height": "height tag, else building:levels",
                            "areas in file": int(len(keep)), "buildings": int(table.num_rows)})
    attributes = table.drop_columns([geometry_name])
    attributes = pa.table([c for c in attributes.columns], names=attributes.column_names)
    empty = [c for c in attributes.column_names if attributes.column(c).null_count == attributes.num_rows]
    attributes = attributes.drop_columns(empty)  # the driver's fixed columns that no building uses
    tags = {key: tag_values(other, key) for key in TAG_COLUMNS}
    for key, values in tags.items():
        if values.null_count < len(values):
            attributes = attributes.append_column(key, values)
    geometries = shapely.from_wkb(np.asarray(table.column(geometry_name).to_numpy(zero_copy_only=False), dtype=object))
    height = measure_values(tags["height"])
    storeys = measure_values(tags["building:levels"])
    base = measure_values(tags["min_height"])
    report.detected["with height"] = int(np.isfinite(height).sum())
    report.detected["with building:levels"] = int(np.isfinite(storeys).sum())
    holes = int((shapely.get_num_interior_rings(shapely.get_parts(geometries)) > 0).sum())
    if holes:
        report.note(f"{holes} footprint(s) with holes (courtyards)")
    features = attributes.append_column("geometry", pa.array(shapely.to_wkb(geometries), type=pa.binary()))
    crs = normalize_crs(meta.get("crs")) or "EPSG:4326"
    return buildings_layer(features, geometries, crs=crs, options=options, report=report,
                           height=height, storeys=storeys, base=base,
                           properties={"height_column": "height", "storeys_column": "building:levels"})
