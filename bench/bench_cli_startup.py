"""Start-up of the ``twin`` command: from launching the process to the file written, for a small project.

Each run is a fresh process. Two ways of starting, run one after the other by this script:

- ``lazy``: the real command (``twin.cli.main``): only the module of the command being run is imported,
  and each module imports its heavy libraries (pyvista, geopandas, the import service) when it needs them;
- ``eager``: the naive baseline, as the CLI was before: every command module imported first (geopandas for
  ``export``, the import service and pyproj for ``import``...) and, for ``render``, ``matplotlib.pyplot`` run as
  pyvista's import used to run it (``twin.deferred`` now defers it), then the same command.

Both print wall time (best of ``--runs``) and CPU time (user + system of the child) per command, and the
ratio eager / lazy. The machine is shared: CPU time is steadier than wall time under load.

    .venv/bin/python bench/bench_cli_startup.py [--runs 3]

Target (issue 11): ``twin render`` of a small project under 1.5 s from command to file.
"""

from __future__ import annotations

import argparse
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

EAGER = ("import importlib, sys, twin.cli.main as m\n"
         "[importlib.import_module(c) for c in m.COMMANDS]\n"
         "if sys.argv[1:2] == ['render']: import matplotlib.pyplot\n"
         "sys.exit(m.main(sys.argv[1:]))\n")
LAZY = "import sys, twin.cli.main as m\nsys.exit(m.main(sys.argv[1:]))\n"


def small_project(folder: pathlib.Path) -> pathlib.Path:
    """A project of 200 points in Osan (written as a CSV, imported with ``twin import``)."""
    csv = folder / "stops.csv"
    rows = ["name,lon,lat"] + [f"stop {i},{127.05 + (i % 20) * 0.001:.4f},{37.15 + (i // 20) * 0.001:.4f}"
                               for i in range(200)]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    project = folder / "small.twin.duckdb"
    subprocess.run([sys.executable, "-c", LAZY, "import", str(project), str(csv)], check=True,
                   capture_output=True)
    return project


def timed(code: str, argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running ``code`` with ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True)
    if done.returncode not in (0,) and argv != ["--help"]:
        raise RuntimeError(done.stderr.decode(errors="replace"))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        project = small_project(folder)
        commands = {
            "help": ["--help"],
            "info": ["info", str(project)],
            "query": ["query", str(project), "SELECT count(*) FROM layers"],
            "render": ["render", str(project), "--out", str(folder / "small.png"), "--size", "800x600"],
        }
        print(f"{'command':<8} {'lazy wall':>10} {'lazy cpu':>9} {'eager wall':>11} {'eager cpu':>10} {'ratio':>6}")
        for name, argv in commands.items():
            lazy = [timed(LAZY, argv) for _ in range(args.runs)]
            eager = [timed(EAGER, argv) for _ in range(args.runs)]
            lw, lc = min(w for w, _ in lazy), min(c for _, c in lazy)
            ew, ec = min(w for w, _ in eager), min(c for _, c in eager)
            print(f"{name:<8} {lw:>9.2f}s {lc:>8.2f}s {ew:>10.2f}s {ec:>9.2f}s {ew / lw:>5.2f}x")


if __name__ == "__main__":
    main()
