"""What a new user meets in the first hour (issue 11, part H): data from another country refused, one
time zone per layer, true counts and readable numbers, short CRS names, aligned query tables, suggestions
per layer, a clear summary of multi-file imports, and movie progress with rate and time left."""

from __future__ import annotations

import io
import json
import pathlib

import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main
from twin.io.placement import MAX_DISTANCE_KM, data_centre, place
from twin.layerdata import ImportReport, LayerData

SEOUL_EXTENT_5186 = (182210.0, 537546.0, 215927.0, 565561.0)  # the Seoul bike stations in EPSG:5186


def _points(lon, lat) -> LayerData:
    wkb = pa.array(shapely.to_wkb(shapely.points(lon, lat)), type=pa.binary())
    return LayerData("points", pa.table({"geometry": wkb}), "EPSG:4326", ImportReport("x.csv"))


def _csv(path: pathlib.Path, rows: list[tuple[float, float]]) -> pathlib.Path:
    path.write_text("name,lon,lat\n" + "".join(f"p{i},{x},{y}\n" for i, (x, y) in enumerate(rows)), encoding="utf-8")
    return path


def _layers(capsys, project) -> list[dict]:
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["layers"]


# ----- mixed countries ---------------------------------------------------------------------------------
def test_busan_into_a_seoul_project_is_placed_but_delft_is_not():
    busan = place(129.05, 35.15, "EPSG:5186", SEOUL_EXTENT_5186)  # outside 126-128°E, inside it widened by 5°
    assert not busan.refused and busan.inside_area and busan.distance_km < MAX_DISTANCE_KM
    delft = place(4.36, 52.01, "EPSG:5186", SEOUL_EXTENT_5186)
    assert delft.refused and delft.inside_area is False


def test_far_from_the_project_extent_is_refused_even_in_a_world_crs():
    from twin.crs import transform_xy

    x, y = transform_xy([126.9, 127.1], [37.4, 37.6], "EPSG:4326", "EPSG:3857")
    extent = (x[0], y[0], x[1], y[1])
    assert not place(129.05, 35.15, "EPSG:3857", extent).refused  # Busan: 330 km
    far = place(4.36, 52.01, "EPSG:3857", extent)  # Delft: within Web Mercator's area, but 8,600 km away
    assert far.inside_area and far.refused and far.distance_km > 8000


def test_one_impossible_coordinate_does_not_move_the_centre():
    lon, lat = data_centre([_points([127.05, 127.06, 127.07, 172.06], [37.15, 37.16, 37.17, 37.16])])
    assert abs(lon - 127.065) < 0.01 and abs(lat - 37.16) < 0.01


def test_another_country_is_refused_with_one_line_then_imported_with_force(tmp_path, capsys):
    project = tmp_path / "city.twin.duckdb"
    assert main(["import", str(project), str(_csv(tmp_path / "osan.csv", [(127.05, 37.15), (127.06, 37.16)]))]) == 0
    delft = _csv(tmp_path / "delft.csv", [(4.36, 52.01), (4.37, 52.02)])
    capsys.readouterr()
    assert main(["import", str(project), str(delft)]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "error" in x)
    assert str(delft) in line and "outside the area of the project CRS EPSG:5186" in line and "--force" in line
    assert [la["name"] for la in _layers(capsys, project)] == ["osan"]  # unchanged
    assert main(["import", str(project), str(delft), "--force"]) == 0
    assert [la["name"] for la in _layers(capsys, project)] == ["osan", "delft"]


def test_readme_order_delft_then_osan_is_refused(shared_data, tmp_path, capsys):
    project = tmp_path / "city.twin.duckdb"
    assert main(["import", str(project), str(shared_data / "A" / "delft_bgt_lod1_v2.0.city.json")]) == 0
    capsys.readouterr()
    assert main(["import", str(project), str(shared_data / "C" / "osan_cctv.csv")]) == 1
    assert "outside the area of the project CRS EPSG:32631" in capsys.readouterr().err


