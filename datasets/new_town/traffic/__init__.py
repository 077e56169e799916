"""The town's traffic over one weekday, simulated with SUMO and committed as Parquet (docs/demo.md).

``simulate.py`` (``python -m twin_datasets.new_town.traffic.simulate``, needs the ``sumo`` extra) builds the
network from the town's roads, generates the demand of :mod:`.demand`, runs SUMO for 24 h and writes the
files below; ``twin demo`` only reads them, so it never needs SUMO:

- ``vehicles.parquet``: SUMO FCD columns (``timestep_time`` seconds since 00:00, ``vehicle_id``,
  ``vehicle_x``/``vehicle_y`` in EPSG:5186, ``vehicle_speed`` m/s, ``vehicle_angle``, ``vehicle_type``) of the
  probe vehicles every 5 s, read by the ``sumo-fcd`` importer;
- ``link_speeds.parquet``: per road link (``link_id``) and 5-minute interval (``begin_s``), the mean speed
  (``speed_kmh``), the vehicles that entered (``volume``) and whether any vehicle was there (``observed``);
- ``run.json``: how they were made (SUMO version, demand, counts, sizes).
"""

from __future__ import annotations

import json
import pathlib

FOLDER = pathlib.Path(__file__).resolve().parent
VEHICLES = FOLDER / "vehicles.parquet"
LINK_SPEEDS = FOLDER / "link_speeds.parquet"
RUN = FOLDER / "run.json"
INTERVAL_S = 300
FCD_PERIOD_S = 5


def committed() -> list[pathlib.Path]:
    """The committed result files that ``twin demo`` reads."""
    return [VEHICLES, LINK_SPEEDS, RUN]


def run_info() -> dict:
    """What ``run.json`` says about the simulation."""
    return json.loads(RUN.read_text(encoding="utf-8"))
