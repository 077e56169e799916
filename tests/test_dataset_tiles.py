"""A buildings layer in a partitioned dataset drawn as completely as one in the project file: per-building
boxes and merged blocks, exact picks, highlights read from the partitions that hold them
(twin.scene.dataset_tiles, docs/datasets.md)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_datasets import X0, Y0, write_buildings
from twin.cli.main import main
from twin.model.twin import TwinModel
from twin.render.offscreen import offscreen_plotter
from twin.render.view import SceneView
from twin.scene.camera import CameraPose
from twin.scene.tilesource import tile_source
from twin.store.project import Project
from twin.store.reader import ProjectReader

SIDE, SPACING = 12, 25.0


@pytest.fixture
def city(tmp_path):
    write_buildings(tmp_path / "city", per_side=SIDE, spacing=SPACING)
    path = tmp_path / "p.twin.duckdb"
    assert main(["import", str(path), str(tmp_path / "city")]) == 0
    with Project.open(path, read_only=True) as project:
        yield project


def top_of(fid: int) -> np.ndarray:
    gy, gx = divmod(fid, SIDE)
    return np.array([X0 + gx * SPACING + 5.0, Y0 + gy * SPACING + 5.0, 6.0 + (gx % 5) * 3.0])


def test_boxes_are_every_building_from_its_vertices(city):
    source = tile_source(city, city.layers()[0])
    boxes = source.boxes()
    tiles = source.tiles()
    assert sorted(boxes["fid"].tolist()) == list(range(SIDE * SIDE))
    assert (np.diff(boxes["tile_index"]) >= 0).all()  # ordered by tile
    assert np.bincount(boxes["tile_index"], minlength=len(tiles)).tolist() == [t.count for t in tiles]
    i = int(np.flatnonzero(boxes["fid"] == 30)[0])  # gx 6, gy 2: 10 m square, 9 m high
    got = [boxes[c][i] for c in ("xmin", "ymin", "zmin", "xmax", "ymax", "zmax")]
    assert got == pytest.approx([X0 + 150, Y0 + 50, 0.0, X0 + 160, Y0 + 60, 9.0])
    key = tiles[int(boxes["tile_index"][i])].key
    assert 30 in source.mesh_rows([key]).fids.tolist()  # the tile it names holds it


def test_feature_rows_read_only_the_partitions_that_hold_them(city, tmp_path):
    source = tile_source(city, city.layers()[0])
    tiles = source.tiles()
    holder = tiles[0].key
    wanted = source.mesh_rows([holder]).fids[:3].tolist()
    assert len(source.feature_rows([wanted[0]]).fids) == 1  # before boxes(): the footers' fid statistics
    for tile in tiles:  # every other file is damaged: reading it would fail
        if tile.key != holder:
            (tmp_path / "city" / tile.key).write_bytes(b"not parquet")
    rows = source.feature_rows(wanted)
    assert sorted(rows.fids.tolist()) == sorted(wanted) and rows.triangles.shape == (36, 3)
    fresh = tile_source(city, city.layers()[0])
    with pytest.raises(Exception, match="city"):
        fresh.boxes()  # all partitions: the damaged ones are met


def test_far_blocks_group_buildings_and_a_pick_finds_the_building(city, pick_from_above):
    plotter = offscreen_plotter((400, 300))
    model = TwinModel(ProjectReader(city))
    view = SceneView(model, plotter)
    name = city.layers()[0].name
    try:
        visual = view.visuals[name]
        renderer = plotter.renderer
        top = visual.origin.to_local(top_of(77)[None])[0]
        CameraPose(tuple(top + [0.0, -600.0, 2000.0]), tuple(top), (0.0, 1.0, 0.0)).apply(renderer.GetActiveCamera())
        view.screenshot()
        assert (visual.levels > 0).all()  # every tile as blocks
        assert visual.parts["far"].mesh.n_cells > 10 * len(visual.keys)  # more than one block per tile
        assert set(np.unique(visual.blocks.fid)) == set(range(SIDE * SIDE))
        for fid in (30, 77, 143):
            for distance in (1500.0, 60.0):  # afar (blocks), then close (the tile in full)
                hit = pick_from_above(view, visual.origin.to_local(top_of(fid)[None])[0], distance)
                assert hit is not None and (hit.layer, hit.fid) == (name, fid), (fid, distance, visual.levels)
        model.selection.select_feature(name, 77)  # highlighted from its own rows
        mesh = visual._highlight_actor.GetMapper().GetInput()
        assert mesh.GetNumberOfCells() == 12 and set(np.asarray(mesh.GetCellData().GetArray("fid"))) == {77}
    finally:
        view.close()
        plotter.close()
