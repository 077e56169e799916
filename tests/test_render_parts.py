"""A CityJSON Building drawn by its BuildingParts: framing and highlighting it reach its parts."""

from __future__ import annotations

import numpy as np
import pytest

from twin.store.project import Project


@pytest.fixture
def zurich(shared_data, tmp_path):
    from twin.io.importing import import_file

    project = Project.open(tmp_path / "zurich.twin.duckdb", create=True, crs="EPSG:2056")
    info = import_file(project, shared_data / "A" / "zurich_lod2_subset_v1.1.city.json").layers[0]
    yield project, info
    project.close()


def test_building_with_parts_is_framed_and_highlighted_through_them(zurich):
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView

    project, info = zurich
    row = project.query(
        f'SELECT b.fid AS building, list(p.fid ORDER BY p.fid) AS parts FROM "{info.table_name}" b '
        f'JOIN "{info.table_name}" p ON p.parent_fid = b.fid '
        f'WHERE b.fid NOT IN (SELECT fid FROM "{info.mesh_table}") GROUP BY b.fid ORDER BY b.fid LIMIT 1'
    ).to_pylist()[0]
    plotter = offscreen_plotter((320, 240))
    view = SceneView(project, plotter).load()
    visual = view.visual(info.name)
    assert list(visual.with_parts([row["building"]])) == sorted([row["building"], *row["parts"]])
    whole = np.array(visual.bounds(row["building"]))
    first_part = np.array(visual.bounds(row["parts"][0]))
    assert whole[1] - whole[0] >= first_part[1] - first_part[0] > 0
    view.view(info.name, fid=row["building"])  # used to fail: the Building row has no mesh of its own
    view.select([(info.name, row["building"])])
    assert visual._highlight_actor is not None
    view.close()
    plotter.close()


def test_render_cli_frames_a_building_made_of_parts(zurich, tmp_path):
    from twin.cli.main import main

    project, info = zurich
    building = project.query(
        f'SELECT min(parent_fid)::BIGINT AS b FROM "{info.table_name}" WHERE parent_fid IS NOT NULL').to_pylist()[0]["b"]
    project.close()
    out = tmp_path / "b.png"
    assert main(["render", str(project.path), "--out", str(out), "--size", "320x240", "--camera", info.name,
                 "--fid", str(building)]) == 0
    assert out.stat().st_size > 1000
