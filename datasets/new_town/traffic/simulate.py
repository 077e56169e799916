"""Simulate the town's traffic over one weekday with SUMO and write the committed Parquet files.

    python -m twin_datasets.new_town.traffic.simulate            # the whole town, 24 h (a few minutes)
    python -m twin_datasets.new_town.traffic.simulate --out /tmp/t --clip -300,-300,300,300 --begin 25200 --end 26100 --scale 0.2

Needs the ``sumo`` extra (``pip install eclipse-sumo==1.28.0 sumolib==1.28.0``). Steps:

1. the town's road links (:mod:`twin_datasets.new_town.plan`) as plain nodes/edges XML (lanes, speeds,
   priorities, traffic lights at arterial junctions) -> ``netconvert`` -> ``town.net.xml``;
2. the day's trips from the OD model (:mod:`.demand`, on the buildings of the default seed) -> ``trips.rou.xml``;
3. ``sumo`` from ``--begin`` to ``--end`` (default 0-86400 s) with rerouting devices, FCD every 5 s
   (Parquet) and edge data every 5 minutes;
4. resampling: FCD x/y back to EPSG:5186 (minus the network's ``netOffset``), the probe vehicles kept
   (``--probe-share`` of the cars, every bus), rounded and sorted by time -> ``vehicles.parquet``; the
   edge data of both directions of a link summed per 5 minutes (volume) and speed-weighted by the time
   vehicles spent on it, free-flow (the speed limit) where no vehicle was -> ``link_speeds.parquet``;
   ``run.json`` says what was done.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twin_datasets.new_town import plan
from twin_datasets.new_town.traffic import FCD_PERIOD_S, FOLDER, INTERVAL_S, demand, network

DEFAULT_SEED = 51
SUMO_SEED = 51
PROBE_SHARE = 0.25


def sumo_home() -> pathlib.Path | None:
    """SUMO_HOME of the installed ``eclipse-sumo`` wheel (or the environment), None without SUMO."""
    if os.environ.get("SUMO_HOME") and (pathlib.Path(os.environ["SUMO_HOME"]) / "bin").is_dir():
        return pathlib.Path(os.environ["SUMO_HOME"])
    try:
        import sumo  # the eclipse-sumo wheel
    except ImportError:
        return None
    return pathlib.Path(sumo.SUMO_HOME)


def binary(name: str) -> str:
    """Path of a SUMO program (``sumo``, ``netconvert``)."""
    home = sumo_home()
    if home is None:
        raise RuntimeError("SUMO is not installed: pip install eclipse-sumo==1.28.0 sumolib==1.28.0")
    for candidate in (home / "bin" / name, pathlib.Path(sys.executable).parent / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"no {name} in {home / 'bin'}")
    return found


def sumo_version() -> str:
    out = subprocess.run([binary("sumo"), "--version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0].strip()


def _run(command: list[str], cwd: pathlib.Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout + result.stderr


def write_trips(trips: demand.Trips, path: pathlib.Path) -> None:
    """The trips as a SUMO route file with one vType per purpose."""
    from xml.sax.saxutils import quoteattr

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<routes>"]
    lines += [f'    <vType id="{k}" {v}/>' for k, v in demand.VEHICLE_TYPES.items()]
    for i in range(len(trips)):
        via = f' via={quoteattr(trips.via[i])}' if trips.via[i] else ""
        lines.append(f'    <trip id="{trips.id[i]}" type="{trips.vtype[i]}" depart="{trips.depart[i]:.1f}" '
                     f'from={quoteattr(str(trips.from_edge[i]))} to={quoteattr(str(trips.to_edge[i]))}{via} '
                     'departLane="best" departPos="random" arrivalPos="random" departSpeed="max"/>')
    lines.append("</routes>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def net_offset(net: pathlib.Path) -> tuple[float, float]:
    """The ``netOffset`` of a SUMO network (network x/y = source x/y + offset)."""
    import xml.etree.ElementTree as ET

    for _, element in ET.iterparse(net, events=("start",)):
        if element.tag == "location":
            dx, dy = (float(v) for v in element.get("netOffset", "0,0").split(","))
            return dx, dy
    return 0.0, 0.0


def simulate(out: pathlib.Path, work: pathlib.Path, *, begin: int = 0, end: int = 86_400, scale: float = 1.0,
             clip: tuple[float, float, float, float] | None = None, probe_share: float = PROBE_SHARE,
             seed: int = DEFAULT_SEED) -> dict:
    """Build, run and resample (see the module docstring); returns what ``run.json`` holds."""
    started = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    links = plan.road_links()
    keep = None
    if clip is not None:
        x0, y0, x1, y1 = clip
        b = np.asarray([g.bounds for g in links.geometry])
        keep = (b[:, 0] >= x0) & (b[:, 2] <= x1) & (b[:, 1] >= y0) & (b[:, 3] <= y1)
    net = network.build(links, keep=keep)
    nodes, edges = network.write_plain(net, work)
    net_file = work / "town.net.xml"
    _run([binary("netconvert"), "--node-files", nodes.name, "--edge-files", edges.name, "-o", net_file.name,
          "--no-turnarounds.tls", "--tls.default-type", "static", "--junctions.corner-detail", "5",
          "--no-warnings"], work)
    from twin_datasets.new_town.sources import town_buildings

    town = town_buildings(seed)
    trips = demand.trips(town.columns, net, np.random.default_rng([seed, 7]), scale=scale)
    window = (trips.depart >= begin) & (trips.depart < end)
    trips = demand.Trips(**{k: getattr(trips, k)[window] for k in ("id", "depart", "from_edge", "to_edge", "vtype", "via")})
    routes = work / "trips.rou.xml"
    write_trips(trips, routes)
    (work / "edgedata.add.xml").write_text(
        f'<additional>\n    <edgeData id="5min" period="{INTERVAL_S}" begin="{begin}" file="edgedata.xml" '
        'excludeEmpty="true"/>\n</additional>\n', encoding="utf-8")
    _run([binary("sumo"), "-n", net_file.name, "-r", routes.name, "-a", "edgedata.add.xml",
                "--begin", str(begin), "--end", str(end), "--seed", str(SUMO_SEED),
                "--fcd-output", "fcd.parquet", "--device.fcd.period", str(FCD_PERIOD_S),
                "--fcd-output.attributes", "id,x,y,speed,angle,type",
                "--device.rerouting.probability", "0.5", "--device.rerouting.period", "300",
                "--device.rerouting.adaptation-interval", "10", "--time-to-teleport", "300",
                "--max-depart-delay", "900", "--ignore-route-errors", "--no-step-log", "--no-warnings",
                "--duration-log.statistics", "--statistic-output", "statistics.xml"], work)
    simulated = time.perf_counter() - started
    dx, dy = net_offset(net_file)
    vehicles = resample_fcd(work / "fcd.parquet", dx, dy, probe_share=probe_share)
    speeds = resample_edgedata(work / "edgedata.xml", net, links, begin=begin, end=end)
    pq.write_table(vehicles, out / "vehicles.parquet", compression="zstd", compression_level=12,
                   use_byte_stream_split=["vehicle_x", "vehicle_y", "vehicle_speed", "vehicle_angle"],
                   use_dictionary=["vehicle_id", "vehicle_type"], row_group_size=256_000)
    pq.write_table(speeds, out / "link_speeds.parquet", compression="zstd", compression_level=12,
                   use_dictionary=["link_id"], row_group_size=512_000)
    stats = _statistics(work / "statistics.xml")
    info = {
        "sumo": sumo_version(),
        "seed": seed,
        "sumo_seed": SUMO_SEED,
        "begin_s": begin,
        "end_s": end,
        "scale": scale,
        "clip": list(clip) if clip else None,
        "network": {"links": int(len(np.unique(net.edge_link))), "edges": int(len(net.edge_id)),
                    "junctions": int(len(net.node_xy)), "traffic_lights": int((net.node_type == "traffic_light").sum())},
        "trips": {str(k): int(v) for k, v in zip(*np.unique(trips.vtype, return_counts=True))},
        "trips_total": int(len(trips)),
        "statistics": stats,
        "fcd": {"period_s": FCD_PERIOD_S, "probe_share": probe_share, "rows": vehicles.num_rows,
                "vehicles": int(pc.count_distinct(vehicles["vehicle_id"]).as_py())},
        "link_speeds": {"interval_s": INTERVAL_S, "rows": speeds.num_rows,
                        "observed_rows": int(pc.sum(speeds["observed"]).as_py() or 0)},
        "files_bytes": {p.name: (out / p.name).stat().st_size for p in (out / "vehicles.parquet", out / "link_speeds.parquet")},
        "run_seconds": round(simulated, 1),
        "command": "python -m twin_datasets.new_town.traffic.simulate" + (" (test run)" if clip else ""),
    }
    (out / "run.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def resample_fcd(path: pathlib.Path, dx: float, dy: float, *, probe_share: float) -> pa.Table:
    """SUMO's FCD Parquet -> the committed table: probe vehicles, EPSG:5186, rounded, sorted by (time, id)."""
    table = pq.read_table(path)
    table = table.filter(pc.is_valid(table["vehicle_id"]))
    ids = table["vehicle_id"].combine_chunks().cast(pa.string())
    number = pc.cast(pc.extract_regex(ids, r"\.(?P<n>\d+)$").field("n"), pa.int64()).to_numpy()
    kind = pc.extract_regex(ids, r"^(?P<k>[a-z]+)\.").field("k").to_numpy(zero_copy_only=False)
    step = max(int(round(1 / probe_share)), 1)
    probe = ((number - 1) % step == 0) | (kind == "bus")  # vehicle 1 leaves at 00:00:00
    t = table["timestep_time"].to_numpy()
    keep = probe & (np.round(t) % FCD_PERIOD_S == 0)
    table = table.filter(pa.array(keep))
    order = np.lexsort((table["vehicle_id"].to_numpy(zero_copy_only=False), table["timestep_time"].to_numpy()))
    table = table.take(pa.array(order))
    x = np.round(table["vehicle_x"].to_numpy() - dx, 1)
    y = np.round(table["vehicle_y"].to_numpy() - dy, 1)
    return pa.table({
        "timestep_time": pa.array(np.round(table["timestep_time"].to_numpy()).astype(np.int32)),
        "vehicle_id": table["vehicle_id"].cast(pa.string()),
        "vehicle_x": pa.array(x),
        "vehicle_y": pa.array(y),
        "vehicle_speed": pa.array(np.round(table["vehicle_speed"].to_numpy(), 1).astype(np.float32)),
        "vehicle_angle": pa.array(np.round(table["vehicle_angle"].to_numpy()).astype(np.float32)),
        "vehicle_type": table["vehicle_type"].cast(pa.string()),
    })


