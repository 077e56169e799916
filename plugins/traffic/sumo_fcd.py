"""SUMO floating car data (``--fcd-output``) as a moving-objects layer: XML, CSV (``;``) or Parquet.

Moved here from the twin-tracks plugin (same importer id ``sumo-fcd``, same behaviour); the network's
``<location>`` is read by :mod:`twin_plugins.traffic.sumo_net`, shared with the ``sumo-net`` importer.

- x/y are network coordinates: ``--net NET.xml`` (``options.extra["net"]``) georeferences them with the
  network's ``<location netOffset=... projParameter=...>``; FCD written with ``--fcd-output.geo true``
  holds lon/lat and needs no network; ``--crs`` names the CRS of offset-free x/y otherwise.
- Times are seconds from ``--start`` (``options.extra["start"]``, ISO 8601, read in the project time
  zone when it has no offset). Default: 2024-01-01T00:00 in the project time zone, so that SUMO's
  usual "seconds since midnight" (``--begin 28800``) replays at 08:00 of a fixed, reproducible day.
- Vehicles, persons and containers are all objects (attribute ``kind``). In CSV and Parquet output an
  empty time step is one row with no object at all: such structural rows are skipped silently; a row
  with coordinates but no id is reported.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import xml.etree.ElementTree as ET

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from twin.api import ImportOptions, ImportReport, InputError, LayerData, moving_layer, normalize_crs, parse_instant, to_us
from twin_plugins.traffic.sumo_net import read_location

KINDS = ("vehicle", "person", "container")
DEFAULT_START = "2024-01-01T00:00"
SAMPLE_FIELDS = ("speed", "angle")
OBJECT_FIELDS = ("type",)
MAX_SECONDS = 1e11  # about 3,000 years of simulation: beyond, times do not fit in microseconds


def head_text(path: pathlib.Path, size: int = 4096) -> str:
    """The first ``size`` bytes of a file as text (bytes that are not UTF-8 replaced)."""
    with open(path, "rb") as fh:
        return fh.read(size).decode("utf-8", errors="replace")


def sniff(path: pathlib.Path) -> bool:
    """True for SUMO FCD output (XML root ``fcd-export``, or CSV/Parquet with ``timestep_time``).

    A file that cannot be read (OSError) or is not Parquet (pyarrow's ArrowInvalid) is not ours: False.
    Any other exception is a bug and reaches the plugin registry, which disables the plugin and says why.
    """
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return "timestep_time" in pq.read_schema(path).names
        head = head_text(path)
    except (OSError, pa.ArrowInvalid):
        return False
    if suffix == ".csv":
        lines = head.lstrip("\ufeff").splitlines()  # none at all for a file of only a byte-order mark
        first = lines[0] if lines else ""
        return first.startswith("timestep_time") and any(f"{k}_id" in first for k in KINDS)
    return "<fcd-export" in head


def read_fcd(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """Read FCD output into a ``moving`` layer (see the module docstring)."""
    path = pathlib.Path(path)
    report = ImportReport(str(path))
    options.report_progress(0.05, "reading FCD")
    table = _read_xml(path, options) if path.suffix.lower() == ".xml" else _read_table(path)
    rows = _normalise(table, path, report)
    if rows["id"].size == 0:
        raise InputError(path, "no vehicle, person or container in the FCD output")
    start = _start(options, path, report)
    t_us = to_us(start) + np.round(rows["time"] * 1_000_000).astype(np.int64)
    crs, x, y = _georeference(rows["x"], rows["y"], path, options, report)
    options.report_progress(0.6, "sorting samples by time")
    return moving_layer(
        object_ids=rows["id"], t_us=t_us, x=x, y=y, z=rows["z"], crs=crs, report=report,
        samples=pa.table({k: rows[k] for k in SAMPLE_FIELDS}),
        objects=pa.table({"kind": rows["kind"], **{k: rows[k] for k in OBJECT_FIELDS}}),
        properties={"source_format": "sumo-fcd", "start": start.isoformat()},
    )


def _read_xml(path: pathlib.Path, options: ImportOptions) -> pa.Table:
    """The XML's objects as one flat table (``timestep_time``, ``<kind>_id``, ``<kind>_x``...)."""
    columns: dict[str, list] = {"timestep_time": [], "kind": [], "id": [], "x": [], "y": [], "z": [],
                                "speed": [], "angle": [], "type": []}
    time = None
    size = max(path.stat().st_size, 1)
    try:
        with open(path, "rb") as fh:
            for event, element in ET.iterparse(fh, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if tag == "timestep":
                        time = element.get("time")
                    continue
                if tag in KINDS:
                    get = element.get
                    columns["timestep_time"].append(time)
                    columns["kind"].append(tag)
                    for key in ("id", "x", "y", "z", "speed", "angle", "type"):
                        columns[key].append(get(key))
                elif tag == "timestep":
                    element.clear()
                    if len(columns["id"]) % 50_000 < 200:
                        options.report_progress(0.05 + 0.45 * fh.tell() / size, "reading FCD")
    except ET.ParseError as exc:
        raise InputError(path, f"not well-formed XML ({exc})", where=f"line {exc.position[0]}") from exc
    table = pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()})
    for key in ("timestep_time", "x", "y", "z", "speed", "angle"):
        table = table.set_column(table.column_names.index(key), key, _numbers(table[key]))
    return table


def _numbers(column: pa.ChunkedArray) -> pa.Array:
    """Text as float64; what is not a number (``abc``, empty) becomes null (then skipped or left empty)."""
    try:
        return pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        import pandas as pd

        values = pd.to_numeric(pd.Series(column.to_pylist(), dtype=object), errors="coerce").to_numpy(np.float64)
        return pa.array(values, mask=np.isnan(values))


