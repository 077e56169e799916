"""Back faces of closed solids culled in tiled layers (twin.scene.winding, twin.render.tiled): only features that
are closed and wound outwards are culled, and culling them never changes the picture."""

from __future__ import annotations

import numpy as np
import pytest

import twin.render.tiled as tiled
from twin.model.twin import TwinModel
from twin.render.offscreen import offscreen_plotter
from twin.render.view import SceneView
from twin.scene.camera import CameraPose
from twin.scene.tiling import box_mesh as open_blocks
from twin.scene.winding import outward_solids
from twin.store.reader import ProjectReader
from tests.test_scene import box_mesh


def boxes(n: int = 6):
    """``n`` closed boxes (floor, roof, walls, wound outwards) as points, triangles and fids."""
    mesh = box_mesh([(i * 20.0, 0.0, 10.0, 8.0, 0.0, 5.0 + i) for i in range(n)])
    fids = np.repeat(np.arange(n), 12)
    return mesh.vertices, mesh.triangles + np.repeat(np.arange(n) * 8, 12)[:, None], fids


def solid_features(points, faces, fids) -> set[int]:
    solid = outward_solids(points, faces, fids)
    return set(np.unique(fids[solid]).tolist())


def test_closed_outward_boxes_are_solids_and_flipped_ones_are_not():
    points, faces, fids = boxes()
    assert solid_features(points, faces, fids) == set(range(6))
    assert solid_features(points, faces[:, ::-1], fids) == set()  # wound inwards: seen from outside, culled away


def test_a_hole_or_one_face_wound_the_wrong_way_excludes_only_that_feature():
    points, faces, fids = boxes()
    keep = np.ones(len(faces), dtype=bool)
    keep[2 * 12 + 5] = False  # a wall triangle of feature 2 missing: an open facade
    assert solid_features(points, faces[keep], fids[keep]) == {0, 1, 3, 4, 5}
    flipped = faces.copy()
    flipped[4 * 12 + 2] = flipped[4 * 12 + 2, ::-1]  # one roof triangle of feature 4 facing down
    assert solid_features(points, flipped, fids) == {0, 1, 2, 3, 5}
    no_roof = np.ones(len(faces), dtype=bool)
    no_roof[[3 * 12 + 2, 3 * 12 + 3]] = False  # no roof: open at the top, seen inside from above
    assert solid_features(points, faces[no_roof], fids[no_roof]) == {0, 1, 2, 4, 5}


def test_unshared_vertices_are_welded_and_open_floors_are_allowed():
    points, faces, fids = boxes(3)
    corners = points[faces.reshape(-1)]  # every triangle with its own three vertices (as many files store them)
    assert solid_features(corners, np.arange(len(corners)).reshape(-1, 3), fids) == {0, 1, 2}
    lo = np.array([[0.0, 0.0, 0.0], [30.0, 0.0, 2.0]])
    blocks = open_blocks(lo, lo + [10.0, 10.0, 12.0], np.array([7, 8]))  # roof and walls, no floor
    assert solid_features(blocks.points, blocks.regular_faces, blocks.cell_data["fid"]) == {7, 8}


def _pictures(view, plotter, actors) -> tuple[np.ndarray, np.ndarray]:
    """The picture with the back faces of ``actors`` culled and with them drawn (culled again at the end)."""
    pictures = {}
    for cull in (False, True):
        for actor in actors:
            actor.GetProperty().SetBackfaceCulling(cull)
        pictures[cull] = np.asarray(view.screenshot(), dtype=np.int16)
    return pictures[True], pictures[False]


def _tiled_view(project, monkeypatch, name: str):
    monkeypatch.setattr(tiled, "TILED_MIN", 0)
    monkeypatch.setattr(tiled, "FULL_BUDGET", 10 ** 9)
    plotter = offscreen_plotter((480, 360))
    view = SceneView(TwinModel(ProjectReader(project)), plotter)
    visual = view.visuals[name]
    assert isinstance(visual, tiled.TiledBuildingVisual)
    return plotter, view, visual


#: share of the buildings judged closed and wound outwards: the Den Haag and 3D BAG files are watertight; in the
#: Zurich subset most buildings have open or doubled edges (26 of 161 are closed)
SOLID_SHARE = {"denhaag_lod2_subset_v1.1.city.json": (1.0, 1.0), "zurich_lod2_subset_v1.1.city.json": (0.1, 0.3),
               "3dbag_2020_tile_subset_v1.0.city.json": (1.0, 1.0)}


