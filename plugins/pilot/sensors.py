"""Sensor readings in CSV (a sensor id, a time, numbers; no coordinates) as a ``sensors`` layer.

Moved here from the twin-tracks plugin (same importer id ``sensors-csv``, same behaviour). What makes a CSV
a sensor table is decided with the other time-stamped CSV kinds in one place, the generic column roles of
:mod:`twin_plugins.tracks.csv_roles` (a table with coordinates and a time is events or GPS, a link id makes
road segments, a sensor id with a time and numbers makes sensor readings), and the readings are built by
the same code as road-segment readings (:func:`twin_plugins.tracks.csv_tracks.read_readings`): the layer
joins its facilities (a points layer with the same id column) by id, as the air-quality example does.
"""

from __future__ import annotations

import pathlib

from twin.api import ImportOptions, LayerData
from twin_plugins.tracks.csv_roles import kind_of
from twin_plugins.tracks.csv_tracks import read_readings


def sniff_sensors(path: pathlib.Path) -> bool:
    """True for a CSV whose first rows are sensor readings (see the module docstring)."""
    return kind_of(path) == "sensors"


def read_sensor_csv(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """Sensor readings (sensor id, time, numbers) as a ``sensors`` layer joined to its facilities by id."""
    return read_readings(pathlib.Path(path), options, "sensors")
