"""The model of the twin without Qt or VTK: layers, the one stage-lens rule, the selection, the camera, the
time, bookmarks and tours, what is written into the project (and what is not), the presenter, the plugin
panel context and the read-only project reader."""

from __future__ import annotations

import datetime as dt
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "ui"))
import ui_projects  # noqa: E402

from twin.errors import ProjectError  # noqa: E402
from twin.model.context import PanelContext  # noqa: E402
from twin.model.presenter import Presenter, bookmark_frame  # noqa: E402
from twin.model.session import Session  # noqa: E402
from twin.model.twin import TwinModel  # noqa: E402
from twin.present.bookmarks import Bookmark  # noqa: E402
from twin.present.store import PresentStore  # noqa: E402
from twin.present.tours import Tour, TourStop  # noqa: E402
from twin.scene.camera import fit_pose  # noqa: E402
from twin.store.project import Project  # noqa: E402
from twin.store.reader import ProjectReader, ReadOnlyError  # noqa: E402
from twin.time.range import TimeRange  # noqa: E402

KST = dt.timezone(dt.timedelta(hours=9))
POSE = fit_pose((199_900, 200_100, 549_800, 550_100, 0, 40))


@pytest.fixture
def session(tmp_path):
    """The UI fixture city (Buildings stage 4, CCTV stage 2, Roads stage 1, Parks no stage) in a bound model."""
    s = Session.open(ui_projects.build(tmp_path / "city.twin.duckdb"))
    s.bind(TwinModel())
    yield s
    s.close()


def stored(session) -> Project:
    """The project file as the store reads it (the same database the model writes into)."""
    return session.project


def record(signal) -> list:
    seen: list = []
    signal.connect(lambda *args: seen.append(args))
    return seen


# ----- layers ------------------------------------------------------------------------------------------
def test_the_model_holds_the_layers_in_draw_order_with_their_styles(session):
    model = session.model
    assert model.layers.names() == ["Buildings", "CCTV", "Roads", "Parks"]
    assert model.crs == "EPSG:5186" and model.timezone == "Asia/Seoul"
    buildings = model.layers["Buildings"]
    assert (buildings.kind, buildings.stage, buildings.service) == ("buildings", 4, "infrastructure")
    assert buildings.visible and buildings.opacity == 1.0 and buildings.style.color_by == "surface"
    with pytest.raises(ProjectError, match=r"no layer named 'nope' \(layers: Buildings, CCTV, Roads, Parks\)"):
        model.layers["nope"]


def test_style_changes_are_events_and_are_written_into_the_project(session):
    model = session.model
    cctv = model.layers["CCTV"]
    styles, visible, opacity = record(cctv.events.style), record(cctv.events.visible), record(cctv.events.opacity)
    cctv.visible = False
    cctv.opacity = 0.5
    cctv.opacity = 0.5  # no change, no event
    assert visible == [(False,)] and opacity == [(0.5,)] and len(styles) == 2
    assert not model.shown("CCTV")
    project = stored(session)
    assert project.layer("CCTV").style == {"visible": False, "opacity": 0.5}


def test_rename_place_move_and_remove_go_through_the_model(session):
    model = session.model
    model.rename_layer("Parks", "공원")
    with pytest.raises(ProjectError, match="already exists"):
        model.rename_layer("공원", "Roads")
    with pytest.raises(ProjectError, match="cannot be empty"):
        model.rename_layer("공원", "  ")
    model.place_layer("공원", stage=4, service="environment")
    with pytest.raises(ValueError, match="not 1, 2, 3 or 4"):
        model.place_layer("공원", stage=7)
    model.move_layer("공원", 0)
    removed = record(model.layers.events.removed)
    model.remove_layer("CCTV")
    assert len(removed) == 1 and model.layers.names() == ["공원", "Buildings", "Roads"]
    project = stored(session)
    assert [layer.name for layer in project.layers()] == ["공원", "Buildings", "Roads"]  # order kept
    park = project.layer("공원")
    assert (park.stage, park.service) == (4, "environment")
    assert not project.has_layer("CCTV") and not project.has_table("lyr_2")


