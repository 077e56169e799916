"""One bad file or importer bug never takes the rest down (issue 10).

A failing importer call is an error for that file, naming the importer, the file and the reason;
a plugin is disabled only when its code cannot be loaded (``sys.exit`` at import included). Each
file that used to disable the whole built-in twin-formats plugin now imports or fails on its own.
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from fake_dist import write_dist
from twin.cli.main import main
from twin.errors import InputError
from twin.io.importing import read_file
from twin.io.options import ImportOptions
from twin.io.service import import_file
from twin.plugins.registry import PluginError, PluginRegistry

POINT = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [127.0, 37.5]}}


@pytest.fixture
def reg() -> PluginRegistry:
    registry = PluginRegistry()
    registry.discover()
    return registry


def enabled(registry: PluginRegistry) -> dict[str, bool]:
    return {record.name: record.enabled for record in registry.records()}


def geojson(path, features) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def good_file(tmp_path):
    path = tmp_path / "good.geojson"
    geojson(path, [{**POINT, "properties": {"name": "a"}}])
    return path


def test_geojson_with_empty_properties_imports(tmp_path, reg, project):
    path = tmp_path / "empty.geojson"
    geojson(path, [POINT, {**POINT, "geometry": {"type": "Point", "coordinates": [127.01, 37.51]}}])
    outcome = import_file(project, path, registry=reg)
    assert outcome.layers[0].feature_count == 2 and outcome.layers[0].kind == "points"
    assert project.query(f"SELECT count(*) AS n FROM {outcome.layers[0].table_name}").column("n")[0].as_py() == 2
    assert all(enabled(reg).values())


def test_polygons_with_empty_properties_and_a_shapefile_without_dbf(tmp_path, reg, project):
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[shapely.box(127, 37.5, 127.001, 37.501),
                                                      shapely.box(127.002, 37.5, 127.003, 37.501)], crs=4326)
    frame.to_file(tmp_path / "nodbf.shp")
    (tmp_path / "nodbf.dbf").unlink()
    outcome = import_file(project, tmp_path / "nodbf.shp", registry=reg)
    assert outcome.layers[0].feature_count == 2 and outcome.layers[0].kind == "polygons"
    assert "no .dbf beside the .shp: the features have no attributes" in outcome.reports[0].notes
    path = tmp_path / "areas.geojson"
    geojson(path, [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
                   for g in frame.geometry])
    assert import_file(project, path, registry=reg).layers[0].feature_count == 2


def cityjson(**extra) -> dict:
    doc = {"type": "CityJSON", "version": "2.0",
           "transform": {"scale": [0.001, 0.001, 0.001], "translate": [0, 0, 0]},
           "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/5186"},
           "CityObjects": {"b1": {"type": "Building", "geometry": [{"type": "Solid", "lod": "1", "boundaries": [[
               [[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 7]]]]}]}},
           "vertices": [[0, 0, 0], [10000, 0, 0], [10000, 10000, 0], [0, 10000, 0],
                        [0, 0, 5000], [10000, 0, 5000], [10000, 10000, 5000], [0, 10000, 5000]]}
    doc.update(extra)
    return doc


@pytest.mark.parametrize("templates", [[1, 2], "x", 7])
def test_cityjson_templates_that_are_not_an_object(tmp_path, reg, templates):
    doc = cityjson(**{"geometry-templates": templates})
    doc["CityObjects"]["tree"] = {"type": "SolitaryVegetationObject", "geometry": [
        {"type": "GeometryInstance", "template": 0, "boundaries": [0], "transformationMatrix": [1] * 16}]}
    path = tmp_path / "t.city.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, datas = read_file(path, registry=reg)
    assert datas[0].features.num_rows == 1  # the building; the tree has no usable template
    reasons = [s.reason for s in datas[0].report.skipped]
    assert reasons == ["GeometryInstance, but the file has no usable 'geometry-templates'"]
    assert all(enabled(reg).values())


@pytest.mark.parametrize("children", [5, "b2", {"a": 1}, True])
def test_cityjson_children_that_are_not_a_list(tmp_path, reg, children):
    doc = cityjson()
    doc["CityObjects"]["b1"]["children"] = children
    path = tmp_path / "c.city.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, datas = read_file(path, registry=reg)
    assert datas[0].features.column("object_id").to_pylist() == ["b1"]


def test_cp949_header_with_a_lone_cr_is_one_clear_error(tmp_path, reg):
    path = tmp_path / "cr.csv"
    path.write_bytes("이름\r,경도,위도\n가,127.0,37.5\n".encode("cp949"))
    with pytest.raises(InputError, match=r"cr.csv: line 1: not a CSV table: the first line has 1 column"):
        read_file(path, registry=reg)
    assert all(enabled(reg).values())


def test_a_lone_cr_in_a_cp949_body_ends_a_line_as_pyarrow_reads_it(tmp_path, reg):
    path = tmp_path / "body.csv"
    path.write_bytes("이름,경도,위도\n가,127.0,37.5\r나,127.1,37.6\n다,127.2,37.7\n".encode("cp949"))
    _, [data] = read_file(path, registry=reg)
    assert data.features.column("이름").to_pylist() == ["가", "나", "다"]
    assert data.report.detected["encoding"].lower().startswith("cp949")


def test_a_failing_file_does_not_stop_the_next_one_in_the_same_command(tmp_path, monkeypatch, capsys):
    """The CLI case of the issue: a file that hits a bug of twin-formats, then another file of that plugin."""
    import twin_plugins.formats.vector as vector

    def buggy(*_args, **_kwargs):
        raise ValueError("a bug in the vector importer")

    monkeypatch.setattr(vector, "_layers", buggy)
    bad = tmp_path / "bad.geojson"
    geojson(bad, [POINT])
    good = tmp_path / "good.csv"
    good.write_text("name,lat,lon\na,37.5,127.0\n", encoding="utf-8")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(bad), str(good), "--no-suggest"]) == 1
    err = capsys.readouterr().err
    assert ("twin import: error: plugin twin-formats: importer 'vector' (callable) failed on "
            f"{bad}: ValueError: a bug in the vector importer\n") in err
    assert "-> layer 'good' (points, 1 features)" in err
    assert "no importer" not in err and "disabled" not in err


def test_a_raising_importer_fails_its_file_and_stays_enabled(fake_site, tmp_path, project):
    reg = fake_site.registry("twin-fake-raising", "twin-fake-good")
    boom = tmp_path / "data.boom"
    boom.write_text("anything", encoding="utf-8")
    for _ in range(2):  # the same importer is tried again for the next file
        with pytest.raises(PluginError, match=r"^plugin twin-fake-raising: importer 'boom' \(callable\) failed on "):
            import_file(project, boom, registry=reg)
    assert reg.plugins["twin-fake-raising"].enabled


EXITING_MANIFEST = """
name = "twin-fake-exit"
version = "0.1.0"

