"""The twin-traffic plugin (stage 2, traffic): SUMO networks (``sumo-net``) and floating car data (``sumo-fcd``,
moved here from twin-tracks), on a hand-written network and the real Jamsil network of ../shared/data."""

from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET

import numpy as np
import pyproj
import pytest
import shapely

from twin.api import ImportOptions, InputError, Project, import_file, read_file
from twin.io.importing import choose_importer
from twin.plugins.registry import PluginRegistry

SMALL = "traffic/jamsil_small.net.xml"
NOPROJ = "traffic/plain_noproj.net.xml"
JAMSIL = "D/sumo_seoul_jamsil/asanH.net.xml"


def lonlat(project: Project, layer: str) -> tuple[np.ndarray, np.ndarray]:
    """All vertices of a layer in WGS84, reprojected by the project (DuckDB spatial)."""
    info = project.layer(layer)
    wkb = project.query(f'SELECT ST_AsWKB(geom) AS g FROM "{info.table_name}" ORDER BY fid').column("g").to_pylist()
    xy = shapely.get_coordinates(shapely.from_wkb(wkb))
    lon, lat = pyproj.Transformer.from_crs(project.crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)


# ----- the plugin and the choice of importer -------------------------------------------------------------
def test_the_sumo_importers_belong_to_twin_traffic():
    reg = PluginRegistry()
    assert reg.contribution("importers", "sumo-net").plugin == "twin-traffic"
    assert reg.contribution("importers", "sumo-fcd").plugin == "twin-traffic"  # moved from twin-tracks, same id
    tracks = {c.id for c in reg.contributions("importers") if c.plugin == "twin-tracks"}
    assert "sumo-fcd" not in tracks and {"gtfs", "gps-csv", "events-csv", "segments-csv"} <= tracks
    assert reg.check()["twin-traffic"] == []


def test_networks_go_to_sumo_net_and_other_xml_does_not(fixtures, shared_data, tmp_path):
    assert choose_importer(fixtures / SMALL).id == "sumo-net"
    assert choose_importer(shared_data / JAMSIL).id == "sumo-net"
    assert choose_importer(fixtures / "tracks" / "jamsil_fcd_30s.xml").id == "sumo-fcd"  # FCD is still FCD
    routes = tmp_path / "routes.net.xml"  # a *.net.xml that is not a network: its sniff says no
    routes.write_text('<?xml version="1.0"?>\n<routes><vehicle id="a" depart="0"/></routes>\n', encoding="utf-8")
    with pytest.raises(InputError, match="the content is not any of"):
        choose_importer(routes)


# ----- the hand-written network: every column ----------------------------------------------------------
def test_small_network_edges_columns_oneway_and_shapes(fixtures):
    contribution, [data] = read_file(fixtures / SMALL, ImportOptions())
    assert (contribution.id, data.kind) == ("sumo-net", "lines")
    table = data.features.to_pydict()
    assert table["edge_id"] == ["AB", "BA", "BC", "CD"]  # internal (:B_0) and crossing (:B_c0) edges left out
    assert table["name"] == [None, None, "올림픽로", None]
    assert table["lanes"] == [1, 1, 2, 1] and table["priority"] == [10, 10, 12, 3]
    assert table["speed_ms"] == [13.89, 13.89, 16.67, 8.33]
    assert table["speed_kmh"] == [50.0, 50.0, 60.01, 29.99]
    assert table["length_m"] == [201.0, 201.0, 200.0, 300.0]
    assert table["oneway"] == [False, False, True, True]  # AB and BA run between the same nodes both ways
    assert table["type"][2] == "highway.primary" and table["from"][3] == "C" and table["to"][3] == "D"
    lines = shapely.from_wkb(table["geometry"])
    # x/y minus netOffset (-330000, -4152000): network (0, 100) is UTM 52N (330000, 4152100)
    assert shapely.get_coordinates(lines[0]).tolist() == [[330000, 4152100], [330100, 4152110], [330200, 4152100]]
    assert shapely.get_coordinates(lines[3]).tolist() == [[330400, 4152100], [330600, 4152300]]  # from its junctions
    assert pyproj.CRS(data.crs).to_epsg() == 32652
    assert data.report.detected["edges"] == "4 (+2 internal, not imported)" and data.report.skipped == []


