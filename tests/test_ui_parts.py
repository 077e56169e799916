"""The app's parts without the 3D view: the layer list bound to the model, query results, selections,
settings, Save As, the demo project and the About box (pytest-qt; pytest-xvfb provides the display)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest
import shapely
from PySide6 import QtCore

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "ui"))
from conftest import copy_project  # noqa: E402
from twin.store.project import Project  # noqa: E402


@pytest.fixture
def city(tmp_path, ui_city_file):
    project = Project.open(copy_project(ui_city_file, tmp_path / "city.twin.duckdb"))
    yield project
    project.close()


@pytest.fixture
def settings(tmp_path):
    from twin_ui.settings import AppSettings

    return AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))


def _tree(model):
    out = {}
    for i in range(model.rowCount()):
        stage = model.item(i)
        for j in range(stage.rowCount()):
            service = stage.child(j)
            out[(stage.text(), service.text())] = [service.child(k).text() for k in range(service.rowCount())]
    return out


@pytest.fixture
def twin(city):
    """The city's model with its persistence, as the window has it."""
    from conftest import bound_model

    model, sync = bound_model(city)
    yield model
    sync.detach()


def test_layer_list_groups_by_stage_then_service(qapp, twin):
    from twin_ui.docks.layer_list_model import LayerListModel

    model = LayerListModel(twin)
    tree = _tree(model)
    keys = list(tree)
    assert [k[0].split(" ·")[0] for k in keys] == ["Stage 1", "Stage 2", "Stage 4", "No stage"]
    assert keys[0][0].startswith("Stage 1 · National GIS")  # the stage title from the twin-stages plugin
    assert tree[keys[1]] == ["CCTV"] and keys[1][1] == "Safety"
    assert tree[keys[3]] == ["Parks"] and keys[3][1] == "(no service)"


def test_check_boxes_set_the_model_and_follow_it(qapp, twin, city):
    from twin_ui.docks.layer_list_model import LayerListModel

    model = LayerListModel(twin)
    item = model.item_for("CCTV")
    item.setCheckState(QtCore.Qt.CheckState.Unchecked)
    assert twin.layers["CCTV"].visible is False and not twin.shown("CCTV")
    assert city.layer("CCTV").style["visible"] is False  # written through by the model's persistence
    assert item.parent().checkState() == QtCore.Qt.CheckState.Unchecked  # the Safety group follows
    stage4 = model.item_for("Buildings").parent().parent()
    stage4.setCheckState(QtCore.Qt.CheckState.Unchecked)  # a group turns its layers off
    assert twin.layers["Buildings"].visible is False
    twin.layers["CCTV"].visible = True  # the model changes: the row follows (the model is the truth)
    assert model.item_for("CCTV").checkState() == QtCore.Qt.CheckState.Checked


def test_the_stage_lens_greys_later_stages(qapp, twin):
    from twin_ui.docks.layer_list_model import LayerListModel

    model = LayerListModel(twin)
    twin.lens.stage = 2
    assert not twin.shown("Buildings")  # stage 4
    assert twin.shown("CCTV") and twin.shown("Roads") and twin.shown("Parks")
    assert model.item_for("Buildings").font().italic() and not model.item_for("CCTV").font().italic()
    assert "hidden by the stage lens (up to stage 2)" in model.item_for("Buildings").toolTip()
    twin.lens.stage = None
    assert not model.item_for("Buildings").font().italic()


def test_rename_through_the_list_and_refused_duplicate(qtbot, twin, city):
    from twin_ui.docks.layer_list_model import LayerListModel

    model = LayerListModel(twin)
    errors = []
    model.error.connect(errors.append)
    model.item_for("Parks").setText("공원")
    assert "공원" in twin.layers and city.has_layer("공원") and not city.has_layer("Parks")
    qtbot.waitUntil(lambda: model.item_for("공원") is not None)
    model.item_for("공원").setText("Roads")
    assert errors and "already exists" in errors[0]
    assert model.item_for("공원").text() == "공원" and city.has_layer("공원")


