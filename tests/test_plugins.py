"""The plugin system: manifests, discovery through entry points, lazy loading, isolation of broken plugins."""

from __future__ import annotations

import pathlib
import sys
import tomllib

import pytest

import fake_dist  # tests/fixtures/plugins, on the path through conftest

from twin.errors import InputError
from twin.io.importing import read_file
from twin.io.service import import_file
from twin.io.options import ImportOptions
from twin.plugins.manifest import Manifest, ManifestError
from twin.plugins.registry import PluginError, PluginRegistry, registry as global_registry

REPO = pathlib.Path(__file__).resolve().parents[1]

GOOD = """
name = "demo"
version = "2.0"
[[importers]]
id = "pts"
title = "Points"
patterns = ["*.pts"]
callable = "demo.reader:read"
"""


# ----- manifests ---------------------------------------------------------------------------------
def test_manifest_reads_every_section():
    text = GOOD + """
[[layer_kinds]]
id = "towers"
title = "Towers"
visual = "demo.visual:TowerVisual"
[[track_kinds]]
id = "pings"
title = "Pings"
[[analyses]]
id = "a"
title = "A"
callable = "demo.analysis:run"
[[panels]]
id = "p"
title = "P"
callable = "demo.panel:make"
[[sample_data]]
id = "s"
title = "S"
path = "data/s.csv"
[[stages]]
id = 2
title = "U-City"
description = "d"
color = "#1f77b4"
[[services]]
id = "water"
title = "Water"
description = "d"
color = "#0000ff"
[[suggestions]]
id = "w"
service = "water"
names = ["*water*"]
"""
    manifest = Manifest.from_toml(text, source="demo/twin.toml", package="demo")
    assert manifest.name == "demo" and manifest.version == "2.0" and manifest.package == "demo"
    assert [s for s in manifest.contributions] == [
        "importers", "layer_kinds", "track_kinds", "analyses", "panels", "sample_data", "stages", "services", "suggestions"]
    stage = manifest.contributions["stages"][0]
    assert stage.id == "2" and stage.to_dict()["id"] == 2
    assert manifest.contributions["layer_kinds"][0].code_keys() == ["visual"]
    assert manifest.contributions["suggestions"][0].title == "w"  # title defaults to the id


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[importers]]\nid = "x"\ntitle = "X"\ncallable = "m:f"\n', "importers[1] lacks 'patterns'"),
        ('[[importers]]\nid = "x"\ntitle = "X"\npatterns = ["*.x"]\ncallable = "m.f"\n',
         "importers[1].callable must name code as 'package.module:attribute'"),
        ('[[importers]]\nid = "x"\ntitle = "X"\npatterns = "*.x"\ncallable = "m:f"\n',
         "importers[1].patterns must be a non-empty list of text"),
        ('[[importers]]\nid = "pts"\ntitle = "X"\npatterns = ["*.x"]\ncallable = "m:f"\n', "'pts' is used twice"),
        ('[[stages]]\nid = 5\ntitle = "S"\ndescription = "d"\ncolor = "#000000"\n', "stages[0].id must be a stage number 1-4"),
        ('[[services]]\nid = "s"\ntitle = "S"\ndescription = "d"\ncolor = "red"\n', "services[0].color must be a colour"),
        ('[[suggestions]]\nid = "s"\nstage = 2\n', "suggestions[0] needs one of: names, columns, kinds"),
        ('[[sample_data]]\nid = "s"\ntitle = "S"\n', "sample_data[0] needs one of: callable, path"),
        ('[[importers]]\nid = "x y"\ntitle = "X"\npatterns = ["*.x"]\ncallable = "m:f"\n', "importers[1].id must be a word"),
        ("importer = 1\n", "unknown keys ['importer']"),
        ('panels = "oops"\n', "[panels] must be an array of tables"),
    ],
)
def test_manifest_errors_name_the_file_and_the_key(extra, message):
    text = GOOD + extra if extra.startswith("[[") else GOOD.replace('version = "2.0"\n', 'version = "2.0"\n' + extra)
    with pytest.raises(ManifestError) as info:
        Manifest.from_toml(text, source="demo/twin.toml")
    assert str(info.value).startswith("demo/twin.toml: ")
    assert message in str(info.value)


def test_manifest_needs_a_name_and_valid_toml():
    with pytest.raises(ManifestError, match="needs a 'name'"):
        Manifest.from_toml('version = "1"', source="x.toml")
    with pytest.raises(ManifestError, match="x.toml: not valid TOML"):
        Manifest.from_toml("name = ", source="x.toml")