def resample_edgedata(path: pathlib.Path, net: network.Network, links: plan.RoadLinks, *, begin: int,
                      end: int) -> pa.Table:
    """Edge data (XML, one ``<interval>`` per 5 minutes) -> one row per link and interval."""
    import xml.etree.ElementTree as ET

    edge_index = {str(e): k for k, e in enumerate(net.edge_id)}
    starts, edges, seconds, speed, entered = [], [], [], [], []
    interval = 0.0
    for event, element in ET.iterparse(path, events=("start", "end")):
        if event == "start" and element.tag == "interval":
            interval = float(element.get("begin"))
        elif event == "end" and element.tag == "edge":
            k = edge_index.get(element.get("id"))
            if k is not None:
                starts.append(interval)
                edges.append(k)
                seconds.append(float(element.get("sampledSeconds", 0)))
                speed.append(float(element.get("speed", "nan")))
                entered.append(int(float(element.get("entered", 0))) + int(float(element.get("departed", 0))))
            element.clear()
        elif event == "end" and element.tag == "interval":
            element.clear()
    starts, edges = np.asarray(starts), np.asarray(edges, dtype=np.int64)
    seconds, speed, entered = np.asarray(seconds), np.asarray(speed), np.asarray(entered)
    used = np.unique(net.edge_link)
    n_int = int((end - begin) // INTERVAL_S)
    slot = ((starts - begin) // INTERVAL_S).astype(np.int64)
    link_pos = np.searchsorted(used, net.edge_link[edges])
    cell = slot * len(used) + link_pos
    size = n_int * len(used)
    ok = np.isfinite(speed) & (seconds > 0)
    weighted = np.bincount(cell[ok], weights=(speed * seconds)[ok], minlength=size)
    total = np.bincount(cell[ok], weights=seconds[ok], minlength=size)
    volume = np.bincount(cell, weights=entered, minlength=size).astype(np.int32)
    limit = np.tile(links.speed[used].astype(float), n_int)
    observed = total > 0
    kmh = np.where(observed, weighted / np.where(observed, total, 1.0) * 3.6, limit)
    kmh = np.round(np.minimum(kmh, limit), 1)
    return pa.table({
        "link_id": pa.array(np.tile(links.link_id[used], n_int).astype(str)),
        "begin_s": pa.array(np.repeat(begin + np.arange(n_int) * INTERVAL_S, len(used)).astype(np.int32)),
        "speed_kmh": pa.array(kmh),
        "volume": pa.array(volume),
        "observed": pa.array(observed),
    })


def _statistics(path: pathlib.Path) -> dict:
    import xml.etree.ElementTree as ET

    if not path.exists():
        return {}
    root = ET.parse(path).getroot()
    out = {}
    for tag in ("vehicles", "teleports", "vehicleTripStatistics"):
        element = root.find(tag)
        if element is not None:
            out[tag] = {k: (float(v) if v.replace(".", "", 1).replace("-", "", 1).isdigit() else v)
                        for k, v in element.attrib.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin_datasets.new_town.traffic.simulate",
                                     description="Simulate the town's traffic with SUMO and write the committed Parquet.")
    parser.add_argument("--out", default=str(FOLDER), help=f"folder of the results (default {FOLDER})")
    parser.add_argument("--work", help="folder of SUMO's own files (default a temporary folder)")
    parser.add_argument("--begin", type=int, default=0, help="first second of the day (default 0)")
    parser.add_argument("--end", type=int, default=86_400, help="last second of the day (default 86400)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the demand (default 1)")
    parser.add_argument("--clip", help="only the links inside x0,y0,x1,y1 (local metres from the town centre)")
    parser.add_argument("--probe-share", type=float, default=PROBE_SHARE,
                        help=f"share of the cars kept in the FCD (default {PROBE_SHARE}; buses always)")
    args = parser.parse_args(argv)
    clip = tuple(float(v) for v in args.clip.split(",")) if args.clip else None
    with tempfile.TemporaryDirectory(prefix="newtown-sumo-") as tmp:
        work = pathlib.Path(args.work) if args.work else pathlib.Path(tmp)
        info = simulate(pathlib.Path(args.out), work, begin=args.begin, end=args.end, scale=args.scale, clip=clip,
                        probe_share=args.probe_share)
    print(json.dumps(info, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
