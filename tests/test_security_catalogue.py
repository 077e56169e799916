"""A project file is data (issue 10): SQL smuggled through the catalogue never runs, the connection of a
project file reaches no other file, and odd catalogue values are one clear line, never a traceback."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main
from twin.errors import ProjectError
from twin.layerdata import ImportReport, LayerData
from twin.store.identifiers import quote, table_ref
from twin.store.project import Project
from twin.store.spatial import connect
from twin.store.writer import write_layer


def make_city(path):
    """A project with a points layer ("Poles", lyr_1) and a polygons layer ("Parks", lyr_2)."""
    with Project.open(path, create=True, crs="EPSG:5186") as p:
        points = shapely.to_wkb(shapely.points([200000.0, 200050.0, 200100.0], [550000.0, 550020.0, 550040.0]))
        write_layer(p, LayerData("points", pa.table({"geometry": points, "종류": ["a", "b", "c"]}), "EPSG:5186",
                                 ImportReport("poles.csv", imported=3)), name="Poles")
        parks = shapely.to_wkb([shapely.box(200000, 550000, 200080, 550060), shapely.box(200120, 550000, 200160, 550030)])
        write_layer(p, LayerData("polygons", pa.table({"geometry": parks, "name": ["p1", "p2"]}), "EPSG:5186",
                                 ImportReport("parks.geojson", imported=2)), name="Parks")
    return path


def tamper(path, sql: str, params: list | None = None) -> None:
    """Change a project file with plain DuckDB, as a stranger would."""
    con = connect(path)  # plain DuckDB with the spatial extension (layer tables have R-tree indexes)
    try:
        con.execute(sql, params or [])
    finally:
        con.close()


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# ----- identifiers ------------------------------------------------------------------------------
def test_identifiers_are_validated_and_quoted():
    assert table_ref("lyr_12") == '"lyr_12"' and table_ref("lyr_3_track") == '"lyr_3_track"'
    for bad in ('lyr_2" LIMIT 0; --', "lyr_2\n", "layers", "lyr_", "lyr_1_", "LYR_1", "lyr_1_Track", "../lyr_1"):
        with pytest.raises(ProjectError, match="not the name of a layer table"):
            table_ref(bad)
    assert quote('a"b') == '"a""b"' and quote("용도") == '"용도"'
    with pytest.raises(ProjectError, match="NUL"):
        quote("a\x00b")


# ----- the exploit of the issue ---------------------------------------------------------------
@pytest.fixture
def smuggled(tmp_path):
    """A project whose second layer's table name smuggles a COPY into a file under tmp_path."""
    path = make_city(tmp_path / "city.twin.duckdb")
    target = tmp_path / "pwned.csv"
    evil = f"lyr_2\" LIMIT 0; COPY (SELECT 'pwned') TO '{target}'; SELECT * FROM \"lyr_2"
    tamper(path, "UPDATE layers SET table_name = ? WHERE name = 'Parks'", [evil])
    return path, target


def test_a_smuggled_table_name_lists_the_layer_as_broken(smuggled):
    path, target = smuggled
    with Project.open(path, read_only=True) as project:
        parks = project.layer("Parks")
        assert parks.broken and "layers.table_name" in parks.broken and str(path) in parks.broken
        with pytest.raises(ProjectError, match="table_name"):
            parks.ref()
        assert project.layer_tables(parks) == []
        assert not project.layer("Poles").broken
    assert not target.exists()


def test_twin_render_of_a_smuggled_name_writes_no_file_and_draws_the_rest(smuggled, capsys):
    path, target = smuggled
    out = path.parent / "city.png"
    assert main(["render", str(path), "--out", str(out), "--size", "320x200"]) == 0
    err = capsys.readouterr().err
    assert not target.exists()
    assert out.exists() and out.stat().st_size > 0
    warnings = [line for line in lines(err) if "Parks" in line]
    assert len(warnings) == 1 and "table_name" in warnings[0]
    assert "1 layer(s)" in err  # the poles were drawn


def test_twin_export_of_a_smuggled_name_writes_no_file(smuggled, capsys):
    path, target = smuggled
    out = path.parent / "parks.geojson"
    assert main(["export", str(path), "Parks", str(out)]) == 1
    err = lines(capsys.readouterr().err)
    assert not target.exists() and not out.exists()
    assert len(err) == 1 and "table_name" in err[0] and "Traceback" not in err[0]
    assert main(["export", str(path), "Poles", str(path.parent / "poles.geojson")]) == 0  # the rest still exports
    assert not target.exists()


# ----- the connection of a project file reaches no other file ---------------------------------
@pytest.mark.parametrize("read_only", [True, False])
@pytest.mark.parametrize("sql", [
    "COPY (SELECT 1) TO '{tmp}/out.csv'",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_csv('{tmp}/in.csv')",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET enable_external_access",
])
def test_the_connection_of_a_project_file_is_locked_down(tmp_path, sql, read_only):
    path = make_city(tmp_path / "city.twin.duckdb")
    (tmp_path / "in.csv").write_text("a\n1\n")
    before = path.read_bytes()
    with Project.open(path, read_only=read_only) as project:
        for con in (project.con, project.cursor()):  # the worker threads' cursors too
            with pytest.raises(duckdb.Error):
                con.execute(sql.format(tmp=tmp_path))
            assert con.execute("SELECT current_setting('enable_external_access')").fetchone()[0] is False
        assert project.layer("Poles").feature_count == 3
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()
    if read_only:
        assert path.read_bytes() == before