def test_every_problem_is_listed_at_once():
    bad = 'name = "d"\n[[importers]]\nid = "a"\ntitle = "A"\n[[panels]]\nid = "p"\ntitle = 3\ncallable = "m:f"\n'
    message = str(pytest.raises(ManifestError, Manifest.from_toml, bad).value)
    assert "importers[0] lacks 'patterns'" in message and "importers[0] lacks 'callable'" in message
    assert "panels[0].title must be text" in message


# ----- discovery, laziness -----------------------------------------------------------------------
def test_builtin_plugins_come_through_the_same_entry_points():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["project"]["entry-points"]["twin.plugins"]
    assert declared["formats"] == "twin_plugins.formats:twin.toml"
    assert declared["stages"] == "twin_plugins.stages:twin.toml"
    reg = PluginRegistry()
    records = {r.entry_point: r for r in reg.records()}
    for value in declared.values():
        assert value in records, f"{value} is declared in pyproject.toml but not installed: pip install -e ."
        record = records[value]
        assert record.builtin and record.source == "smartcity-twin" and record.enabled, record.error


def test_discovery_and_listing_import_no_plugin_code(fake_site):
    reg = fake_site.registry("twin-fake-good", "twin-fake-importerror")
    listed = [r.to_dict() for r in reg.records()]
    assert reg.importers_for("x.fake")[0].plugin == "twin-fake-good"
    assert {"twin-fake-good", "twin-fake-importerror"} <= {p["name"] for p in listed}
    good = next(p for p in listed if p["name"] == "twin-fake-good")
    assert good["version"] == "1.2.0" and good["enabled"] and good["error"] is None and not good["builtin"]
    assert [c["id"] for c in good["contributions"]["analyses"]] == ["count-by-name", "extent"]
    # not even the packages' __init__ ran (twin_fake_importerror's raises if imported)
    assert not [m for m in sys.modules if m.startswith("twin_fake_")]
    reg.load(reg.contribution("importers", "fake-points"))
    assert "twin_fake_good.reader" in sys.modules
    assert "twin_fake_good.analysis" not in sys.modules  # only what was used


def test_a_broken_manifest_disables_only_that_plugin(fake_site):
    reg = fake_site.registry("twin-fake-badmanifest", "twin-fake-good")
    bad = reg.plugins["badmanifest"]
    assert not bad.enabled and bad.manifest is None
    assert bad.error.startswith("manifest: twin_fake_badmanifest/twin.toml: importers[0] lacks 'patterns'")
    assert "must name code as 'package.module:attribute'" in bad.error
    assert reg.plugins["twin-fake-good"].enabled
    assert [c.id for c in reg.importers_for("a.fake")] == ["fake-points"]


def test_broken_entry_points_are_reported(fake_site):
    fake_dist.write_dist(fake_site.root, "twin-fake-eps", "0.1", {
        "nocolon": "twin_fake_nowhere", "missing": "twin_fake_nowhere:twin.toml", "nofile": "json:twin.toml"})
    reg = fake_site.registry()
    assert "must be 'package:manifest.toml'" in reg.plugins["nocolon"].error
    assert "package 'twin_fake_nowhere' is not installed" in reg.plugins["missing"].error
    assert "json/twin.toml: no such file" in reg.plugins["nofile"].error
    assert all(not reg.plugins[n].enabled for n in ("nocolon", "missing", "nofile"))


def test_two_plugins_with_one_name_keep_the_first(fake_site):
    fake_site.install("twin-fake-good")
    fake_dist.write_dist(fake_site.root, "twin-fake-copy", "9.9", {"copy": "twin_fake_good:twin.toml"})
    reg = fake_site.registry()
    copies = [r for r in reg.records() if r.name == "twin-fake-good"]
    assert len(copies) == 2 and sum(r.enabled for r in copies) == 1
    ignored = next(r for r in copies if not r.enabled)
    assert "another plugin named 'twin-fake-good' is installed by" in ignored.error
    assert len(reg.importers_for("x.fake")) == 1


# ----- isolation at run time ---------------------------------------------------------------------
def test_code_that_fails_to_import_disables_its_plugin(fake_site, tmp_path):
    reg = fake_site.registry("twin-fake-importerror", "twin-fake-good")
    contribution = reg.contribution("importers", "ierr")
    with pytest.raises(PluginError) as info:
        reg.load(contribution)
    message = str(info.value)
    assert message.startswith("plugin twin-fake-importerror: importer 'ierr': cannot load twin_fake_importerror.reader:read")
    assert "RuntimeError: twin_fake_importerror must not be imported" in message and "\n" not in message
    assert not reg.plugins["twin-fake-importerror"].enabled
    assert reg.importers_for("x.ierr") == []  # its contributions are gone
    assert reg.importers_for("x.fake")[0].id == "fake-points"
    with pytest.raises(PluginError, match="is disabled"):
        reg.load(contribution)
    reg.enable("twin-fake-importerror")
    assert reg.plugins["twin-fake-importerror"].enabled and reg.plugins["twin-fake-importerror"].error is None


