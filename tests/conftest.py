"""Shared fixtures: the real data beside the project (``../shared/data``) and fresh projects."""

from __future__ import annotations

import os
import pathlib
import shutil
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = pathlib.Path(os.environ.get("TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def pytest_configure(config):
    config.addinivalue_line("markers", "shared_window: the test may run in a window other tests use "
                                       "(tests/test_ui_window.py: it leaves the project and the layout as it found them)")


def pytest_addoption(parser):
    parser.addoption(
        "--regenerate-images", action="store_true", default=False,
        help="write the baseline images in tests/images from this run's renders instead of comparing with them "
             "(the image tests then skip, saying what they wrote); also TWIN_REGENERATE_IMAGES=1",
    )


@pytest.fixture(scope="session")
def regenerate_images(pytestconfig) -> bool:
    """True when baseline images are to be written, not compared: ``--regenerate-images`` or TWIN_REGENERATE_IMAGES=1."""
    return bool(pytestconfig.getoption("--regenerate-images")) or os.environ.get("TWIN_REGENERATE_IMAGES") == "1"


@pytest.fixture(scope="session")
def shared_data() -> pathlib.Path:
    """``../shared/data`` (or $TWIN_SHARED_DATA); the test is skipped with the reason when it is absent."""
    if not (SHARED_DATA / "SOURCES.md").exists():
        pytest.skip(f"real test data not found at {SHARED_DATA} (clone the project beside ../shared)")
    return SHARED_DATA


@pytest.fixture
def fixtures() -> pathlib.Path:
    """Small files of our own, shipped in tests/fixtures."""
    return FIXTURES


def bound_model(project):
    """A model of ``project`` whose changes are written into it, as the window has it; returns (model, sync)."""
    from twin.model.sync import StoreSync
    from twin.model.twin import TwinModel
    from twin.store.reader import ProjectReader

    model = TwinModel(ProjectReader(project))
    return model, StoreSync(model, project)


@pytest.fixture
def project(tmp_path):
    """A new empty project file in a temporary folder."""
    from twin.store.project import Project

    p = Project.open(tmp_path / "test.twin.duckdb", create=True)
    yield p
    p.close()


def copy_project(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """Copy the project file ``source`` (and a write-ahead log beside it) to ``target``; returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


@pytest.fixture(scope="session")
def demo_town(tmp_path_factory) -> tuple[pathlib.Path, dict]:
    """The demo town 미호누리 built once per session (about 6 s), as the app builds it (``ensure_demo_project``,
    marker and ``demo_sources/`` beside it; the plain ``build_new_town`` when Qt is not installed):
    ``(path, seconds of each build step)``. Read it in place; a test that changes it works on a copy
    (:func:`copy_project`)."""
    from twin_datasets.new_town import build_new_town

    folder = tmp_path_factory.mktemp("demo-town")
    timings: dict = {}

    def build(path: pathlib.Path) -> pathlib.Path:
        return build_new_town(path, overwrite=True, timings=timings)

    try:
        from twin_ui.demo import ensure_demo_project
    except ImportError:  # the core alone, without Qt
        return build(folder / "demo.twin.duckdb"), timings
    return ensure_demo_project(folder, builder=build), timings


@pytest.fixture(scope="session")
def ui_city_file(tmp_path_factory) -> pathlib.Path:
    """The small UI test project (tests/fixtures/ui/ui_projects.py), written once per session: copy it
    (:func:`copy_project`) before opening it."""
    sys.path.insert(0, str(FIXTURES / "ui"))
    import ui_projects

    return ui_projects.build(tmp_path_factory.mktemp("ui-city") / "city.twin.duckdb")


# fake plugin distributions for the plugin tests (tests/fixtures/plugins/fake_dist.py): the
# ``fake_site`` fixture installs them without pip; ``fake_dist`` is its module
sys.path.insert(0, str(FIXTURES / "plugins"))
import fake_dist  # noqa: E402
from fake_dist import fake_site  # noqa: E402,F401


@pytest.fixture
def pick_from_above():
    """``pick(view, point, distance, height=300)``: put the camera ``distance`` metres above and in front of a
    local ``point``, draw, and pick the pixel where that point lands (None when nothing is hit)."""
    from twin.scene.camera import CameraPose

    def pick(view, point, distance: float, height: int = 300):
        renderer = view.plotter.renderer
        CameraPose(tuple(point + [0.0, -distance * 0.3, distance]), tuple(point), (0.0, 1.0, 0.0)).apply(
            renderer.GetActiveCamera())
        view.screenshot()
        renderer.SetWorldPoint(*point, 1.0)
        renderer.WorldToDisplay()
        x, y, _ = renderer.GetDisplayPoint()
        return view.pick(x, height - 1 - y)

    return pick