def test_cursors_of_a_locked_project_read_in_utc(tmp_path):
    """The SQL console's cursor once ran ``SET TimeZone`` and failed on the locked configuration (its test timed
    out); the zone is now set for the whole connection before it is locked."""
    from twin.store.reader import ProjectReader

    path = make_city(tmp_path / "city.twin.duckdb")
    with Project.open(path) as project:
        cursor, result = ProjectReader(project).cursor_query(
            "SELECT current_setting('TimeZone') AS tz, TIMESTAMPTZ '2024-05-01 09:00:00+09'::VARCHAR AS t")
        try:
            assert result.fetchone() == ("UTC", "2024-05-01 00:00:00+00")
        finally:
            cursor.close()


# ----- odd catalogue values -------------------------------------------------------------------
LAYER_CASES = {
    "properties not JSON": ("UPDATE layers SET properties = '{nope' WHERE name = 'Parks'", "layers.properties", True),
    "properties an array": ("UPDATE layers SET properties = '[1, 2]' WHERE name = 'Parks'", "layers.properties", True),
    "style not JSON": ("UPDATE layers SET style = 'colour: red' WHERE name = 'Parks'", "layers.style", False),
    "style an array": ("UPDATE layers SET style = '[\"red\"]' WHERE name = 'Parks'", "layers.style", False),
    "missing table": ("DROP TABLE lyr_2", "layers.table_name", True),
    "infinite extent": ("UPDATE layers SET xmax = 'inf'::DOUBLE, ymin = 'nan'::DOUBLE WHERE name = 'Parks'",
                        "layers.xmin/ymin/xmax/ymax", False),
    "table of another layer's suffix": ("UPDATE layers SET table_name = 'lyr_1_mesh' WHERE name = 'Parks'",
                                        "layers.table_name", True),
}


