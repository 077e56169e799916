"""The twin-infrastructure plugin (stage 1): underground utility lines read by the ``utilities`` importer and
drawn by the ``utilities`` kind as tubes at their depth, as thick as their pipe, in the utility's colour."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.api import ImportOptions, InputError, import_file, read_file
from twin.io.importing import choose_importer
from twin.plugins.kinds import layer_kind
from twin.plugins.registry import PluginRegistry

KOREAN = "utilities/jamsil_underground_utilities.geojson"
ENGLISH = "utilities/pipes_english_wgs84.geojson"
LAYER = "jamsil_underground_utilities"
#: drawn radius (m) = diameter (mm) / 2000 x the default exaggeration 10
PER_MM = 10.0 / 2000.0


def line_features(rows: list[dict], crs: str = "urn:ogc:def:crs:EPSG::5186") -> dict:
    """A GeoJSON FeatureCollection of horizontal lines (one per row, 10 m apart) near Jamsil in EPSG:5186."""
    features = [{"type": "Feature", "properties": row,
                 "geometry": {"type": "LineString", "coordinates": [[208700.0, 545900.0 + 10 * i], [208800.0, 545900.0 + 10 * i]]}}
                for i, row in enumerate(rows)]
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": crs}}, "features": features}


def write_json(path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# ----- the plugin, the kind and the choice of importer ---------------------------------------------------
def test_the_kind_and_importer_are_declared_by_twin_infrastructure():
    reg = PluginRegistry()
    kind = layer_kind("utilities", registry=reg)
    assert kind.plugin == "twin-infrastructure" and kind.icon.name == "utilities.svg" and kind.icon.is_file()
    assert "currentColor" in kind.icon.read_text(encoding="utf-8")  # recoloured in the layer list
    assert kind.style == ("color_by", "opacity") and kind.has_controls
    assert reg.contribution("importers", "utilities").plugin == "twin-infrastructure"
    assert reg.check()["twin-infrastructure"] == []


def test_utility_files_go_to_utilities_and_other_vector_files_stay_generic(fixtures, shared_data, tmp_path):
    assert choose_importer(fixtures / KOREAN).id == "utilities"
    assert choose_importer(fixtures / ENGLISH).id == "utilities"
    assert choose_importer(shared_data / "D/osan_road_network_lv6.geojson").id == "vector"  # roads: no utility columns
    assert choose_importer(shared_data / "B/lyon_bdtopo_5bldg_epsg3946.geojson").id == "vector"
    assert choose_importer(fixtures / "cityjson/small_v2.city.json").id == "cityjson"
    roads = tmp_path / "roads.geojson"  # lines with a facility type only (시설종류 is any facility): generic
    write_json(roads, line_features([{"시설종류": "도로", "name": "올림픽로"}]))
    assert choose_importer(roads).id == "vector"
    points = tmp_path / "valves.geojson"  # a depth on points: not lines, generic
    write_json(points, {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"매설깊이": 1.2}, "geometry": {"type": "Point", "coordinates": [127.1, 37.5]}}]})
    assert choose_importer(points).id == "vector"
    broken = tmp_path / "broken.geojson"
    broken.write_bytes(b"\x00\x01 not json at all")
    assert choose_importer(broken).id == "vector"  # unreadable: not ours, the vector importer says why


# ----- reading: columns, defaults, skipped features -----------------------------------------------------
def test_korean_columns_read_with_defaults_and_bad_features_reported(fixtures):
    _, [data] = read_file(fixtures / KOREAN, ImportOptions())
    assert (data.kind, data.crs, data.features.num_rows) == ("utilities", "EPSG:5186", 9)
    assert data.properties["utility"] | {} == {
        "type": "관로종류", "depth": "매설깊이", "diameter": "관경", "year": "설치연도", "default_depth_m": 1.2,
        "default_diameter_mm": 100.0, "depth_unit": "m", "depth_reference": "ground to the top of the pipe",
        "diameter_unit": "mm"}
    assert [(s.where, s.reason) for s in data.report.skipped] == [
        ("feature 8", "depth 'abc' in 매설깊이 is not a number"),
        ("feature 9", "diameter -5 in 관경 is outside 0-10000 mm"),
        ("feature 12", "no line geometry")]
    assert data.report.notes == ["1 line(s) without a depth in 매설깊이: drawn with 1.2 m",
                                 "1 line(s) without a diameter in 관경: drawn with 100 mm"]
    table = data.features.to_pydict()
    assert table["관로번호"] == ["P001", "P002", "P003", "P004", "P005", "P006", "P007", "P010", "P011"]
    assert table["매설깊이"] == [1.2, 1.5, 2.5, 1.0, 0.8, 1.8, None, 2.0, 1.3]  # text "1.0" parsed; missing stays empty
    assert table["관경"][:3] == [100.0, 300.0, 1000.0] and table["관경"][7] is None
    assert data.features.schema.field("설치연도").type == pa.int64()
    assert shapely.get_type_id(shapely.from_wkb(table["geometry"][8])) == 5  # the MultiLineString kept whole


def test_english_columns_in_a_geopackage_with_a_layer_that_is_not_utilities(fixtures, tmp_path):
    import geopandas

    frame = geopandas.read_file(fixtures / ENGLISH)
    path = tmp_path / "network.gpkg"
    frame.to_file(path, layer="pipes", driver="GPKG")
    valves = geopandas.GeoDataFrame({"valve": ["V1"]}, geometry=geopandas.points_from_xy([127.1], [37.513]), crs=4326)
    valves.to_file(path, layer="valves", driver="GPKG")
    contribution, [data] = read_file(path, ImportOptions())
    assert contribution.id == "utilities" and data.kind == "utilities" and data.features.num_rows == 3
    assert {k: data.properties["utility"][k] for k in ("type", "depth", "diameter", "year")} == {
        "type": "utility", "depth": "depth_m", "diameter": "diameter_mm", "year": "install_year"}
    assert data.report.notes == ["layers without utility columns not imported (use --importer vector): valves"]
    _, generic = read_file(path, ImportOptions(), importer="vector")  # the whole file stays importable
    assert sorted(d.kind for d in generic) == ["lines", "points"]


@pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning")  # geopandas on the fixture's text depth
def test_a_korean_shapefile_with_its_code_page(fixtures, tmp_path):
    import geopandas

    frame = geopandas.read_file(fixtures / KOREAN).iloc[:6]
    path = tmp_path / "상수도관로.shp"
    frame.to_file(path, driver="ESRI Shapefile", encoding="cp949")
    contribution, [data] = read_file(path, ImportOptions())
    assert contribution.id == "utilities" and data.features.num_rows == 6
    assert data.features.column("관로종류").to_pylist() == ["도시가스", "상수도", "하수도", "전력", "통신", "지역난방"]


def test_bad_files_are_one_error_line_and_the_project_is_unchanged(fixtures, tmp_path, project):
    no_crs = tmp_path / "pipes_no_crs.geojson"
    data = line_features([{"관로종류": "가스", "매설깊이": 1.2}])
    del data["crs"]
    data["features"][0]["geometry"]["coordinates"] = [[208700.0, 545900.0], [208800.0, 545900.0]]
    write_json(no_crs, data)
    with pytest.raises(InputError) as error:  # a GeoJSON without a crs member is WGS84: but these are not degrees
        import_file(project, no_crs)
    assert str(error.value) == (f"{no_crs}: the coordinates (208700, 545900) are not degrees, but the file's CRS is "
                                "EPSG:4326 (a GeoJSON without a 'crs' member is WGS84): give their CRS with --crs EPSG:NNNN")
    all_bad = tmp_path / "pipes_all_bad.geojson"
    write_json(all_bad, line_features([{"관로종류": "가스", "매설깊이": "깊음"}, {"관로종류": "상수", "매설깊이": -3}]))
    with pytest.raises(InputError) as error:
        import_file(project, all_bad)
    assert str(error.value) == (f"{all_bad}: no usable utility line (depth '깊음' in 매설깊이 is not a number in "
                                "feature 1, ...)")
    assert project.layers() == []
    import_file(project, fixtures / KOREAN)  # the project still takes a good file
    import_file(project, no_crs, ImportOptions(crs="EPSG:5186", timezone=project.timezone))  # and the CRS named
    assert [layer.name for layer in project.layers()] == [LAYER, "pipes_no_crs"]
    assert project.layer("pipes_no_crs").bbox[0] == pytest.approx(208700.0)


# ----- drawing ------------------------------------------------------------------------------------------
@pytest.fixture
def drawn(fixtures, project):
    """The Korean fixture imported and drawn off-screen: (project, model, scene, visual)."""
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    import_file(project, fixtures / KOREAN)
    model = TwinModel(ProjectReader(project))
    plotter = offscreen_plotter((800, 600))
    scene = SceneView(model, plotter)
    yield project, model, scene, scene.visual(LAYER)
    scene.close()
    plotter.close()


def tube_bounds(visual, fid: int) -> np.ndarray:
    """(xmin, xmax, ymin, ymax, zmin, zmax) of one feature's tube."""
    from twin.api import FID

    points = []
    for key, part in visual.ensure_built().items():
        if key.startswith("tubes") and part.mesh.n_cells:
            mesh = part.mesh
            cells = np.flatnonzero(np.asarray(mesh.cell_data[FID]) == fid)
            if cells.size:
                points.append(np.asarray(mesh.points)[np.unique(mesh.regular_faces[cells])])
    xyz = np.concatenate(points)
    return np.column_stack([xyz.min(axis=0), xyz.max(axis=0)]).ravel()


