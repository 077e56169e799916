"""The bundled sample district: generated deterministically, imported through the real importers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import shapely

from twin.crs import transform_xy
from twin.store.project import Project
from twin_datasets.sample_district import FILES, build_sample_project, sources_folder, write_sources

EXPECTED = {  # layer -> (kind, stage, service)
    "건물": ("buildings", 1, "planning"),
    "도로": ("lines", 1, "traffic"),
    "공원": ("polygons", 1, "environment"),
    "상수관로": ("utilities", 1, "infrastructure"),  # 관경 and 매설심도 columns: the twin-infrastructure importer
    "CCTV": ("points", 2, "safety"),
    "버스정류장": ("points", 2, "mobility"),
    "치안·소방": ("points", 3, "safety"),
    "IoT 센서": ("points", 4, "environment"),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = build_sample_project(tmp_path_factory.mktemp("sample") / "sample.twin.duckdb")
    with Project.open(path, read_only=True) as project:
        yield project


def test_layers_stages_and_crs(sample):
    assert sample.crs == "EPSG:5186"
    layers = {layer.name: layer for layer in sample.layers()}
    assert {name: (l.kind, l.stage, l.service) for name, l in layers.items()} == EXPECTED
    assert 300 <= layers["건물"].feature_count <= 600
    assert layers["도로"].feature_count == 58 and layers["치안·소방"].feature_count == 2
    assert layers["CCTV"].feature_count >= 40 and layers["IoT 센서"].feature_count >= 20
    assert all(l.source_file and l.source_sha256 for l in layers.values())
    x0, y0, x1, y1 = layers["건물"].bbox
    lon, lat = transform_xy(np.array([(x0 + x1) / 2]), np.array([(y0 + y1) / 2]), "EPSG:5186", "EPSG:4326")
    assert lon[0] == pytest.approx(127.27, abs=0.01) and lat[0] == pytest.approx(36.49, abs=0.01)  # Sejong
    assert 1_000 < x1 - x0 < 2_500 and 1_000 < y1 - y0 < 2_500


def test_buildings_look_like_a_planned_town(sample):
    layer = sample.layer("건물")
    table = sample.query(f'SELECT "용도", "층수", "높이", height, height_from, ST_AsWKB(geom) AS g '
                         f'FROM "{layer.table_name}" ORDER BY fid')
    uses = table.column("용도").to_pylist()
    assert {"공동주택", "단독주택", "근린생활시설", "교육연구시설", "공공업무시설"} <= set(uses)
    storeys = np.array(table.column("층수").to_pylist())
    height = np.array(table.column("height").to_pylist())
    apartments = storeys[np.array(uses) == "공동주택"]
    houses = storeys[np.array(uses) == "단독주택"]
    assert apartments.min() >= 10 and apartments.max() >= 40 and houses.max() <= 3
    source = table.column("height_from").to_pylist()
    assert set(source) == {"height", "storeys"}  # a few measured heights, storeys x 3 m for the rest
    measured = ~np.isnan(np.array(table.column("높이").to_pylist(), dtype=float))
    assert np.allclose(height[~measured], storeys[~measured] * 3.0)
    footprints = shapely.from_wkb(table.column("g").to_numpy(zero_copy_only=False))
    tree = shapely.STRtree(footprints)
    pairs = tree.query(footprints, predicate="intersects")
    assert (pairs[0] == pairs[1]).all()  # no two buildings overlap
    roads = sample.query(f'SELECT "도로폭", ST_AsWKB(geom) AS g FROM "{sample.layer("도로").table_name}"')
    carriageway = shapely.union_all(shapely.buffer(shapely.from_wkb(roads.column("g").to_numpy(zero_copy_only=False)),
                                                   np.array(roads.column("도로폭").to_pylist()) / 2, cap_style="flat"))
    assert not shapely.intersects(footprints, carriageway).any()  # streets stay free
    park = shapely.from_wkb(sample.query(f'SELECT ST_AsWKB(geom) FROM "{sample.layer("공원").table_name}" '
                                         "WHERE \"공원구분\" = '근린공원'").column(0)[0].as_py())
    assert park.area > 30_000 and not shapely.intersects(footprints, park).any()
    parts = sample.query(f'SELECT count(DISTINCT fid) FROM "{layer.mesh_table}"').column(0)[0].as_py()
    assert parts == layer.feature_count and layer.zrange[1] == pytest.approx(168.5)


def test_facilities_and_networks(sample):
    cctv = sample.query(f'SELECT "설치목적", "촬영방향" FROM "{sample.layer("CCTV").table_name}"')
    bearings = np.array(cctv.column("촬영방향").to_pylist())
    assert ((bearings >= 0) & (bearings < 360)).all() and len(set(np.round(bearings))) > 4
    assert {"교통정보", "생활방범", "어린이보호", "공원방범"} <= set(cctv.column("설치목적").to_pylist())
    stops = sample.query(f'SELECT "정류장ID" FROM "{sample.layer("버스정류장").table_name}"').column(0).to_pylist()
    assert all(s.startswith("0") for s in stops)  # ids with a leading zero stay text
    kinds = sample.query(f'SELECT "시설유형" FROM "{sample.layer("치안·소방").table_name}" ORDER BY 1').column(0)
    assert kinds.to_pylist() == ["119안전센터", "치안센터"]
    mains = sample.layer("상수관로")
    assert mains.zrange == (-2.0, -1.2)  # water mains at the depth of their road class
    report = sample.query("SELECT report FROM imports WHERE layer = 'CCTV'").column(0)[0].as_py()
    assert '"encoding": "CP949"' in report and '"x column": "경도"' in report


def test_sources_are_deterministic(tmp_path):
    first = write_sources(tmp_path / "a", seed=51)
    second = write_sources(tmp_path / "b", seed=51)
    assert set(first) == set(FILES)
    for name in ("cctv.csv", "bus_stops.csv", "iot_sensors.csv", "parks.geojson"):
        assert first[name].read_bytes() == second[name].read_bytes()
    import pyogrio

    _, one = pyogrio.read_arrow(first["buildings.gpkg"])
    _, two = pyogrio.read_arrow(second["buildings.gpkg"])
    assert one.equals(two)
    other = write_sources(tmp_path / "c", seed=52)
    _, three = pyogrio.read_arrow(other["buildings.gpkg"])
    assert not one.equals(three)  # another seed, another town


def test_module_entry_point(tmp_path):
    out = tmp_path / "demo.twin.duckdb"
    command = [sys.executable, "-m", "twin_datasets.sample_district", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert out.exists() and (sources_folder(out) / "buildings.gpkg").exists()
    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert again.returncode == 1 and "exists" in again.stderr
    assert subprocess.run(command + ["--overwrite"], capture_output=True, text=True, check=False).returncode == 0
