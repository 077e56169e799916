"""Opening a project file safely: the write-ahead log left by a crashed writer, and a busy file.

DuckDB keeps committed changes in ``<file>.wal`` until a checkpoint folds them into the file. A writer
killed between its commit and that checkpoint (or during its commit) leaves the log behind, and a
read-only connection cannot replay it (``Failure while replaying WAL file``). :func:`recover` replays it in
a short read-write step (a complete commit is kept, an incomplete one is discarded) and checkpoints, so
every command then sees the last committed state. :func:`busy_error` turns DuckDB's lock error into one
plain line naming the process that holds the file. See docs/security.md, "How crashes are survived".
"""

from __future__ import annotations

import os
import pathlib
import re
import sys
import time
from collections.abc import Callable

import duckdb

from twin.errors import ProjectError

_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def wal_path(path: pathlib.Path) -> pathlib.Path:
    """The write-ahead log DuckDB keeps beside ``path``."""
    return path.with_name(path.name + ".wal")


def is_lock_error(exc: BaseException) -> bool:
    """True when ``exc`` says another process holds the file's lock."""
    return "Could not set lock" in str(exc)


def recover(path: pathlib.Path, connect: Callable[..., duckdb.DuckDBPyConnection], *, wait: float = 0.0) -> bool:
    """Fold a write-ahead log left beside ``path`` into the file (read-write open, one empty write, checkpoint).

    Returns True when a log was found and folded (one line on stderr says so); False when there was none
    (or its live writer folded it while we waited up to ``wait`` seconds). A file still held by a live
    writer raises the :func:`busy_error` line; other failures name the file."""
    wal = wal_path(path)
    deadline, delay = time.monotonic() + max(wait, 0.0), 0.05
    while True:
        if not wal.exists():
            return False
        try:
            con = connect(path, read_only=False)
            break
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise ProjectError(f"{path}: an interrupted write left {wal.name}, and it cannot be replayed "
                                   f"({str(exc).splitlines()[0]})") from None
            if time.monotonic() + delay > deadline:
                if not wal.exists():  # its writer checkpointed meanwhile: nothing left to recover
                    return False
                raise busy_error(path, exc, read_only=False) from None
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    try:
        # DuckDB only checkpoints (and drops the log) after a change: make one that leaves nothing behind
        con.execute("CREATE TABLE main.__twin_recovery (x INTEGER)")
        con.execute("DROP TABLE main.__twin_recovery")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    print(f"{path}: recovered from an interrupted write: {wal.name} folded into the file "
          "(the project holds its last committed state)", file=sys.stderr)
    return True


def busy_error(path: pathlib.Path, exc: BaseException, *, read_only: bool) -> ProjectError:
    """One plain line for DuckDB's ``Could not set lock`` error, naming the process holding ``path``.

    DuckDB names the holder's program and PID; when we asked for read-write and DuckDB adds that a
    read-only open would work, the holder only reads; otherwise it writes."""
    text = str(exc)
    match = _HOLDER.search(text)
    if match is None:
        return ProjectError(f"{path}: the project is busy: another program has it open; try again when it ends")
    pid = int(match.group("pid"))
    reading = not read_only and "read-only mode" in text
    doing = "reading" if reading else "writing"
    if pid == os.getpid():
        who = "this program (another open connection)"
    elif _is_twin_import(pid):
        who = f"an import (PID {pid})"
    else:
        who = f"{_program_name(pid, match.group('program'))} (PID {pid})"
    return ProjectError(f"{path}: the project is busy: {who} is {doing} it; try again when it ends")


def connect_waiting(
    path: pathlib.Path, connect: Callable[..., duckdb.DuckDBPyConnection], *, read_only: bool,
    wait: float = 0.0, **kwargs,
) -> duckdb.DuckDBPyConnection:
    """``connect(path, read_only=...)``, retrying for up to ``wait`` seconds while another process holds the
    lock (other commands keep the file for short moments); then the :func:`busy_error` line."""
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    while True:
        try:
            return connect(path, read_only=read_only, **kwargs)
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise busy_error(path, exc, read_only=read_only) from None
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _cmdline(pid: int) -> list[str]:
    try:
        raw = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _is_twin_import(pid: int) -> bool:
    """True when process ``pid`` runs ``twin import`` (or ``python -m twin.cli.main import``)."""
    args = _cmdline(pid)
    for i, arg in enumerate(args[:-1]):
        name = pathlib.Path(arg).name
        if (name == "twin" or arg == "twin.cli.main" or name == "main.py" and "cli" in arg) and args[i + 1] == "import":
            return True
    return False


def _program_name(pid: int, fallback: str) -> str:
    args = _cmdline(pid)
    words = [pathlib.Path(a).name for a in args[:2]] if args else [pathlib.Path(fallback).name]
    return "another program (" + " ".join(words)[:60] + ")"