# ----- several files in one command --------------------------------------------------------------------
def test_multi_file_import_says_which_went_in_and_all_or_nothing_keeps_the_project(tmp_path, capsys):
    good = _csv(tmp_path / "good.csv", [(127.05, 37.15), (127.06, 37.16)])
    bad = tmp_path / "bad.csv"
    bad.write_text("name,colour\na,red\n", encoding="utf-8")
    project = tmp_path / "p.twin.duckdb"
    assert main(["import", str(project), str(good), str(bad)]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("twin import: imported 1 of 2 files: good.csv (1 layer); not imported: bad.csv")
    assert "the imported ones stay in the project" in last

    fresh = tmp_path / "fresh.twin.duckdb"
    assert main(["import", str(fresh), str(good), str(bad), "--all-or-nothing"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "imported 0 of 2 files" in last and "good.csv, bad.csv" in last.replace("bad.csv, good.csv", "good.csv, bad.csv")
    assert "--all-or-nothing: the project is as it was" in last
    assert not fresh.exists()
    more = _csv(tmp_path / "more.csv", [(127.07, 37.17)])
    assert main(["import", str(project), str(more), str(bad), "--all-or-nothing"]) == 1
    assert [la["name"] for la in _layers(capsys, project)] == ["good"]
    assert main(["import", str(project), str(more), str(_csv(tmp_path / "again.csv", [(127.0, 37.1)])),
                 "--all-or-nothing"]) == 0
    assert [la["name"] for la in _layers(capsys, project)] == ["good", "more", "again"]


# ----- time zones ----------------------------------------------------------------------------------------
def test_gtfs_layer_keeps_its_agency_zone_and_typed_times_are_read_in_it(shared_data, tmp_path, capsys):
    project = tmp_path / "caltrain.twin.duckdb"
    assert main(["import", str(project), str(shared_data / "D" / "gtfs_caltrain_2017-07-24.zip"),
                 "--date", "2017-07-24"]) == 0
    vehicles = next(la for la in _layers(capsys, project) if la["kind"] == "moving")
    assert vehicles["time_span"][0] == "2017-07-24T04:28:00-07:00"
    assert vehicles["timezone"] == "America/Los_Angeles"
    assert main(["info", str(project)]) == 0
    assert "2017-07-24T04:28:00-07:00" in capsys.readouterr().out

    from twin.cli.cmd_render import _typed_zone, parse_time
    from twin.store.project import Project

    with Project.open(project, read_only=True) as p:
        assert p.timezone == "Asia/Seoul"  # the project's zone did not change ...
        when = parse_time("2017-07-24T08:00", _typed_zone(p, None))  # ... but 08:00 means 08:00 in California
    assert when.isoformat() == "2017-07-24T08:00:00-07:00"


def test_layers_in_several_zones_fall_back_to_the_project_zone_with_a_note():
    from types import SimpleNamespace as NS

    from twin.time.zones import viewing_zone

    span = ("t0", "t1")
    la = NS(name="la", time_span=span, properties={"timezone": "America/Los_Angeles"})
    seoul = NS(name="seoul", time_span=span, properties={})
    static = NS(name="roads", time_span=None, properties={})
    assert viewing_zone([la, static], "Asia/Seoul") == ("America/Los_Angeles", None)
    zone, note = viewing_zone([la, seoul], "Asia/Seoul")
    assert zone == "Asia/Seoul" and "several time zones" in note
    assert viewing_zone([la, seoul], "Asia/Seoul", shown=["la"]) == ("America/Los_Angeles", None)


# ----- true counts, readable numbers, short names ---------------------------------------------------------
def test_fcd_import_says_samples_and_objects_and_hints_at_the_network(fixtures, shared_data, tmp_path, capsys):
    project = tmp_path / "fcd.twin.duckdb"
    net = shared_data / "D" / "sumo_seoul_jamsil" / "asanH.net.xml"
    fcd = fixtures / "tracks" / "jamsil_fcd_30s.xml"
    assert main(["import", str(project), str(fcd), "--net", str(net)]) == 0
    err = capsys.readouterr().err
    assert "imported 624 sample(s) of 35 object(s)" in err and "(moving, 35 objects, 624 samples)" in err
    assert "offset -330102.26, -4152722.99" in err and "e+0" not in err
    assert "hint: the roads of asanH.net.xml are not in the project" in err and f"twin import {project} {net}" in err
    assert main(["import", str(project), str(net)]) == 0  # the roads as a layer: the hint goes away
    capsys.readouterr()
    assert main(["import", str(project), str(fcd), "--net", str(net), "--layer", "again"]) == 0
    assert "hint" not in capsys.readouterr().err


def test_info_shows_a_short_name_for_a_custom_crs(tmp_path, capsys):
    custom = "+proj=tmerc +lat_0=38 +lon_0=127.3 +k=1 +x_0=200000 +y_0=600000 +ellps=GRS80 +units=m +no_defs"
    project = tmp_path / "c.twin.duckdb"
    src = _csv(tmp_path / "osan.csv", [(127.05, 37.15), (127.06, 37.16)])
    assert main(["import", str(project), str(src), "--project-crs", custom]) == 0
    capsys.readouterr()
    assert main(["info", str(project)]) == 0
    out = capsys.readouterr().out
    assert "custom CRS" in out and "PROJCRS[" not in out and len(out.splitlines()[0]) < 160
    assert main(["info", str(project), "--json"]) == 0
    assert "PROJCRS[" in json.loads(capsys.readouterr().out)["crs"]


def test_query_table_shows_null_and_aligns_hangul(capsys):
    from twin.cli.cmd_query import print_result
    from twin.cli.table import display_width

    table = pa.table({"이름": ["오산역", "a", None], "n": pa.array([1, None, 30], type=pa.int64()),
                      "x": [0.5, None, float("nan")]})
    print_result(table)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and "NaN" not in lines[2] and "NULL" in lines[2] and "NULL" in lines[3]
    assert lines[3].rstrip().endswith("NaN")  # a NaN value stays NaN: only SQL NULL is NULL
    # the last column is numeric, so right-aligned: every line ends at the same display column
    assert len({display_width(line) for line in lines}) == 1
    assert len({len(line) for line in lines}) > 1  # ... which counting characters would not give (Hangul)


def test_suggestions_read_each_layers_own_kind(shared_data, tmp_path):
    from twin.io.service import ImportService
    from twin.store.project import Project

    with Project.open(tmp_path / "d.twin.duckdb", create=True) as project:
        service = ImportService(project)
        outcome = service.write(service.plan(shared_data / "A" / "delft_bgt_lod1_v2.0.city.json"), suggest=True)
        notes = {layer.kind + " " + layer.name: " ".join(r.notes) for layer, r in zip(outcome.layers, outcome.reports)}
    road = next(v for k, v in notes.items() if k.endswith("Road"))
    assert "suggested" in road and "layer kind is 'buildings'" not in road
    assert "layer kind is 'buildings'" in next(v for k, v in notes.items() if k.endswith("Building"))


# ----- movie progress -----------------------------------------------------------------------------------
def test_movie_progress_says_frames_rate_and_time_left():
    from twin.cli.progress import ProgressLine

    out = io.StringIO()
    progress = ProgressLine("twin movie", stream=out, every=0.0)
    progress._start -= 10.0  # ten seconds ago
    progress(0.2, "frame 120/600")
    progress(1.0, "frame 600/600")
    first, last = out.getvalue().splitlines()
    assert first == "twin movie: 20% frame 120/600, 12.0 frames/s, 0:40 left"
    assert last.startswith("twin movie: 100% frame 600/600") and "in all" in last
