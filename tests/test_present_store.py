"""Bookmarks and tours in the project file: round trips, edits, errors, and schema version 1 -> 2."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest
import shapely

from twin.errors import ProjectError
from twin.layerdata import ImportReport, LayerData
from twin.present.bookmarks import Bookmark
from twin.present.store import PresentStore
from twin.present.tours import Tour, TourStop
from twin.scene.camera import CameraPose
from twin.store import schema
from twin.store.project import Project
from twin.store.writer import write_layer

KST = dt.timezone(dt.timedelta(hours=9))
POSE = CameraPose((223_599.6375, 430_129.5171, 1943.5081), (224_414.1, 432_367.2, 83.0), (0.2105, 0.5785, 0.788), 30.0)
TOP = CameraPose((224_400.0, 432_400.0, 1600.0), (224_400.0, 432_400.0, 83.0), (0.0, 1.0, 0.0), 30.0, 420.5)


def points_layer() -> LayerData:
    wkb = shapely.to_wkb(shapely.points([224_000.0, 224_100.0], [432_000.0, 432_050.0]))
    table = pa.table({"name": ["a", "b"], "geometry": pa.array(wkb, type=pa.binary())})
    return LayerData("points", table, "EPSG:5186", ImportReport("cctv.csv", imported=2))


def full_bookmark(name: str = "세종 CCTV") -> Bookmark:
    return Bookmark(name, POSE, time=dt.datetime(2024, 5, 1, 8, 30, tzinfo=KST), layers=("건물", "CCTV"), stage=2,
                    caption="교차로마다 CCTV가 있습니다")


def test_bookmark_round_trip_through_the_project_file(tmp_path):
    path = tmp_path / "p.twin.duckdb"
    with Project.open(path, create=True, crs="EPSG:5186") as project:
        store = PresentStore(project)
        saved = store.save_bookmark(full_bookmark())
        store.save_bookmark(Bookmark("Plan", TOP))
        assert saved.created_at is not None
    with Project.open(path, read_only=True) as project:
        store = PresentStore(project)
        assert store.names() == ["세종 CCTV", "Plan"]
        back = store.bookmark("세종 CCTV")
        want = full_bookmark()
        assert back.camera == want.camera  # floats exact through DOUBLE[]
        assert back.time == want.time and back.time.utcoffset() == dt.timedelta(0)
        assert (back.layers, back.stage, back.caption) == (want.layers, want.stage, want.caption)
        plan = store.bookmark("Plan")
        assert plan.camera.parallel_scale == 420.5 and plan.layers is None and plan.time is None and plan.stage is None
        row = project.query("SELECT camera_position, layers, t, stage, caption FROM bookmarks WHERE name = '세종 CCTV'")
        assert row.schema.field("camera_position").type == pa.list_(pa.float64())  # plain columns, no pickle
        assert row.column("layers")[0].as_py() == ["건물", "CCTV"]
        with pytest.raises(ProjectError, match="read-only"):
            store.save_bookmark(Bookmark("x", POSE))


def test_replace_rename_reorder_and_errors(project):
    store = PresentStore(project)
    store.save_bookmark(full_bookmark("a"))
    store.save_bookmark(Bookmark("b", POSE))
    store.save_bookmark(Bookmark("c", TOP))
    with pytest.raises(ProjectError, match="already exists"):
        store.save_bookmark(Bookmark("a", TOP))
    created = store.bookmark("a").created_at
    store.save_bookmark(Bookmark("a", TOP, caption="new"), replace=True)
    again = store.bookmark("a")
    assert again.camera == TOP and again.caption == "new" and again.created_at == created
    assert store.names() == ["a", "b", "c"]  # replaced in place
    store.reorder_bookmarks(["c", "a"])
    assert store.names() == ["c", "a", "b"]
    store.save_tour(Tour("t", (TourStop("a"), TourStop("b"), TourStop("a", hold=1))))
    store.rename_bookmark("a", "알파")
    assert [s.bookmark for s in store.tour("t").stops] == ["알파", "b", "알파"]
    with pytest.raises(ProjectError, match="already exists"):
        store.rename_bookmark("b", "c")
    with pytest.raises(ProjectError, match=r"no bookmark named 'zz'.*알파"):
        store.bookmark("zz")
    with pytest.raises(ProjectError, match="needs a name"):
        store.rename_bookmark("b", "   ")
    with pytest.raises(ProjectError, match="no bookmark named 'x'"):
        store.reorder_bookmarks(["x"])


def test_removing_a_bookmark_used_by_a_tour(project):
    store = PresentStore(project)
    for name in "abc":
        store.save_bookmark(Bookmark(name, POSE))
    store.save_tour(Tour("long", (TourStop("a"), TourStop("b"), TourStop("c"))))
    store.save_tour(Tour("only-b", (TourStop("b"),)))
    with pytest.raises(ProjectError, match="long, only-b"):
        store.remove_bookmark("b")
    assert store.names() == ["a", "b", "c"]
    store.remove_bookmark("b", force=True)
    assert store.names() == ["a", "c"]
    assert [t.name for t in store.tours()] == ["long"]
    assert [s.bookmark for s in store.tour("long").stops] == ["a", "c"]
    store.remove_bookmark("c", force=True)
    store.remove_tour("long")
    assert store.tours() == []
    store.remove_bookmark("a")
    assert store.bookmarks() == []


def test_tours_are_checked_and_stored_as_json(project):
    store = PresentStore(project)
    store.save_bookmark(Bookmark("a", POSE))
    with pytest.raises(ProjectError, match="'nowhere'"):
        store.save_tour(Tour("t", (TourStop("a"), TourStop("nowhere"))))
    store.save_tour(Tour("t", (TourStop("a", transition=1, hold=2, speed=30, caption="자막"),), "데모"))
    with pytest.raises(ProjectError, match="already exists"):
        store.save_tour(Tour("t", (TourStop("a"),)))
    stored = project.query("SELECT stops, description FROM tours").to_pylist()[0]
    assert json.loads(stored["stops"]) == [{"bookmark": "a", "transition": 1.0, "hold": 2.0, "speed": 30.0, "caption": "자막"}]
    assert stored["description"] == "데모"
    project.con.execute("UPDATE tours SET stops = '[{\"bookmark\": \"a\", \"hold\": -4}]'")
    with pytest.raises(ProjectError, match="stored tour 't'.*hold"):
        store.tours()
    with pytest.raises(ProjectError, match="stored tour 't'.*hold"):
        store.tour("t")
    with pytest.raises(ProjectError, match=r"no tour named 'x'.*\(tours: t\)"):
        store.remove_tour("x")
    store.remove_tour("t")  # a damaged tour can still be removed
    assert store.tour_names() == []


def make_version_1_project(path, monkeypatch) -> None:
    """A project file exactly as the version-1 code made it (its create() ran only CREATE_V1), with a layer."""
    with monkeypatch.context() as m:
        m.setattr(schema, "SCHEMA_VERSION", 1)
        with Project.open(path, create=True, crs="EPSG:5186") as project:
            write_layer(project, points_layer(), name="CCTV")
            project.set_style("CCTV", {"color": "#ff0000"})
            assert project.meta("schema_version") == "1"
            assert not schema.has_table(project.con, "bookmarks")


def test_a_version_1_project_is_migrated_when_opened(tmp_path, monkeypatch):
    path = tmp_path / "v1.twin.duckdb"
    make_version_1_project(path, monkeypatch)
    with Project.open(path) as project:
        assert project.meta("schema_version") == str(schema.SCHEMA_VERSION) == "4"
        assert schema.has_table(project.con, "bookmarks") and schema.has_table(project.con, "tours")
        assert schema.has_table(project.con, "links")  # version 3 on top of version 2
        assert project.layer("CCTV").feature_count == 2 and project.layer("CCTV").style == {"color": "#ff0000"}
        store = PresentStore(project)
        assert store.bookmarks() == [] and store.tours() == []
        store.save_bookmark(full_bookmark())
    with Project.open(path, read_only=True) as project:
        assert PresentStore(project).bookmark("세종 CCTV").caption == "교차로마다 CCTV가 있습니다"


def test_a_version_1_project_opened_read_only_stays_as_it_is(tmp_path, monkeypatch):
    path = tmp_path / "v1.twin.duckdb"
    make_version_1_project(path, monkeypatch)
    with Project.open(path, read_only=True) as project:  # twin render/info open read-only: nothing to write
        assert project.meta("schema_version") == "1"
        store = PresentStore(project)
        assert store.bookmarks() == [] and store.tours() == [] and not store.has_bookmark("x")
        with pytest.raises(ProjectError, match="no bookmark named 'x'"):
            store.bookmark("x")
        with pytest.raises(ProjectError, match="read-only"):
            store.save_bookmark(Bookmark("x", POSE))
    with Project.open(path) as project:
        assert project.meta("schema_version") == "4"


def test_a_bookmark_keeps_its_selection_and_the_what_changed_view(tmp_path, monkeypatch):
    path = tmp_path / "v3.twin.duckdb"
    with monkeypatch.context() as m:  # a version-3 file with one bookmark, as the version-3 code wrote it
        m.setattr(schema, "SCHEMA_VERSION", 3)
        with Project.open(path, create=True, crs="EPSG:5186") as project:
            project.con.execute("INSERT INTO bookmarks VALUES ('old', 0, [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0], "
                                "30, NULL, NULL, NULL, 2, '', now(), now())")
    with Project.open(path, read_only=True) as project:  # read-only: not migrated, read all the same
        old = PresentStore(project).bookmark("old")
        assert old.selection == () and not old.changes and old.stage == 2
    with Project.open(path) as project:
        assert project.meta("schema_version") == "4"
        store = PresentStore(project)
        assert store.bookmark("old").selection == ()
        mark = Bookmark("incident", POSE, stage=3, changes=True, selection=(("사건 incidents", 17), ("CCTV", 4)))
        store.save_bookmark(mark)
        back = store.bookmark("incident")
        assert back.selection == (("사건 incidents", 17), ("CCTV", 4)) and back.changes and back.stage == 3
        assert back.summary()["selection"] == [["사건 incidents", 17], ["CCTV", 4]]
        stored = project.rows("SELECT selection FROM bookmarks WHERE name = 'incident'")[0][0]
        assert json.loads(stored) == [["사건 incidents", 17], ["CCTV", 4]]  # plain JSON text
        for bad, reason in (("not json", "stored"), ('{"a": 1}', "must be a JSON list"), ('[["CCTV", -1]]', "fid >= 0"),
                            ('[["CCTV"]]', r"\[layer, fid\]"), ('[[1, 2]]', "layer name")):
            project.con.execute("UPDATE bookmarks SET selection = ? WHERE name = 'incident'", [bad])
            with pytest.raises(ProjectError, match=reason):
                store.bookmark("incident")
    assert Bookmark("x", POSE, changes=True).changes is False  # no "what changed" without a stage


def test_a_failed_migration_leaves_version_1(tmp_path, monkeypatch):
    path = tmp_path / "v1.twin.duckdb"
    make_version_1_project(path, monkeypatch)
    monkeypatch.setitem(schema.MIGRATIONS, 1, [*schema.CREATE_V2, "CREATE TABLE broken (x NOSUCHTYPE)"])
    with pytest.raises(Exception, match="NOSUCHTYPE|nosuchtype|Type"):
        Project.open(path)
    monkeypatch.undo()
    with Project.open(path, read_only=True) as project:
        assert project.meta("schema_version") == "1" and not schema.has_table(project.con, "bookmarks")


def test_a_newer_project_is_refused(tmp_path):
    path = tmp_path / "new.twin.duckdb"
    with Project.open(path, create=True) as project:
        project.set_meta("schema_version", "99")
    with pytest.raises(ProjectError, match="newer"):
        Project.open(path)


def test_new_projects_have_the_tables(project):
    assert project.meta("schema_version") == "4" and project.has_table("links")
    columns = project.query("SELECT column_name FROM duckdb_columns() WHERE table_name = 'bookmarks' ORDER BY column_index")
    assert columns.column("column_name").to_pylist()[:3] == ["name", "position", "camera_position"]
    assert np.isclose(PresentStore(project).save_bookmark(Bookmark("x", TOP)).camera.parallel_scale, 420.5)
