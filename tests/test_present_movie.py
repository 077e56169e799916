"""Movies and pictures off-screen (EGL): the MP4 writer read back, camera capture and restore, bookmarks
and tours on the sample district through the CLI, and a timeline replay with buses moving."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import sys

import imageio_ffmpeg
import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures" / "present"))
import present_projects  # noqa: E402

from twin.cli.main import main as twin  # noqa: E402
from twin.errors import ProjectError  # noqa: E402
from twin.present.movie import MovieWriter, read_movie_info  # noqa: E402
from twin.model.twin import TwinModel  # noqa: E402
from twin.present.store import PresentStore  # noqa: E402
from twin.store.project import Project  # noqa: E402
from twin.store.reader import ProjectReader  # noqa: E402


def model_of(project: Project) -> TwinModel:
    return TwinModel(ProjectReader(project))


def movie_frames(path) -> np.ndarray:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return np.stack([np.frombuffer(b, np.uint8).reshape(height, width, 3) for b in reader])


def read_png(path) -> np.ndarray:
    """An RGB PNG as uint8 rows from the top."""
    from matplotlib import image

    return np.round(image.imread(str(path))[:, :, :3] * 255).astype(np.uint8)


@pytest.fixture(scope="session")
def sample_cache(tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("sample")
    return present_projects.sample_project(folder)


@pytest.fixture
def sample(tmp_path, sample_cache) -> pathlib.Path:
    return present_projects.sample_project(tmp_path, cache=sample_cache)


def test_movie_writer_streams_frames_that_read_back(tmp_path):
    out = tmp_path / "m.mp4"
    colours = np.array([[200, 30, 30], [30, 200, 30], [30, 30, 200]] * 4)[:10]
    with MovieWriter(out, (320, 240), 10) as writer:
        for colour in colours:
            image = np.empty((240, 320, 3), np.uint8)
            image[:] = colour
            image[100:140, 140:180] = 255  # a white square in the middle
            writer.write(image)
    assert writer.frames == 10
    info = read_movie_info(out)
    assert info["size"] == (320, 240) and info["frames"] == 10 and info["fps"] == 10 and info["codec"] == "h264"
    frames = movie_frames(out)
    assert frames.shape == (10, 240, 320, 3)
    np.testing.assert_allclose(frames[:, 20:60, 20:60].reshape(10, -1, 3).mean(axis=1), colours, atol=8)
    assert (frames[:, 110:130, 150:170] > 240).all()


def test_movie_writer_keeps_odd_multiples_of_16_and_refuses_odd_sizes(tmp_path):
    with MovieWriter(tmp_path / "a.mp4", (640, 360), 5) as writer:  # 360 is not a multiple of 16
        writer.write(np.zeros((360, 640, 3), np.uint8))
    assert read_movie_info(tmp_path / "a.mp4")["size"] == (640, 360)
    with pytest.raises(ProjectError, match="even"):
        MovieWriter(tmp_path / "b.mp4", (321, 240), 5)
    with pytest.raises(ValueError, match="does not fit"):
        with MovieWriter(tmp_path / "c.mp4", (320, 240), 5) as writer:
            writer.write(np.zeros((240, 321, 3), np.uint8))
    assert not (tmp_path / "c.mp4").exists()  # an error inside removes the partial file


def test_camera_capture_and_restore_on_a_plotter_in_project_coordinates(sample):
    from twin.present.camera import capture_camera, restore_camera
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView

    with Project.open(sample, read_only=True) as project:
        plotter = offscreen_plotter((320, 240))
        try:
            model = model_of(project)
            scene = SceneView(model, plotter)
            model.camera.look("top")
            top = capture_camera(plotter, scene.origin)
            assert top.parallel_scale is not None and model.camera.pose == top  # the model holds the pose
            assert 223_000 < top.focal_point[0] < 225_500 and 431_500 < top.focal_point[1] < 433_500  # EPSG:5186
            model.camera.look("iso")
            assert plotter.camera.GetParallelProjection() == 0 and model.camera.pose.parallel_scale is None
            restore_camera(plotter, top, scene.origin)
            again = capture_camera(plotter, scene.origin)
            np.testing.assert_allclose(again.position, top.position, atol=1e-6)
            np.testing.assert_allclose(again.focal_point, top.focal_point, atol=1e-6)
            assert again.parallel_scale == pytest.approx(top.parallel_scale)
            assert plotter.camera.GetParallelProjection() == 1
            model.camera.look("iso")  # a pose set on the model moves the plotter's camera
            iso = model.camera.pose
            model.camera.pose = top
            assert plotter.camera.GetParallelProjection() == 1
            model.camera.pose = iso
            assert plotter.camera.GetParallelProjection() == 0
            np.testing.assert_allclose(capture_camera(plotter, scene.origin).position, iso.position, atol=1e-6)
        finally:
            plotter.close()


def test_bookmarks_through_the_cli(sample, tmp_path, capsys):
    p = str(sample)
    assert twin(["bookmark", p, "add", "Overview", "--caption", "세종 스마트 신도시"]) == 0
    assert twin(["bookmark", p, "add", "Safety", "--camera", "치안·소방", "--layer", "건물", "--layer", "치안·소방",
                 "--layer", "도로", "--time", "2024-05-01T09:00", "--caption", "Police and fire at the civic centre"]) == 0
    assert twin(["bookmark", p, "add", "Plan", "--camera", "top", "--stage", "2", "--changes",
                 "--select", "치안·소방", "0"]) == 0
    capsys.readouterr()
    assert twin(["bookmark", p, "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in listed] == ["Overview", "Safety", "Plan"]
    assert listed[1]["time"] == "2024-05-01T09:00:00+09:00" and listed[1]["layers"] == ["건물", "치안·소방", "도로"]
    assert listed[2]["stage"] == 2 and listed[2]["camera"]["parallel_scale"] > 0 and listed[0]["layers"] is None
    assert listed[2]["changes"] and listed[2]["selection"] == [["치안·소방", 0]] and listed[0]["selection"] == []
    assert twin(["bookmark", p, "list"]) == 0
    text = capsys.readouterr().out
    assert "- Safety: looking at" in text and "what changed at stage 2, 1 feature(s) selected" in text and "세종 스마트 신도시" in text
    assert twin(["bookmark", p, "add", "Overview"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert twin(["bookmark", p, "add", "X", "--camera", "nowhere"]) == 1
    assert "no layer named 'nowhere'" in capsys.readouterr().err
    assert twin(["bookmark", p, "add", "X", "--time", "yesterday"]) == 1
    assert "--time 'yesterday'" in capsys.readouterr().err
    assert twin(["bookmark", p, "add", "X", "--changes"]) == 1
    assert "give the stage with --stage" in capsys.readouterr().err
    assert twin(["bookmark", p, "add", "X", "--select", "치안·소방", "first"]) == 1
    assert "the feature id is a number" in capsys.readouterr().err
    assert twin(["bookmark", p, "rename", "Plan", "계획"]) == 0
    assert twin(["tour", p, "add", "Demo", "Overview", "Safety", "계획", "--transition", "1", "--hold", "0.5"]) == 0
    assert twin(["bookmark", p, "remove", "Safety"]) == 1
    assert "tour(s) Demo" in capsys.readouterr().err
    assert twin(["tour", p, "list", "--json"]) == 0
    tours = json.loads(capsys.readouterr().out)
    assert tours[0]["name"] == "Demo" and tours[0]["duration"] == 3.5
    assert [s["bookmark"] for s in tours[0]["stops"]] == ["Overview", "Safety", "계획"]
    assert twin(["bookmark", p, "remove", "Safety", "--force"]) == 0
    with Project.open(sample, read_only=True) as project:
        store = PresentStore(project)
        assert store.names() == ["Overview", "계획"]
        assert [s.bookmark for s in store.tour("Demo").stops] == ["Overview", "계획"]


def test_render_a_bookmark_draws_its_layers_and_caption(sample, tmp_path, capsys):
    p = str(sample)
    assert twin(["bookmark", p, "add", "Safety", "--camera", "치안·소방", "--layer", "건물", "--layer", "치안·소방",
                 "--caption", "Police and fire at the civic centre"]) == 0
    out = tmp_path / "safety.png"
    assert twin(["render", p, "--out", str(out), "--bookmark", "Safety", "--size", "640x400"]) == 0
    assert "2 layer(s)" in capsys.readouterr().err
    image = read_png(out)
    band = image[400 - 52 - 14:400 - 52, 230:410]  # the caption band, 52 px above the bottom, dark with white text
    assert np.median(band) < 90 and band.max() > 220
    plain = tmp_path / "plain.png"
    assert twin(["render", p, "--out", str(plain), "--size", "640x400", "--camera", "치안·소방"]) == 0
    other = read_png(plain)
    assert np.median(other[400 - 52 - 14:400 - 52, 230:410]) > 120  # no caption band without the bookmark
    assert twin(["render", p, "--out", str(out), "--bookmark", "Safety", "--camera", "top"]) == 1
    assert "own camera" in capsys.readouterr().err
    assert twin(["render", p, "--out", str(out), "--bookmark", "nope"]) == 1
    assert "no bookmark named 'nope'" in capsys.readouterr().err


def test_tour_movie_starts_and_ends_on_its_bookmarks(sample, tmp_path, capsys):
    from twin.present.tours import TourPlayer
    from twin.render.movies import bookmark_picture

    p = str(sample)
    assert twin(["bookmark", p, "add", "Overview"]) == 0
    assert twin(["bookmark", p, "add", "Safety", "--camera", "치안·소방", "--caption", "Civic centre"]) == 0
    assert twin(["tour", p, "add", "Demo", "Overview", "Safety", "--transition", "1.2", "--hold", "0.6"]) == 0
    out = tmp_path / "tour.mp4"
    assert twin(["movie", p, "--out", str(out), "--tour", "Demo", "--size", "320x240", "--fps", "10"]) == 0
    err = capsys.readouterr().err
    assert "twin movie: 100%" in err and "25 frames at 10 fps" in err
    frames = movie_frames(out)
    with Project.open(sample, read_only=True) as project:
        store = PresentStore(project)
        player = TourPlayer(store.tour("Demo"), {b.name: b for b in store.bookmarks()})
        assert len(frames) == player.frame_count(10) == 25
        for frame, name in ((frames[0], "Overview"), (frames[-1], "Safety")):
            still = bookmark_picture(model_of(project), tmp_path / f"{name}.png", name, size=(320, 240))
            picture = read_png(still.path)
            assert np.abs(frame.astype(int) - picture.astype(int)).mean() < 6  # H.264 is lossy; a wrong view is > 20
    moved = np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))
    assert (moved[:6] < 1.5).all()  # holding still at the overview (0.6 s)
    assert (moved[7:17] > 1.5).all()  # flying


def test_replay_movie_shows_buses_moving(sample, tmp_path, capsys):
    from twin.model.presenter import Presenter
    from twin.present.tours import replay_frames
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView

    present_projects.add_buses(sample, tmp_path)
    out = tmp_path / "replay.mp4"
    p = str(sample)
    assert twin(["movie", p, "--out", str(out), "--from", "2024-05-01T08:00", "--to", "2024-05-01T08:10",
                 "--speed", "120", "--fps", "4", "--size", "320x240", "--camera", "top", "--window", "trail",
                 "--width", "2"]) == 0
    assert "20 frames at 4 fps, 5.0 s" in capsys.readouterr().err  # 600 s at 120x = 5 s of movie
    assert read_movie_info(out)["frames"] == 20
    assert twin(["bookmark", p, "add", "Ring", "--camera", "Buses", "--caption", "Buses on the ring road"]) == 0
    marked = tmp_path / "marked.mp4"
    assert twin(["movie", p, "--out", str(marked), "--from", "2024-05-01T08:00", "--to", "2024-05-01T08:01",
                 "--speed", "60", "--fps", "2", "--size", "320x240", "--bookmark", "Ring"]) == 0
    first, last = movie_frames(marked)[[0, -1]]
    assert np.median(first[240 - 52 - 10:240 - 52, 110:210]) < 90  # the bookmark's caption band
    assert np.median(first[18:28, 20:90]) < 110 and np.abs(first.astype(int) - last).max() > 100  # clock; buses moved
    with Project.open(sample, read_only=True) as project:  # the same frames, checked in numbers
        plotter = offscreen_plotter((320, 240))
        try:
            model = model_of(project)
            scene = SceneView(model, plotter)
            model.camera.look("top")
            presenter = Presenter(model, clock=True)
            start = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
            positions = []
            for frame in replay_frames(start, start + dt.timedelta(minutes=10), speed=30, fps=4, camera=None):
                presenter.apply(frame)
                positions.append(scene.visual("Buses").positions()[1][:, :2].copy())
            assert scene.captions.clock_text == "2024-05-01 08:09:52 KST"  # the last of 80 frames, 7.5 s apart
            presenter.close()
            assert scene.captions.clock_text == "" and not model.caption.clock
            steps = [np.linalg.norm(b - a, axis=1) for a, b in zip(positions, positions[1:])]
            assert all(len(s) == 8 for s in steps)
            # 7.5 s between frames at 8 m/s along streets of 240-260 m: most steps are 60 m, some cut a corner
            assert np.median(np.concatenate(steps)) == pytest.approx(present_projects.SPEED * 7.5, rel=0.01)
        finally:
            plotter.close()


def test_movie_errors_are_one_line(sample, tmp_path, capsys):
    p, out = str(sample), str(tmp_path / "x.mp4")
    assert twin(["movie", p, "--out", out]) == 1
    assert "no time-based layers" in capsys.readouterr().err
    assert twin(["movie", p, "--out", out, "--tour", "nope"]) == 1
    assert "no tour named 'nope'" in capsys.readouterr().err
    assert twin(["movie", p, "--out", out, "--tour", "t", "--from", "2024-01-01"]) == 1
    assert "timeline replays" in capsys.readouterr().err
    assert twin(["movie", p, "--out", out, "--size", "321x240", "--tour", "t"]) == 1
    assert "even" in capsys.readouterr().err
    assert twin(["movie", p, "--out", str(tmp_path / "x.gif"), "--tour", "t"]) == 1
    assert ".mp4" in capsys.readouterr().err
    assert twin(["movie", p, "--out", out, "--from", "soon", "--to", "2024-01-01"]) == 1
    assert "--from 'soon'" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


def test_cancelled_export_removes_the_file(sample, tmp_path):
    from twin.present.bookmarks import Bookmark
    from twin.present.movie import MovieCancelled
    from twin.render.movies import tour_movie
    from twin.present.tours import Tour, TourStop
    from twin.scene.camera import fit_pose

    with Project.open(sample) as project:
        store = PresentStore(project)
        store.save_bookmark(Bookmark("a", fit_pose((223_500, 225_000, 431_800, 433_000, 80, 200))))
        store.save_tour(Tour("t", (TourStop("a", hold=5.0),)))
        seen = []
        with pytest.raises(MovieCancelled, match="after 3 frame"):
            tour_movie(model_of(project), tmp_path / "c.mp4", "t", size=(160, 120), fps=10,
                       progress=lambda f, m: seen.append(f), cancelled=lambda: len(seen) >= 3)
    assert not (tmp_path / "c.mp4").exists()