def test_a_network_without_projection_needs_a_crs_and_the_project_stays_unchanged(fixtures, project):
    with pytest.raises(InputError) as error:
        import_file(project, fixtures / NOPROJ)
    message = str(error.value)
    assert message.startswith(str(fixtures / NOPROJ)) and "projParameter '!'" in message and "--crs" in message
    assert "\n" not in message and project.layers() == []
    outcome = import_file(project, fixtures / NOPROJ, ImportOptions(crs="EPSG:5186", timezone=project.timezone))
    assert outcome.importer == "sumo-net" and project.layer("plain_noproj.net").feature_count == 4
    info = project.layer("plain_noproj.net")
    first = project.query(f'SELECT ST_X(ST_StartPoint(geom)) AS x, ST_Y(ST_StartPoint(geom)) AS y FROM "{info.table_name}" '
                          "WHERE edge_id = 'AB'").to_pylist()[0]
    assert (first["x"], first["y"]) == (pytest.approx(208600.0), pytest.approx(545950.0))  # (0, 100) - offset


@pytest.mark.parametrize("text, reason, line", [
    ('<?xml version="1.0"?>\n<!DOCTYPE net [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
     '<net><location netOffset="0,0" projParameter="!"/><edge id="x" from="a" to="b" name="&b;"/></net>\n',
     "the XML declares entities, which are refused", 2),
    ('<?xml version="1.0"?>\n<net>\n<location netOffset="0,0" projParameter="!"/>\n<edge id="x" from="a"\n</net>\n',
     "not well-formed XML", 5),
    ('<?xml version="1.0"?>\n<net>\n<location netOffset="nope" projParameter="!"/>\n</net>\n',
     "cannot read the network's <location>: netOffset 'nope' is not 'x,y'", 3),
])
def test_bad_networks_are_one_line_naming_file_line_and_reason(tmp_path, project, text, reason, line):
    path = tmp_path / "bad.net.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        import_file(project, path, ImportOptions(crs="EPSG:5186"))
    message = str(error.value)
    assert message.startswith(f"{path}: line {line}: {reason}") and "\n" not in message, message
    assert project.layers() == []


def test_the_fcd_importer_reads_the_network_location_through_the_shared_reader(fixtures, tmp_path):
    from twin_plugins.traffic.sumo_net import read_location

    assert read_location(fixtures / SMALL) == (-330000.0, -4152000.0,
                                               "+proj=utm +zone=52 +ellps=WGS84 +datum=WGS84 +units=m +no_defs")
    with pytest.raises(InputError, match="no such SUMO network file"):
        read_location(tmp_path / "gone.net.xml")
    with pytest.raises(InputError, match="the network is not georeferenced"):  # an FCD file with such a network
        read_file(fixtures / "tracks" / "jamsil_fcd_30s.xml", ImportOptions(extra={"net": str(fixtures / NOPROJ)}))


# ----- the real Jamsil network ------------------------------------------------------------------------------
def independent_edges(path: pathlib.Path) -> list[ET.Element]:
    """The road edges of a network by a plain ElementTree parse (a different parser from the importer's)."""
    root = ET.parse(path).getroot()
    return [e for e in root.iter("edge") if not e.get("id", "").startswith(":") and e.get("function", "") == ""]


