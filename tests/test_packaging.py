"""Packaging: the folders install under their own names, the entry points exist."""

from __future__ import annotations

import importlib.metadata
import importlib.util


def test_top_level_folders_install_under_names_of_their_own():
    for name in ("twin", "twin_ui", "twin_plugins", "twin_datasets"):
        assert importlib.util.find_spec(name) is not None, name
    files = importlib.metadata.distribution("smartcity-twin").read_text("top_level.txt") or ""
    assert "datasets" not in files.split() and "ui" not in files.split()


def test_console_and_gui_entry_points():
    eps = importlib.metadata.distribution("smartcity-twin").entry_points
    scripts = {ep.name: ep.value for ep in eps if ep.group == "console_scripts"}
    gui = {ep.name: ep.value for ep in eps if ep.group == "gui_scripts"}
    plugins = {ep.name for ep in eps if ep.group == "twin.plugins"}
    assert scripts["twin"] == "twin.cli.main:main"
    assert gui["twin-app"] == "twin_ui.app:main"
    assert "formats" in plugins
