"""CSV with coordinates, imported into real projects: the real files of ../shared/data and our fixtures."""

from __future__ import annotations

import numpy as np
import pyarrow.csv as pcsv
import pytest
import shapely

from twin.crs import transform_xy
from twin.errors import InputError
from twin.io.service import import_file
from twin.io.options import ImportOptions

CSV = "csv-points"  # the importer under test (time-aware CSV importers of the timeline take precedence)


def lonlat(project, name):
    """Longitude/latitude of a points layer, in feature order."""
    layer = project.layer(name)
    table = project.query(f'SELECT ST_AsWKB(geom) AS g FROM "{layer.table_name}" ORDER BY fid')
    geoms = shapely.from_wkb(table.column("g").to_numpy(zero_copy_only=False))
    return transform_xy(shapely.get_x(geoms), shapely.get_y(geoms), project.crs, "EPSG:4326")


def column(project, name, col):
    layer = project.layer(name)
    return project.query(f'SELECT "{col}" FROM "{layer.table_name}" ORDER BY fid').column(0).to_pylist()


def skipped_lines(report, reason_part):
    return [s.where for s in report.skipped if reason_part in s.reason]


def test_osan_cctv_skips_the_11_bad_rows_with_their_lines(project, shared_data):
    outcome = import_file(project, shared_data / "C/osan_cctv.csv", ImportOptions(stage=2, service="safety"), importer=CSV)
    report = outcome.reports[0]
    assert outcome.layers[0].feature_count == 556 and report.imported == 556
    assert skipped_lines(report, "swapped") == [f"line {n}" for n in range(559, 569)]
    assert skipped_lines(report, "far away") == ["line 170"]  # lon 172.0589, a typo for 127.0589
    lon, lat = lonlat(project, "osan_cctv")
    assert (126.9 < lon).all() and (lon < 127.2).all() and (37.0 < lat).all() and (lat < 37.3).all()
    assert outcome.layers[0].stage == 2 and project.crs == "EPSG:5186"


def test_school_zones_cp949_with_4_missing_coordinates(project, shared_data):
    outcome = import_file(project, shared_data / "C/korea_school_zones_national_cp949.csv", importer=CSV)
    report = outcome.reports[0]
    assert report.detected["encoding"] == "CP949"
    assert report.imported == 15_086 and len(skipped_lines(report, "missing coordinates")) == 4
    name = outcome.layers[0].name
    kinds = column(project, name, "시설종류")
    # 6,917 and 4,640 in the file: one school and one kindergarten are among the 4 rows without coordinates
    assert kinds.count("초등학교") == 6_916 and kinds.count("유치원") == 4_639
    police = column(project, name, "관할경찰서명")
    assert "중랑경찰서" in police
    cameras = column(project, name, "CCTV설치대수")  # 3,381 blanks in the file, 4 in the rows without coordinates
    assert sum(1 for v in cameras if v is None) == 3_377 and max(v for v in cameras if v is not None) == 46


def test_bike_stations_bom_and_total_row(project, shared_data):
    outcome = import_file(project, shared_data / "C/seoul_ddareungi_bike_stations.csv", importer=CSV)
    report = outcome.reports[0]
    assert report.detected["encoding"] == "UTF-8 with BOM"
    assert report.imported == 1_540
    assert [(s.where, s.reason) for s in report.skipped] == [("line 1542", "summary row ('합계'), not a place")]
    name = outcome.layers[0].name
    assert column(project, name, "place")[0] == "마포구"  # the BOM is not part of the first column's name
    assert isinstance(column(project, name, "id")[0], int)


@pytest.mark.parametrize(
    ("path", "count", "x", "y"),
    [
        ("C/osan_bus_stops.csv", 412, "정류장 위치_경도", "정류장 위치_위도"),
        ("C/osan_traffic_enforcement_cameras.csv", 112, "설치위치_경도", "설치위치_위도"),
        ("C/seoul_sdot_iot_sensor_locations.csv", 851, "경도", "위도"),
        ("E/busan_accident_risk_sites_2020.csv", 69, "경도", "위도"),
        ("E/osan_traffic_accidents_taas.csv", 691, "lon", "lat"),
        ("E/aarhus_traffic_sensor_metadata.csv", 929, "POINT_1_LNG", "POINT_1_LAT"),
        ("D/liverpool_bus_route14_gps_2026-01-26.csv", 1_533, "longitude", "latitude"),
    ],
)
def test_coordinate_csvs_import_whole(project, shared_data, path, count, x, y):
    outcome = import_file(project, shared_data / path, importer=CSV)
    report = outcome.reports[0]
    assert (report.imported, report.skipped) == (count, [])
    assert (report.detected["x column"], report.detected["y column"]) == (x, y)
    assert outcome.layers[0].kind == "points" and outcome.layers[0].feature_count == count


