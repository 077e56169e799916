"""Export a layer to GeoPackage, GeoParquet or GeoJSON (through geopandas and pyogrio)."""

from __future__ import annotations

import pathlib

import geopandas as gpd
import shapely

from twin.crs import normalize_crs
from twin.errors import TwinError
from twin.io.atomic import atomic_path
from twin.io.export_cityjson import cityjson_flavour, export_cityjson
from twin.io.export_z import lift_footprints
from twin.store.project import Project

FORMATS = {".gpkg": "GPKG", ".parquet": "Parquet", ".geoparquet": "Parquet", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def layer_frame(project: Project, name: str) -> gpd.GeoDataFrame:
    """A layer's features as a GeoDataFrame in the project CRS."""
    layer = project.layer(name)
    table = project.query(f'SELECT * EXCLUDE (geom), ST_AsWKB(geom) AS __wkb FROM {layer.ref()} ORDER BY fid')
    frame = table.drop(["__wkb"]).to_pandas()
    geometry = lift_footprints(project, layer, shapely.from_wkb(table.column("__wkb").to_numpy(zero_copy_only=False)))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=normalize_crs(project.crs))


def export_layer(project: Project, name: str, out: str | pathlib.Path) -> int:
    """Write layer ``name`` to ``out`` (format from the suffix); return the number of features written."""
    out = pathlib.Path(out)
    if cityjson_flavour(out):
        return export_cityjson(project, name, out)
    driver = FORMATS.get(out.suffix.lower())
    if driver is None:
        raise TwinError(f"{out}: unknown export format; use .gpkg, .parquet, .geojson, .city.json or .city.jsonl")
    frame = layer_frame(project, name)
    for column in frame.columns:
        if column != "geometry" and frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool)) else str(v))
    if driver == "GeoJSON" and frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")  # RFC 7946: GeoJSON is WGS84
    with atomic_path(out) as tmp:  # the previous output stays whole until the new one is (twin/io/atomic.py)
        if driver == "Parquet":
            frame.to_parquet(tmp)
        else:
            frame.to_file(tmp, driver=driver, layer=name if driver == "GPKG" else None, engine="pyogrio")
    return len(frame)
