"""CityGML 2.0 and 3.0 import (docs/citygml.md): the real PLATEAU building, small fixtures of both
versions (holes, BuildingParts, xlinks), CRS notations and axis order, and bad input (one clear line,
the project file byte-identical)."""

from __future__ import annotations

import hashlib

import numpy as np
import pyproj
import pytest
import shapely

from twin.api import ImportOptions, InputError, read_file
from twin.io.service import import_file
from twin.store.project import Project
from twin_plugins.formats.citygml.srs import latitude_first, parse_srs, to_xy_order

PLATEAU = "A/citygml/plateau_tokyo_meiji_gallery_lod2_citygml2.gml"


def read(path) -> list:
    contribution, datas = read_file(path)
    assert contribution.id == "citygml"
    return datas


def lod_codes(data, lod: str) -> np.ndarray:
    """Semantic code of every triangle of the parts at ``lod``."""
    mesh = data.mesh
    out = [mesh.triangle_surface[mesh.part_triangle_offsets[i]:mesh.part_triangle_offsets[i + 1]]
           for i in np.flatnonzero(mesh.part_lod == lod)]
    return np.concatenate(out)


def part_area(data, row: int, lod: str) -> float:
    """Total triangle area of a feature's part at ``lod``."""
    mesh = data.mesh
    i = int(np.flatnonzero((mesh.part_feature == row) & (mesh.part_lod == lod))[0])
    v = mesh.vertices[mesh.part_vertex_offsets[i]:mesh.part_vertex_offsets[i + 1]]
    t = mesh.triangles[mesh.part_triangle_offsets[i]:mesh.part_triangle_offsets[i + 1]]
    a, b, c = v[t[:, 0]], v[t[:, 1]], v[t[:, 2]]
    return float(np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2)


# ----- the real PLATEAU file --------------------------------------------------------------------
def test_plateau_building_counts_attributes_and_report(shared_data):
    (data,) = read(shared_data / PLATEAU)
    report = data.report
    assert report.detected["format"] == "CityGML 2.0"
    assert report.detected["surfaces"]["2"] == {"WallSurface": 370, "RoofSurface": 279, "GroundSurface": 1}
    assert sum(report.detected["surfaces"]["2"].values()) == 650
    assert report.detected["LoDs"] == ["0", "1", "2"]
    assert report.detected["ADE elements skipped"] == {"uro": 4}
    assert any("stad0158.jpg" in note and "not found" in note for note in report.notes)
    assert not report.skipped
    assert data.kind == "buildings" and data.crs == "EPSG:6697" and data.features.num_rows == 1
    row = data.features.to_pylist()[0]
    assert row["object_id"] == "BLD_77ca1a15-3b35-4386-8f86-152ed71c4c64"
    assert row["建物ID"] == "13104-bldg-53" and row["大字・町コード"] == "29" and row["measuredHeight"] == 31.7
    assert '"LocalityName":"東京都新宿区霞ヶ丘町"' in row["attributes"]
    codes = lod_codes(data, "2")
    assert set(np.unique(codes).tolist()) == {1, 2, 3}  # ground, wall, roof triangles
    # x = longitude, y = latitude after the lat/lon axis order of EPSG:6697
    lon, lat = data.mesh.vertices[:, 0], data.mesh.vertices[:, 1]
    assert 139.71 < lon.min() < lon.max() < 139.72 and 35.678 < lat.min() < lat.max() < 35.680


def test_plateau_lands_in_tokyo_and_renders(shared_data, tmp_path):
    from PIL import Image

    from twin.cli.main import main

    path = tmp_path / "tokyo.twin.duckdb"
    assert main(["import", str(path), str(shared_data / PLATEAU)]) == 0
    project = Project.open(path)
    try:
        (layer,) = project.layers()
        assert layer.feature_count == 1 and project.crs == "EPSG:32654"  # UTM 54N, chosen from lon/lat
        x0, y0, x1, y1 = layer.bbox
        to_lonlat = pyproj.Transformer.from_crs("EPSG:32654", "EPSG:4326", always_xy=True)
        lon, lat = to_lonlat.transform((x0 + x1) / 2, (y0 + y1) / 2)
        assert abs(lon - 139.7176) < 0.002 and abs(lat - 35.6788) < 0.002  # the Meiji gallery, not the sea
        assert 100 < x1 - x0 < 140 and 50 < y1 - y0 < 80  # metres: about 120 m by 64 m
    finally:
        project.close()
    out = tmp_path / "tokyo.png"
    assert main(["render", str(path), "--out", str(out), "--size", "400x300"]) == 0
    with Image.open(out) as picture:
        pixels = np.asarray(picture.convert("RGB")).astype(int)
    reddish = (pixels[..., 0] - pixels[..., 2]) > 60  # roof colour
    assert reddish.mean() > 0.01 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100


