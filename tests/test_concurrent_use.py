"""Concurrent use: an import reads with the project closed and writes briefly; a busy project says who holds
it; the window holds its project read-only between writes, so ``twin info`` works while it is open
(docs/security.md, "Concurrent use")."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading

import duckdb
import numpy as np
import pytest

from twin.cli.main import main
from twin.errors import ProjectError
from twin.store.project import Project
from twin.store.recovery import busy_error

TWIN = [sys.executable, "-m", "twin.cli.main"]
ROWS = 100_000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("concurrent")
    rng = np.random.default_rng(3)
    lon, lat = 126.9 + rng.random(ROWS) * 0.1, 37.5 + rng.random(ROWS) * 0.1
    big = folder / "big.csv"
    big.write_text("id,lon,lat\n" + "\n".join(f"{i},{x:.6f},{y:.6f}" for i, (x, y) in enumerate(zip(lon, lat))) + "\n")
    small = folder / "small.csv"
    small.write_text("id,lon,lat\n1,126.95,37.55\n2,126.96,37.56\n")
    base = folder / "base.twin.duckdb"
    assert main(["import", str(base), str(small)]) == 0
    return base, big


class _Import:
    """``twin import`` in a subprocess; :meth:`wait_for` blocks until a stderr line contains a text."""

    def __init__(self, project: pathlib.Path, source: pathlib.Path) -> None:
        self.proc = subprocess.Popen([*TWIN, "import", str(project), str(source), "--layer", "big"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._seen = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()
        with self._seen:
            self.lines.append("<end>")
            self._seen.notify_all()

    def wait_for(self, text: str) -> None:
        with self._seen:
            while not any(text in line for line in self.lines):
                assert "<end>" not in self.lines, f"the import ended before {text!r}: {''.join(self.lines)}"
                self._seen.wait(timeout=120)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def go_on(self) -> int:
        self.proc.send_signal(signal.SIGCONT)
        return self.proc.wait(timeout=300)


def _names(project: pathlib.Path, capsys) -> list[str]:
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    return [layer["name"] for layer in json.loads(capsys.readouterr().out)["layers"]]


def test_other_commands_read_while_an_import_reads(files, tmp_path, capsys):
    base, big = files
    project = tmp_path / "p.twin.duckdb"
    project.write_bytes(base.read_bytes())
    run = _Import(project, big)
    run.wait_for("reading")
    run.stop()  # frozen in the middle of reading its file: it must not hold the project
    try:
        assert _names(project, capsys) == ["small"]
        assert main(["query", str(project), "SELECT count(*) AS n FROM layers", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out) == [{"n": 1}]
    finally:
        code = run.go_on()
    assert code == 0, "".join(run.lines)
    assert _names(project, capsys) == ["small", "big"]


def test_a_project_being_written_says_which_import_holds_it(files, tmp_path, capsys):
    base, big = files
    project = tmp_path / "w.twin.duckdb"
    project.write_bytes(base.read_bytes())
    run = _Import(project, big)
    run.wait_for("writing to the project")
    held = False
    while not held and run.proc.poll() is None:  # until the import has the file open for writing
        try:
            duckdb.connect(str(project), read_only=True).close()
        except duckdb.Error as exc:
            held = "Could not set lock" in str(exc)
    if not held:
        pytest.fail("the import ended before it could be caught writing")
    run.stop()
    try:
        capsys.readouterr()
        assert main(["info", str(project)]) == 1
        err = capsys.readouterr().err.strip()
    finally:
        code = run.go_on()
    assert err == (f"twin info: error: {project}: the project is busy: an import (PID {run.proc.pid}) is writing it; "
                   "try again when it ends")
    assert code == 0, "".join(run.lines)
    assert _names(project, capsys) == ["small", "big"]


def test_the_busy_line_is_parsed_robustly(tmp_path):
    path = tmp_path / "x.twin.duckdb"
    text = (f'IO Error: Could not set lock on file "{path}": Conflicting lock is held in /usr/bin/python3 '
            f"(PID {os.getpid()}) by user me. See also https://duckdb.org/docs/stable/connect/concurrency")
    assert "this program" in str(busy_error(path, duckdb.IOException(text), read_only=True))
    reader = text.replace("by user me.", "by user me. However, you would be able to open this database in "
                                          "read-only mode, e.g. by using the -readonly parameter in the CLI.")
    assert "is reading it" in str(busy_error(path, duckdb.IOException(reader), read_only=False))
    assert str(busy_error(path, duckdb.IOException("IO Error: Could not set lock on file: ???"), read_only=True)) == (
        f"{path}: the project is busy: another program has it open; try again when it ends")
    gone = text.replace(f"PID {os.getpid()}", "PID 999999999")
    assert "another program (python3) (PID 999999999) is writing it" in str(
        busy_error(path, duckdb.IOException(gone), read_only=True))


def test_a_reader_in_another_process_makes_a_write_wait_then_say_busy(files, tmp_path):
    base, _big = files
    project = tmp_path / "r.twin.duckdb"
    project.write_bytes(base.read_bytes())
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], "
                               "read_only=True); print('open', flush=True); sys.stdin.read()", str(project)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with Project.open(project, read_only=True) as reading:  # readers share the file
            assert [layer.name for layer in reading.layers()] == ["small"]
        with pytest.raises(ProjectError, match=rf"is busy: another program \(.*\) \(PID {holder.pid}\) is reading it"):
            Project.open(project, wait=0.2)
    finally:
        holder.communicate("", timeout=60)


def _style_elsewhere(project: pathlib.Path) -> dict:
    """The stored style of layer ``small`` as ``twin query`` in another process reads it."""
    run = subprocess.run([*TWIN, "query", str(project), "SELECT style FROM layers WHERE name = 'small'",
                          "--format", "json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(json.loads(run.stdout)[0]["style"] or "{}")


def test_a_shared_project_writes_in_short_moments_and_survives_a_busy_file(files, tmp_path):
    base, _big = files
    project = tmp_path / "s.twin.duckdb"
    project.write_bytes(base.read_bytes())
    shared = Project.open(project, shared=True)
    try:
        assert not shared.read_only
        assert _style_elsewhere(project) == {}  # another process reads meanwhile
        shared.set_style("small", {"opacity": 0.5})
        assert _style_elsewhere(project) == {"opacity": 0.5}
        holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], "
                                   "read_only=True); print('open', flush=True); sys.stdin.read()", str(project)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "open"
            with pytest.raises(ProjectError, match="the project is busy"):
                with shared.writing(wait=0.2):
                    pass
        finally:
            holder.communicate("", timeout=60)
        assert shared.layer("small").style["opacity"] == 0.5  # read-only again, still reading
        shared.set_style("small", {"opacity": 0.75})
    finally:
        shared.close()
    assert _style_elsewhere(project) == {"opacity": 0.75}


def test_the_window_does_not_lock_readers_out(qtbot, tmp_path, ui_city_file):
    from PySide6 import QtCore

    from conftest import copy_project
    from twin_ui.project_files import open_session
    from twin_ui.settings import AppSettings
    from twin_ui.window import QtMainWindow

    path = copy_project(ui_city_file, tmp_path / "city.twin.duckdb")  # the small UI project (tests/fixtures/ui)
    settings = AppSettings(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat))
    win = QtMainWindow(open_session(path), settings=settings)
    qtbot.addWidget(win)
    win.resize(1024, 768)
    win.show()
    assert win.view.wait_until_ready(30), "the 3D view never rendered"

    def info() -> subprocess.CompletedProcess:
        return subprocess.run([*TWIN, "info", str(path), "--json"], capture_output=True, text=True, timeout=300)

    shown = info()
    assert shown.returncode == 0, shown.stderr
    first = win.model.layers[0]
    first.style = dataclasses.replace(first.style, opacity=0.25)  # written into the file by the window
    assert win.session.sync.writes >= 1
    after = subprocess.run([*TWIN, "query", str(path), f"SELECT style FROM layers WHERE name = '{first.name}'",
                            "--format", "json"], capture_output=True, text=True, timeout=300)
    assert after.returncode == 0, after.stderr
    assert json.loads(json.loads(after.stdout)[0]["style"])["opacity"] == 0.25
    assert info().returncode == 0
    win.close()
