"""The example third-party plugin (examples/twin-airquality), installed with pip, end to end through the app's machinery.

Install it once into the venv: ``.venv/bin/pip install -e examples/twin-airquality`` (setup.sh does it).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from twin.cli.main import main
from twin.model.context import PanelContext
from twin.plugins.registry import PluginRegistry
from twin.store.project import Project

REPO = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "twin-airquality"
INSTALL = f"{sys.executable} -m pip install -e {EXAMPLE.relative_to(REPO)}"

try:
    DIST = importlib.metadata.distribution("twin-airquality")
except importlib.metadata.PackageNotFoundError:
    DIST = None
pytestmark = pytest.mark.skipif(DIST is None, reason=f"the example plugin is not installed: run `{INSTALL}`")


def _run(*args: str, cwd: pathlib.Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env=env or dict(os.environ))


@pytest.fixture(scope="module")
def sample() -> pathlib.Path:
    reg = PluginRegistry()
    [path] = reg.sample_data(reg.contribution("sample_data", "seoul-airquality-sample"))
    return path


def test_installed_from_the_example_folder_and_discovered():
    assert DIST.entry_points.select(group="twin.plugins")["airquality"].value == "twin_airquality:twin.toml"
    record = next(r for r in PluginRegistry().records() if r.name == "twin-airquality")
    assert record.enabled and record.error is None and not record.builtin and record.source == "twin-airquality"
    # editable install: the code is the example folder's, not a copy
    spec = importlib.util.find_spec("twin_airquality")
    assert pathlib.Path(spec.origin).is_relative_to(EXAMPLE)


def test_listed_as_json_without_importing_its_code():
    listing = _run("-m", "twin.cli.main", "plugins", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    plugin = next(p for p in json.loads(listing.stdout) if p["name"] == "twin-airquality")
    assert plugin["enabled"] and plugin["error"] is None and plugin["version"] == "0.1.0"
    assert {s: [c["id"] for c in items] for s, items in plugin["contributions"].items()} == {
        "importers": ["airquality-csv"], "analyses": ["above-who-guideline"], "panels": ["airquality-station"],
        "sample_data": ["seoul-airquality-sample"], "suggestions": ["airkorea"]}
    lazy = _run("-c", "import sys; from twin.plugins import registry; [r.to_dict() for r in registry.records()]; "
                      "registry.importers_for('x.csv'); print(sorted(m for m in sys.modules if 'airquality' in m))")
    assert lazy.stdout.strip() == "[]", lazy.stderr


def test_cli_imports_the_sample_and_runs_the_analysis(sample, tmp_path):
    imported = _run("-m", "twin.cli.main", "import", "aq.twin.duckdb", str(sample), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "5 negative value(s) (-1: instrument check) read as missing" in imported.stderr
    info = json.loads(_run("-m", "twin.cli.main", "info", "aq.twin.duckdb", "--json", cwd=tmp_path).stdout)
    layers = {layer["kind"]: layer for layer in info["layers"]}
    assert layers["points"]["features"] == 12 and layers["sensors"]["features"] == 12
    assert layers["sensors"]["time_span"] == ["2024-03-01T00:00:00+09:00", "2024-03-03T23:00:00+09:00"]
    assert (layers["sensors"]["stage"], layers["sensors"]["service"]) == (4, "environment")  # suggested
    run = _run("-m", "twin.cli.main", "plugins", "run", "above-who-guideline", "aq.twin.duckdb", "--format", "json",
               cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert rows and all(r["daily_mean"] > r["guideline"] and r["hours"] >= 18 for r in rows)
    assert rows[0]["day"] == "2024-03-02" and rows[0]["station_name"]
    assert re.search(r"above-who-guideline: \d+ row\(s\)", run.stderr)


def test_panel_builds_through_the_registry_and_follows_the_context(sample, tmp_path, qtbot, capsys):
    project_path = tmp_path / "aq.twin.duckdb"
    assert main(["import", str(project_path), str(sample), "--no-suggest"]) == 0
    reg = PluginRegistry()
    contribution = reg.contribution("panels", "airquality-station")
    with Project.open(project_path, read_only=True) as project:
        stations = next(layer for layer in project.layers() if layer.kind == "points")
        context = PanelContext(project, registry=reg)
        widget = reg.call(contribution, context)  # what the window does for each panel
        qtbot.addWidget(widget)
        context.set_selection(stations.name, [11])
        context.set_time(dt.datetime(2024, 3, 3, 8, 0, tzinfo=dt.timezone.utc))
        assert widget.title.text() == "송파구 (124)"
        assert widget.time.text() == "reading of 2024-03-03 17:00 KST"
        assert widget.table.rowCount() == 6
        widget.close()


def test_the_example_own_tests_pass():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xvfb", str(EXAMPLE / "tests"), env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\d+ passed", result.stdout)


def test_example_code_uses_only_the_public_api():
    offenders = []
    for path in (EXAMPLE / "src").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*(?:from|import)\s+(twin(?:\.[\w.]+)?)\b(?![\w])", line)
            if match and match.group(1) != "twin.api":
                offenders.append(f"{path.relative_to(REPO)}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
