"""Shared fixtures: the real data beside the project (``../shared/data``) and fresh projects."""

from __future__ import annotations

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = pathlib.Path(os.environ.get("TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


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


@pytest.fixture
def project(tmp_path):
    """A new empty project file in a temporary folder."""
    from twin.store.project import Project

    p = Project.open(tmp_path / "test.twin.duckdb", create=True)
    yield p
    p.close()
