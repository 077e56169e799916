"""Start-up of the ``twin`` command: a command imports only what it needs (issue 11, "speed a user feels").

No timing asserts (bench/bench_cli_startup.py measures); these tests look at ``sys.modules`` of a fresh
process after a command ran, so that a heavy import at the top of a command module comes back as a failure.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

#: run one command in a fresh process, then print the names of the modules it imported as JSON
CHILD = ("import json, sys\n"
         "from twin.cli.main import main\n"
         "from twin.deferred import pending\n"
         "code = main(sys.argv[1:])\n"
         "print(json.dumps({'code': code, 'modules': sorted(m for m in sys.modules if not pending(m))}))\n")


def _modules_after(argv: list[str]) -> set[str]:
    """The modules whose code ran in a fresh process running ``twin ARGV`` (deferred ones not yet used left out)."""
    done = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return set(result["modules"])


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("startup")
    csv = folder / "stops.csv"
    csv.write_text("name,lon,lat\n" + "".join(f"s{i},{127.05 + i * 0.001:.3f},37.15\n" for i in range(20)),
                   encoding="utf-8")
    project = folder / "small.twin.duckdb"
    from twin.cli.main import main

    assert main(["import", str(project), str(csv)]) == 0
    return project


def test_info_imports_no_drawing_no_geopandas_no_import_service(small_project):
    modules = _modules_after(["info", str(small_project)])
    for heavy in ("geopandas", "pyvista", "vtkmodules", "scipy", "matplotlib", "PySide6", "shapely",
                  "twin.io.service", "twin.io.export", "twin.cli.cmd_export", "twin.cli.cmd_import"):
        assert heavy not in modules, f"`twin info` imported {heavy}"


def test_render_imports_neither_geopandas_nor_the_import_service(small_project, tmp_path):
    modules = _modules_after(["render", str(small_project), "--out", str(tmp_path / "p.png"), "--size", "320x240"])
    assert "pyvista" in modules  # it did draw
    for heavy in ("geopandas", "scipy", "PySide6", "pyogrio", "twin.io.service", "twin.store.writer",
                  "twin.cli.cmd_export", "twin.cli.cmd_import", "twin.cli.cmd_query",
                  # pyvista imports pyplot at module level and never uses it for a picture (twin/deferred.py)
                  "matplotlib.pyplot", "matplotlib.figure"):
        assert heavy not in modules, f"`twin render` imported {heavy}"
    assert (tmp_path / "p.png").stat().st_size > 0


def test_help_imports_neither_the_importers_nor_the_exporters():
    done = subprocess.run([sys.executable, "-c", CHILD.replace("main(sys.argv[1:])", "_help()").replace(
        "from twin.deferred", "def _help():\n    try:\n        main(['--help'])\n    except SystemExit as e:\n"
        "        return e.code\nfrom twin.deferred")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout.strip().splitlines()[-1])["modules"])
    for heavy in ("twin.io.service", "twin.io.export", "twin.io.tiles3d", "geopandas", "pyvista", "shapely",
                  "twin.tabular.results", "matplotlib"):
        assert heavy not in modules, f"`twin --help` imported {heavy}"


def test_3dtiles_help_default_is_the_writers():
    from twin.cli import export_3dtiles
    from twin.io.tiles3d import DEFAULT_MAX_FEATURES

    assert export_3dtiles.DEFAULT_MAX_FEATURES == DEFAULT_MAX_FEATURES


def test_help_still_lists_every_command(capsys):
    from twin.cli.main import COMMANDS, main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for module in COMMANDS:
        assert module.rsplit("_", 1)[-1] in out


def test_only_the_named_command_is_built():
    from twin.cli.main import build_parser

    parser = build_parser(["-v", "info", "x.twin.duckdb"])
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert list(choices) == ["info"]
    assert set(next(a for a in build_parser()._actions if a.dest == "command").choices) >= {"import", "render"}
