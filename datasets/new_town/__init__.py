"""미호누리 (Mihonuri): the demo city of the twin, a fictional Korean new town of about 2 x 2 km beside the
Sejong 5-1 Living Zone (EPSG:5186), generated deterministically by the project's own code.

It holds each of Korea's four smart-city stages as layers: the base map and the underground utilities
with the day's excavation works (1), the U-City's operation centre, fibre, CCTV, ITS and a day of traffic
simulated with SUMO (2), the 112/119 stations and the day's calls routed over that traffic (3), and the
pilot city's IoT sensors, smart poles, autonomous shuttle and Living Lab reports (4)::

    twin demo mihonuri.twin.duckdb
    python -m twin_datasets.new_town mihonuri.twin.duckdb --seed 51

The source files are written beside the project (``NAME_sources/``) and imported through the real
importers. The traffic is read from the committed Parquet in ``traffic/`` (made by
``python -m twin_datasets.new_town.traffic.simulate``), so building the town never needs SUMO.
The road names and the town are invented; the coordinates are real. See docs/demo.md.
"""

from __future__ import annotations

from twin_datasets.new_town.build import DEFAULT_SEED, build_new_town, finish, sources_folder
from twin_datasets.new_town.sources import DAY, FILES, TIMEZONE

__all__ = ["DAY", "DEFAULT_SEED", "FILES", "TIMEZONE", "build_new_town", "finish", "sources_folder"]