[[importers]]
id = "exit-at-import"
title = "calls sys.exit when imported"
patterns = ["*.exit"]
callable = "twin_fake_exit.reader:read"

[[importers]]
id = "exit-on-call"
title = "calls sys.exit when called"
patterns = ["*.exitcall"]
callable = "twin_fake_exit.caller:read"
"""


@pytest.fixture
def exiting_plugin(fake_site) -> PluginRegistry:
    package = fake_site.root / "twin_fake_exit"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "twin.toml").write_text(EXITING_MANIFEST, encoding="utf-8")
    (package / "reader.py").write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
    (package / "caller.py").write_text(textwrap.dedent("""
        import sys

        def read(path, options):
            sys.exit("leaving")
    """), encoding="utf-8")
    write_dist(fake_site.root, "twin-fake-exit", "0.1.0", {"exit": "twin_fake_exit:twin.toml"})
    return fake_site.registry("twin-fake-good")


def test_sys_exit_at_import_disables_the_plugin_by_name(exiting_plugin, tmp_path):
    path = tmp_path / "a.exit"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(PluginError, match=r"^plugin twin-fake-exit: importer 'exit-at-import': cannot load "
                                          r"twin_fake_exit.reader:read \(SystemExit: 3\); the plugin is disabled$"):
        read_file(path, registry=exiting_plugin)
    record = exiting_plugin.plugins["twin-fake-exit"]
    assert not record.enabled and "SystemExit" in record.error
    assert exiting_plugin.plugins["twin-fake-good"].enabled
    sys.modules.pop("twin_fake_exit.reader", None)


def test_sys_exit_in_a_call_is_an_error_of_that_file(exiting_plugin, tmp_path):
    path = tmp_path / "a.exitcall"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(PluginError, match=r"importer 'exit-on-call' \(callable\) failed on .*a.exitcall: "
                                          r"SystemExit: leaving$"):
        read_file(path, ImportOptions(), registry=exiting_plugin)
    assert exiting_plugin.plugins["twin-fake-exit"].enabled
