"""The bundled demo project: the new town 미호누리 (``twin demo``), built once into the user's data folder and reused."""

from __future__ import annotations

import os
import pathlib
from typing import Callable

from PySide6 import QtCore

DEMO_FILENAME = "demo.twin.duckdb"
MARKER = ".demo-complete"
#: what the marker says of the demo it marks: a demo built by an older app (the sample district) is rebuilt
DEMO_ID = "new_town 1"
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


def demo_is_built(folder: pathlib.Path | None = None) -> bool:
    """True when a complete demo of this version exists (its build finished and wrote the marker)."""
    target = demo_project_path(folder)
    return target.exists() and _marked(target.parent / MARKER)


def _marked(marker: pathlib.Path) -> bool:
    try:
        return marker.read_text(encoding="utf-8").splitlines()[:1] == [f"demo {DEMO_ID}"]
    except (OSError, UnicodeDecodeError):
        return False


def _build_new_town(path: pathlib.Path) -> object:
    from twin_datasets.new_town import build_new_town

    return build_new_town(path, overwrite=True)


def ensure_demo_project(folder: pathlib.Path | None = None, *,
                        builder: Callable[[pathlib.Path], object] | None = None) -> pathlib.Path:
    """Return the demo project, building it first when it is missing or its last build did not finish.

    The demo town is built in place (its layers keep the paths of their source files, written beside it
    in ``demo_sources/``); a marker file written after a successful build tells a finished demo from one whose
    build was interrupted, which is built again, as is a demo an older app built (the marker names the demo).
    """
    target = demo_project_path(folder)
    marker = target.parent / MARKER
    if target.exists() and _marked(marker):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    for leftover in (target, target.with_name(target.name + ".wal")):
        leftover.unlink(missing_ok=True)
    (builder or _build_new_town)(target)
    if not target.exists():
        raise FileNotFoundError(f"building the demo did not create {target}")
    from twin import __version__

    marker.write_text(f"demo {DEMO_ID}\nbuilt by Smart City Twin {__version__}\n", encoding="utf-8")
    return target
