"""A real ``twin import`` killed (SIGKILL) at many moments, before, during and after its commit: every command
then opens the project and sees the last committed state, never a half layer (docs/security.md)."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time

import duckdb
import numpy as np
import pytest

from twin.cli.main import main
from twin.store.project import Project
from twin.store.recovery import wal_path
from twin.store.spatial import connect

ROWS = 100_000
TWIN = [sys.executable, "-m", "twin.cli.main"]


def _points_csv(path: pathlib.Path, rows: int, seed: int = 1) -> pathlib.Path:
    rng = np.random.default_rng(seed)
    lon, lat = 126.9 + rng.random(rows) * 0.1, 37.5 + rng.random(rows) * 0.1
    ids = np.arange(rows)
    body = "\n".join(f"{i},p{i},{x:.6f},{y:.6f},{i * 0.5}" for i, x, y in zip(ids, lon, lat))
    path.write_text("id,name,lon,lat,value\n" + body + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.twin.duckdb"
    assert main(["import", str(base), str(_points_csv(folder / "small.csv", 50, seed=2))]) == 0
    return base, _points_csv(folder / "big.csv", ROWS)


class _Import:
    """``twin import`` in a subprocess, its stderr lines timestamped (when did the write start?)."""

    def __init__(self, project: pathlib.Path, source: pathlib.Path) -> None:
        self.start = time.monotonic()
        self.proc = subprocess.Popen([*TWIN, "import", str(project), str(source), "--layer", "big"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.writing_at: float | None = None
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)
            if "writing to the project" in line and self.writing_at is None:
                self.writing_at = time.monotonic() - self.start

    def finish(self) -> int:
        code = self.proc.wait(timeout=120)
        self.reader.join(timeout=10)
        return code


def _state(project: pathlib.Path, capsys) -> dict[str, int]:
    """Layers and their features as the commands see them: ``twin info --json`` and one ``twin query``
    (both read-only) counting every layer's table against its catalogue entry."""
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    layers = {layer["name"]: layer["features"] for layer in json.loads(capsys.readouterr().out)["layers"]}
    assert not wal_path(project).exists(), "the first read-only command left the write-ahead log in place"
    with Project.open(project, read_only=True) as opened:
        tables = {name: opened.layer(name).table_name for name in layers}
    counts = " UNION ALL ".join(f"SELECT {i} AS i, count(*) AS n FROM {t}" for i, t in enumerate(tables.values()))
    assert main(["query", str(project), f"SELECT n FROM ({counts}) ORDER BY i", "--format", "json"]) == 0
    counted = [row["n"] for row in json.loads(capsys.readouterr().out)]
    assert counted == list(layers.values()), f"rows {counted} for {layers} in the catalogue (a half layer)"
    return layers


def test_kill_during_import_at_many_moments(files, tmp_path, capsys):
    base, source = files
    old = {"small": 50}
    # a full run, to measure when the write starts and ends on this machine
    full = _Import(tmp_path / "full.twin.duckdb", source)
    assert full.finish() == 0
    total = time.monotonic() - full.start
    write_at = full.writing_at if full.writing_at is not None else 0.8 * total
    # one moment in each phase of the run: starting up, reading, then over the write (its start, the commit and
    # checkpoint, the end); named moments are events seen in that run (its "reading" line, the log appearing and
    # just after, its "-> layer" line after the commit); each kill costs a run of the import up to its moment
    moments: list[float | str] = ["reading", write_at * 0.5]
    moments += [write_at + (total - write_at) * f for f in np.linspace(0.0, 1.0, 4)]
    moments += ["wal", "wal+", "-> layer"]
    seen = {"old": 0, "new": 0, "log left": 0}
    for i, moment in enumerate(moments):
        project = tmp_path / f"k{i}.twin.duckdb"
        shutil.copyfile(base, project)
        run = _Import(project, source)
        if moment in ("wal", "wal+"):  # the moment the write-ahead log appears (the commit under way)
            while not wal_path(project).exists() and run.proc.poll() is None:
                time.sleep(0.001)
            if moment == "wal+":
                time.sleep(0.02)
        elif isinstance(moment, str):  # a line of its progress: before reading, after the commit
            while not any(moment in line for line in run.lines) and run.proc.poll() is None:
                time.sleep(0.001)
        else:
            time.sleep(max(0.0, moment - (time.monotonic() - run.start)))
        run.proc.send_signal(signal.SIGKILL)
        run.finish()
        seen["log left"] += wal_path(project).exists()
        state = _state(project, capsys)
        assert state in (old, {**old, "big": ROWS}), f"kill {i} at {moment}: {state}"
        seen["new" if "big" in state else "old"] += 1
        if i % 3 == 2 or i == len(moments) - 1:  # a further import works on the recovered file
            assert main(["import", str(project), str(source.with_name("small.csv")), "--layer", "again"]) == 0
            assert _state(project, capsys) == {**state, "again": 50}
    assert seen["old"] and seen["new"] and seen["log left"], f"the kills missed the commit (before, during or after): {seen}"


