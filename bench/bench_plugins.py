"""Plugin system benchmark: what lazy loading saves, what importer choice and suggestions cost.

Measures, in one process, against naive baselines run in the same process:

- discovery + listing of every installed plugin (manifests only, no plugin code) versus the naive
  approach of importing every contribution's code at start-up (what ``twin plugins check`` does);
- choosing the importers of a file by pattern, and suggesting a stage/service from a file name;
- the example plugin's importer (examples/twin-airquality, when installed) on a generated year of
  hourly readings, against a naive reader that loops over the rows in Python (csv module).

Usage: ``.venv/bin/python bench/bench_plugins.py [--stations 25] [--days 365]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import pathlib
import statistics
import sys
import tempfile
import time

NAMES = [  # file names of ../shared/data, for importer choice and suggestions
    "delft_bgt_lod1_v2.0.city.json", "3dbag_delft_10features_v2.0.city.jsonl", "seoul_jamsil_osm_buildings.osm",
    "lyon_bdtopo_5bldg_epsg3946.geojson", "korea_school_zones_national_cp949.csv", "osan_cctv.csv",
    "seoul_sdot_iot_sensor_locations.csv", "gtfs_caltrain_2017-07-24.zip", "osan_road_network_lv6.geojson",
    "osan_link_avg_speed_2018.csv", "osan_traffic_accidents_taas.csv", "busan_accident_risk_sites_2020.csv",
]


def timed(fn, *, repeat: int = 1):
    """(median seconds, last result) of ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_discovery() -> None:
    from twin.plugins.manifest import load_reference
    from twin.plugins.registry import PluginRegistry

    before = set(sys.modules)
    t_lazy, reg = timed(lambda: (r := PluginRegistry(), [p.to_dict() for p in r.records()])[0])
    lazy_modules = sorted(set(sys.modules) - before)
    refs = [c.fields[k] for p in reg.records() if p.manifest for c in p.manifest.all_contributions() for k in c.code_keys()]
    before = set(sys.modules)

    def eager():
        failures = 0
        for ref in refs:
            try:
                load_reference(ref)
            except Exception:
                failures += 1
        return failures

    t_eager, failures = timed(eager)
    eager_modules = len(set(sys.modules) - before)
    print(f"plugins: {len(reg.records())} installed, {len(refs)} code references")
    print(f"  discover + list (manifests only): {t_lazy * 1e3:8.1f} ms, modules imported: {', '.join(lazy_modules) or 'none'}")
    print(f"  naive: import all plugin code     {t_eager * 1e3:8.1f} ms, {eager_modules} more modules"
          f"{f', {failures} failed' if failures else ''}")
    print(f"  lazy start-up is {t_eager / t_lazy:.0f}x cheaper than eager")


def bench_choice() -> None:
    from twin.plugins.registry import PluginRegistry
    from twin.stages import suggest

    reg = PluginRegistry()
    reg.discover()
    n = 200
    t_choice, _ = timed(lambda: [reg.importers_for(name) for name in NAMES * n], repeat=3)
    t_suggest, _ = timed(lambda: [suggest(name, registry=reg) for name in NAMES * 20], repeat=3)
    rules = len(reg.contributions("suggestions"))
    print(f"importer choice by pattern: {t_choice / (len(NAMES) * n) * 1e6:6.1f} µs a file "
          f"({len(reg.contributions('importers'))} importers)")
    print(f"stage/service suggestion:   {t_suggest / (len(NAMES) * 20) * 1e6:6.1f} µs a file ({rules} rules)")


def write_year(path: pathlib.Path, stations: int, days: int) -> int:
    """A generated hourly air-quality CSV in the Seoul layout (values from a fixed seed)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    hours = pd.date_range("2023-01-01", periods=days * 24, freq="h")
    n = len(hours) * stations
    frame = pd.DataFrame({
        "측정일시": np.tile(hours.strftime("%Y-%m-%d %H:%M"), stations),
        "측정소코드": np.repeat(np.arange(101, 101 + stations), len(hours)),
        "측정소명": np.repeat([f"측정소{i}" for i in range(stations)], len(hours)),
        "위도": np.repeat(37.5 + rng.uniform(-0.08, 0.08, stations).round(6), len(hours)),
        "경도": np.repeat(127.0 + rng.uniform(-0.12, 0.12, stations).round(6), len(hours)),
        "PM10": rng.gamma(4, 10, n).round(), "PM2.5": rng.gamma(4, 5, n).round(),
        "NO2": rng.gamma(4, 0.007, n).round(3), "O3": rng.gamma(3, 0.008, n).round(3),
        "CO": rng.gamma(8, 0.05, n).round(1), "SO2": rng.gamma(6, 0.0005, n).round(4),
    })
    frame.to_csv(path, index=False)
    return n


def naive_read(path: pathlib.Path) -> dict:
    """The baseline: csv.DictReader, one Python dict and datetime per row."""
    stations, readings = {}, []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["측정소코드"].strip()
            when = dt.datetime.strptime(row["측정일시"], "%Y-%m-%d %H:%M")
            stations.setdefault(code, (float(row["경도"]), float(row["위도"])))
            values = {}
            for name in ("PM10", "PM2.5", "NO2", "O3", "CO", "SO2"):
                text = row[name].strip()
                value = float(text) if text else None
                values[name] = value if value is None or value >= 0 else None
            readings.append((code, when, values))
    readings.sort(key=lambda r: (r[1], r[0]))
    return {"stations": stations, "readings": readings}


def bench_airquality(stations: int, days: int) -> None:
    try:
        from twin_airquality.reader import read_airquality
    except ImportError:
        print("air-quality importer: skipped (pip install -e examples/twin-airquality)")
        return
    from twin.api import ImportOptions

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "airquality_year.csv"
        rows = write_year(path, stations, days)
        size = path.stat().st_size / 1e6
        read_airquality(path, ImportOptions())  # warm: the first call also imports its modules
        t_plugin, layers = timed(lambda: read_airquality(path, ImportOptions()), repeat=3)
        t_naive, naive = timed(lambda: naive_read(path))
        assert layers[1].report.imported == len(naive["readings"]) == rows
        print(f"air-quality importer: {rows:,} rows ({size:.1f} MB), {stations} stations x {days} days")
        print(f"  plugin (Arrow, vectorised, to LayerData): {t_plugin:6.2f} s  {rows / t_plugin / 1e6:5.2f} M rows/s")
        print(f"  naive (csv.DictReader, a dict per row):   {t_naive:6.2f} s  {rows / t_naive / 1e6:5.2f} M rows/s")
        print(f"  plugin is {t_naive / t_plugin:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=25)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    bench_discovery()
    bench_choice()
    bench_airquality(args.stations, args.days)


if __name__ == "__main__":
    main()
