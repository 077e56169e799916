"""Outputs written whole or not at all: a temporary file (or folder) beside the target, renamed over it on success.

Every exporter writes through :func:`atomic_path`::

    with atomic_path(out) as tmp:      # .<name>.<pid>.part<suffix>, beside out
        frame.to_file(tmp, ...)        # a failure (or a kill) leaves out as it was
    # here out is the new file

The previous output stays intact until the new one is complete; the side files a writer leaves beside its
file (SQLite's ``-journal``/``-wal``, GDAL's ``.tmp_rtree_*``) carry the temporary name and are removed with
it. A process killed mid-write cannot clean up after itself: the next write of the same target removes what
dead processes left (:func:`sweep`). See docs/security.md, "How crashes are survived".
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import shutil
from collections.abc import Iterator

PART = ".part"


def part_path(target: pathlib.Path, pid: int | None = None) -> pathlib.Path:
    """The temporary name of ``target`` while process ``pid`` (default: this one) writes it."""
    return target.with_name(f".{target.name}.{os.getpid() if pid is None else pid}{PART}{target.suffix}")


@contextlib.contextmanager
def atomic_path(target: str | pathlib.Path) -> Iterator[pathlib.Path]:
    """Yield a temporary path beside ``target`` to write (a file or a folder); on success it replaces
    ``target``, on any failure it and its side files are removed and ``target`` is left as it was."""
    target = pathlib.Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target)
    tmp = part_path(target)
    _remove_with_sides(tmp)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{target}: the writer produced no output")
        _replace(tmp, target)
    finally:
        _remove_with_sides(tmp)


def write_bytes(target: str | pathlib.Path, data: bytes | str, *, encoding: str = "utf-8") -> pathlib.Path:
    """Write ``data`` to ``target`` whole or not at all (text is encoded with ``encoding``)."""
    target = pathlib.Path(target)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
    return target


def sweep(target: pathlib.Path) -> list[pathlib.Path]:
    """Remove the temporary files of ``target`` left by processes that no longer run; return them."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+){re.escape(PART)}")
    removed = []
    if not target.parent.is_dir():
        return removed
    for entry in target.parent.iterdir():
        match = pattern.match(entry.name)
        if match and not _alive(int(match.group(1))):
            if entry.name.endswith(f"{PART}.old") and not target.exists():
                os.replace(entry, target)  # killed while swapping folders: the previous output comes back
                continue
            _remove(entry)
            removed.append(entry)
    return removed


def _replace(tmp: pathlib.Path, target: pathlib.Path) -> None:
    if tmp.is_dir() and target.is_dir():  # a folder (e.g. 3D Tiles): move the old one aside, then drop it
        old = target.with_name(f".{target.name}.{os.getpid()}{PART}.old")
        _remove(old)
        os.replace(target, old)
        try:
            os.replace(tmp, target)
        except BaseException:
            os.replace(old, target)
            raise
        _remove(old)
    else:
        if target.is_dir():
            raise IsADirectoryError(f"{target}: a folder is in the way of the output file")
        os.replace(tmp, target)


def _remove_with_sides(tmp: pathlib.Path) -> None:
    """``tmp`` and what writers leave beside it under its name (``-journal``, ``-wal``, ``.tmp_rtree_*``)."""
    if tmp.parent.is_dir():
        for entry in tmp.parent.iterdir():
            if entry.name.startswith(tmp.name):
                _remove(entry)


def _remove(path: pathlib.Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
