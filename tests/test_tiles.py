"""Tiles of large building layers: built at import, culled, drawn at levels of detail, picked, loaded in the
background (twin.store.tiles, twin.scene.store_tiles, twin.scene.tiling, twin.scene.tileloader, twin.render.tiled)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pyarrow as pa
import pytest

import twin.render.tiled as tiled
from twin.layerdata import ImportReport, LayerData
from twin.model.twin import TwinModel
from twin.render.offscreen import offscreen_plotter
from twin.render.view import SceneView
from twin.scene.camera import CameraPose
from twin.scene.store_tiles import source
from twin.scene.tileloader import LRU, TileLoader
from twin.scene.tiling import CULLED, FULL, ViewState, choose_levels
from twin.store import tiles as store_tiles
from twin.store.project import Project
from twin.store.reader import ProjectReader
from twin.store.writer import write_layer
from tests.test_scene import E0, N0, box_mesh

SIDE = 40  # 1600 blocks on a 40 x 40 street grid, 30 m apart
PITCH = 30.0


def blocks() -> list[tuple]:
    gx, gy = np.divmod(np.arange(SIDE * SIDE), SIDE)
    heights = 6.0 + (gx * 7 + gy * 3) % 25
    return [(E0 + x * PITCH, N0 + y * PITCH, 12.0, 10.0, 20.0, float(h)) for x, y, h in zip(gx, gy, heights)]


@pytest.fixture
def city(tmp_path, monkeypatch):
    """A project of 1600 blocks tiled at ~200 a tile, drawn tiled (the size threshold lowered)."""
    monkeypatch.setattr(store_tiles, "PER_TILE", 200)
    monkeypatch.setattr(store_tiles, "MIN_TILE_M", 50.0)
    monkeypatch.setattr(store_tiles, "SORT_MIN_ROWS", 1000)
    monkeypatch.setattr(tiled, "TILED_MIN", 100)
    rects = blocks()
    project = Project.open(tmp_path / "city.twin.duckdb", create=True, crs="EPSG:5186")
    data = LayerData("buildings", pa.table({"height": [r[5] for r in rects]}), "EPSG:5186",
                     ImportReport("test", imported=len(rects)), mesh=box_mesh(rects))
    write_layer(project, data, name="city")
    yield project
    project.close()


def centre(fid: int) -> np.ndarray:
    x, y, w, d, z0, h = blocks()[fid]
    return np.array([x + w / 2, y + d / 2, z0 + h])


def test_tiles_built_at_import_cover_every_feature_once(city):
    layer = city.layer("city")
    rows = city.numpy(f"SELECT fid, tile, xmin, xmax, ymin, ymax FROM {layer.ref('mesh')}")
    assert len(rows["fid"]) == SIDE * SIDE and len(np.unique(rows["fid"])) == SIDE * SIDE
    assert np.all(np.diff(rows["tile"]) >= 0)  # stored ordered by tile: a tile is a range of rows
    check = city.numpy(f"SELECT bool_and(xmin = {store_tiles.BOX_SQL.split(' AS ')[0]} AND fid IS NOT NULL) AS ok, "
                       f"bool_and(abs((xmin + xmax) / 2 - ({E0} + (fid // {SIDE}) * {PITCH} + 6)) < 0.01) AS centred "
                       f"FROM {layer.ref('mesh')}")
    assert check["ok"][0] and check["centred"][0]  # each row's own box, next to its own vertices
    tiles = source(city, layer).tiles()
    assert 4 <= len(tiles) <= 16
    assert sum(t.count for t in tiles) == SIDE * SIDE
    assert all(80 <= t.count <= 800 for t in tiles)
    for t in tiles:  # every feature lies in its tile's box
        inside = rows["tile"] == int(t.key)
        assert rows["xmin"][inside].min() >= t.bbox[0] and rows["xmax"][inside].max() <= t.bbox[3]
    mesh = source(city, layer).mesh_rows([tiles[0].key])
    assert sorted(mesh.fids.tolist()) == sorted(rows["fid"][rows["tile"] == int(tiles[0].key)].tolist())


def test_culling_drops_tiles_off_screen_and_far_tiles_are_blocks(city):
    plotter = offscreen_plotter((400, 300))
    view = SceneView(TwinModel(ProjectReader(city)), plotter)
    try:
        visual = view.visuals["city"]
        assert isinstance(visual, tiled.TiledBuildingVisual)
        view.screenshot()  # the whole city from afar: every tile seen, as blocks
        assert not (visual.levels == CULLED).any() and not (visual.levels == FULL).any()
        full_triangles = SIDE * SIDE * 12
        assert 0 < visual.parts["far"].mesh.n_cells < full_triangles
        camera = plotter.renderer.GetActiveCamera()
        camera.Dolly(0.1)  # ten times farther: coarser blocks
        view.screenshot()
        assert 0 < visual.parts["far"].mesh.n_cells < full_triangles / 4
        # close to the south-west corner, looking at it: the tiles far north-east are culled, the near ones full
        here = visual.origin.to_local(np.array([[E0 + 60, N0 + 60, 20.0]]))[0]
        CameraPose(tuple(here + [-60.0, -60.0, 80.0]), tuple(here), (0.0, 0.0, 1.0)).apply(plotter.renderer.GetActiveCamera())
        view.screenshot()
        assert (visual.levels == CULLED).any() and (visual.levels == FULL).any()
        assert visual.drawn and all(f"t{k}" in visual.actors for k in visual.drawn)
    finally:
        view.close()
        plotter.close()


def test_choose_levels_is_vectorised_over_tile_boxes():
    lo = np.array([[0, 0, 0], [15000, 0, 0], [-5000, 0, 0]], dtype=float)  # near, far, behind
    hi = lo + [100, 100, 20]
    planes = np.array([[1, 0, 0, 500.0], [-1, 0, 0, 20000.0], [0, 1, 0, 500.0], [0, -1, 0, 500.0],
                       [0, 0, 1, 500.0], [0, 0, -1, 500.0]])  # the box -500..20000 x -500..500
    view = ViewState(np.array([50.0, -50.0, 50.0]), planes, 2 * np.tan(np.radians(15)) / 800)
    levels = choose_levels(view, lo, hi, np.array([100, 100, 100]), np.array([1200, 1200, 1200]), budget=10_000)
    assert levels[0] == FULL and levels[1] > FULL and levels[2] == CULLED
    assert choose_levels(view, lo, hi, np.array([100] * 3), np.array([1200] * 3), budget=100)[0] > FULL  # budget


def test_picking_across_tiles_returns_the_feature_at_full_and_coarse_levels(city, pick_from_above):
    plotter = offscreen_plotter((400, 300))
    model = TwinModel(ProjectReader(city))
    view = SceneView(model, plotter)
    try:
        visual = view.visuals["city"]
        for fid in (0, 777, SIDE * SIDE - 1):
            for distance in (2500.0, 90.0):  # the city from afar (blocks), then close (the tile in full)
                hit = pick_from_above(view, visual.origin.to_local(centre(fid)[None])[0], distance)
                assert hit is not None and (hit.layer, hit.fid) == ("city", fid), (fid, distance, visual.levels)
        model.selection.select_feature("city", 777)  # highlighted from its own rows, whatever its tile's level
        mesh = view.visuals["city"]._highlight_actor.GetMapper().GetInput()
        assert mesh.GetNumberOfCells() == 12 and set(np.asarray(mesh.GetCellData().GetArray("fid"))) == {777}
    finally:
        view.close()
        plotter.close()


def test_a_project_without_tiles_still_renders_and_picks(city, tmp_path):
    layer = city.layer("city")
    city.query(f"CREATE TABLE old AS SELECT fid, lod, vertices, triangles, surfaces FROM {layer.ref('mesh')} ORDER BY fid")
    city.query(f"DROP TABLE {layer.ref('mesh')}")
    city.query(f"ALTER TABLE old RENAME TO {layer.mesh_table}")
    src = source(city, layer)
    assert not src.stored and sum(t.count for t in src.tiles()) == SIDE * SIDE
    plotter = offscreen_plotter((400, 300))
    view = SceneView(TwinModel(ProjectReader(city)), plotter)
    try:
        image = view.screenshot()
        visual = view.visuals["city"]
        assert isinstance(visual, tiled.TiledBuildingVisual) and len(visual.keys) > 1
        assert (np.abs(image.astype(int) - image[5, 200].astype(int)).sum(axis=2) > 60).mean() > 0.02  # drawn
        assert sorted(src.mesh_rows([visual.keys[0]]).fids.tolist()) == sorted(
            src.boxes()["fid"][src.boxes()["tile"] == int(visual.keys[0])].tolist())
    finally:
        view.close()
        plotter.close()


def test_small_layers_keep_one_merged_mesh(city, monkeypatch):
    monkeypatch.setattr(tiled, "TILED_MIN", 50_000)
    plotter = offscreen_plotter((200, 150))
    view = SceneView(TwinModel(ProjectReader(city)), plotter)
    try:
        assert type(view.visuals["city"]).__name__ == "BuildingVisual"
        assert view.visuals["city"].parts["mesh"].mesh.n_cells == SIDE * SIDE * 12
    finally:
        view.close()
        plotter.close()


def test_the_newest_request_wins_in_the_loader():
    release = threading.Event()
    results, posted = [], []

    def load(key):
        if key == "a":
            release.wait(5)
        return key.upper()

    loader = TileLoader(load, lambda key, value: results.append(value), deliver=posted.append)
    loader.request(["a", "b", "c"])
    deadline = time.monotonic() + 5
    while loader.started != ["a"] and time.monotonic() < deadline:
        time.sleep(0.005)
    loader.request(["d", "e"])  # a newer view: b and c are dropped, a finishes
    release.set()
    while loader.busy and time.monotonic() < deadline:
        time.sleep(0.005)
    for fn in posted:  # the main thread applies the results
        fn()
    loader.close()
    assert loader.started == ["a", "d", "e"] and results == ["A", "D", "E"]
    sync = TileLoader(str.upper, lambda key, value: results.append(value))  # no main thread: synchronous
    sync.request(["x"])
    assert results[-1] == "X"


def test_lru_keeps_the_budget_and_the_pinned_tiles():
    cache = LRU(10, size=len)
    cache.put("a", "aaaa")
    cache.put("b", "bbbb")
    cache.get("a")
    dropped = cache.put("c", "cccc", pinned={"a"})
    assert dropped == ["b"] and "a" in cache and cache.total == 8


def test_the_window_loads_tiles_in_the_background(qtbot, city):
    from twin_ui.view3d.qt_twin_view import QtTwinView

    model = TwinModel()
    widget = QtTwinView(model)
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    model.open(ProjectReader(city))
    try:
        assert widget.wait_until_ready(30)
        visual = widget.scene.visuals["city"]
        assert visual.loader.deliver is not None  # the window's main-thread hook, not synchronous
        here = visual.origin.to_local(np.array([[E0 + 60, N0 + 60, 20.0]]))[0]
        CameraPose(tuple(here + [-60.0, -60.0, 80.0]), tuple(here), (0.0, 0.0, 1.0)).apply(
            widget.plotter.renderer.GetActiveCamera())
        widget.request_render()
        qtbot.waitUntil(lambda: bool(visual.drawn), timeout=20000)  # loaded on the worker, drawn on the GUI thread
        assert all(f"t{k}" in visual.actors for k in visual.drawn)
    finally:
        widget.shutdown()


def test_a_source_with_only_the_protocol_draws_and_picks(city, monkeypatch):
    class Plain:  # what a partitioned dataset's source must offer at least: tiles() and mesh_rows()
        def __init__(self, project, layer):
            self.inner = source(project, layer)

        def tiles(self):
            return self.inner.tiles()

        def mesh_rows(self, keys, *, lod=None):
            return self.inner.mesh_rows(keys, lod=lod)

    monkeypatch.setattr(tiled, "tile_source", Plain)
    plotter = offscreen_plotter((400, 300))
    view = SceneView(TwinModel(ProjectReader(city)), plotter)
    try:
        visual = view.visuals["city"]
        view.screenshot()
        assert visual.parts["far"].mesh.n_cells == 10 * len(visual.keys)  # one block per tile
        top = visual.origin.to_local(centre(777)[None])[0]
        CameraPose(tuple(top + [0.0, -30.0, 100.0]), tuple(top), (0.0, 1.0, 0.0)).apply(plotter.renderer.GetActiveCamera())
        view.screenshot()
        plotter.renderer.SetWorldPoint(*top, 1.0)
        plotter.renderer.WorldToDisplay()
        x, y, _ = plotter.renderer.GetDisplayPoint()
        hit = view.pick(x, 300 - 1 - y)
        assert hit is not None and hit.fid == 777
    finally:
        view.close()
        plotter.close()