def test_arrow_model_shows_geometry_as_wkt_and_nulls(qapp, city):
    from twin_ui.docks.arrow_model import ArrowTableModel

    table = city.query('SELECT fid, "용도", geom, NULL::VARCHAR AS empty FROM lyr_1 ORDER BY fid')
    model = ArrowTableModel(table)
    assert model.rowCount() == 9 and model.columnCount() == 4
    assert model.geometry_column_names() == ["geom"]
    assert model.data(model.index(4, 2)).startswith("POLYGON ((200010 549990")
    assert model.data(model.index(0, 3)) == "NULL"
    assert model.headerData(1, QtCore.Qt.Orientation.Horizontal) == "용도"
    row = model.row_values(4)
    assert row["fid"] == 4 and shapely.get_type_id(row["geom"]) == 3


def test_result_rows_point_at_features_or_geometries(city):
    from twin_ui.docks.result_selection import select_rows, tables_in_sql

    layers = city.layers()
    sql = "SELECT fid, height FROM lyr_1 WHERE height > 20"
    table = city.query(sql)
    selection = select_rows(table, [0, 1], sql, layers)
    assert list(selection.features) == ["Buildings"] and len(selection.features["Buildings"]) == 2
    assert tables_in_sql('SELECT * FROM "lyr_2" JOIN lyr_2_mesh USING (fid)') == {"lyr_2"}
    # a layer column says which layer each fid belongs to
    sql = "SELECT 'CCTV' AS layer, fid FROM lyr_2 UNION ALL SELECT 'Roads', fid FROM lyr_3"
    selection = select_rows(city.query(sql), list(range(7)), sql, layers)
    assert set(selection.features) == {"CCTV", "Roads"} and len(selection.features["CCTV"]) == 5
    # no fid: the geometry is highlighted as it is
    sql = "SELECT ST_Buffer(ST_Point(200000, 550000), 30) AS area"
    selection = select_rows(city.query(sql), [0], sql, layers)
    assert not selection.features and len(selection.geometries) == 1
    assert selection.describe() == "1 geometry"


def test_geometry_overlay_outlines_in_local_coordinates():
    from twin.scene.origin import LocalOrigin
    from twin.render.geometries import geometry_overlay

    origin = LocalOrigin(200_000.0, 550_000.0, 10.0)
    geoms = np.array([shapely.box(200_000, 550_000, 200_010, 550_010), shapely.Point(200_005, 550_005),
                      shapely.LineString([(199_990, 550_000), (199_990, 550_020), (199_980, 550_020)])], dtype=object)
    mesh = geometry_overlay(geoms, origin)
    assert mesh.n_lines == 2 and mesh.n_verts == 1
    assert np.allclose(mesh.bounds[:4], (-20, 10, 0, 20)) and mesh.bounds[4] == pytest.approx(0.5)


def test_settings_remember_recent_projects_and_queries(tmp_path, settings):
    a, b = tmp_path / "a.twin.duckdb", tmp_path / "b.twin.duckdb"
    a.touch()
    b.touch()
    settings.add_recent_project(a)
    settings.add_recent_project(b)
    settings.add_recent_project(a)
    assert settings.recent_projects() == [str(a.resolve()), str(b.resolve())]
    b.unlink()
    assert settings.recent_projects() == [str(a.resolve())]
    settings.add_query("SELECT 1")
    settings.add_query("SELECT 2")
    settings.add_query("SELECT 1")
    settings.sync()
    from twin_ui.settings import AppSettings

    again = AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    assert again.query_history() == ["SELECT 1", "SELECT 2"]
    settings.set_preference("stage_filter", 3)
    assert again.preference("stage_filter", 0) == 3


def test_save_as_copies_the_file_and_open_refuses_other_files(tmp_path, city):
    from twin.errors import ProjectError
    from twin_ui.project_files import open_session

    target = city.save_as(tmp_path / "copy")
    assert target.name == "copy.twin.duckdb"
    with Project.open(target) as copy:
        assert [la.name for la in copy.layers()] == [la.name for la in city.layers()]
        assert copy.query("SELECT count(*) AS n FROM lyr_1").column("n")[0].as_py() == 9
    with pytest.raises(ProjectError, match="this is the open project"):
        city.save_as(city.path)
    text = tmp_path / "notes.twin.duckdb"
    text.write_text("not a database, but long enough to have a header")
    with pytest.raises(ProjectError, match="not a DuckDB file"):
        open_session(text)