def test_a_raising_importer_fails_one_line_and_the_others_keep_working(fake_site, tmp_path, project):
    reg = fake_site.registry("twin-fake-raising", "twin-fake-good")
    boom = tmp_path / "data.boom"
    boom.write_text("anything", encoding="utf-8")
    with pytest.raises(PluginError) as info:
        import_file(project, boom, registry=reg)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("plugin twin-fake-raising: importer 'boom' (callable) failed on ")
    assert str(boom) in message and "KeyError: 'columns'" in message
    assert reg.plugins["twin-fake-raising"].enabled  # an error of this file only (issue 10)
    assert project.layers() == []  # nothing written
    good = tmp_path / "points.fake"
    good.write_text("x;y;name\n200000;550000;a\n200010;550010;b\n", encoding="utf-8")
    outcome = import_file(project, good, registry=reg)
    assert outcome.importer == "fake-points" and outcome.layers[0].feature_count == 2


def test_a_crashing_sniff_lets_the_next_importer_read_the_file(fake_site, tmp_path, caplog):
    reg = fake_site.registry("twin-fake-raising", "twin-fake-good")
    assert [c.id for c in reg.importers_for("p.fake")] == ["sniffy", "fake-points"]
    good = tmp_path / "p.fake"
    good.write_text("x;y;name\n1;2;a\n", encoding="utf-8")
    contribution, datas = read_file(good, registry=reg)
    assert contribution.id == "fake-points" and datas[0].features.num_rows == 1
    record = reg.plugins["twin-fake-raising"]
    assert record.enabled and record.error is None  # a failing call never disables its plugin (issue 10)
    assert "plugin twin-fake-raising: importer 'sniffy' (sniff) failed on " in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_bad_input_is_not_a_plugin_bug(fake_site, tmp_path):
    reg = fake_site.registry("twin-fake-good")
    bad = tmp_path / "bad.fake"
    bad.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.fake: line 1: the first line must be 'x;y;name'"):
        read_file(bad, registry=reg)
    assert reg.plugins["twin-fake-good"].enabled


def test_contribution_lookup_by_id_and_by_plugin(fake_site):
    reg = fake_site.registry("twin-fake-good")
    assert reg.contribution("analyses", "extent").plugin == "twin-fake-good"
    assert reg.contribution("analyses", "twin-fake-good/extent").id == "extent"
    with pytest.raises(KeyError, match=r"no analysis 'nope' \(known: .*count-by-name, extent"):
        reg.contribution("analyses", "nope")
    with pytest.raises(KeyError):
        reg.contribution("analyses", "other-plugin/extent")


def test_sample_data_and_check(fake_site):
    reg = fake_site.registry("twin-fake-good", "twin-fake-importerror", "twin-fake-badmanifest")
    [path] = reg.sample_data(reg.contribution("sample_data", "fake-sample"))
    assert path.read_text(encoding="utf-8").startswith("x;y;name")
    results = reg.check()
    assert results["twin-fake-good"] == []
    assert results["twin-fake-importerror"] == [
        "importer 'ierr': callable = twin_fake_importerror.reader:read: RuntimeError: twin_fake_importerror must not be imported"]
    assert results["badmanifest"][0].startswith("manifest: ")
    assert not reg.plugins["twin-fake-importerror"].enabled


def test_check_finds_missing_attributes_and_non_callables(fake_site):
    reg = fake_site.registry("twin-fake-good")
    manifest = Manifest.from_toml("""
name = "twin-fake-wrong"
[[analyses]]
id = "gone"
title = "Gone"
callable = "twin_fake_good.analysis:no_such_function"
[[panels]]
id = "value"
title = "Not callable"
callable = "twin_fake_good.reader:__doc__"
[[sample_data]]
id = "lost"
title = "Lost"
path = "data/lost.csv"
""", package="twin_fake_good")
    reg.register_manifest(manifest)
    problems = reg.check()["twin-fake-wrong"]
    assert problems[0] == ("analysis 'gone': callable = twin_fake_good.analysis:no_such_function: "
                           "AttributeError: twin_fake_good.analysis has no attribute 'no_such_function'")
    assert problems[1].startswith("panel 'value': callable = twin_fake_good.reader:__doc__ is a str, not something callable")
    assert problems[2] == "sample 'lost': data/lost.csv not found in package twin_fake_good"


def test_options_reach_the_importer(fake_site, tmp_path):
    reg = fake_site.registry("twin-fake-good")
    good = tmp_path / "p.fake"
    good.write_text("x;y;name\n127.0;37.5;a\n", encoding="utf-8")
    _, [data] = read_file(good, ImportOptions(crs="EPSG:4326"), registry=reg)
    assert data.crs == "EPSG:4326"