def test_a_stored_style_that_cannot_be_read_leaves_the_layer_drawable(session):
    session.project.set_style("Roads", {"colour": "red"})  # an unknown key, as a stranger's file may hold
    model = TwinModel(session.reader)
    roads = model.layers["Roads"]
    assert "unknown key(s) colour" in roads.problem and roads.style.color == "#59606b"  # the kind's defaults


# ----- the stage lens ------------------------------------------------------------------------------------
def test_the_stage_lens_is_the_one_rule_of_what_a_stage_hides(session):
    model = session.model
    changes = record(model.lens.events.changed)
    model.lens.stage = 2
    assert model.shown_layers() == ["CCTV", "Roads", "Parks"]  # Buildings is stage 4; Parks has no stage
    model.lens.services = {"safety"}
    assert model.shown_layers() == ["CCTV", "Parks"]  # Roads is infrastructure; Parks has no service
    assert model.lens.describe() == "up to stage 2, services safety"
    model.lens.services = None
    model.lens.stage = None
    assert len(changes) == 4 and model.shown_layers() == ["Buildings", "CCTV", "Roads", "Parks"]
    with pytest.raises(ValueError):
        model.lens.stage = 0
    mark = Bookmark("b", POSE, stage=1, layers=("Buildings", "Roads"))
    presenter = Presenter(model)
    presenter.apply(bookmark_frame(mark))
    assert model.shown_layers() == ["Roads"]  # a bookmark's stage goes through the same lens


# ----- selection, camera, time -----------------------------------------------------------------------------
def test_the_selection_links_features_across_layers(session):
    selection = session.model.selection
    changes = record(selection.events.changed)
    selection.select({"Buildings": [4, 2], "CCTV": [1]}, primary=("CCTV", 1))
    assert selection.primary == ("CCTV", 1) and selection.layer == "CCTV" and selection.fid == 1
    assert selection.items == {("Buildings", 4), ("Buildings", 2), ("CCTV", 1)}
    selection.select({"Buildings": [4, 2], "CCTV": [1]}, primary=("CCTV", 1))  # the same: no event
    session.model.rename_layer("Buildings", "건물")
    assert selection.of("건물") == {2, 4}
    session.model.remove_layer("CCTV")
    assert selection.primary == ("건물", 2) and selection.fids == (2, 4)  # the inspector shows the next one
    selection.clear()
    assert not selection and len(changes) == 4


def test_the_camera_pose_and_framing_requests(session):
    camera = session.model.camera
    looks, poses = record(camera.events.look), record(camera.events.pose)
    camera.look("CCTV")
    camera.pose = POSE
    camera.pose = POSE
    assert looks == [("CCTV", None)] and len(poses) == 1 and camera.last_look == ("CCTV", None)
    with pytest.raises(ValueError, match="position equals the focal point"):
        camera.pose = POSE.__class__(POSE.focal_point, POSE.focal_point, POSE.view_up)
    with pytest.raises(ValueError, match="through its layer"):
        camera.look("iso", fid=3)


def test_the_time_follows_the_timeline_and_can_be_set(session, shared_data):
    model = session.model
    assert model.time.timeline is None and model.time.range is None
    timelines = record(model.time.events.timeline)
    outcome = session.imports.write(session.imports.plan(shared_data / "E" / "osan_traffic_accidents_taas.csv"))
    session.adopt(outcome)
    timeline = model.time.timeline
    assert len(timelines) == 1 and timeline.extent.start == dt.datetime(2007, 1, 14, 9, tzinfo=KST)
    at = dt.datetime(2017, 1, 28, 14, 30, tzinfo=KST)
    timeline.seek(at)
    assert model.time.range == TimeRange.instant(at)
    model.time.range = TimeRange(at, at + dt.timedelta(hours=1))  # a presenter or a panel sets it directly
    assert model.time.range.duration == dt.timedelta(hours=1)
    model.remove_layer(outcome.layers[0].name)
    assert model.time.timeline is None and model.time.range is None and len(timelines) == 2