def _read_table(path: pathlib.Path) -> pa.Table:
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path)
    try:
        return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"),
                              convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except pa.ArrowInvalid as exc:
        raise InputError(path, f"not a SUMO FCD CSV ({exc})") from exc


def _normalise(table: pa.Table, path: pathlib.Path, report: ImportReport) -> dict[str, np.ndarray]:
    """One row per object sample with columns time, kind, id, x, y, z, speed, angle, type."""
    if "kind" in table.column_names:  # from the XML reader
        no_id = np.flatnonzero(pc.is_null(table["id"]).to_numpy(zero_copy_only=False))
        for row in no_id[:1000].tolist():
            report.skip(f"{table['kind'][row].as_py()} {row + 1}", "a sample with data but no object id")
        parts = [table.filter(pc.is_valid(table["id"]))]
    else:
        parts = []
        for kind in KINDS:
            if f"{kind}_id" not in table.column_names:
                continue
            cols = {"timestep_time": table["timestep_time"], "id": table[f"{kind}_id"]}
            for key in ("x", "y", "z", "speed", "angle", "type"):
                name = f"{kind}_{key}"
                cols[key] = table[name] if name in table.column_names else pa.nulls(table.num_rows)
            part = pa.table(cols)
            part = part.append_column("kind", pa.array(np.full(part.num_rows, kind, dtype=object), type=pa.string()))
            parts.append(part)
        if not parts:
            raise InputError(path, "no vehicle_id, person_id or container_id column: not SUMO FCD output")
        _report_orphans(table, path, report)
        parts = [p.filter(pc.is_valid(p["id"])) for p in parts]
    out: dict[str, np.ndarray] = {}
    for key, kind in (("timestep_time", "f"), ("x", "f"), ("y", "f"), ("z", "f"), ("speed", "f"), ("angle", "f"),
                      ("id", "s"), ("type", "s"), ("kind", "s")):
        chunks = [pc.cast(p[key], pa.float64() if kind == "f" else pa.string()) for p in parts]
        column = pa.chunked_array([c for chunk in chunks for c in chunk.chunks], type=chunks[0].type)
        out[key] = column.to_numpy() if kind == "s" else pc.fill_null(column, np.nan).to_numpy()
    out["time"] = out.pop("timestep_time")
    bad = ~(np.isfinite(out["x"]) & np.isfinite(out["y"]) & np.isfinite(out["time"]))
    bad |= np.abs(np.nan_to_num(out["time"])) > MAX_SECONDS  # microseconds must fit in int64
    for row in np.flatnonzero(bad)[:1000]:
        report.skip(f"{out['kind'][row]} {out['id'][row]}", "sample without x, y or time (or not a finite number)")
    keep = ~bad
    return {k: v[keep] for k, v in out.items()}


def _report_orphans(table: pa.Table, path: pathlib.Path, report: ImportReport) -> None:
    """Rows with no object id: structural (an empty time step, every other field empty) or reported."""
    ids = [table[f"{k}_id"] for k in KINDS if f"{k}_id" in table.column_names]
    no_id = pc.invert(pc.fill_null(pc.is_valid(ids[0]), False))
    for other in ids[1:]:
        no_id = pc.and_(no_id, pc.invert(pc.is_valid(other)))
    data_cols = [c for c in table.column_names if c != "timestep_time" and not c.endswith("_id")]
    has_data = pa.array(np.zeros(table.num_rows, dtype=bool))
    for name in data_cols:
        has_data = pc.or_(has_data, pc.is_valid(table[name]))
    orphans = np.flatnonzero(pc.and_(no_id, has_data).to_numpy(zero_copy_only=False))
    for row in orphans[:1000]:
        report.skip(f"row {row + 2}", "a sample with data but no object id")
    structural = int(pc.sum(no_id).as_py() or 0) - len(orphans)
    if structural:
        report.detected["empty time steps"] = structural


def _start(options: ImportOptions, path: pathlib.Path, report: ImportReport) -> dt.datetime:
    text = options.extra.get("start")
    if not text:
        report.note(f"FCD time 0 is {DEFAULT_START} in {options.timezone} (give --start ISO to change it)")
        text = DEFAULT_START
    try:
        return parse_instant(str(text), tz=options.timezone)
    except ValueError as exc:
        raise InputError(path, f"--start: {exc}") from exc


def _georeference(x: np.ndarray, y: np.ndarray, path: pathlib.Path, options: ImportOptions,
                  report: ImportReport) -> tuple[str, np.ndarray, np.ndarray]:
    net = options.extra.get("net")
    if net:
        dx, dy, proj = read_location(pathlib.Path(net))
        if proj.strip() in ("", "!"):
            if not options.crs:
                raise InputError(net, "the network is not georeferenced (projParameter '!'): give --crs of its x/y")
            proj = options.crs
        try:
            crs = normalize_crs(proj)
        except ValueError as exc:
            raise InputError(net, f"projParameter: {exc}") from exc
        report.detected["network"] = f"{pathlib.Path(net).name}: offset {dx:.2f}, {dy:.2f} (subtracted), {proj}"
        return crs, x - dx, y - dy
    if np.nanmax(np.abs(x)) <= 180 and np.nanmax(np.abs(y)) <= 90:
        report.detected["coordinates"] = "lon/lat (--fcd-output.geo)"
        return "EPSG:4326", x, y
    if options.crs:
        return normalize_crs(options.crs) or options.crs, x, y
    raise InputError(path, "FCD x/y are SUMO network coordinates: give the network with --net NET.xml "
                           "(or write the FCD with --fcd-output.geo true)")
