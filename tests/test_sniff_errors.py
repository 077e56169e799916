"""Sniffers of the track importers: "not mine" is False, a bug is the registry's business.

``sniff`` answers False only for files that are not the importer's or cannot be read (OSError,
undecodable or binary text, CSV/Parquet parse errors). Any other exception is a bug of the plugin: it
reaches :meth:`PluginRegistry.call`, which logs why (the plugin stays enabled: issue 10) and lets
``choose_importer`` go on to the next importer. Every test uses a fresh registry, never the process-wide one.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from twin.io.importing import choose_importer
from twin.plugins.registry import PluginRegistry, registry as process_registry

TRACK_IMPORTERS = ("sumo-fcd", "gps-csv", "events-csv", "sensors-csv", "segments-csv")
GPS_CSV = "vehicle_id,timestamp,latitude,longitude\n" + "".join(
    f"bus{i % 2},2024-05-01T08:00:{i:02d},37.5{i},127.0{i}\n" for i in range(8))
FCD_CSV = "timestep_time;vehicle_id;vehicle_x;vehicle_y;vehicle_speed\n0.00;veh0;10.0;20.0;0.0\n1.00;veh0;12.0;20.0;2.0\n"


@pytest.fixture
def reg() -> PluginRegistry:
    registry = PluginRegistry()
    registry.discover()
    return registry


def states(registry: PluginRegistry) -> dict[str, tuple[bool, str | None]]:
    return {record.name: (record.enabled, record.error) for record in registry.records()}


GARBAGE = {
    "random.csv": bytes(np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8)),
    "random.xml": bytes(np.random.default_rng(8).integers(0, 256, 4000, dtype=np.uint8)),
    "random.parquet": bytes(np.random.default_rng(9).integers(0, 256, 4000, dtype=np.uint8)),
    "bom_only.csv": b"\xef\xbb\xbf",  # used to raise IndexError in sumo-fcd's sniff
    "huge_header_field.csv": b"a," + b"x" * 200_000 + b"\n1,2\n",  # csv.Error: field larger than field limit
    "nul_bytes.csv": b"time,id\n\x00\x00,1\n",
    "no_rows.csv": b"vehicle_id,timestamp,latitude,longitude\n",
    "points_only.csv": "이름,위도,경도\nA,37.5,127.0\nB,37.6,127.1\n".encode(),
    "other.xml": b'<?xml version="1.0"?>\n<net version="1.20"><location netOffset="0,0"/></net>\n',
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_files_that_are_not_tracks_sniff_false_and_disable_nothing(tmp_path, reg, name):
    path = tmp_path / name
    path.write_bytes(GARBAGE[name])
    before = states(reg)
    assert all(enabled and error is None for enabled, error in before.values()), before
    for importer in TRACK_IMPORTERS:
        assert reg.call(reg.contribution("importers", importer), path, key="sniff") is False, importer
    assert states(reg) == before


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_unreadable_paths_sniff_false_and_disable_nothing(tmp_path, reg, make):
    path = tmp_path / "gone.csv"
    if make == "folder":
        path.mkdir()
    before = states(reg)
    for importer in TRACK_IMPORTERS:
        assert reg.call(reg.contribution("importers", importer), path, key="sniff") is False, importer
    assert states(reg) == before


def test_garbage_csv_goes_to_csv_points_with_every_plugin_still_enabled(tmp_path, reg):
    path = tmp_path / "random.csv"
    path.write_bytes(GARBAGE["random.csv"])
    before = states(reg)
    assert choose_importer(path, registry=reg).id == "csv-points"  # it says why when it reads the file
    assert states(reg) == before


@pytest.mark.parametrize("name, text, expected", [("gps.csv", GPS_CSV, "gps-csv"), ("fcd.csv", FCD_CSV, "sumo-fcd")])
def test_real_track_files_are_recognised(tmp_path, reg, name, text, expected):
    """The positive control: the False answers above are not a sniffer that always says no."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert choose_importer(path, registry=reg).id == expected


def boom(*_args, **_kwargs):
    raise RuntimeError("a bug in the sniffer")


@pytest.mark.parametrize("name, text, helper, contribution, disabled", [
    # the CSV column roles of twin-tracks are shared by twin-pilot's sensors-csv: a bug there stops both plugins
    ("gps.csv", GPS_CSV, "twin_plugins.tracks.csv_roles.classify", "gps-csv",
     {"twin-pilot": "sensors-csv", "twin-tracks": "gps-csv"}),
    ("fcd.csv", FCD_CSV, "twin_plugins.traffic.sumo_fcd.head_text", "sumo-fcd", {"twin-traffic": "sumo-fcd"}),
])
def test_a_bug_in_a_sniffer_is_logged_and_the_next_importer_is_chosen(
        tmp_path, reg, monkeypatch, caplog, name, text, helper, contribution, disabled):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(helper, boom)
    with caplog.at_level(logging.WARNING, logger="twin.plugins.registry"):
        chosen = choose_importer(path, registry=reg)
    assert chosen.id == "csv-points" and chosen.plugin == "twin-formats"  # the other importers are still tried
    errors = {plugin: f"importer {importer!r} (sniff) failed on {path}: RuntimeError: a bug in the sniffer"
              for plugin, importer in disabled.items()}
    after = states(reg)
    assert all(enabled and err is None for enabled, err in after.values()), after  # a failing call disables nothing
    messages = {r.getMessage() for r in caplog.records if r.name == "twin.plugins.registry"}
    assert {f"plugin {plugin}: {error}; the file is left to the other importers"
            for plugin, error in errors.items()} <= messages  # other sniffers using the helper say so too
    assert all(m.endswith("RuntimeError: a bug in the sniffer; the file is left to the other importers")
               for m in messages)
    # the process-wide registry is not touched
    assert all({r.name: r.enabled for r in process_registry.records()}[plugin] for plugin in disabled)
    # without the bug, a fresh registry picks the track importer again (the failure was not cached as "not ours")
    monkeypatch.undo()
    fresh = PluginRegistry()
    fresh.discover()
    assert choose_importer(path, registry=fresh).id == contribution