def test_tubes_lie_at_their_depth_with_a_radius_growing_with_the_diameter(drawn):
    project, _, scene, visual = drawn
    assert type(visual).__name__ == "UtilityVisual" and visual.underground is True
    assert scene.backdrop.ground.GetProperty().GetOpacity() < 1.0  # the ground turns see-through for what lies below
    table = project.query(f'SELECT fid, "관로번호" AS id, "매설깊이" AS d, "관경" AS mm FROM "{project.layer(LAYER).table_name}" '
                          "ORDER BY fid").to_pylist()
    radii = {}
    for row in table:
        depth = row["d"] if row["d"] is not None else 1.2  # the default of the missing depth (P007)
        diameter = row["mm"] if row["mm"] is not None else 100.0  # the default of the missing diameter (P010)
        b = tube_bounds(visual, row["fid"])
        radius = (b[5] - b[4]) / 2.0
        radii[row["id"]] = (diameter, radius)
        assert b[5] == pytest.approx(-depth, abs=0.04 * diameter * PER_MM + 1e-3), row  # crown at the recorded depth
        assert b[4] == pytest.approx(-depth - diameter * PER_MM * 2, rel=0.04), row  # whole tube below it
        assert radius == pytest.approx(diameter * PER_MM, rel=0.05), row
    gas = tube_bounds(visual, 0)  # P001, 도시가스: 1.2 m deep, 100 mm -> a 1 m tube from -1.2 to -2.2 m
    assert (gas[5], gas[4]) == (pytest.approx(-1.2, abs=0.02), pytest.approx(-2.2, abs=0.02))
    by_diameter = sorted(radii.values())
    assert all(a[1] < b[1] for a, b in zip(by_diameter, by_diameter[1:]) if a[0] < b[0])  # thicker pipe, thicker tube