# ----- fixtures of our own ----------------------------------------------------------------------
def test_citygml3_building_part_xlinked_solid_hole_and_road(fixtures):
    buildings, roads = read(fixtures / "citygml" / "small_v3.gml")
    assert buildings.report.detected["format"] == "CityGML 3.0"
    assert [buildings.name, roads.name] == ["Building", "Road"] and roads.kind == "polygons"
    rows = buildings.features.to_pylist()
    assert [(r["object_id"], r["object_type"], r["parent_fid"]) for r in rows] == [
        ("B1", "Building", None), ("B1-P1", "BuildingPart", 0)]
    assert rows[0]["용도"] == "업무시설" and rows[0]["지상층수"] == 2 and rows[0]["name"] == "Haus 1"
    assert '"energy":{"demand":12.5}' in rows[0]["attributes"]
    assert '"Locality":"München"' in rows[0]["attributes"] and '"ThoroughfareNumber":"21"' in rows[0]["attributes"]
    assert buildings.report.detected["ADE elements skipped"] == {"ex": 1}
    # the lod2Solid's xlinks and the boundary surfaces are the same 6 polygons: counted once, with semantics
    assert buildings.report.detected["surfaces"]["2"] == {"WallSurface": 4, "GroundSurface": 1, "RoofSurface": 1,
                                                          "Unclassified": 1}  # + the road
    codes = lod_codes(buildings, "2")
    assert np.bincount(codes, minlength=4).tolist() == [0, 2, 6 + 8, 2]  # the holed wall: 8 triangles
    # the 10 x 8 x 6 box: surface area minus the 2 x 2 window
    assert part_area(buildings, 0, "2") == pytest.approx(2 * 80 + 2 * 60 + 2 * 48 - 4)
    assert part_area(buildings, 1, "1") == pytest.approx(2 * 16 + 4 * 12)
    assert rows[0]["height"] == pytest.approx(6.0) and rows[1]["height"] == pytest.approx(3.0)
    footprint = shapely.from_wkb(rows[0]["geometry"])
    assert footprint.area == pytest.approx(80.0)


def test_citygml2_parts_reverse_and_cross_object_xlinks(fixtures):
    buildings, landuse = read(fixtures / "citygml" / "small_v2.gml")
    assert landuse.name == "LandUse" and landuse.kind == "polygons" and landuse.features.num_rows == 1
    rows = buildings.features.to_pylist()
    assert [(r["object_id"], r["parent_id"]) for r in rows] == [("A1", None), ("A1-P1", "A1"), ("A2", None)]
    assert rows[0]["建物ID"] == "13104-bldg-1" and rows[0]["階数"] == 1
    assert '"災害リスク":{"浸水深":0.5}' in rows[0]["attributes"] and '"CountryName":"日本"' in rows[0]["attributes"]
    assert rows[0]["lods"] == [] and rows[1]["lods"] == ["2"] and rows[2]["lods"] == ["0", "2"]
    # A1 has no geometry of its own: its footprint is its part's
    assert shapely.from_wkb(rows[0]["geometry"]).area == pytest.approx(16.0)
    mesh = buildings.mesh
    part = int(np.flatnonzero((mesh.part_feature == 1) & (mesh.part_lod == "2"))[0])
    t0, t1 = mesh.part_triangle_offsets[part:part + 2]
    # polygons defined in the solid get their semantics from the boundary surfaces that point to them
    assert np.bincount(mesh.triangle_surface[t0:t1], minlength=4).tolist() == [0, 2, 8, 2]
    # A2: its own 6 surfaces (a holed wall) + the wall of A1-P1 it points to from another member
    assert part_area(buildings, 2, "2") == pytest.approx(2 * 64 + 2 * 72 + 2 * 72 - 4 + 12)
    assert buildings.report.detected["surfaces"]["2"] == {"WallSurface": 9, "GroundSurface": 2, "RoofSurface": 2}
    assert buildings.report.detected["crs"].startswith("EPSG:25832 (from urn:ogc:def:crs:EPSG::25832)")


def test_fixture_import_counts_top_level_features(fixtures, project):
    outcome = import_file(project, fixtures / "citygml" / "small_v2.gml")
    layers = {layer.name.split(" ")[-1]: layer for layer in project.layers()}
    assert layers["Building"].feature_count == 2 and layers["LandUse"].feature_count == 1  # the part is not counted
    assert project.crs == "EPSG:32632" and outcome is not None  # UTM zone of the data, as for CityJSON


def test_geometry_srs_reprojected_and_axis_order(tmp_path, fixtures):
    text = (fixtures / "citygml" / "small_v2.gml").read_text(encoding="utf-8")
    # LandUse written in EPSG:4326 (lat, lon) on its own geometry: reprojected into the envelope's CRS
    lon, lat = pyproj.Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True).transform(
        [690000, 690030, 690030, 690000], [5335010, 5335010, 5335020, 5335020])
    ring = " ".join(f"{b!r} {a!r} 500" for a, b in zip(lon + lon[:1], lat + lat[:1]))
    start = text.index("<luse:lod1MultiSurface>")
    end = text.index("</luse:lod1MultiSurface>")
    text = text[:start] + ('<luse:lod1MultiSurface><gml:MultiSurface srsName="http://www.opengis.net/def/crs/EPSG/0/4326">'
                           f'<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>{ring}'
                           '</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>'
                           '</gml:MultiSurface>') + text[end:]
    path = tmp_path / "mixed.gml"
    path.write_text(text, encoding="utf-8")
    buildings, landuse = read(path)
    v = landuse.mesh.vertices
    assert v[:, 0].min() == pytest.approx(690000, abs=0.01) and v[:, 1].max() == pytest.approx(5335020, abs=0.01)
    assert any("reprojected into EPSG:25832" in note for note in buildings.report.notes)


