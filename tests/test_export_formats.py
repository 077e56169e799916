"""GeoParquet export keeps the CRS; GeoPackage (and GeoParquet, GeoJSON) exports of 3D layers keep z."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from twin.io.export import export_layer
from twin.io.options import ImportOptions
from twin.io.service import import_file
from twin.store.project import Project


def blocks_3d(tmp_path):
    """Two footprints with z (their ground at 31 m and 35.5 m) and a storey column, in EPSG:5186."""
    rings = [shapely.Polygon([(x, y, z) for x, y in shapely.box(0, 0, 20, 10).exterior.coords]) for z in (31.0, 35.5)]
    frame = gpd.GeoDataFrame({"층수": [4, 7]}, crs="EPSG:5186",
                             geometry=[shapely.affinity.translate(r, 210_000 + 40 * i, 440_000) for i, r in enumerate(rings)])
    path = tmp_path / "blocks3d.geojson"
    frame.to_file(path, engine="pyogrio")
    return path


@pytest.mark.parametrize("crs", ["EPSG:5186", "EPSG:5174", "EPSG:32652"])
def test_geoparquet_keeps_the_project_crs(tmp_path, crs):
    with Project.open(tmp_path / "p.twin.duckdb", create=True, crs=crs) as project:
        import_file(project, blocks_3d(tmp_path))
        out = tmp_path / "blocks.parquet"
        export_layer(project, project.layers()[0].name, out)
    frame = gpd.read_parquet(out)
    assert frame.crs is not None and frame.crs.to_epsg() == int(crs.split(":")[1])
    geo = json.loads(pq.read_schema(out).metadata[b"geo"])
    column = geo["columns"][geo["primary_column"]]
    assert column["crs"]["id"] == {"authority": "EPSG", "code": int(crs.split(":")[1])}
    assert shapely.has_z(frame.geometry.values).all()


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet", ".geojson"])
def test_3d_footprints_keep_z(tmp_path, project, suffix):
    import_file(project, blocks_3d(tmp_path))
    out = tmp_path / f"blocks{suffix}"
    export_layer(project, project.layers()[0].name, out)
    if suffix == ".parquet":  # this GDAL has no Parquet driver: geopandas reads it through pyarrow
        frame = gpd.read_parquet(out)
        assert json.loads(pq.read_schema(out).metadata[b"geo"])["columns"]["geometry"]["geometry_types"] == ["Polygon Z"]
    else:
        assert pyogrio.read_info(out)["geometry_type"].endswith(" Z")
        frame = gpd.read_file(out, engine="pyogrio")
    z = [np.unique(shapely.get_coordinates(g, include_z=True)[:, 2]).tolist() for g in frame.geometry.values]
    assert z == [[31.0], [35.5]]


def test_mesh_layers_write_footprints_at_their_ground(tmp_path, project, fixtures):
    """A CityJSON layer has 2D footprints and z in its mesh: the GeoPackage gets each footprint at the
    lowest z of its mesh, so the file re-imports as blocks standing where they stood."""
    import_file(project, fixtures / "cityjson/small_v2.city.json")
    layer = project.layers()[0]
    assert not project.query(f'SELECT bool_or(ST_HasZ(geom)) AS z FROM "{layer.table_name}"').column("z")[0].as_py()
    ground = project.query(f'SELECT fid, min(list_min(list_slice(vertices, 3, -1, 3))) AS z FROM "{layer.mesh_table}" '
                           'GROUP BY fid ORDER BY fid').to_pylist()
    out = tmp_path / "buildings.gpkg"
    export_layer(project, layer.name, out)
    assert pyogrio.read_info(out)["geometry_type"].endswith(" Z")
    frame = gpd.read_file(out, engine="pyogrio")
    for row in ground:
        z = shapely.get_coordinates(frame.geometry.values[row["fid"]], include_z=True)[:, 2]
        assert z == pytest.approx(row["z"])
    with Project.open(tmp_path / "back.twin.duckdb", create=True) as back:
        (again,) = import_file(back, out, ImportOptions()).layers
        assert again.kind == "buildings"
        assert again.zrange[0] == pytest.approx(layer.zrange[0])


def test_lyon_3d_geojson_to_gpkg_keeps_z(tmp_path, project, shared_data):
    import_file(project, shared_data / "B/lyon_bdtopo_5bldg_epsg3946.geojson")
    out = tmp_path / "lyon.gpkg"
    export_layer(project, project.layers()[0].name, out)
    assert pyogrio.read_info(out)["geometry_type"] == "MultiPolygon Z"
    frame = gpd.read_file(out, engine="pyogrio")
    lowest = [shapely.get_coordinates(g, include_z=True)[:, 2].min() for g in frame.geometry.values]
    assert lowest == pytest.approx(frame["Z_MIN"].tolist(), abs=0.01)
