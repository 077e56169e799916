"""Camera flights, tours and replays as numbers (no rendering): ends equal the bookmarks, progress is
monotone, the horizon stays level, far flights rise, captions fade, times and layers follow the stops."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from twin.errors import ProjectError
from twin.present.bookmarks import Bookmark, layer_visible
from twin.present.camera import Orientation, orientation, pose_from, pose_from_dict, pose_to_dict, visible_height
from twin.present.flight import Flight, ease, turn_angle
from twin.present.tours import Tour, TourPlayer, TourStop, replay_frame_count, replay_frames
from twin.scene.camera import CameraPose, fit_pose

KST = dt.timezone(dt.timedelta(hours=9))
E0, N0 = 224_000.0, 432_000.0  # EPSG:5186, Sejong


def box(x: float, y: float, half: float, height: float = 40.0) -> tuple:
    return (E0 + x - half, E0 + x + half, N0 + y - half, N0 + y + half, 0.0, height)


OVERVIEW = fit_pose(box(0, 0, 800), aspect=16 / 9)
CLOSE_WEST = fit_pose(box(-700, 0, 15), azimuth=120, elevation=25, aspect=16 / 9)
CLOSE_EAST = fit_pose(box(700, 100, 15), azimuth=240, elevation=30, aspect=16 / 9)
TOP = fit_pose(box(0, 0, 800), azimuth=180, elevation=90, aspect=16 / 9)


def assert_pose_equal(a: CameraPose, b: CameraPose, tol: float = 1e-6) -> None:
    np.testing.assert_allclose(a.position, b.position, atol=tol)
    np.testing.assert_allclose(a.focal_point, b.focal_point, atol=tol)
    np.testing.assert_allclose(a.view_up, b.view_up, atol=1e-9)
    assert a.view_angle == pytest.approx(b.view_angle)
    assert (a.parallel_scale is None) == (b.parallel_scale is None)
    if a.parallel_scale is not None:
        assert a.parallel_scale == pytest.approx(b.parallel_scale)


def test_ease_is_monotone_from_zero_to_one():
    t = np.linspace(0, 1, 101)
    e = np.array([ease(x) for x in t])
    assert e[0] == 0 and e[-1] == 1 and np.all(np.diff(e) > 0)
    assert ease(0.01) < 0.01 and ease(0.99) > 0.99  # slow start, slow arrival
    assert turn_angle(350, 10, 0.5) == pytest.approx(360) and turn_angle(10, 350, 0.5) == pytest.approx(0)


@pytest.mark.parametrize("pose", [OVERVIEW, CLOSE_WEST, CLOSE_EAST, TOP,
                                  fit_pose(box(0, 0, 50), azimuth=10, elevation=-20)])
def test_orientation_round_trip_rebuilds_the_pose(pose):
    turn = orientation(pose)
    rebuilt = pose_from(pose.focal_point, pose.distance, turn, view_angle=pose.view_angle,
                        parallel_scale=pose.parallel_scale)
    assert_pose_equal(rebuilt, pose, tol=1e-6)
    assert abs(turn.roll) < 1e-9  # presets are level
    assert_pose_equal(pose_from_dict(pose_to_dict(pose)), pose)


def test_top_view_heading_comes_from_its_view_up():
    assert orientation(TOP).azimuth == pytest.approx(180.0) and orientation(TOP).elevation == pytest.approx(90.0)
    rolled = pose_from((0, 0, 0), 100.0, Orientation(90.0, 40.0, 25.0), view_angle=30.0)
    assert orientation(rolled).roll == pytest.approx(25.0)
    assert orientation(rolled).azimuth == pytest.approx(90.0)


def test_flight_ends_exactly_at_both_poses_and_progresses_monotonically():
    flight = Flight(CLOSE_WEST, CLOSE_EAST)
    assert_pose_equal(flight.at(0.0), CLOSE_WEST)
    assert_pose_equal(flight.at(1.0), CLOSE_EAST)
    assert_pose_equal(flight.at(1 - 1e-9), CLOSE_EAST, tol=1e-3)  # continuous at the end
    f0, f1 = np.array(CLOSE_WEST.focal_point), np.array(CLOSE_EAST.focal_point)
    axis = (f1 - f0) / np.linalg.norm(f1 - f0)
    poses = [flight.at(x) for x in np.linspace(0, 1, 121)]
    along = np.array([(np.array(p.focal_point) - f0) @ axis for p in poses])
    assert np.all(np.diff(along) >= -1e-9) and along[0] == pytest.approx(0) and along[-1] == pytest.approx(np.linalg.norm(f1 - f0))
    off_line = [np.linalg.norm((np.array(p.focal_point) - f0) - axis * a) for p, a in zip(poses, along)]
    assert max(off_line) < 1e-6  # the focal point keeps to the straight line
    steps = np.linalg.norm(np.diff([p.position for p in poses], axis=0), axis=1)
    assert steps.max() < 0.05 * np.linalg.norm(np.subtract(CLOSE_WEST.position, CLOSE_EAST.position)) * 4  # no jump
    assert steps[0] < steps[60] and steps[-1] < steps[60]  # eased: slow start and arrival


def test_a_far_flight_between_close_ups_rises_to_show_both_and_keeps_the_horizon_level():
    flight = Flight(CLOSE_WEST, CLOSE_EAST)
    heights = np.array([visible_height(flight.at(x)) for x in np.linspace(0, 1, 101)])
    peak = heights.argmax()
    assert 20 < peak < 80
    assert heights[peak] > 10 * max(heights[0], heights[-1])  # rises well above both close-ups
    assert np.all(np.diff(heights[: peak + 1]) >= -1e-6) and np.all(np.diff(heights[peak:]) <= 1e-6)  # up, then down
    for x in np.linspace(0, 1, 21):
        turn = orientation(flight.at(x))
        assert abs(turn.roll) < 1e-6
    azimuths = [orientation(flight.at(x)).azimuth for x in np.linspace(0, 1, 21)]
    assert all(120 - 1e-6 <= a <= 240 + 1e-6 for a in azimuths)  # the short way round, through the south


def test_a_flight_without_panning_zooms_exponentially():
    near = fit_pose(box(0, 0, 20), aspect=1.6)
    flight = Flight(OVERVIEW, dataclass_replace_focal(near, OVERVIEW.focal_point))
    heights = [visible_height(flight.at(x)) for x in np.linspace(0, 1, 11)]
    assert np.all(np.diff(heights) < 0)
    same = Flight(OVERVIEW, OVERVIEW)
    assert_pose_equal(same.at(0.5), OVERVIEW, tol=1e-6)


def dataclass_replace_focal(pose: CameraPose, focal) -> CameraPose:
    shift = np.subtract(focal, pose.focal_point)
    return CameraPose(tuple(np.add(pose.position, shift)), tuple(focal), pose.view_up, pose.view_angle, pose.parallel_scale)


def test_flight_to_a_top_view_turns_orthographic_on_arrival_at_the_same_scale():
    flight = Flight(OVERVIEW, TOP)
    just_before = flight.at(0.999)
    assert just_before.parallel_scale is None and flight.at(1.0).parallel_scale == pytest.approx(TOP.parallel_scale)
    assert visible_height(just_before) == pytest.approx(visible_height(TOP), rel=1e-3)
    both = Flight(TOP, fit_pose(box(300, 0, 100), azimuth=180, elevation=90))
    assert all(both.at(x).parallel_scale is not None for x in np.linspace(0, 1, 9))


def bookmarks() -> dict[str, Bookmark]:
    t0 = dt.datetime(2024, 5, 1, 8, 0, tzinfo=KST)
    return {
        "overview": Bookmark("overview", OVERVIEW, caption="세종 스마트 신도시"),
        "west": Bookmark("west", CLOSE_WEST, time=t0, layers=("건물", "CCTV"), caption="CCTV at the west gate"),
        "east": Bookmark("east", CLOSE_EAST, time=t0 + dt.timedelta(hours=1), stage=2),
        "plan": Bookmark("plan", TOP, layers=("건물",), caption="The plan"),
    }


def tour() -> Tour:
    return Tour("demo", (TourStop("overview", hold=2.0), TourStop("west", transition=3.0, hold=2.0, speed=60.0),
                         TourStop("east", transition=4.0, hold=1.0), TourStop("plan", transition=2.0, hold=1.5)))


def test_tour_frames_start_and_end_at_the_bookmarks_and_move_forward():
    marks, fps = bookmarks(), 10
    player = TourPlayer(tour(), marks)
    assert player.duration == pytest.approx(2 + 3 + 2 + 4 + 1 + 2 + 1.5)
    frames = list(player.frames(fps))
    assert len(frames) == player.frame_count(fps) == 156
    assert_pose_equal(frames[0].camera, marks["overview"].camera)
    assert_pose_equal(frames[-1].camera, marks["plan"].camera)
    assert frames[-1].seconds == pytest.approx(player.duration)
    assert np.all(np.diff([f.seconds for f in frames]) > 0)
    assert np.all(np.diff([f.stop for f in frames]) >= 0) and [f.index for f in frames] == list(range(len(frames)))
    for i, name in enumerate(["overview", "west", "east", "plan"]):  # holding = exactly the bookmark
        held = [f for f in frames if f.stop == i and f.holding]
        assert held and all(f.camera == marks[name].camera for f in held)
    flying = [f for f in frames if not f.holding and f.seconds > player.departure(f.stop)]
    assert len(flying) > 80 and all(f.camera not in [m.camera for m in marks.values()] for f in flying)


def test_tour_captions_fade_in_while_holding_and_out_on_departure():
    player = TourPlayer(tour(), bookmarks())
    fade = [player.state(player.arrival(1) + s) for s in (0.0, 0.2, 0.4, 0.8, 1.9)]
    assert [f.caption for f in fade] == ["CCTV at the west gate"] * 5
    opacity = [f.caption_opacity for f in fade]
    assert opacity[0] == 0 and np.all(np.diff(opacity) >= 0) and opacity[-1] == 1.0
    leaving = player.state(player.departure(2) + 0.1)
    assert leaving.caption == "CCTV at the west gate" and 0 < leaving.caption_opacity < 1
    assert player.state(player.departure(2) + 1.0).caption == ""
    assert player.state(player.arrival(2) + 0.5).caption == ""  # "east" has no caption


def test_tour_time_holds_runs_and_travels_between_stops():
    marks = bookmarks()
    player = TourPlayer(tour(), marks)
    assert player.state(1.0).time_range is None  # overview has no time
    t0 = marks["west"].time
    assert player.state(player.arrival(1)).time_range.end == t0
    assert player.state(player.arrival(1) + 1.0).time_range.end == t0 + dt.timedelta(seconds=60)  # speed 60 while holding
    leave, arrive = t0 + dt.timedelta(seconds=120), marks["east"].time
    times = [player.state(player.departure(2) + s).time_range.end for s in np.linspace(0, 4, 9)]
    assert times[0] == leave and times[-1] == arrive and all(a <= b for a, b in zip(times, times[1:]))
    assert player.state(player.arrival(3) + 1).time_range.end == arrive  # plan has no time: the last one stays
    trail = TourPlayer(tour(), marks, trail=300).state(player.arrival(1))
    assert trail.time_range.start == t0 - dt.timedelta(minutes=5) and trail.time_range.end == t0


def test_tour_layers_and_stage_follow_the_stops():
    player = TourPlayer(tour(), bookmarks())
    assert player.state(0).layers is None
    assert player.state(player.departure(1) + 0.5).layers == ("건물", "CCTV")  # flying in with the next stop's layers
    east = player.state(player.arrival(2))
    assert east.layers == ("건물", "CCTV") and east.stage == 2  # east keeps the layers, adds a stage filter
    assert player.state(player.duration).layers == ("건물",) and player.state(player.duration).stage is None
    assert layer_visible("CCTV", 2, layers=("CCTV",), stage=1) is False
    assert layer_visible("CCTV", 2, layers=None, stage=2, current=True) is True
    assert layer_visible("도로", None, layers=None, stage=1, current=False) is False
    assert layer_visible("Parks", None, layers=("Parks",), stage=1) is True  # no stage passes every filter


def test_player_navigation_points():
    player = TourPlayer(tour(), bookmarks())
    assert [player.departure(i) for i in range(4)] == [0.0, 2.0, 7.0, 12.0]
    assert [player.arrival(i) for i in range(4)] == [0.0, 5.0, 11.0, 14.0]
    assert player.stop_at(4.99) == 1 and player.stop_at(5.0) == 1 and player.stop_at(7.0) == 2
    assert player.stop_at(1e9) == 3


def test_single_stop_tour_and_zero_hold():
    marks = bookmarks()
    only = TourPlayer(Tour("one", (TourStop("plan", hold=0.0),)), marks)
    frames = list(only.frames(30))
    assert len(frames) == 1 and frames[0].caption == "The plan" and frames[0].caption_opacity == 1.0


def test_tours_reject_missing_bookmarks_and_bad_numbers():
    with pytest.raises(ProjectError, match="nowhere"):
        TourPlayer(Tour("t", (TourStop("overview"), TourStop("nowhere"))), bookmarks())
    with pytest.raises(ValueError, match="hold"):
        TourStop("a", hold=-1)
    with pytest.raises(ValueError, match="transition"):
        TourStop("a", transition=math.nan)
    with pytest.raises(ValueError, match="no stops"):
        Tour("empty", ())
    with pytest.raises(ValueError, match="name"):
        Tour("  ", (TourStop("a"),))


def test_tour_json_round_trip_and_bad_json():
    t = tour()
    again = Tour.from_json(t.name, t.stops_json(), "d")
    assert again.stops == t.stops and again.description == "d"
    with_caption = Tour("c", (TourStop("a", caption="다른 자막"),))
    assert Tour.from_json("c", with_caption.stops_json()).stops[0].caption == "다른 자막"
    for text, reason in (('{"a": 1}', "list"), ('[{"hold": 1}]', "bookmark"), ("[{", "Expecting"),
                         ('[{"bookmark": "a", "zoom": 2}]', "zoom"), ('[{"bookmark": "a", "hold": "x"}]', "float")):
        with pytest.raises(ValueError, match=reason):
            Tour.from_json("bad", text)


def test_bookmarks_check_their_fields():
    Bookmark("ok", OVERVIEW)
    with pytest.raises(ValueError, match="position equals"):
        Bookmark("b", CameraPose((0, 0, 0), (0, 0, 0), (0, 0, 1)))
    with pytest.raises(ValueError, match="view-up"):
        Bookmark("b", CameraPose((0, 0, 10), (0, 0, 0), (0, 0, 1)))
    with pytest.raises(ValueError, match="time zone"):
        Bookmark("b", OVERVIEW, time=dt.datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="stage"):
        Bookmark("b", OVERVIEW, stage=5)
    with pytest.raises(ValueError, match="name"):
        Bookmark("", OVERVIEW)
    assert Bookmark("b", OVERVIEW, time=dt.datetime(2024, 1, 1, 9, tzinfo=KST)).time.tzinfo == dt.timezone.utc
    assert Bookmark("b", OVERVIEW, layers=["a", "b", "a"]).layers == ("a", "b")


def test_replay_frames_cover_the_span_at_the_speed():
    start = dt.datetime(2024, 5, 1, 8, 0, tzinfo=KST)
    end = start + dt.timedelta(minutes=10)
    frames = list(replay_frames(start, end, speed=60.0, fps=5, camera=None))
    # ten minutes at 60x are 10 s of movie: 50 frames at 5 fps, each showing the moment it starts at
    assert len(frames) == replay_frame_count(start, end, speed=60.0, fps=5) == 50
    assert frames[0].time_range.end == start and frames[-1].time_range.end == end - dt.timedelta(seconds=12)
    assert replay_frame_count(start, start + dt.timedelta(seconds=1), speed=60.0, fps=5) == 1
    assert frames[1].time_range.end - frames[0].time_range.end == dt.timedelta(seconds=12)
    trail = list(replay_frames(start, end, speed=60.0, fps=5, camera=OVERVIEW, window="trail",
                               width=dt.timedelta(minutes=2)))
    assert trail[30].time_range.duration == dt.timedelta(minutes=2) and trail[0].time_range.is_instant
    assert trail[0].camera == OVERVIEW
    with pytest.raises(ProjectError, match="not after"):
        list(replay_frames(end, start, speed=1, fps=1, camera=None))
    with pytest.raises(ProjectError, match="positive"):
        list(replay_frames(start, end, speed=0, fps=1, camera=None))