# ----- bookmarks and tours -----------------------------------------------------------------------------------
def test_bookmarks_and_tours_are_kept_in_the_model_and_written_through(session):
    model = session.model
    with pytest.raises(ProjectError, match="no view has placed the camera"):
        model.capture_bookmark("x")
    model.camera.pose = POSE
    model.lens.stage = 2
    model.layers["CCTV"].visible = False
    mark = model.capture_bookmark("Overview", caption="세종")
    assert mark.stage == 2 and mark.layers == ("Buildings", "Roads", "Parks") and mark.time is None
    model.bookmarks.save(mark)
    model.bookmarks.save(Bookmark("Civic", POSE))
    model.tours.save(Tour("Demo", (TourStop("Overview"), TourStop("Civic"))))
    with pytest.raises(ProjectError, match="already exists"):
        model.bookmarks.save(mark)
    model.rename_bookmark("Civic", "시청")
    model.bookmarks.move("시청", -1)
    assert model.bookmarks.names() == ["시청", "Overview"]
    assert [s.bookmark for s in model.tours["Demo"].stops] == ["Overview", "시청"]
    store = PresentStore(stored(session))
    assert store.names() == ["시청", "Overview"] and store.bookmark("Overview").caption == "세종"
    assert [s.bookmark for s in store.tour("Demo").stops] == ["Overview", "시청"]
    model.remove_bookmark("Overview")
    assert [s.bookmark for s in model.tours["Demo"].stops] == ["시청"]
    project = stored(session)
    assert PresentStore(project).names() == ["시청"]
    assert [s.bookmark for s in PresentStore(project).tour("Demo").stops] == ["시청"]
    again = TwinModel(session.reader)  # a new model reads them back
    assert again.bookmarks.names() == ["시청"] and again.tours.names() == ["Demo"]


# ----- presenting: transient changes --------------------------------------------------------------------------
def test_a_presenter_changes_the_model_for_the_view_only_and_puts_it_back(session):
    model = session.model
    model.lens.stage = 4
    writes = session.sync.writes
    presenter = Presenter(model, clock=True)
    frame = bookmark_frame(Bookmark("b", POSE, time=dt.datetime(2024, 5, 1, 9, tzinfo=KST), layers=("CCTV",),
                                    stage=2, caption="CCTV only"))
    presenter.apply(frame)
    assert model.shown_layers() == ["CCTV"] and model.lens.stage == 2 and model.camera.pose == POSE
    assert model.caption.text == "CCTV only" and model.caption.clock
    assert model.time.range == TimeRange.instant(dt.datetime(2024, 5, 1, 9, tzinfo=KST))
    assert session.sync.writes == writes  # nothing was written
    presenter.close()
    assert model.shown_layers() == ["Buildings", "CCTV", "Roads", "Parks"] and model.lens.stage == 4
    assert model.caption.text == "" and not model.caption.clock
    assert session.sync.writes == writes
    # a bookmark with a selection and the "what changed" view: applied, then put back
    model.selection.select_feature("Roads", 0)
    presenter = Presenter(model)
    presenter.apply(bookmark_frame(Bookmark("c", POSE, stage=2, changes=True, selection=(("CCTV", 1), ("Gone", 3)))))
    assert model.selection.items == {("CCTV", 1)} and model.selection.primary == ("CCTV", 1)  # unknown layers skipped
    assert model.lens.stage == 2 and model.lens.changes
    assert model.capture_bookmark("now").selection == (("CCTV", 1),) and model.capture_bookmark("now").changes
    presenter.close()
    assert model.selection.items == {("Roads", 0)} and (model.lens.stage, model.lens.changes) == (4, False)
    project = stored(session)
    assert all(layer.style.get("visible", True) for layer in project.layers())