def test_tubes_are_coloured_by_utility_type_with_a_legend_of_the_types(drawn):
    _, _, _, visual = drawn
    parts = visual.ensure_built()
    colours = {key.split(":")[1]: part.color for key, part in parts.items() if key.startswith("tubes:")}
    assert colours == {"sewer": "#8d6e63", "water": "#1e88e5", "gas": "#fbc02d", "power": "#e53935",
                       "telecom": "#43a047", "heating": "#fb8c00"}
    fids = {key.split(":")[1]: sorted(set(np.asarray(part.mesh.cell_data["fid"]).tolist()))
            for key, part in parts.items() if key.startswith("tubes:")}
    assert fids == {"sewer": [2], "water": [1], "gas": [0, 6, 7], "power": [3, 8], "telecom": [4], "heating": [5]}
    legend = visual.legend()
    assert legend.subtitle == "관로종류" and legend.swatches == [
        ("sewer", "#8d6e63"), ("water supply", "#1e88e5"), ("gas", "#fbc02d"), ("power", "#e53935"),
        ("telecom", "#43a047"), ("district heating", "#fb8c00")]


def test_the_exaggeration_and_colour_by_style_settings(drawn):
    _, model, scene, visual = drawn
    before = tube_bounds(visual, 2)  # the 1,000 mm sewer: a 10 m tube
    model.layers[LAYER].update_style(params={"exaggeration": 2.0})
    visual = scene.visual(LAYER)
    after = tube_bounds(visual, 2)
    assert (before[5] - before[4]) == pytest.approx(10.0, rel=0.05) and (after[5] - after[4]) == pytest.approx(2.0, rel=0.05)
    assert after[5] == pytest.approx(-2.5, abs=0.05)  # the crown stays at the depth
    model.layers[LAYER].update_style(color_by="설치연도")
    visual = scene.visual(LAYER)
    assert "tubes" in visual.ensure_built() and visual.legend().colormap == "viridis"
    assert visual.legend().clim == (1987.0, 2015.0)


def test_the_pipes_are_drawn_in_their_colours(drawn):
    project, _, scene, visual = drawn
    scene.view("top")
    image = scene.screenshot().astype(int)
    origin = scene.origin

    def pixel(x, y):
        renderer = scene.plotter.renderer
        renderer.SetWorldPoint(x - origin.x, y - origin.y, -1.0, 1.0)
        renderer.WorldToDisplay()
        px, py, _ = renderer.GetDisplayPoint()
        return image[scene.plotter.window_size[1] - 1 - int(round(py)), int(round(px))]

    gas, water, sewer = pixel(208740, 545900), pixel(208740, 545910), pixel(208740, 545920)
    ground = pixel(208740, 545900 - 40)
    assert ground[2] >= ground[0] - 5, ground  # the grey-green ground: no more red than blue
    assert gas[0] > gas[2] + 25 and gas[1] > gas[2] + 20, gas  # yellow through the see-through ground
    assert water[2] > water[0] + 30, water  # blue
    assert sewer[0] - sewer[2] > ground[0] - ground[2] + 5 and ground[1] - sewer[1] > 25, (sewer, ground)  # brown, darker


def test_the_style_control_edits_the_exaggeration(qtbot, drawn):
    from twin_plugins.infrastructure.controls import UtilityControls

    _, model, _, _ = drawn
    controls = UtilityControls(model.layers[LAYER])
    qtbot.addWidget(controls)
    assert controls.params() == {"exaggeration": 10.0}
    controls.exaggeration.setValue(25.0)
    assert controls.params() == {"exaggeration": 25.0}
