"""The bundled demo project: the sample district, built once into the user's data folder and reused."""

from __future__ import annotations

import os
import pathlib
import tempfile
from typing import Callable

from PySide6 import QtCore

DEMO_FILENAME = "demo.twin.duckdb"
DATA_DIR_ENV = "TWIN_DATA_DIR"


def data_dir() -> pathlib.Path:
    """The app's data folder: ``$TWIN_DATA_DIR``, else e.g. ``~/.local/share/SmartCityTwin`` (Linux),
    ``%LOCALAPPDATA%/SmartCityTwin`` (Windows), ``~/Library/Application Support/SmartCityTwin`` (macOS)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return pathlib.Path(override)
    base = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.GenericDataLocation)
    return pathlib.Path(base or pathlib.Path.home() / ".local" / "share") / "SmartCityTwin"


def demo_project_path(folder: pathlib.Path | None = None) -> pathlib.Path:
    """Where the demo project lives (it may not exist yet)."""
    return (folder or data_dir()) / DEMO_FILENAME


def ensure_demo_project(folder: pathlib.Path | None = None, *,
                        builder: Callable[[pathlib.Path], object] | None = None) -> pathlib.Path:
    """Return the demo project, building it first when it does not exist.

    The district is built into a temporary file beside the target and renamed into place, so an
    interrupted build never leaves a half-written demo that would be reused.
    """
    target = demo_project_path(folder)
    if target.exists():
        return target
    if builder is None:
        from twin_datasets import build_sample_project

        builder = build_sample_project
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".demo-", suffix=".twin.duckdb", dir=target.parent)
    os.close(fd)
    tmp = pathlib.Path(tmp_name)
    tmp.unlink()  # the builder creates the database itself
    try:
        builder(tmp)
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return target