@pytest.mark.parametrize("case", LAYER_CASES)
def test_odd_layer_values_are_one_line_naming_project_layer_and_field(tmp_path, case, capsys):
    sql, field, broken = LAYER_CASES[case]
    path = make_city(tmp_path / "city.twin.duckdb")
    tamper(path, sql)
    with Project.open(path, read_only=True) as project:
        parks = project.layer("Parks")
        said = [parks.broken] if broken else list(parks.problems)
        assert said and all(text and str(path) in text and "'Parks'" in text for text in said)
        assert field in said[0] and "\n" not in said[0]
        assert bool(parks.broken) == broken
        if not broken:
            assert isinstance(parks.style, dict)
            assert parks.bbox is None or parks.bbox == pytest.approx((200000, 550000, 200160, 550060))
    # twin info: exit 0, the problem on one line, the other layer listed; --json stays strict JSON
    assert main(["info", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "- Poles" in out and "- Parks" in out
    assert len([line for line in lines(err) if field in line]) == 1
    assert main(["info", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    problems = {layer["name"]: layer.get("problems", []) for layer in summary["layers"]}
    assert problems["Poles"] == [] and len(problems["Parks"]) == 1 and field in problems["Parks"][0]
    # twin render: the rest of the project is drawn, the odd layer is one warning line at most
    out_png = tmp_path / "city.png"
    assert main(["render", str(path), "--out", str(out_png), "--size", "160x100"]) == 0
    err = capsys.readouterr().err
    assert out_png.exists() and "Traceback" not in err
    if broken:
        assert len([line for line in lines(err) if "'Parks'" in line]) == 1


META_CASES = {
    "schema_version 'abc'": ("UPDATE meta SET value = 'abc' WHERE key = 'schema_version'", "meta.schema_version"),
    "schema_version -1": ("UPDATE meta SET value = '-1' WHERE key = 'schema_version'", "meta.schema_version"),
    "invalid CRS": ("UPDATE meta SET value = 'EPSG:999999' WHERE key = 'crs'", "meta.crs"),
    "geographic CRS": ("UPDATE meta SET value = 'EPSG:4326' WHERE key = 'crs'", "meta.crs"),
    "invalid time zone": ("UPDATE meta SET value = 'Mars/Olympus' WHERE key = 'timezone'", "meta.timezone"),
    "time zone a path": ("UPDATE meta SET value = '../../etc/passwd' WHERE key = 'timezone'", "meta.timezone"),
    "no layers table": ("DROP TABLE layers", "no catalogue"),
    "layers table of the wrong shape": ("ALTER TABLE layers DROP COLUMN style", "layers table cannot be read"),
}


@pytest.mark.parametrize("case", META_CASES)
@pytest.mark.parametrize("command", ["info", "render", "query"])
def test_odd_meta_values_are_one_line_naming_project_and_field(tmp_path, case, command, capsys):
    sql, field = META_CASES[case]
    path = make_city(tmp_path / "city.twin.duckdb")
    tamper(path, sql)
    before = path.read_bytes()
    argv = {"info": ["info", str(path)], "render": ["render", str(path), "--out", str(tmp_path / "x.png")],
            "query": ["query", str(path), "SELECT count(*) FROM lyr_1"]}[command]
    if command == "query" and case == "layers table of the wrong shape":
        assert main(argv) == 0  # the rows can still be looked at (the layers are never listed)
        assert path.read_bytes() == before
        return
    assert main(argv) == 1
    err = lines(capsys.readouterr().err)
    assert len(err) == 1, err
    assert field in err[0] and str(path) in err[0] and "Traceback" not in err[0]
    assert path.read_bytes() == before  # reading an odd project changes nothing
    assert not (tmp_path / "x.png").exists()


# ----- control characters printed to a terminal ------------------------------------------------
def test_names_with_terminal_escapes_are_printed_visibly(tmp_path, capsys):
    path = make_city(tmp_path / "city.twin.duckdb")
    tamper(path, "UPDATE layers SET name = ?, source_file = ? WHERE name = 'Parks'",
           ["Parks\x1b[2J\x1b]0;owned\x07", "evil\r\u202e.csv"])
    tamper(path, "UPDATE lyr_1 SET \"종류\" = ? WHERE fid = 0", ["\x1b[31mred"])
    assert main(["info", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\r" not in out and "\u202e" not in out
    assert "Parks\\x1b[2J\\x1b]0;owned\\x07" in out and "evil\\r\\u202e.csv" in out
    assert main(["query", str(path), 'SELECT "종류" FROM lyr_1 ORDER BY fid']) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out
    assert main(["render", str(path), "--out", str(tmp_path / "x.png"), "--camera", "nope\x1b[2J"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and len(lines(err)) == 1
    assert main(["query", str(path), 'SELECT "종류" FROM lyr_1 ORDER BY fid', "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0] == {"종류": "\x1b[31mred"}  # JSON escapes it (\u001b), same value


def test_json_output_is_strict(tmp_path, capsys):
    path = make_city(tmp_path / "city.twin.duckdb")
    assert main(["query", str(path), "SELECT 'nan'::DOUBLE AS a, 'inf'::DOUBLE AS b, -'inf'::DOUBLE AS c, 1.5::DOUBLE AS d",
                 "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}")) == [
        {"a": None, "b": None, "c": None, "d": 1.5}]


# ----- the window -------------------------------------------------------------------------------
def test_the_window_lists_a_broken_layer_with_its_reason_and_opens_the_rest(qtbot, tmp_path):
    from PySide6 import QtCore

    from twin.model.session import Session
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    path = make_city(tmp_path / "city.twin.duckdb")
    target = tmp_path / "pwned.csv"
    tamper(path, "UPDATE layers SET table_name = ? WHERE name = 'Parks'",
           [f"lyr_2\" LIMIT 0; COPY (SELECT 'pwned') TO '{target}'; SELECT * FROM \"lyr_2"])
    tamper(path, "UPDATE layers SET style = '[1, 2]', name = 'Poles<img src=x>' WHERE name = 'Poles'")
    settings = AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    win = QtMainWindow(Session.open(path), settings=settings)
    try:
        win.show()
        assert win.view.wait_until_ready(30), "the 3D view never rendered"
        assert "Poles<img src=x>" in win.view.visuals and "Parks" not in win.view.visuals  # the rest is drawn
        model = win.layer_list.model
        parks, poles = model.item_for("Parks"), model.item_for("Poles<img src=x>")
        tip = parks.toolTip()
        assert "broken" in tip and "layers.table_name" in tip and str(path) in tip
        assert not parks.isCheckable() and not parks.isEditable()
        assert "layers.style" in poles.toolTip() and "&lt;img src=x&gt;" in poles.toolTip()  # escaped, not markup
        assert poles.isCheckable()
    finally:
        win.close()
    assert not target.exists()


ODD_PROPERTIES = [  # each a property the code reads, of a type it does not expect (found by fuzzing the catalogue)
    {"object_types": {"Building": [1], "Road": 3}},
    {"temporal": 5}, {"temporal": {"mode": "instant", "start": 3}},
    {"track": "x"}, {"track": {"table": 5}},
    {"join": {"key": 5}}, {"camera": [1]}, {"default_lod": {}}, {"built_year": [1]}, {"utility": 1e308},
]


@pytest.mark.parametrize("properties", ODD_PROPERTIES, ids=lambda p: json.dumps(p))
def test_odd_properties_never_give_a_traceback(tmp_path, properties, capsys):
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "ui"))
    import ui_projects

    path = ui_projects.build(tmp_path / "city.twin.duckdb")
    tamper(path, "UPDATE layers SET properties = ?", [json.dumps(properties)])
    for argv in (["info", str(path)],
                 ["render", str(path), "--out", str(tmp_path / "x.png"), "--size", "64x64", "--time",
                  "2024-01-01T00:00", "--stage", "2"]):
        assert main(argv) in (0, 1)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
