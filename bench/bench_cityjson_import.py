"""Benchmark: importing a 100k-building LoD1 CityJSON into a project, against ``json.load`` and cjio.

For each synthetic file (made by bench/gen_cityjson.py into bench/out/, reused when present):

- ``json.load`` of the file (the naive baseline: parsing only; ``json.loads`` per line for
  CityJSONSeq), with and without the garbage collector;
- our import: ``twin.io.service.import_file`` (parse, triangulate, footprints, write into a new
  project file), with its phases;
- ``cjio FILE export obj`` (parse and triangulate, the peer tool) when cjio is installed
  (``pip install cjio triangle``; benchmark only, not an app dependency).

Each case runs in its own process; peak memory is the peak RSS above the process's RSS just before
reading the file (its libraries already imported). Results are printed and saved to
bench/out/cityjson_results.json.

    .venv/bin/python bench/bench_cityjson_import.py                 # all three files, with cjio
    .venv/bin/python bench/bench_cityjson_import.py --buildings 10000 --skip-cjio   # a quick look
"""

from __future__ import annotations

import argparse
import gc
import json
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import memory

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "out"
#: variant -> (generator flags, CRS, suffix): mixed footprints with semantics in Dutch RD (reprojected to
#: UTM), the leaner boxes (the kind of file STACK.md measured) in the Korean CRS (the project keeps it),
#: and the mixed city as CityJSONSeq (one feature per line, its own vertices)
VARIANTS = {"mixed": ([], "EPSG:7415", ".city.json"), "boxes": (["--boxes"], "EPSG:5186", ".city.json"),
            "seq": ([], "EPSG:7415", ".city.jsonl")}


def child(mode: str, path: pathlib.Path) -> dict:
    """One measured case, in this (fresh) process."""
    if mode.startswith("json"):
        before = memory.rss()
        start = time.perf_counter()
        if mode == "json-nogc":
            gc.disable()
        with open(path, encoding="utf-8") as fh:
            if path.name.endswith(".jsonl"):
                docs = [json.loads(line) for line in fh]
                objects = sum(len(d["CityObjects"]) for d in docs)
            else:
                objects = len(json.load(fh)["CityObjects"])
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "peak": memory.peak() - before, "objects": objects}
    import twin_plugins.formats.cityjson.reader  # noqa: F401  (libraries loaded before the baseline)
    from twin.api import ImportOptions
    from twin.io.service import import_file
    from twin.store.project import Project

    phases = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.open(pathlib.Path(tmp) / "bench.twin.duckdb", create=True)
        before = memory.rss()
        start, cpu0 = time.perf_counter(), time.process_time()
        options = ImportOptions(progress=lambda f, m: phases.append((time.perf_counter() - start, m,
                                                                     time.process_time() - cpu0)))
        outcome = import_file(project, path, options)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        peak = memory.peak() - before
        layer = outcome.layers[0]
        info = {"features": layer.feature_count, "project_crs": project.crs, "source_crs": layer.source_crs,
                "triangles": project.query(f'SELECT (sum(len(triangles)) // 3)::BIGINT AS n FROM "{layer.mesh_table}"')
                .column("n")[0].as_py()}
        project.close()
    marks, cpu_marks = {}, {}
    for t, message, c in phases:
        marks.setdefault(message, t)
        cpu_marks.setdefault(message, c)
    return {"seconds": seconds, "cpu": cpu, "peak": peak, "objects": info["features"], "phases": marks,
            "phases_cpu": cpu_marks, **info}