def test_a_left_log_is_replayed_before_a_read_only_open(tmp_path, capsys):
    """A writer gone between its commit and the checkpoint: the committed layer is there, one line says so."""
    path = tmp_path / "left.twin.duckdb"
    Project.open(path, create=True).close()
    script = (
        "import os, sys\n"
        "from twin.store.spatial import connect\n"
        "con = connect(sys.argv[1])\n"
        "con.execute('CREATE TABLE extra AS SELECT i AS fid, ST_Point(i, i) AS geom FROM range(500) r(i)')\n"
        "con.execute('CREATE INDEX extra_geom ON extra USING RTREE (geom)')\n"
        "os._exit(0)\n"  # no close, no checkpoint: the commit is only in the log
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert wal_path(path).exists()
    with pytest.raises(duckdb.Error, match="replaying WAL"):  # what every read-only command hit before
        duckdb.connect(str(path), read_only=True)
    capsys.readouterr()
    with Project.open(path, read_only=True) as project:
        assert project.rows("SELECT count(*) FROM extra") == [(500,)]
    err = capsys.readouterr().err
    assert "recovered from an interrupted write" in err and len(err.strip().splitlines()) == 1
    assert not wal_path(path).exists()
    con = connect(path, read_only=True)  # plain DuckDB reads it too
    con.close()


def test_an_incomplete_log_is_discarded(tmp_path):
    """A log cut in the middle of a commit: the old state, and the log gone (reads no longer fail)."""
    path = tmp_path / "cut.twin.duckdb"
    Project.open(path, create=True).close()
    script = (
        "import os, sys\n"
        "from twin.store.spatial import connect\n"
        "con = connect(sys.argv[1])\n"
        "con.execute('CREATE TABLE extra AS SELECT i AS fid, ST_Point(i, i) AS geom FROM range(20000) r(i)')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    wal = wal_path(path)
    size = wal.stat().st_size
    with open(wal, "r+b") as fh:  # the end of the commit never reached the disk
        fh.truncate(size // 2)
    with Project.open(path, read_only=True) as project:
        assert not project.has_table("extra")
        assert project.layers() == []
    assert not wal.exists()
    assert os.path.getsize(path) > 0


# ----- exports ---------------------------------------------------------------------------------------------
def test_a_killed_export_leaves_the_previous_output_whole(files, tmp_path, capsys):
    import hashlib

    import pyogrio

    base, source = files
    project = tmp_path / "e.twin.duckdb"
    shutil.copyfile(base, project)
    assert main(["import", str(project), str(source), "--layer", "big"]) == 0
    out_dir = tmp_path / "out"
    out = out_dir / "big.gpkg"
    assert main(["export", str(project), "big", str(out)]) == 0
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    for delay in (0.0, 0.05, 0.2):
        run = subprocess.Popen([*TWIN, "export", str(project), "big", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        part = f".{out.name}.{run.pid}.part"
        while run.poll() is None and not any(p.name.startswith(part) for p in out_dir.iterdir()):
            time.sleep(0.001)
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        run.wait()
        assert hashlib.sha256(out.read_bytes()).hexdigest() == before, "the previous output was touched"
        strays = {p.name for p in out_dir.iterdir()} - {out.name}
        assert all(name.startswith(part) for name in strays), strays  # only the dead export's own files
    assert pyogrio.read_info(out)["features"] == ROWS
    assert main(["export", str(project), "big", str(out)]) == 0  # the next export sweeps what was left
    assert sorted(p.name for p in out_dir.iterdir()) == [out.name]
    assert pyogrio.read_info(out)["features"] == ROWS


def test_atomic_path_keeps_the_target_on_failure_and_swaps_folders(tmp_path):
    from twin.io.atomic import atomic_path, part_path, sweep, write_bytes

    target = write_bytes(tmp_path / "a.json", "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            (tmp.parent / (tmp.name + "-journal")).write_text("side file")
            raise RuntimeError("writer failed")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]
    folder = tmp_path / "tiles"
    for text in ("one", "two"):  # a folder output (3D Tiles) replaced whole
        with atomic_path(folder) as tmp:
            tmp.mkdir()
            (tmp / "tileset.json").write_text(text)
    assert (folder / "tileset.json").read_text() == "two"
    # a writer killed while swapping folders: the next write (its sweep) brings the previous output back
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    old = part_path(folder, int(dead.stdout)).with_name(part_path(folder, int(dead.stdout)).name + ".old")
    os.replace(folder, old)
    sweep(folder)
    assert (folder / "tileset.json").read_text() == "two"
