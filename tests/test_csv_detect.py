"""twin.tabular: encodings, line ends, CSV line numbers, column types and coordinate detection."""

from __future__ import annotations

import codecs

import numpy as np
import pyarrow as pa
import pytest

from twin.errors import InputError
from twin.tabular import (
    check_points,
    decode_text,
    find_coordinate_columns,
    infer_column,
    korean_crs_candidates,
    normalise_name,
    parse_numbers,
    read_csv_table,
    summary_rows,
)
from twin.tabular.coords import FAR, MISSING, NOT_NUMBER, OK, OUT_OF_RANGE, OUTSIDE_AREA, SWAPPED, ZERO


@pytest.mark.parametrize(
    ("raw", "label", "text"),
    [
        ("위도,경도\n".encode("utf-8"), "UTF-8", "위도,경도\n"),
        (codecs.BOM_UTF8 + "위도,경도\n".encode("utf-8"), "UTF-8 with BOM", "위도,경도\n"),
        ("위도,경도\n".encode("cp949"), "CP949", "위도,경도\n"),
        ("뷁,똠방각하\n".encode("cp949"), "CP949", "뷁,똠방각하\n"),  # CP949-only syllables
        ("위도,경도\n".encode("utf-16"), "UTF-16 with BOM", "위도,경도\n"),
        (b"a,b\r\r\n1,2\r\r\n", "UTF-8", "a,b\n1,2\n"),
        (b"a,b\r1,2\r", "UTF-8", "a,b\n1,2\n"),
    ],
)
def test_decode_text_detects_encoding_and_line_ends(raw, label, text):
    decoded = decode_text(raw)
    assert decoded.encoding == label
    assert decoded.data.decode("utf-8") == text


def test_decode_text_errors_name_the_line():
    with pytest.raises(InputError, match="binary data"):
        decode_text(b"\x00\x01\x02 binary", path="x.csv")
    with pytest.raises(InputError, match=r"line 2: text is neither UTF-8 nor CP949"):
        decode_text(b"a,b\n\xff\xfe\xfa\xff,1\n", path="x.csv")
    with pytest.raises(InputError, match="line 2: not valid utf-8"):
        decode_text("a\n위도\n".encode("cp949"), path="x.csv", encoding="utf-8")
    assert decode_text("위도\n".encode("cp949"), encoding="EUC-KR").encoding == "CP949"


def test_line_numbers_follow_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'id,name,lat,lon\r\n1,a,37,127\r\n\r\n2,"two\r\nlines",37,127\r\n3,c,37\r\n4,d,37,127\r\n')
    table = read_csv_table(path)
    assert table.table.num_rows == 3
    assert table.lines.tolist() == [2, 4, 7]
    assert table.bad_rows == [(6, "3 field(s) instead of 4")]
    assert table.table.column("name").to_pylist() == ["a", "two\r\nlines", "d"]
    assert table.newline == "CRLF"


