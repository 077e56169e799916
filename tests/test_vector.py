"""Vector files through GDAL and GeoParquet, imported into real projects; footprints become LoD1 buildings."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyogrio
import pytest
import shapely

from twin.errors import InputError
from twin.io.export import export_layer
from twin.io.importing import choose_importer
from twin.io.service import import_file
from twin.io.options import ImportOptions
from twin_plugins.formats.vector import sniff

VECTOR = "vector"  # the importer under test, named where *.json would first be sniffed by CityJSON


def mesh_rows(project, name):
    layer = project.layer(name)
    return project.query(f'SELECT fid, vertices, triangles, surfaces FROM "{layer.mesh_table}" ORDER BY fid').to_pylist()


def signed_volume(row):
    v = np.asarray(row["vertices"]).reshape(-1, 3)
    t = np.asarray(row["triangles"]).reshape(-1, 3)
    a, b, c = v[t[:, 0]] - v[0], v[t[:, 1]] - v[0], v[t[:, 2]] - v[0]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def copy_shapefile(src_dir, dst_dir, *, without=()):
    for part in src_dir.glob("sejong_buildings_cp949.*"):
        if part.suffix not in without:
            shutil.copy(part, dst_dir / part.name)
    return dst_dir / "sejong_buildings_cp949.shp"


def test_lyon_footprints_become_lod1_on_their_ground(project, shared_data):
    outcome = import_file(project, shared_data / "B/lyon_bdtopo_5bldg_epsg3946.geojson")
    (layer,), (report,) = outcome.layers, outcome.reports
    assert (layer.kind, layer.feature_count, layer.source_crs) == ("buildings", 5, "EPSG:3946")
    assert report.detected["height column"] == "HAUTEUR" and "5 building(s) extruded by their height" in report.notes
    assert project.crs == "EPSG:32631"  # outside Korea: the UTM zone of the data
    assert layer.zrange[0] == pytest.approx(185.4) and layer.zrange[1] == pytest.approx(187.4 + 20)
    rows = mesh_rows(project, layer.name)
    heights = project.query(f'SELECT HAUTEUR, ST_Area(geom) AS a, ST_AsWKB(geom) AS g '
                            f'FROM "{layer.table_name}" ORDER BY fid').to_pylist()
    for row, feature in zip(rows, heights):
        assert signed_volume(row) == pytest.approx(feature["a"] * feature["HAUTEUR"], rel=1e-6)
    courtyard = [int(shapely.get_num_interior_rings(shapely.get_parts(shapely.from_wkb(f["g"]))).sum()) for f in heights]
    assert courtyard.count(1) == 1
    walls = [sum(1 for s in row["surfaces"] if s == 2) for row in rows]
    assert walls[courtyard.index(1)] > 0
    attributes = project.query(f'SELECT "ID", "Z_MIN", height, height_from FROM "{layer.table_name}" ORDER BY fid')
    assert attributes.column("height").to_pylist() == [19.0, 20.0, 18.0, 18.0, 18.0]
    assert set(attributes.column("height_from").to_pylist()) == {"height"}


def test_osan_road_network_lines_in_crs84(project, shared_data):
    outcome = import_file(project, shared_data / "D/osan_road_network_lv6.geojson", ImportOptions(service="traffic"))
    (layer,), (report,) = outcome.layers, outcome.reports
    assert (layer.kind, layer.feature_count, layer.source_crs) == ("lines", 1_875, "EPSG:4326")
    names = project.query(f'SELECT road_name, road_rank, link_id FROM "{layer.table_name}"')
    assert "경부고속도로" in names.column("road_name").to_pylist()
    assert pa.types.is_string(names.schema.field("road_rank").type)  # GeoJSON strings stay strings
    assert project.crs == "EPSG:5186" and report.skipped == []


def test_cp949_shapefile_with_cpg_storeys_become_blocks(project, fixtures):
    outcome = import_file(project, fixtures / "vector/sejong_buildings_cp949.shp", ImportOptions(storey_height=3.0))
    (layer,), (report,) = outcome.layers, outcome.reports
    assert layer.kind == "buildings" and report.detected["storeys column"] == "층수"
    assert "3 building(s) had storeys only: storeys x 3 m used" in report.notes
    rows = project.query(f'SELECT "건물명", "관리번호", height FROM "{layer.table_name}" ORDER BY fid').to_pylist()
    assert [r["건물명"] for r in rows] == ["한솔동 주민센터", "세종 새롬 아파트 101동", "다정초등학교"]
    assert [r["관리번호"] for r in rows] == ["0011", "0102", "0450"]
    assert [r["height"] for r in rows] == [9.0, 75.0, 12.0]
    assert layer.zrange == (0.0, 75.0)


def test_shapefile_without_cpg_is_decoded_by_guess(project, fixtures, tmp_path):
    shp = copy_shapefile(fixtures / "vector", tmp_path, without=(".cpg",))
    outcome = import_file(project, shp)
    assert outcome.reports[0].detected["encoding"] == "cp949 (no .cpg: guessed from the .dbf bytes)"
    rows = project.query(f'SELECT "용도" FROM "{outcome.layers[0].table_name}" ORDER BY fid').column(0).to_pylist()
    assert rows == ["업무시설", "공동주택", "교육연구시설"]


def test_shapefile_without_prj_needs_crs(project, fixtures, tmp_path):
    shp = copy_shapefile(fixtures / "vector", tmp_path, without=(".prj",))
    with pytest.raises(InputError, match=r"no \.prj file beside the \.shp: give the source CRS with --crs"):
        import_file(project, shp)
    layer = import_file(project, shp, ImportOptions(crs="EPSG:5186")).layers[0]
    assert layer.source_crs == "EPSG:5186" and layer.feature_count == 3


def _two_layer_gpkg(path):
    base = shapely.box(225_000, 431_000, 225_030, 431_020)
    buildings = gpd.GeoDataFrame({"이름": ["A동", "B동"], "높이": [45.5, None], "층수": [None, 7]},
                                 geometry=[base, shapely.affinity.translate(base, 60, 0)], crs="EPSG:5186")
    roads = gpd.GeoDataFrame({"도로명": ["한누리대로"], "차로수": [6]},
                             geometry=[shapely.LineString([(224_900, 430_950), (225_200, 430_950)])], crs="EPSG:5186")
    pyogrio.write_dataframe(buildings, path, layer="건물")
    pyogrio.write_dataframe(roads, path, layer="도로", append=True)
    return path


def test_geopackage_with_two_layers(project, tmp_path):
    path = _two_layer_gpkg(tmp_path / "sejong.gpkg")
    outcome = import_file(project, path, ImportOptions(stage=1))
    assert [(l.name, l.kind, l.feature_count, l.stage) for l in outcome.layers] == [
        ("sejong 건물", "buildings", 2, 1), ("sejong 도로", "lines", 1, 1)]
    report = outcome.reports[0]
    assert report.detected["height column"] == "높이" and report.detected["storeys column"] == "층수"
    heights = project.query(f'SELECT height, height_from FROM "{outcome.layers[0].table_name}" ORDER BY fid').to_pylist()
    assert heights == [{"height": 45.5, "height_from": "height"}, {"height": 21.0, "height_from": "storeys"}]


def test_geoparquet_and_flatgeobuf_round_trip(project, shared_data, tmp_path):
    lyon = import_file(project, shared_data / "B/lyon_bdtopo_5bldg_epsg3946.geojson").layers[0]
    for suffix in (".parquet", ".fgb"):
        out = tmp_path / f"lyon{suffix}"
        if suffix == ".parquet":
            assert export_layer(project, lyon.name, out) == 5
        else:
            pyogrio.write_dataframe(gpd.read_parquet(tmp_path / "lyon.parquet"), out)
        back = import_file(project, out, ImportOptions(layer=f"back{suffix}")).layers[0]
        assert (back.kind, back.feature_count, back.source_crs) == ("buildings", 5, project.crs)
        assert back.bbox == pytest.approx(lyon.bbox)
        assert back.zrange == pytest.approx(lyon.zrange)
        columns = project.query(f'SELECT * FROM "{back.table_name}" LIMIT 0').column_names
        assert {"ID", "HAUTEUR", "Z_MIN", "fid_src", "height_src", "height_from_src"} <= set(columns)


def test_mixed_geojson_splits_by_kind_and_skips_null_geometries(project, tmp_path):
    features = [
        {"type": "Feature", "properties": {"name": "CCTV 1"}, "geometry": {"type": "Point", "coordinates": [127.28, 36.48]}},
        {"type": "Feature", "properties": {"name": "공원"}, "geometry": {
            "type": "Polygon", "coordinates": [[[127.27, 36.47], [127.28, 36.47], [127.28, 36.48], [127.27, 36.47]]]}},
        {"type": "Feature", "properties": {"name": "위치 없음"}, "geometry": None},
    ]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    assert sniff(path)
    outcome = import_file(project, path, importer=VECTOR)  # *.json is sniffed by CityJSON first
    assert [(l.kind, l.feature_count) for l in outcome.layers] == [("points", 1), ("polygons", 1)]
    assert [(s.where, s.reason) for s in outcome.reports[0].skipped] == [("feature 3", "no geometry")]


def test_json_sniff_accepts_geojson_and_refuses_cityjson(tmp_path, shared_data):
    geojson = tmp_path / "a.json"
    geojson.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    cityjson = tmp_path / "b.json"
    cityjson.write_text('{"type": "CityJSON", "version": "2.0", "CityObjects": {}, "vertices": []}', encoding="utf-8")
    noise = tmp_path / "c.json"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    assert sniff(geojson) and not sniff(cityjson) and not sniff(noise)
    assert sniff(shared_data / "B/lyon_bdtopo_5bldg_epsg3946.geojson")
    pytest.importorskip("twin_plugins.formats.cityjson.reader", reason="the CityJSON importer is not installed")
    assert choose_importer(geojson).id == "vector"
    assert choose_importer(shared_data / "A/denhaag_lod2_subset_v1.1.city.json").id != "vector"


def test_broken_vector_files_are_one_clear_error(project, tmp_path):
    noise = tmp_path / "noise.gpkg"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match=r"noise\.gpkg: GDAL cannot open it as GeoPackage"):
        import_file(project, noise)
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        import_file(project, empty)
    truncated = tmp_path / "cut.geojson"
    truncated.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geom', encoding="utf-8")
    with pytest.raises(InputError, match=r"cut\.geojson: GDAL cannot"):
        import_file(project, truncated)
    plain = tmp_path / "plain.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1, 2]}), plain)
    with pytest.raises(InputError, match="without GeoParquet 'geo' metadata"):
        import_file(project, plain)
    assert project.layers() == []
