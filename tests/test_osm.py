"""OpenStreetMap buildings: heights and levels from other_tags, LoD1 blocks, Hangul names, holes."""

from __future__ import annotations

import pyarrow as pa
import pytest

from twin.io.service import import_file
from twin.io.options import ImportOptions
from twin_plugins.formats.footprints import measure_values
from twin_plugins.formats.osm import tag_values


def test_tag_values_from_other_tags():
    tags = pa.array(['"height"=>"154.41","building:levels"=>"39"', '"name:en"=>"a \\"quoted\\" name","height"=>"12 m"',
                     '"min_height"=>"3"', None])
    assert tag_values(tags, "height").to_pylist() == ["154.41", "12 m", None, None]
    assert tag_values(tags, "building:levels").to_pylist() == ["39", None, None, None]
    assert tag_values(tags, "name:en").to_pylist() == [None, 'a \\"quoted\\" name', None, None]
    assert tag_values(tags, "min_height").to_pylist() == [None, None, "3", None]


def test_measure_values_read_osm_text():
    values = measure_values(pa.array(["12", "12 m", "12.5m", "3;4", "40 ft", "12,5", "unknown", None, "7층"]))
    assert values[:6].tolist() == pytest.approx([12, 12, 12.5, 4, 12.192, 12.5])
    assert values[6] != values[6] and values[7] != values[7]  # NaN: nothing readable
    assert values[8] == 7


def test_jamsil_buildings(project, shared_data):
    outcome = import_file(project, shared_data / "B/seoul_jamsil_osm_buildings.osm", ImportOptions(default_height=10))
    (layer,), (report,) = outcome.layers, outcome.reports
    assert (layer.kind, layer.feature_count, layer.source_crs) == ("buildings", 1_357, "EPSG:4326")
    assert report.detected["with height"] == 645 and report.detected["with building:levels"] == 862
    assert "1 footprint(s) with holes (courtyards)" in report.notes
    assert "645 building(s) extruded by their height" in report.notes
    assert "219 building(s) had storeys only: storeys x 3 m used" in report.notes  # 862 with levels, 643 of them with height too
    assert "493 building(s) had neither height nor storeys: 10 m used" in report.notes
    assert layer.zrange == pytest.approx((0.0, 154.41))
    tallest = project.query(f'SELECT name, "building:levels", height, height_from FROM "{layer.table_name}" '
                            "ORDER BY height DESC LIMIT 1").to_pylist()[0]
    assert tallest == {"name": "잠실더샵스타파크", "building:levels": "39", "height": 154.41, "height_from": "height"}
    named = project.query(f'SELECT count(name) FROM "{layer.table_name}"').column(0)[0].as_py()
    assert named == 381  # 379 named ways (SOURCES.md) and 2 named multipolygon relations
    rows = project.query(f'SELECT building, count(*) AS n FROM "{layer.table_name}" GROUP BY 1').to_pylist()
    types = {r["building"]: r["n"] for r in rows}
    assert (types["yes"], types["residential"], types["apartments"]) == (470, 398, 299)
    parts = project.query(f'SELECT count(*), count(DISTINCT fid) FROM "{layer.mesh_table}"').to_pylist()[0]
    assert list(parts.values()) == [1_357, 1_357]