def test_header_names_are_cleaned(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(",x,x, y \n0,1,2,3\n", encoding="utf-8")
    table = read_csv_table(path)
    assert table.table.column_names == ["column_1", "x", "x_2", "y"]
    assert table.renamed == {"": "column_1", " y ": "y"} or table.renamed == {"": "column_1", "x": "x_2", " y ": "y"}


@pytest.mark.parametrize(
    ("names", "x", "y"),
    [
        (["시설명", "위도", "경도"], "경도", "위도"),
        (["CCTV 유형코드", "설치위치_도로명주소", "설치위치_위도", "설치위치_경도"], "설치위치_경도", "설치위치_위도"),
        (["정류장 ID", "정류장명", "정류장 위치_경도", "정류장 위치_위도"], "정류장 위치_경도", "정류장 위치_위도"),
        (["place", "id", "latitude", "longitude"], "longitude", "latitude"),
        (["_id", "POINT_1_LAT", "POINT_1_LNG", "POINT_2_LAT", "POINT_2_LNG"], "POINT_1_LNG", "POINT_1_LAT"),
        (["name", "lat", "lng"], "lng", "lat"),
        (["gpsLat", "gpsLon"], "gpsLon", "gpsLat"),
        (["이름", "X좌표", "Y좌표"], "X좌표", "Y좌표"),
        (["id", "x", "y"], "x", "y"),
        (["id", "EASTING", "NORTHING"], "EASTING", "NORTHING"),
    ],
)
def test_coordinate_columns_by_name(names, x, y):
    found = find_coordinate_columns(names)
    assert (found.x, found.y) == (x, y)


def test_coordinate_columns_absent_or_given():
    assert find_coordinate_columns(["사고번호", "사고일시", "flat", "latest"]) is None
    given = find_coordinate_columns(["", "0", "1", "2"], x="0", y="1")
    assert (given.x, given.y, given.how) == ("0", "1", "given with --x/--y")
    nfd = "\u110b\u1171\u1103\u1169"  # 위도 decomposed, as macOS writes it
    assert normalise_name(nfd) == "위도"
    assert find_coordinate_columns([nfd, "경도"]).y == nfd
    with pytest.raises(KeyError, match="no column 'X'"):
        find_coordinate_columns(["a", "b"], x="X", y="b")
    with pytest.raises(ValueError, match="both"):
        find_coordinate_columns(["a", "b"], x="a")


def test_parse_numbers_separates_missing_from_text():
    values, missing, bad = parse_numbers(pa.array(["37.5", " 127 ", "", None, "3a", "1e2", "-.5"]))
    assert np.allclose(values[[0, 1, 5, 6]], [37.5, 127, 100, -0.5])
    assert missing.tolist() == [False, False, True, True, False, False, False]
    assert bad.tolist() == [False, False, False, False, True, False, False]
    values, _, _ = parse_numbers(pa.array(["56,15"]), decimal_comma=True)
    assert values.tolist() == [56.15]


def test_check_points_finds_each_kind_of_bad_row():
    rng = np.random.default_rng(1)
    lon = list(127.05 + rng.uniform(0, 0.05, 40))
    lat = list(37.15 + rng.uniform(0, 0.05, 40))
    lon += [37.15, 172.06, np.nan, 0.0, 200.0]
    lat += [127.07, 37.17, 37.1, 0.0, 37.1]
    check = check_points(np.array(lon), np.array(lat), "EPSG:4326")
    assert check.problem[:40].tolist() == [OK] * 40
    assert check.problem[40:].tolist() == [SWAPPED, FAR, MISSING, ZERO, OUT_OF_RANGE]
    assert not check.columns_swapped
    flipped = check_points(np.array(lat), np.array(lon), "EPSG:4326")  # the header says the other way round
    assert flipped.columns_swapped and flipped.problem[40] == SWAPPED and flipped.ok[:40].all()


def test_check_points_projected_uses_the_area_of_use():
    x = np.array([204487.2, 204436.5, 207333.6, 9.9e6, 408361.9])
    y = np.array([408362.0, 408491.8, 404130.3, 4.1e6, 204487.1])
    check = check_points(x, y, "EPSG:5181")
    assert check.problem.tolist() == [OK, OK, OK, OUTSIDE_AREA, SWAPPED]
    assert check_points(np.array([1.0]), np.array([np.nan]), "EPSG:5181", not_number=np.array([True])).problem[0] == NOT_NUMBER


def test_korean_crs_hints():
    assert korean_crs_candidates(np.array([204487.0]), np.array([408362.0]))[0] == "EPSG:5181"
    assert korean_crs_candidates(np.array([225898.0]), np.array([531345.0]))[0] == "EPSG:5186"
    assert korean_crs_candidates(np.array([955000.0]), np.array([1950000.0])) == ["EPSG:5179"]
    assert korean_crs_candidates(np.array([5e6]), np.array([5e6])) == []


def test_column_types_keep_codes_with_leading_zeros():
    assert infer_column(pa.array(["05554", "05510", None])).type == pa.string()
    assert infer_column(pa.array(["223000095", " 12 ", ""])).to_pylist() == [223000095, 12, None]
    assert infer_column(pa.array(["2.02E+15", "1.5"])).type == pa.float64()
    assert infer_column(pa.array(["12345678901234567890"])).type == pa.string()  # too long for int64
    assert infer_column(pa.array(["true", "False"])).to_pylist() == [True, False]
    assert str(infer_column(pa.array(["2019-11-20", "2015-09-06"])).type) == "date32[day]"
    assert infer_column(pa.array(["2019.11.20", "2015-09-06"])).type == pa.string()
    stamps = infer_column(pa.array(["2024-03-22T07:15:00", "2024-03-22 08:00"]), timezone="Asia/Seoul")
    assert str(stamps.type) == "timestamp[us, tz=UTC]"
    assert stamps[0].as_py().hour == 22  # 07:15 in Seoul is 22:15 UTC the day before
    assert infer_column(pa.array([" 삼청공원 앞", ""])).to_pylist() == [" 삼청공원 앞", None]


def test_summary_rows():
    table = pa.table({"place": ["마포구", " 합계 ", "Total"], "n": ["1", "2", "3"]})
    mask, label = summary_rows(table)
    assert mask.tolist() == [False, True, True]
    assert label[1] == "합계"