def test_taas_line_ends_and_korean_values(project, shared_data):
    outcome = import_file(project, shared_data / "E/osan_traffic_accidents_taas.csv", importer=CSV)
    assert outcome.reports[0].detected["line endings"] == "CR CR LF"
    name = outcome.layers[0].name
    assert column(project, name, "사고내용").count("사망사고") == 1
    assert column(project, name, "사고일시")[0] == "2017년 1월 28일 14시"


def test_hotspots_points_and_their_polygons(project, shared_data):
    outcome = import_file(project, shared_data / "E/korea_taas_child_accident_hotspots_2012_2019_cp949.csv", importer=CSV)
    points, polygons = outcome.layers
    assert (points.kind, points.feature_count) == ("points", 934)
    assert (polygons.kind, polygons.feature_count) == ("polygons", 934)
    text = column(project, points.name, "다발지역폴리곤")[0]
    assert text.startswith('{"type":"Polygon"')
    assert column(project, points.name, "시도시군구명")[0].startswith("서울특별시")
    inside = project.query(
        f'SELECT count(*) FROM "{points.table_name}" p JOIN "{polygons.table_name}" q USING (fid) '
        "WHERE ST_DWithin(p.geom, q.geom, 50)").column(0)[0].as_py()
    assert inside >= 900  # each hotspot point lies in (or at) its own area


def test_epsg5181_xy_lands_on_the_wgs84_accidents(project, shared_data):
    with pytest.raises(InputError, match="projected.*--crs.*EPSG:5181"):
        import_file(project, shared_data / "E/osan_taas_2017_2019_xy_epsg5181.csv", ImportOptions(x="0", y="1"), importer=CSV)
    outcome = import_file(project, shared_data / "E/osan_taas_2017_2019_xy_epsg5181.csv",
                          ImportOptions(x="0", y="1", crs="EPSG:5181", layer="xy"), importer=CSV)
    assert outcome.layers[0].feature_count == 172 and outcome.reports[0].skipped == []
    assert any("172 empty row" in n for n in outcome.reports[0].notes)
    import_file(project, shared_data / "E/osan_traffic_accidents_taas.csv", ImportOptions(layer="accidents"), importer=CSV)
    numbers = pcsv.read_csv(shared_data / "E/osan_taas_2017_2019_attributes.csv").column(0).to_pylist()
    accident_ids = column(project, "accidents", "사고번호")
    lon, lat = lonlat(project, "xy")
    alon, alat = lonlat(project, "accidents")
    rows = [accident_ids.index(n) for n in numbers]  # the xy rows follow the attribute file's order
    assert np.max(np.hypot(lon - alon[rows], lat - alat[rows])) < 6e-5  # about 6 m


def test_attribute_only_csvs_are_refused(project, shared_data):
    for name in ("E/osan_taas_2017_2019_attributes.csv", "E/aarhus_realtime_traffic_snapshot.csv",
                 "D/osan_link_avg_speed_2018.csv"):
        with pytest.raises(InputError, match="no coordinate columns"):
            import_file(project, shared_data / name, importer=CSV)
    assert project.layers() == []


def test_fixture_with_every_kind_of_bad_row(project, fixtures):
    outcome = import_file(project, fixtures / "csv/facilities_cp949.csv", importer=CSV)
    report = outcome.reports[0]
    assert report.detected["encoding"] == "CP949" and report.detected["line endings"] == "CRLF"
    places = {s.where: s.reason for s in report.skipped}
    assert places == {
        "line 6": "latitude and longitude swapped",
        "line 7": "far away from all other rows (a typo?)",
        "line 8": "missing coordinates",
        "line 9": "coordinate is not a number",
        "line 10": "coordinates are 0, 0 (a placeholder for unknown)",
        "line 14": "wrong number of fields (4 field(s) instead of 6)",
        "line 15": "summary row ('합계'), not a place",
    }
    name = outcome.layers[0].name
    assert column(project, name, "관리번호") == ["0012", "0013", "0014", "0020", "0021"]  # leading zeros kept
    assert column(project, name, "시설명")[2] == "다정동 CCTV\n(학교 앞)"
    assert str(column(project, name, "설치일자")[0]) == "2021-03-02"