def test_demo_is_built_once_and_reused(tmp_path, ui_city_file):
    from twin_ui.demo import demo_is_built, ensure_demo_project

    calls = []

    def builder(path):
        calls.append(path)
        copy_project(ui_city_file, path)  # a small project stands for the town: the build is not the point

    assert not demo_is_built(tmp_path)
    first = ensure_demo_project(tmp_path, builder=builder)
    second = ensure_demo_project(tmp_path, builder=builder)
    assert first == second == tmp_path / "demo.twin.duckdb" and calls == [first]
    assert demo_is_built(tmp_path)
    with Project.open(first) as demo:
        assert len(demo.layers()) == 4


def test_an_interrupted_demo_build_is_built_again(tmp_path, ui_city_file):
    from twin_ui.demo import demo_is_built, ensure_demo_project

    def broken(path):
        Project.open(path, create=True).close()
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        ensure_demo_project(tmp_path, builder=broken)
    assert not demo_is_built(tmp_path)  # the half-built file is not taken for the demo
    path = ensure_demo_project(tmp_path, builder=lambda target: copy_project(ui_city_file, target))
    with Project.open(path) as demo:
        assert len(demo.layers()) == 4


def test_a_demo_an_older_app_built_is_built_again(tmp_path, ui_city_file):
    from twin_ui.demo import MARKER, demo_is_built, ensure_demo_project

    calls = []
    copy_project(ui_city_file, tmp_path / "demo.twin.duckdb")  # the sample district of an older version, marked complete
    (tmp_path / MARKER).write_text("built by Smart City Twin 0.1.0\n", encoding="utf-8")
    assert not demo_is_built(tmp_path)
    ensure_demo_project(tmp_path, builder=lambda path: (calls.append(path), copy_project(ui_city_file, path)))
    assert len(calls) == 1 and demo_is_built(tmp_path)


def test_the_demo_is_the_new_town(demo_town):
    from twin_ui.demo import demo_is_built

    path, _ = demo_town  # ensure_demo_project with the real generator (twin demo), through the real importers
    assert demo_is_built(path.parent) and path.name == "demo.twin.duckdb"
    with Project.open(path, read_only=True) as demo:
        layers = demo.layers()
        assert demo.crs == "EPSG:5186"
        assert {layer.kind for layer in layers} >= {"buildings", "points", "lines", "polygons", "moving", "events",
                                                   "segments", "sensors"}
        assert {layer.stage for layer in layers} == {1, 2, 3, 4}
        assert sum(layer.feature_count for layer in layers if layer.kind == "buildings") >= 3000
        assert all(layer.properties.get("role") for layer in layers)
    assert (path.parent / "demo_sources" / "buildings.gpkg").exists()  # the source files beside the project


def test_about_lists_the_stack_versions(qapp):
    from twin_ui.dialogs.qt_about import QtAboutDialog

    dialog = QtAboutDialog()
    names = [name for name, _ in dialog.rows]
    for wanted in ("Smart City Twin", "Python", "Qt", "VTK", "PyVista", "DuckDB", "DuckDB spatial extension",
                   "GDAL", "pyogrio", "PROJ"):
        assert wanted in names
    versions = dict(dialog.rows)
    assert versions["DuckDB"] == "1.5.5" and versions["Qt"].startswith("6.")
    assert "unavailable" not in versions["DuckDB spatial extension"] and versions["GDAL"][0].isdigit()
    dialog.copy()
    from PySide6 import QtWidgets

    assert "PROJ: " in QtWidgets.QApplication.clipboard().text()


def test_worker_delivers_only_the_newest_request(qtbot):
    import threading

    from twin_ui.workers import LatestRunner

    runner = LatestRunner()
    release = threading.Event()
    results, failures = [], []
    runner.finished.connect(results.append)
    runner.failed.connect(lambda exc, _tb: failures.append(exc))

    def slow(task, value):
        release.wait(5)
        return value

    runner.submit(slow, "old")
    runner.submit(lambda task, value: value, "new")
    release.set()
    assert runner.wait(5000)
    assert results == ["new"] and not failures and not runner.busy
    runner.submit(lambda task: 1 / 0)
    assert runner.wait(5000)
    assert isinstance(failures[0], ZeroDivisionError)


def test_cjk_font_fallback_is_installed(qapp):
    from PySide6 import QtGui

    from twin_ui.fonts import cjk_family, install_fonts

    family = cjk_family()
    assert family is not None, "install fonts-noto-cjk for Korean text"
    font = install_fonts(qapp)
    assert family in font.families()
    assert QtGui.QFontMetrics(font).inFontUcs4(ord("용"))
