"""``twin plugins list|check|run|samples`` and ``twin import`` with broken plugins, end to end."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

import pytest

import fake_dist  # tests/fixtures/plugins, on the path through conftest

from twin.cli import cmd_plugins
from twin.cli.main import main
from twin.plugins.manifest import Manifest
from twin.plugins.registry import PluginRegistry, registry as global_registry
from twin.store.project import Project


def twin(*args: str, site: pathlib.Path | None = None, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    """Run the real ``twin`` command in a new process, with fake plugins on its path."""
    env = dict(os.environ, COLUMNS="250")  # no wrapping of the table
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "twin.cli.main", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_list_json_prints_only_json_with_broken_plugins_disabled(fake_site):
    fake_site.install("twin-fake-good", "twin-fake-badmanifest", "twin-fake-importerror")
    result = twin("plugins", "list", "--json", site=fake_site.root)
    assert result.returncode == 0, result.stderr
    plugins = json.loads(result.stdout)  # nothing but JSON on stdout
    by_name = {p["name"]: p for p in plugins}
    for plugin in plugins:
        assert {"name", "version", "enabled", "error", "contributions"} <= set(plugin)
    good = by_name["twin-fake-good"]
    assert good["enabled"] is True and good["error"] is None and good["version"] == "1.2.0"
    assert good["contributions"]["importers"][0] == {
        "id": "fake-points", "title": "Fake points (x;y;name)", "patterns": ["*.fake"], "kind": "points",
        "callable": "twin_fake_good.reader:read_fake"}
    bad = by_name["badmanifest"]
    assert bad["enabled"] is False and "importers[0] lacks 'patterns'" in bad["error"]
    assert by_name["twin-fake-importerror"]["enabled"] is True  # its code is not imported by listing
    assert by_name["twin-stages"]["builtin"] is True
    assert "badmanifest" in result.stderr  # the warning goes to stderr


def test_list_table_and_check_exit_code(fake_site):
    fake_site.install("twin-fake-good", "twin-fake-badmanifest", "twin-fake-importerror")
    table = twin("plugins", site=fake_site.root)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["PLUGIN", "VERSION", "STATUS", "FROM", "CONTRIBUTES"]
    good = next(line for line in lines if line.startswith("twin-fake-good "))
    assert "1.2.0" in good and "enabled" in good and "1 importer (fake-points)" in good
    assert good.endswith("1 importer (fake-points); 2 analyses (count-by-name, extent); 1 panel (fake-panel); "
                         "1 sample (fake-sample); 1 suggestion (fake-kiosk)")
    assert any(line.startswith("badmanifest ") and "DISABLED" in line and "error: manifest:" in line for line in lines)
    check = twin("plugins", "check", "--json", site=fake_site.root)
    assert check.returncode == 1
    results = {r["name"]: r for r in json.loads(check.stdout)}
    assert results["twin-fake-good"]["ok"] is True
    assert results["twin-fake-importerror"]["problems"] == [
        "importer 'ierr': callable = twin_fake_importerror.reader:read: RuntimeError: twin_fake_importerror must not be imported"]
    assert results["badmanifest"]["ok"] is False
    assert "broken plugin(s)" in check.stderr and "twin-fake-importerror" in check.stderr


def test_check_passes_when_every_plugin_loads(fake_site, capsys):
    fake_site.install("twin-fake-good")
    text = (fake_dist.PACKAGES / "twin_fake_good" / "twin.toml").read_text(encoding="utf-8")
    reg = PluginRegistry.from_manifests(Manifest.from_toml(text, package="twin_fake_good"))
    assert cmd_plugins.run(argparse.Namespace(action="check", json=False), registry=reg) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "twin-fake-good 1.2.0: ok (4 code reference(s) imported)"
    assert "all 1 plugin(s) load" in err


def test_import_through_a_raising_importer_fails_in_one_line(fake_site, tmp_path):
    fake_site.install("twin-fake-raising", "twin-fake-good")
    (tmp_path / "bad.boom").write_text("x", encoding="utf-8")
    (tmp_path / "good.fake").write_text("x;y;name\n200000;550000;a\n", encoding="utf-8")
    result = twin("import", "p.twin.duckdb", "bad.boom", "good.fake", "--no-suggest", site=fake_site.root, cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("twin import: error: plugin twin-fake-raising: importer 'boom' (callable) failed on bad.boom: ")
    assert "KeyError" in errors[0]
    info = twin("info", "p.twin.duckdb", "--json", cwd=tmp_path)
    assert [layer["name"] for layer in json.loads(info.stdout)["layers"]] == ["good.fake"]


def test_import_suggests_stage_and_service(fake_site, tmp_path, capsys):
    fake_site.install("twin-fake-good")
    global_registry.discover(force=True)
    source = tmp_path / "osan_cctv_sample.fake"
    source.write_text("x;y;name\n200000;550000;cam1\n200050;550020;cam2\n", encoding="utf-8")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(source)]) == 0
    assert main(["import", str(project), str(source), "--layer", "explicit", "--stage", "3"]) == 0
    assert main(["import", str(project), str(source), "--layer", "none", "--no-suggest"]) == 0
    err = capsys.readouterr().err
    assert "note: suggested stage 2, service 'safety' (CCTV cameras: file name matches '*cctv*'); choose with --stage/--service" in err
    assert "note: suggested service 'safety' (CCTV cameras" in err  # --stage given: only the service is suggested
    with Project.open(project, read_only=True) as p:
        layers = {layer.name: (layer.stage, layer.service) for layer in p.layers()}
        report = json.loads(p.query("SELECT report FROM imports ORDER BY id LIMIT 1").column(0)[0].as_py())
    assert layers == {"osan_cctv_sample.fake": (2, "safety"), "explicit": (3, "safety"), "none": (None, None)}
    assert any("suggested stage 2" in note for note in report["notes"])  # kept in the provenance


def test_run_an_analysis_and_list_samples(fake_site, tmp_path, capsys):
    fake_site.install("twin-fake-good")
    global_registry.discover(force=True)
    project = tmp_path / "p.twin.duckdb"
    assert main(["plugins", "samples", "--json"]) == 0
    samples = {s["id"]: s for s in json.loads(capsys.readouterr().out)}
    sample = samples["fake-sample"]["paths"][0]
    assert main(["import", str(project), sample, "--no-suggest"]) == 0
    capsys.readouterr()
    assert main(["plugins", "run", "count-by-name", str(project), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == [{"name": "kiosk", "n": 2}, {"name": "bench", "n": 1}]
    assert "count-by-name: 2 row(s)" in err
    assert main(["plugins", "run", "count-by-name", str(project), "--param", "minimum=2", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["name,n", "kiosk,2"]
    assert main(["plugins", "run", "extent", str(project), "--layer", "sample.fake", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["layer"] == "sample.fake" and row["xmin"] == pytest.approx(200000, abs=1e-6)
    assert main(["plugins", "run", "nope", str(project)]) == 1
    assert "twin plugins: error: no analysis 'nope'" in capsys.readouterr().err
    assert main(["plugins", "run", "extent", str(project), "--param", "oops"]) == 1
    assert "--param 'oops': write NAME=VALUE" in capsys.readouterr().err