def run_child(mode: str, path: pathlib.Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cjio(path: pathlib.Path, timeout: float) -> dict:
    """``cjio FILE export obj OUT`` in a child process: wall time and peak RSS above ``cjio --version``."""
    exe = shutil.which("cjio", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("cjio")
    if exe is None:
        return {"error": "cjio is not installed (pip install cjio triangle)"}
    base = _child_peak([exe, "--version"], timeout=60)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        try:
            result = _child_peak([exe, "--suppress_msg", str(path), "export", "obj", str(pathlib.Path(tmp) / "out.obj")],
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish in {timeout:.0f} s", "seconds": timeout}
        seconds = time.perf_counter() - start
    if result["returncode"]:
        return {"error": f"cjio failed: {result['stderr'][-300:]}"}
    return {"seconds": seconds, "peak": result["peak"] - base["peak"], "peak_absolute": result["peak"]}


def _child_peak(cmd: list[str], *, timeout: float) -> dict:
    """Run ``cmd`` in a fresh Python that reports the child's peak RSS (RUSAGE_CHILDREN)."""
    code = ("import json, resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]))\n"
            "print(json.dumps({'returncode': r.returncode, 'stderr': r.stderr[-2000:], "
            "'peak': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))\n")
    done = subprocess.run([sys.executable, "-c", code, str(timeout), *cmd], capture_output=True, text=True,
                          timeout=timeout + 30)
    if done.returncode:
        if "TimeoutExpired" in done.stderr:
            raise subprocess.TimeoutExpired(cmd, timeout)
        return {"returncode": done.returncode, "stderr": done.stderr, "peak": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_file(variant: str, buildings: int) -> pathlib.Path:
    flags, crs, suffix = VARIANTS[variant]
    path = OUT / f"{variant}_{buildings}_{crs.replace(':', '')}{suffix}"
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        subprocess.run([sys.executable, str(HERE / "gen_cityjson.py"), str(path), "--buildings", str(buildings),
                        "--crs", crs, *flags], check=True)
    return path


def report(variant: str, path: pathlib.Path, results: dict, buildings: int) -> None:
    size = path.stat().st_size
    mb = size / 1e6
    print(f"\n== {path.name}: {mb:.1f} MB, {variant} LoD1 buildings ==")
    print(f"{'case':34s} {'time s':>8s} {'MB/s':>7s} {'objects/s':>10s} {'peak MB':>8s} {'x file':>7s}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:34s} {r['error']}")
            continue
        objects = r.get("objects") or buildings
        print(f"{name:34s} {r['seconds']:8.2f} {mb / r['seconds']:7.1f} {objects / r['seconds']:10.0f} "
              f"{r['peak'] / 1e6:8.0f} {r['peak'] / size:7.1f}")
    ours, base = results.get("twin import_file"), results.get("json.load")
    if ours and base and "error" not in ours and "error" not in base:
        print(f"twin import_file / json.load: time x{ours['seconds'] / base['seconds']:.2f}, "
              f"peak memory x{ours['peak'] / base['peak']:.2f}")
        phases = ours.get("phases", {})
        if phases:
            steps = ", ".join(f"{m} at {t:.1f}s" for m, t in phases.items())
            print(f"twin phases: {steps}; {ours['triangles']} triangles; {ours['source_crs']} -> {ours['project_crs']}")
            marks = [*phases.items(), ("end", ours["seconds"])]
            cpu = [*ours.get("phases_cpu", {}).values(), ours.get("cpu", 0.0)]
            spans = ", ".join(f"{m} {b - a:.2f} s wall / {d - c:.2f} s CPU"
                              for (m, a), (_, b), c, d in zip(marks, marks[1:], cpu, cpu[1:]))
            print(f"twin import: {ours['seconds']:.2f} s wall, {ours.get('cpu', 0.0):.2f} s CPU; per phase: {spans}")
    cj = results.get("cjio export obj")
    if ours and cj and "error" not in cj and "error" not in ours:
        print(f"cjio / twin import_file: time x{cj['seconds'] / ours['seconds']:.1f}, peak memory x{cj['peak'] / ours['peak']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="CityJSON import benchmark")
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--variant", choices=[*VARIANTS, "all"], default="all")
    parser.add_argument("--skip-cjio", action="store_true")
    parser.add_argument("--cjio-timeout", type=float, default=900.0)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], pathlib.Path(args.child[1]))))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    results_path = OUT / "cityjson_results.json"
    saved = json.loads(results_path.read_text()) if results_path.exists() else {}
    for variant in variants:
        path = ensure_file(variant, args.buildings)
        results = {
            "json.load": run_child("json", path),
            "json.load, gc paused": run_child("json-nogc", path),
            "twin import_file": run_child("twin", path),
        }
        if path.name.endswith(".jsonl"):
            results["cjio export obj"] = {"error": "not run on CityJSONSeq (cjio reads it only from stdin)"}
        elif not args.skip_cjio:
            print(f"running cjio on {path.name} (up to {args.cjio_timeout:.0f} s) ...", flush=True)
            results["cjio export obj"] = run_cjio(path, args.cjio_timeout)
        report(variant, path, results, args.buildings)
        saved[path.name] = {"bytes": path.stat().st_size, **results}
    results_path.write_text(json.dumps(saved, indent=1))


if __name__ == "__main__":
    main()
