"""The replay cache answers exactly as the direct range scan, and arrows keep their size on screen."""

from __future__ import annotations

import numpy as np
import pytest

from twin.layerdata import ImportReport
from twin.store.project import Project
from twin.store.writer import write_layer
from twin.time.range import TimeRange, from_us
from twin.time.replay import ReplayCache, SampleWindow
from twin.time.slicing import MovingTrack
from twin.time.tracks import moving_layer

S = 1_000_000
T0 = 1_714_518_000 * S  # 2024-05-01 08:00 KST
X0, Y0 = 200_000.0, 450_000.0  # EPSG:5186


def tracks(seed: int = 3, objects: int = 40):
    """Objects that start and end at different times, sampled every 1-4 s, some pausing (repeated
    positions), some with a gap longer than the split gap (absent inside it)."""
    rng = np.random.default_rng(seed)
    ids, ts, xs, ys = [], [], [], []
    for k in range(objects):
        n = int(rng.integers(5, 120))
        steps = rng.integers(1, 5, n) * S
        if k % 7 == 0:
            steps[n // 2] = 30 * S  # a gap longer than the split gap below: the object vanishes inside it
        t = T0 + int(rng.integers(0, 200)) * S + np.cumsum(steps)
        x = X0 + np.cumsum(rng.normal(0, 8, n))
        y = Y0 + np.cumsum(rng.normal(0, 8, n))
        if k % 5 == 0:
            x[3:8], y[3:8] = x[3], y[3]  # standing still for a while
        ids += [f"v{k}"] * n
        ts.append(t), xs.append(x), ys.append(y)
    return ids, np.concatenate(ts), np.concatenate(xs), np.concatenate(ys)


@pytest.fixture
def track(tmp_path):
    ids, t, x, y = tracks()
    order = np.argsort(t, kind="stable")
    project = Project.open(tmp_path / "cache.twin.duckdb", create=True, crs="EPSG:5186")
    data = moving_layer(object_ids=np.asarray(ids)[order], t_us=t[order], x=x[order], y=y[order], crs="EPSG:5186",
                        report=ImportReport("cache.csv"), split_gap_s=20.0)
    write_layer(project, data, name="vehicles")
    yield MovingTrack(project, project.layer("vehicles"))
    project.close()


def same(a, b) -> bool:
    return (np.array_equal(a.fid, b.fid) and np.array_equal(a.xyz, b.xyz)
            and np.array_equal(a.heading, b.heading, equal_nan=True))


def frame_times() -> list[int]:
    """Forward at 1 s and at 0.3 s, backward, jumps, exactly on a sample and between, before and after the data."""
    forward = [T0 + k * S for k in range(0, 180)] + [T0 + 180 * S + k * 300_000 for k in range(100)]
    backward = [T0 + 210 * S - k * 700_000 for k in range(150)]
    jumps = [T0 + 500 * S, T0 + 20 * S, T0 - 50 * S, T0 + 900 * S, T0 + 90 * S + 1, T0 + 91 * S]
    return forward + backward + jumps + [T0 + 90 * S + k * S for k in range(60)]


@pytest.mark.parametrize("max_gap_s, piece_rows", [(None, 50_000), (2.5, 50_000), (None, 37)])
def test_cached_frames_give_exactly_the_direct_positions(track, max_gap_s, piece_rows, monkeypatch):
    import twin.time.replay

    monkeypatch.setattr(twin.time.replay, "PIECE_ROWS", piece_rows)  # 37: windows read in many pieces
    assert track.max_gap_us == 4 * S and track.split_gap_us == 20 * S  # the 30 s gaps split, not counted
    if max_gap_s is not None:  # a reach shorter than some intervals (an estimate): objects blink out in them
        track.max_gap_us = int(max_gap_s * S)
    cache = ReplayCache(track, rows=400, background=False)  # a few hundred samples a window: many windows
    for at in frame_times():
        assert same(cache.positions(at), track.positions(at)), from_us(at)
    assert cache.hits > 300 and cache.loads >= 3  # the windows served the frames (not the direct path)
    assert any(len(cache.positions(T0 + k * S)) for k in range(100, 110))


def test_cached_trails_are_the_direct_trails(track):
    cache = ReplayCache(track, rows=5_000, background=False)
    for k in range(0, 40, 4):
        window = TimeRange(from_us(T0 + (60 + k) * S), from_us(T0 + (120 + k) * S))
        cache.positions(window.end_us)
        got, want = cache.trails(window, max_seconds=45), track.trails(window, max_seconds=45)
        assert np.array_equal(got.fid, want.fid) and np.array_equal(got.offsets, want.offsets)
        assert np.array_equal(got.xyz, want.xyz)
    assert cache.hits > 0


def test_background_loading_answers_the_same(track):
    cache = ReplayCache(track, rows=600, background=True)
    for at in frame_times()[:200]:
        assert same(cache.positions(at), track.positions(at))
        assert cache.wait(10.0)  # let the worker catch up, as the pause between frames does
    assert cache.hits > 100 and cache.error is None


def test_a_window_out_of_time_order_is_sorted(track):
    s = track.samples(T0, T0 + 300 * S)
    shuffled = np.random.default_rng(1).permutation(len(s["fid"]))
    window = SampleWindow.build(T0, T0 + 300 * S, {k: v[shuffled] for k, v in s.items()})
    for at in (T0 + 100 * S, T0 + 150 * S + 500_000):
        assert same(window.positions(at, max_gap_us=track.max_gap_us, split_gap_us=track.split_gap_us),
                    track.positions(at))


def test_fast_playback_and_single_pictures_read_the_track_directly(track):
    cache = ReplayCache(track, rows=400, background=False)
    cache.positions(T0 + 100 * S)
    assert cache.loads == 0  # one picture: no window
    for k in range(10):
        cache.positions(T0 + k * 600 * S)  # ten minutes a frame: a window would serve one frame
    assert cache.loads == 0


def test_arrows_keep_their_pixels_within_bounds_at_any_scale(track):
    from twin.render.offscreen import offscreen_plotter
    from twin.render.moving import ARROW, ARROW_MIN_M, ARROW_PX, ARROW_RESIZE_STEP, MovingVisual
    from twin.scene.origin import LocalOrigin

    plotter = offscreen_plotter((320, 240))
    try:
        visual = MovingVisual(track.project, track.layer, LocalOrigin(X0, Y0, 0.0), background=False)
        visual.add_to(plotter)
        visual.set_time(from_us(T0 + 120 * S), from_us(T0 + 120 * S))
        n = len(visual.fid)
        assert n > 5
        tail_to_tip = float(ARROW[0, 0] - ARROW[1, 0])
        for mpp in np.geomspace(0.005, 2000.0, 60).tolist() + np.geomspace(2000.0, 0.005, 45).tolist():
            visual.set_scale(mpp)
            length = visual.arrow_length
            corners = np.asarray(visual.points.points).reshape(n, len(ARROW), 3)
            drawn = np.linalg.norm(corners[:, 0, :2] - corners[:, 1, :2], axis=1)
            np.testing.assert_allclose(drawn, length * np.hypot(tail_to_tip, ARROW[1, 1]), rtol=1e-4)
            wanted = max(ARROW_PX * mpp, ARROW_MIN_M)  # 16 pixels, never shorter than a car
            assert length >= ARROW_MIN_M, (mpp, length)
            assert 1 / (1 + ARROW_RESIZE_STEP) - 1e-9 <= length / wanted <= 1 / (1 - ARROW_RESIZE_STEP) + 1e-9, mpp
        visual.set_scale(120.0)  # a region 150 km across: still 16 pixels, not capped at a few metres
        assert visual.arrow_length == pytest.approx(ARROW_PX * 120.0)
        visual.remove_from(plotter)
    finally:
        plotter.close()


def test_a_window_that_fails_to_load_leaves_the_frames_to_the_track(track, monkeypatch):
    direct = track.samples

    def narrow_only(start_us, end_us, columns="fid, t, x, y, z"):
        if end_us - start_us > 10 * S:
            raise OSError("dataset folder gone")
        return direct(start_us, end_us, columns)

    monkeypatch.setattr(track, "samples", narrow_only)
    cache = ReplayCache(track, rows=400, background=False)
    for k in range(20):
        at = T0 + (100 + k) * S
        assert same(cache.positions(at), track.positions(at))
    assert isinstance(cache.error, OSError) and cache.loads == 0 and cache.misses == 20