def test_strict_refuses_skipped_rows(project, fixtures):
    with pytest.raises(InputError, match="line 6: latitude and longitude swapped.*--strict"):
        import_file(project, fixtures / "csv/facilities_cp949.csv", ImportOptions(strict=True), importer=CSV)
    assert project.layers() == []


def test_projected_xy_needs_crs(project, fixtures):
    with pytest.raises(InputError, match=r"projected, not degrees.*EPSG:5186"):
        import_file(project, fixtures / "csv/projected_xy_epsg5186.csv", importer=CSV)
    import_file(project, fixtures / "csv/projected_xy_epsg5186.csv", ImportOptions(crs="EPSG:5186"), importer=CSV)
    lon, lat = lonlat(project, "projected_xy_epsg5186")
    assert lon[0] == pytest.approx(127.289, abs=1e-6) and lat[0] == pytest.approx(36.48, abs=1e-6)


def test_bad_files_are_one_clear_error(project, fixtures, tmp_path):
    with pytest.raises(InputError, match=r"no usable row \(1 missing coordinates; 1 coordinate is not a number"):
        import_file(project, fixtures / "csv/no_usable_rows.csv", importer=CSV)
    with pytest.raises(InputError, match="no coordinate columns.*사고번호, 사고일시, 사고내용.*--x COLUMN --y COLUMN"):
        import_file(project, fixtures / "csv/no_coordinates.csv", importer=CSV)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        import_file(project, empty, importer=CSV)
    noise = tmp_path / "noise.csv"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="binary data"):
        import_file(project, noise, importer=CSV)
    header_only = tmp_path / "header.csv"
    header_only.write_text("위도,경도\n", encoding="utf-8")
    with pytest.raises(InputError, match="no data rows"):
        import_file(project, header_only, importer=CSV)
    with pytest.raises(InputError, match="no column 'lon'"):
        import_file(project, fixtures / "csv/no_coordinates.csv", ImportOptions(x="lon", y="lat"), importer=CSV)
    assert project.layers() == []


def test_semicolon_and_decimal_comma(project, fixtures):
    outcome = import_file(project, fixtures / "csv/semicolon_decimal_comma.csv", importer=CSV)
    name = outcome.layers[0].name
    assert column(project, name, "value") == [3.5, 4.0]
    lon, lat = lonlat(project, name)
    assert lon[0] == pytest.approx(10.2039) and lat[0] == pytest.approx(56.15)


def test_small_odd_csvs(project, tmp_path):
    only = tmp_path / "only_coordinates.csv"
    only.write_text("lat,lon\n37.5,127.0\n1e400,127\n", encoding="utf-8")
    outcome = import_file(project, only, importer=CSV)
    assert outcome.layers[0].feature_count == 1
    assert [(s.where, s.reason) for s in outcome.reports[0].skipped] == [
        ("line 3", "coordinates out of range for longitude/latitude")]
    degrees = tmp_path / "beyond.csv"
    degrees.write_text("위도,경도\n91,200\n95,300\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no usable row \(2 coordinates out of range"):
        import_file(project, degrees, importer=CSV)
    with pytest.raises(InputError, match="--x and --y name the same column"):
        import_file(project, only, ImportOptions(x="lat", y="lat"), importer=CSV)
    wkt = tmp_path / "wkt.csv"
    wkt.write_text('name,WKT\nA,"POINT (127 37)"\nB,"POINT (127.1 37.1)"\nC,"not a geometry"\n', encoding="utf-8")
    outcome = import_file(project, wkt, importer=CSV)  # no coordinate columns, but a geometry column
    assert (outcome.layers[0].kind, outcome.layers[0].feature_count) == ("points", 2)
    assert [(s.where, s.reason) for s in outcome.reports[0].skipped] == [("line 4", "WKT: not valid WKT")]
