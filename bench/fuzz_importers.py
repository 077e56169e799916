"""Fuzz the importers with hypothesis and count clean errors against uncaught exceptions (issue 10).

    python bench/fuzz_importers.py                 # 10,000 cases in all, spread over the importers
    python bench/fuzz_importers.py --cases 600 --importer cityjson --importer vector
    python bench/fuzz_importers.py --save tests/fixtures/fuzz   # keep the first failing file per importer

Each case is one file drawn by the strategies of ``tests/fuzz_cases.py`` and imported into one project
per importer. It prints, per importer: cases, imported, clean errors, uncaught (target 0), project
changed after a failure (target 0), cases per second, and the first uncaught messages. The baseline
for the ratio is the same importer on its unmodified base file (a plain import), run in this process.
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from fuzz_cases import FORMATS, run_case  # noqa: E402


def fuzz(importer: str, cases: int, folder: pathlib.Path, save: pathlib.Path | None) -> dict:
    from twin.store.project import Project

    project = Project.open(folder / f"{importer}.twin.duckdb", create=True)
    counts: collections.Counter = collections.Counter()
    messages: list[str] = []
    first_bad: list[bytes] = []

    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(FORMATS[importer][1])
    def case(data: bytes) -> None:
        outcome = run_case(project, folder, importer, data)
        counts[outcome.result] += 1
        if outcome.result == "uncaught":
            if "project changed" in outcome.text:
                counts["project changed"] += 1
            if len(messages) < 5:
                messages.append(outcome.text.replace(str(folder), "<tmp>")[:200])
            if not first_bad:
                first_bad.append(data)

    started = time.perf_counter()
    try:
        case()
    finally:
        project.close()
    elapsed = time.perf_counter() - started
    if save is not None and first_bad:
        name, _ = FORMATS[importer]
        target = save / f"found_{importer}__bench.{name.split('.', 1)[1]}"
        target.write_bytes(first_bad[0])
        messages.append(f"saved the first failing file as {target}")
    return {"counts": counts, "seconds": elapsed, "messages": messages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000, help="cases in all (default 10000)")
    parser.add_argument("--importer", action="append", choices=sorted(FORMATS), help="only these importers")
    parser.add_argument("--save", type=pathlib.Path, help="folder to keep the first failing file of each importer")
    args = parser.parse_args()
    importers = args.importer or sorted(FORMATS)
    per = max(1, args.cases // len(importers))
    total_uncaught = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        baseline = _baseline(folder)
        print(f"{'importer':<12} {'cases':>6} {'imported':>9} {'clean':>6} {'uncaught':>9} {'changed':>8} "
              f"{'cases/s':>8} {'x plain':>8}")
        for importer in importers:
            result = fuzz(importer, per, folder, args.save)
            c = result["counts"]
            n = c["imported"] + c["clean error"] + c["uncaught"]
            rate = n / result["seconds"] if result["seconds"] else 0.0
            plain = baseline.get(importer)
            ratio = f"{(result['seconds'] / max(n, 1)) / plain:.2f}" if plain else "-"
            print(f"{importer:<12} {n:>6} {c['imported']:>9} {c['clean error']:>6} {c['uncaught']:>9} "
                  f"{c['project changed']:>8} {rate:>8.1f} {ratio:>8}")
            for message in result["messages"]:
                print(f"    {message}")
            total_uncaught += c["uncaught"]
    print(f"uncaught in all: {total_uncaught} (target 0)")
    return 1 if total_uncaught else 0


def _baseline(folder: pathlib.Path) -> dict[str, float]:
    """Seconds per plain import of each importer's unmodified base file (the naive reference)."""
    from fuzz_cases import GTFS_BASE, cityjson_base, encode_json
    import io
    import zipfile

    from twin.store.project import Project

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in GTFS_BASE.items():
            archive.writestr(name, text)
    files = {"cityjson": encode_json(cityjson_base()), "gtfs": buffer.getvalue(),
             "vector": b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},'
                       b'"geometry":{"type":"Point","coordinates":[127.0,37.5]}}]}',
             "csv-points": "이름,위도,경도\n가,37.5,127.0\n".encode()}
    out = {}
    for importer, data in files.items():
        project = Project.open(folder / f"base_{importer}.twin.duckdb", create=True)
        started = time.perf_counter()
        for _ in range(5):
            run_case(project, folder, importer, data)
        out[importer] = (time.perf_counter() - started) / 5
        project.close()
    return out


if __name__ == "__main__":
    raise SystemExit(main())