@pytest.mark.parametrize("name", sorted(SOLID_SHARE))
def test_culling_real_lod2_buildings_leaves_the_picture_unchanged(shared_data, project, monkeypatch, name):
    from twin.io.service import ImportOptions, import_file

    crs = "EPSG:7415" if name.startswith("denhaag") else None  # the file declares none (SOURCES.md)
    import_file(project, shared_data / "A" / name, ImportOptions(crs=crs))
    layer = next(info for info in project.layers() if info.kind == "buildings")
    plotter, view, visual = _tiled_view(project, monkeypatch, layer.name)
    try:
        view.screenshot()
        solid = np.concatenate([p.mesh.cell_data["fid"] for k, p in visual.parts.items() if k != "far" and p.cull_back])
        every = np.concatenate([p.mesh.cell_data["fid"] for k, p in visual.parts.items() if k != "far"])
        share = len(np.unique(solid)) / len(np.unique(every))
        assert SOLID_SHARE[name][0] <= share <= SOLID_SHARE[name][1]
        camera = plotter.renderer.GetActiveCamera()
        lo, hi = visual.tile_lo.min(axis=0), visual.tile_hi.max(axis=0)
        centre, size = (lo + hi) / 2, float(np.linalg.norm(hi - lo))
        for offset in ([-0.7, -0.7, 0.5], [0.8, -0.3, 0.25], [0.1, 0.9, 0.6]):  # around the buildings, from above
            CameraPose(tuple(centre + np.array(offset) * size), tuple(centre), (0.0, 0.0, 1.0)).apply(camera)
            view.screenshot()
            culled = [actor for key, actor in visual.actors.items() if key.startswith("t") and not key.endswith("~context")
                      and actor.GetProperty().GetBackfaceCulling()]
            assert culled, "no tile part was culled: every real building was judged open"
            with_culling, without = _pictures(view, plotter, culled)
            changed = np.abs(with_culling - without).max(axis=2) > 8
            assert changed.mean() < 0.001, f"{name}: culling changed {changed.sum()} pixels from {offset}"
    finally:
        view.close()


def test_tile_parts_split_solids_from_open_features(tmp_path, monkeypatch):
    import pyarrow as pa

    from twin.layerdata import ImportReport, LayerData
    from twin.store.project import Project
    from twin.store.writer import write_layer

    mesh = box_mesh([(200_000.0 + i * 20.0, 500_000.0, 10.0, 8.0, 0.0, 6.0) for i in range(4)])
    mesh.triangles = mesh.triangles.copy()
    mesh.triangles[1 * 12 + 2] = mesh.triangles[1 * 12 + 2, ::-1]  # feature 1's roof half faces down
    with Project.open(tmp_path / "p.twin.duckdb", create=True, crs="EPSG:5186") as project:
        write_layer(project, LayerData("buildings", pa.table({"height": [6.0] * 4}), "EPSG:5186",
                                       ImportReport("test", imported=4), mesh=mesh), name="city")
        plotter, view, visual = _tiled_view(project, monkeypatch, "city")
        try:
            camera = plotter.renderer.GetActiveCamera()
            CameraPose((200_040.0 - visual.origin.xyz[0], 499_960.0 - visual.origin.xyz[1], 40.0),
                       (200_040.0 - visual.origin.xyz[0], 500_004.0 - visual.origin.xyz[1], 0.0),
                       (0.0, 0.0, 1.0)).apply(camera)
            view.screenshot()
            key = visual.drawn[0]
            solid, rest = visual.parts[f"t{key}"], visual.parts[f"t{key}{tiled.OPEN}"]
            assert solid.cull_back and not rest.cull_back
            assert set(np.unique(rest.mesh.cell_data["fid"]).tolist()) == {1}
            assert set(np.unique(solid.mesh.cell_data["fid"]).tolist()) == {0, 2, 3}
            assert visual.actors[f"t{key}"].GetProperty().GetBackfaceCulling()
            assert not visual.actors[f"t{key}{tiled.OPEN}"].GetProperty().GetBackfaceCulling()
        finally:
            view.close()