def test_srs_notations_and_axis_order():
    for text in ("EPSG:6697", "urn:ogc:def:crs:EPSG::6697", "http://www.opengis.net/def/crs/EPSG/0/6697",
                 "urn:ogc:def:crs:EPSG:6.18:6697"):
        assert parse_srs(text) == "EPSG:6697"
    assert parse_srs("urn:ogc:def:crs,crs:EPSG::6668,crs:EPSG::6697") == "EPSG:6668"
    assert parse_srs("urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::7837") == "EPSG:25832"  # + DHHN2016 height
    assert parse_srs("http://www.opengis.net/def/crs-compound?1=http://www.opengis.net/def/crs/EPSG/0/25833"
                     "&2=http://www.opengis.net/def/crs/EPSG/0/7837") == "EPSG:25833"
    assert parse_srs("urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH") == "EPSG:25832"
    with pytest.raises(ValueError):
        parse_srs("urn:ogc:def:crs:EPSG::999999")
    assert latitude_first("EPSG:6697") and latitude_first("EPSG:6668") and latitude_first("EPSG:4326")
    assert not latitude_first("EPSG:25832") and not latitude_first("EPSG:32654")
    latlon = np.array([[35.6789, 139.7176, 50.5]])
    assert to_xy_order(latlon, "EPSG:6697")[0].tolist() == [[139.7176, 35.6789, 50.5]]
    lonlat, kept = to_xy_order(latlon[:, [1, 0, 2]], "EPSG:6697")  # written lon first anyway: kept, noted
    assert kept and lonlat.tolist() == [[139.7176, 35.6789, 50.5]]


def test_xml_that_is_not_citygml_is_left_to_other_importers(tmp_path):
    from twin_plugins.formats.citygml.reader import sniff

    other = tmp_path / "fcd.xml"
    other.write_text('<?xml version="1.0"?><fcd-export><timestep time="0"/></fcd-export>')
    assert sniff(other) is False
    wrong = tmp_path / "wrong.gml"
    wrong.write_bytes(other.read_bytes())
    with pytest.raises(InputError, match="not a CityGML file: the root element is fcd-export"):
        sniff(wrong)


# ----- bad input --------------------------------------------------------------------------------
BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0">&lol3;</core:CityModel>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       b'<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0"><core:cityObjectMember>&e;'
       b'</core:cityObjectMember></core:CityModel>')


def _bad_inputs(fixtures) -> dict[str, tuple[bytes, str]]:
    good = (fixtures / "citygml" / "small_v2.gml").read_bytes()
    return {
        "truncated": (good[: len(good) // 2], "it looks truncated"),
        "wrong root": (b'<?xml version="1.0"?><gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml"/>',
                       "not a CityGML file: the root element is {http://www.opengis.net/gml}FeatureCollection"),
        "entity bomb": (BOMB, "the file declares XML entities in a DTD"),
        "external entity": (XXE, "the file declares XML entities in a DTD"),
        "random bytes": (bytes(range(256)) * 4, "invalid XML"),
        "no CRS": (good.replace(b' srsName="urn:ogc:def:crs:EPSG::25832"', b""), "the file declares no CRS"),
        "unknown CRS": (good.replace(b"EPSG::25832", b"EPSG::999999"), "names no known CRS"),
        "no objects": (b'<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0"/>', "no city objects"),
    }


@pytest.mark.parametrize("case", ["truncated", "wrong root", "entity bomb", "external entity", "random bytes",
                                  "no CRS", "unknown CRS", "no objects"])
def test_bad_input_is_one_line_and_the_project_is_byte_identical(case, tmp_path, fixtures):
    from twin.cli.main import main

    data, expected = _bad_inputs(fixtures)[case]
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(fixtures / "citygml" / "small_v3.gml")]) == 0
    before = hashlib.sha256(project.read_bytes()).hexdigest()
    bad = tmp_path / "bad.gml"
    bad.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_file(bad)
    message = str(info.value)
    assert message.startswith(f"{bad}: ") and "\n" not in message and expected in message
    assert main(["import", str(project), str(bad)]) != 0
    assert hashlib.sha256(project.read_bytes()).hexdigest() == before


def test_bad_polygon_is_skipped_and_counted_strict_fails(tmp_path, fixtures):
    good = (fixtures / "citygml" / "small_v2.gml").read_bytes()
    bad = tmp_path / "badpos.gml"
    bad.write_bytes(good.replace(b"690010 5335002 500", b"690010 5335002 abc", 1))
    buildings, _ = read(bad)
    (skip,) = buildings.report.skipped
    assert skip.where == "A1-P1 polygon p1-ground" and "not numbers" in skip.reason
    with pytest.raises(InputError, match="would be skipped; --strict"):
        read_file(bad, ImportOptions(strict=True))
