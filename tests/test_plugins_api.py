"""What plugin code receives: the panel context, and analyses run on a project."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from twin.errors import TwinError
from twin.io.service import import_file
from twin.plugins.analyses import parse_params, run_analysis
from twin.model.context import PanelContext, SelectedFeatures as Selection
from twin.plugins.manifest import Manifest
from twin.plugins.registry import PluginError


EXTRA = """
name = "twin-fake-extra"
[[analyses]]
id = "wrong-type"
title = "Returns a number"
callable = "twin_fake_good.analysis:wrong_type"
[[analyses]]
id = "wrong-sql"
title = "Returns failing SQL"
callable = "twin_fake_good.analysis:wrong_sql"
[[analyses]]
id = "as-pandas"
title = "Returns a DataFrame"
callable = "twin_fake_good.analysis:as_pandas"
[[analyses]]
id = "sensor-extent"
title = "Needs sensors"
layer_kinds = ["sensors"]
callable = "twin_fake_good.analysis:extent"
"""


def test_panel_context_follows_project_selection_and_time(project, caplog):
    context = PanelContext()
    seen = []
    stop = context.subscribe("selection", lambda s: seen.append(("selection", s)))
    context.subscribe("time", lambda t: seen.append(("time", t)))

    def broken(_):
        raise RuntimeError("panel bug")

    context.subscribe("time", broken)
    context.set_selection("cctv", [3, 4])
    context.set_selection("cctv", (3, 4))  # no change, no event
    seoul = dt.datetime(2024, 3, 22, 16, 15, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    context.set_time(seoul)
    context.set_time(seoul)
    assert seen == [("selection", Selection("cctv", (3, 4))), ("time", dt.datetime(2024, 3, 22, 7, 15, tzinfo=dt.timezone.utc))]
    assert context.selection.fid == 3 and bool(context.selection)
    assert "panel bug" in caplog.text  # logged, unsubscribed, the others still ran
    context.set_time(seoul + dt.timedelta(minutes=1))
    assert len(seen) == 3
    stop()
    context.set_project(project)
    assert context.project.path == project.path and context.timezone == project.timezone
    assert not hasattr(context.project, "con")  # a read-only view, not the database connection
    assert not context.selection and len(seen) == 3
    with pytest.raises(ValueError, match="timezone-aware"):
        context.set_time(dt.datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="unknown event 'nonsense'"):
        context.subscribe("nonsense", print)


def _project_with_points(fake_site, project, tmp_path, *names):
    reg = fake_site.registry("twin-fake-good")
    for name in names:
        source = tmp_path / f"{name}.fake"
        source.write_text("x;y;name\n200000;550000;a\n200010;550010;a\n", encoding="utf-8")
        import_file(project, source, registry=reg)
    return reg


def test_analysis_layer_choice(fake_site, project, tmp_path):
    reg = _project_with_points(fake_site, project, tmp_path)
    with pytest.raises(TwinError, match="'count-by-name' needs a points layer; the project has none"):
        run_analysis(project, "count-by-name", registry=reg)
    _project_with_points(fake_site, project, tmp_path, "one")
    assert run_analysis(project, "count-by-name", registry=reg).to_pylist() == [{"name": "a", "n": 2}]
    _project_with_points(fake_site, project, tmp_path, "two")
    with pytest.raises(TwinError, match=re.escape("several points layers ('one.fake', 'two.fake'); choose one with --layer")):
        run_analysis(project, "count-by-name", registry=reg)
    assert run_analysis(project, "count-by-name", layer="two.fake", registry=reg).num_rows == 1


def test_analysis_results_are_checked(fake_site, project, tmp_path):
    reg = _project_with_points(fake_site, project, tmp_path, "pts")
    reg.register_manifest(Manifest.from_toml(EXTRA))
    assert run_analysis(project, "as-pandas", registry=reg).to_pylist() == [{"layers": 1}]
    with pytest.raises(PluginError, match="analysis 'wrong-type' returned a int, not an Arrow table or SQL text"):
        run_analysis(project, "wrong-type", registry=reg)
    with pytest.raises(PluginError, match="analysis 'wrong-sql' produced SQL that fails: Catalog Error"):
        run_analysis(project, "wrong-sql", registry=reg)
    with pytest.raises(TwinError, match="analysis 'sensor-extent' works on sensors layers; 'pts.fake' is points"):
        run_analysis(project, "sensor-extent", layer="pts.fake", registry=reg)
    with pytest.raises(TwinError, match="no layer named 'nope'"):
        run_analysis(project, "extent", layer="nope", registry=reg)


def test_parse_params():
    assert parse_params(["limit=45", "ratio=0.5", "strict=true", "name=PM10", "empty="]) == {
        "limit": 45, "ratio": 0.5, "strict": True, "name": "PM10", "empty": ""}
    with pytest.raises(TwinError, match="write NAME=VALUE"):
        parse_params(["1x=2"])