def test_a_copy_shows_the_same_state_and_writes_nothing(session):
    model = session.model
    model.layers["Roads"].update_style(color="#ff0000")
    model.lens.stage = 2
    model.selection.select_feature("CCTV", 3)
    model.camera.pose = POSE
    copy = model.copy()
    assert copy.layers.names() == model.layers.names() and copy.layers["Roads"].style.color == "#ff0000"
    assert copy.lens.stage == 2 and copy.selection.primary == ("CCTV", 3) and copy.camera.pose == POSE
    writes = session.sync.writes
    copy.layers["Roads"].visible = False
    assert session.sync.writes == writes and model.layers["Roads"].visible


# ----- what plugins see ---------------------------------------------------------------------------------------
def test_the_panel_context_is_a_view_of_the_model(session):
    model = session.model
    context = PanelContext(model)
    seen = []
    stop = context.subscribe("selection", lambda s: seen.append(("selection", s.layer, s.fids)))
    context.subscribe("stage", lambda s: seen.append(("stage", s)))
    context.subscribe("layers", lambda layers: seen.append(("layers", [la.name for la in layers])))
    context.subscribe("time", lambda t: (_ for _ in ()).throw(RuntimeError("panel bug")))  # a broken panel
    model.selection.select_feature("Buildings", 4)
    model.lens.stage = 3
    model.remove_layer("Parks")
    model.time.range = TimeRange.instant(dt.datetime(2024, 1, 1, tzinfo=KST))  # logged, unsubscribed
    model.time.range = None
    stop()
    context.set_selection("CCTV", [2, 1])  # a panel drives the linked selection
    assert model.selection.primary == ("CCTV", 2) and context.selection.fids == (2, 1)
    assert seen == [("selection", "Buildings", (4,)), ("stage", 3), ("layers", ["Buildings", "CCTV", "Roads"])]
    assert isinstance(context.project, ProjectReader) and context.project is model.project
    assert not hasattr(context.project, "con")  # no raw connection for plugins
    with pytest.raises(ValueError, match="unknown event"):
        context.subscribe("nonsense", print)


def test_a_context_of_a_plain_project_makes_its_own_model(session):
    context = PanelContext(session.project)  # what a plugin's own tests do
    context.set_selection("CCTV", [0])
    context.set_time(dt.datetime(2024, 3, 2, 16, tzinfo=KST))
    assert context.selection.layer == "CCTV" and context.time == dt.datetime(2024, 3, 2, 7, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError, match="timezone-aware"):
        context.set_time(dt.datetime(2024, 1, 1))


def test_the_reader_runs_one_reading_statement_only(session):
    reader = session.reader
    assert reader.query("SELECT count(*) AS n FROM lyr_1").column("n")[0].as_py() == 9
    assert reader.rows("FROM layers SELECT name ORDER BY position")[0] == ("Buildings",)
    assert list(reader.numpy("SELECT fid FROM lyr_2 ORDER BY fid")["fid"]) == [0, 1, 2, 3, 4]
    for sql, reason in (("DROP TABLE layers", "DROP statements are not allowed"),
                        ("SELECT 1; DROP TABLE meta", "one statement at a time"),
                        ("COPY layers TO '/tmp/x.csv'", "COPY statements"),
                        ("ATTACH '/tmp/x.db' AS x", "ATTACH statements"),
                        ("INSTALL httpfs", "LOAD statements"),
                        ("UPDATE layers SET name = 'x'", "UPDATE statements")):
        with pytest.raises(ReadOnlyError, match=reason):
            reader.query(sql)
    project = stored(session)
    assert len(project.layers()) == 4 and project.has_table("meta")


def test_save_as_copies_the_project_and_the_session_goes_on(session, tmp_path):
    session.model.layers["CCTV"].visible = False
    target = session.save_as(tmp_path / "copy")
    assert target == tmp_path / "copy.twin.duckdb"
    with Project.open(target, read_only=True) as copy:
        assert copy.layer("CCTV").style["visible"] is False and len(copy.layers()) == 4
    with pytest.raises(ProjectError, match="this is the open project"):
        session.save_as(session.path)
