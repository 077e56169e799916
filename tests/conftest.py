"""Shared fixtures: the real data beside the project (``../shared/data``) and fresh projects."""

from __future__ import annotations

import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = pathlib.Path(os.environ.get("TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


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


# fake plugin distributions for the plugin tests (tests/fixtures/plugins/fake_dist.py): the
# ``fake_site`` fixture installs them without pip; ``fake_dist`` is its module
sys.path.insert(0, str(FIXTURES / "plugins"))
import fake_dist  # noqa: E402
from fake_dist import fake_site  # noqa: E402,F401