def test_jamsil_network_counts_match_an_independent_parse(shared_data):
    path = shared_data / JAMSIL
    edges = independent_edges(path)
    every = ET.parse(path).getroot().findall("edge")
    assert len(edges) == 1206 and len(every) == 5192  # SOURCES.md's 1,206 are the road edges; 3,986 are internal
    _, [data] = read_file(path, ImportOptions())
    table = data.features.to_pydict()
    assert table["edge_id"] == [e.get("id") for e in edges]
    assert table["lanes"] == [len(e.findall("lane")) for e in edges]
    assert sum(table["lanes"]) == sum(len(e.findall("lane")) for e in edges)
    speeds = [float(e.find("lane").get("speed")) for e in edges]
    assert np.allclose(table["speed_ms"], speeds) and np.allclose(table["speed_kmh"], np.round(np.array(speeds) * 3.6, 2))
    pairs = {(e.get("from"), e.get("to")) for e in edges}
    assert table["oneway"] == [(e.get("to"), e.get("from")) not in pairs for e in edges]
    assert sum(table["oneway"]) == data.report.detected["oneway edges"] and 0 < sum(table["oneway"]) < 1206
    assert data.report.detected["junctions"] == 525


def test_jamsil_edges_land_in_jamsil_after_reprojection(shared_data, project):
    path = shared_data / JAMSIL
    import_file(project, path)
    assert project.crs == "EPSG:5186"  # chosen for data in Korea
    lon, lat = lonlat(project, "asanH.net")
    assert 127.07 <= lon.min() and lon.max() <= 127.14 and 37.50 <= lat.min() and lat.max() <= 37.54
    # one vertex against pyproj directly: network x/y - netOffset, then UTM 52N -> WGS84
    edge = independent_edges(path)[0]
    x, y = (float(v) for v in edge.get("shape").split()[0].split(","))
    expected = pyproj.Transformer.from_crs("+proj=utm +zone=52 +ellps=WGS84 +datum=WGS84 +units=m +no_defs",
                                           "EPSG:4326", always_xy=True).transform(x + 330102.26, y + 4152722.99)
    assert (lon[0], lat[0]) == (pytest.approx(expected[0], abs=1e-7), pytest.approx(expected[1], abs=1e-7))


def test_jamsil_network_is_drawn_as_road_ribbons_as_wide_as_their_lanes(shared_data, project):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    import_file(project, shared_data / JAMSIL)
    model = TwinModel(ProjectReader(project))
    plotter = offscreen_plotter((640, 480))
    scene = SceneView(model, plotter)
    try:
        visual = scene.visual("asanH.net")
        parts = visual.ensure_built()
        assert type(visual).__name__ == "LineVisual" and parts["tubes"].mesh.n_cells == 0
        assert set(np.unique(parts["ribbons"].mesh.cell_data["fid"])) == set(range(1206))
        lanes = project.query(f'SELECT fid, lanes FROM "{project.layer("asanH.net").table_name}" ORDER BY fid')
        two = int(lanes.column("fid").to_numpy()[lanes.column("lanes").to_numpy() == 2][0])
        one = int(lanes.column("fid").to_numpy()[lanes.column("lanes").to_numpy() == 1][0])
        areas = {}
        mesh = parts["ribbons"].mesh.compute_cell_sizes(length=False, volume=False)
        for fid in (one, two):
            cells = mesh.cell_data["fid"] == fid
            areas[fid] = float(np.asarray(mesh.cell_data["Area"])[cells].sum())
        length = dict(zip(*project.query(f'SELECT fid, ST_Length(geom) AS l FROM "{project.layer("asanH.net").table_name}"')
                          .to_pydict().values()))
        assert areas[two] / length[two] == pytest.approx(6.6, rel=0.05)  # 2 lanes x 3.3 m
        assert areas[one] / length[one] == pytest.approx(3.3, rel=0.05)
        image = scene.screenshot()
        assert (np.abs(image.astype(int) - image[2, 2].astype(int)).max(axis=2) > 40).mean() > 0.01  # roads drawn
    finally:
        scene.close()
        plotter.close()
