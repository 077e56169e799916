"""Points that stand on roofs (twin.scene.roofs): a point without a z of its own inside a building's footprint is
drawn on that roof, in the point glyphs and the CCTV masts; and CCTV domes sized on screen like the point glyphs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyvista.*")

LON0, LAT0 = 127.2890, 36.4800
DX, DY = 0.00011, 0.00009  # about 10 m each side of a building's centre
HEIGHT_A, HEIGHT_B = 12.0, 30.0
SAVE = None  # a PNG path to look at the street-level render


def _square(lon: float, lat: float) -> list:
    return [[[lon - DX, lat - DY], [lon + DX, lat - DY], [lon + DX, lat + DY], [lon - DX, lat + DY], [lon - DX, lat - DY]]]


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """Two footprint buildings (12 m and 30 m), points inside and outside them, 3D points, cameras; a point 4 km
    away makes the city-scale glyph size large (about 25 m), as in a real town."""
    folder = tmp_path_factory.mktemp("roofs")
    features = [{"type": "Feature", "properties": {"name": name, "height": h},
                 "geometry": {"type": "Polygon", "coordinates": _square(lon, LAT0)}}
                for name, h, lon in (("A", HEIGHT_A, LON0), ("B", HEIGHT_B, LON0 + 0.001))]
    (folder / "buildings.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (folder / "facilities.csv").write_text(
        f"name,lat,lon\ninA,{LAT0},{LON0}\nout,{LAT0},{LON0 + 0.0005}\ninB,{LAT0},{LON0 + 0.001}\n"
        f"far,{LAT0 + 0.03},{LON0 + 0.03}\n", encoding="utf-8")
    towers = [{"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Point", "coordinates": xyz}}
              for name, xyz in (("own", [LON0 + 0.001, LAT0, 5.0]), ("flat", [LON0, LAT0, 0.0]))]
    (folder / "towers.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": towers}))
    (folder / "cctv.csv").write_text(f"id,lat,lon,direction,range\n1,{LAT0},{LON0},,\n2,{LAT0},{LON0 + 0.0005},,\n"
                                     f"3,{LAT0 + 0.0003},{LON0 + 0.0005},90,30\n", encoding="utf-8")
    project = folder / "town.twin.duckdb"
    files = [folder / n for n in ("buildings.geojson", "facilities.csv", "towers.geojson", "cctv.csv")]
    assert main(["import", str(project), *map(str, files)]) == 0
    return project


def _opened(path, tmp_path):
    from tests.conftest import copy_project
    from twin.store.project import Project

    return Project.open(copy_project(path, tmp_path / "town.twin.duckdb"))


def _scene(project, size=(400, 300), *, overlays: bool = True):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    plotter = offscreen_plotter(size)
    return SceneView(TwinModel(ProjectReader(project)), plotter, overlays=overlays), plotter


def _base_z(mesh) -> dict[int, float]:
    """Lowest point z of every feature's cells (a glyph stands on its anchor)."""
    fids = np.asarray(mesh.cell_data["fid"])
    faces = mesh.regular_faces
    z = np.asarray(mesh.points)[:, 2]
    return {int(f): float(z[faces[fids == f]].min()) for f in np.unique(fids)}


def test_points_inside_a_footprint_stand_on_its_roof_and_the_others_stay(town, tmp_path):
    import shapely

    from twin.scene.features import read_geometries
    from twin.scene.roofs import roof_z, standing_z

    with _opened(town, tmp_path) as project:
        layer = project.layer("facilities")
        coords = shapely.get_coordinates(read_geometries(project, layer).parts()[0], include_z=True)
        z = standing_z(project, layer, coords)
        assert z[[0, 2]] == pytest.approx([HEIGHT_A, HEIGHT_B], abs=0.01) and np.isnan(z[[1, 3]]).all()
        assert roof_z(project, coords[:, :2]) == pytest.approx(z, abs=0.01, nan_ok=True)  # the cache gives the same
        towers = project.layer("towers")
        own = shapely.get_coordinates(read_geometries(project, towers).parts()[0], include_z=True)
        assert standing_z(project, towers, own) == pytest.approx([5.0, HEIGHT_A], abs=0.01)  # own z kept; 0 lifted

        scene, plotter = _scene(project)
        try:
            assert scene.origin.z == 0.0
            glyphs = _base_z(scene.visual("facilities").ensure_built()["glyphs"].mesh)
            assert [glyphs[0], glyphs[2]] == pytest.approx([HEIGHT_A, HEIGHT_B], abs=0.01)
            assert [glyphs[1], glyphs[3]] == pytest.approx([0.0, 0.0], abs=0.01)
            assert list(_base_z(scene.visual("towers").ensure_built()["glyphs"].mesh).values()) == pytest.approx(
                [5.0, HEIGHT_A], abs=0.01)
            masts = _base_z(scene.visual("cctv").ensure_built()["masts"].mesh)
            assert [masts[0], masts[1]] == pytest.approx([HEIGHT_A, 0.0], abs=0.01)  # a camera mast on the roof
            sectors = scene.visual("cctv").ensure_built()["sectors"].mesh
            assert np.asarray(sectors.points)[:, 2].min() == pytest.approx(0.3, abs=0.01)  # its arc on the street
        finally:
            scene.close()
            plotter.close()


def test_a_hidden_buildings_layer_holds_no_points(town, tmp_path):
    import shapely

    from twin.scene.features import read_geometries
    from twin.scene.roofs import standing_z

    with _opened(town, tmp_path) as project:
        layer = project.layer("facilities")
        coords = shapely.get_coordinates(read_geometries(project, layer).parts()[0], include_z=True)
        assert np.isfinite(standing_z(project, layer, coords)[0])
        project.set_style("buildings", {"visible": False})
        assert np.isnan(standing_z(project, layer, coords)).all()


def test_a_glyph_on_a_roof_is_seen_from_the_street(town, tmp_path):
    with _opened(town, tmp_path) as project:
        project.set_style("facilities", {"color": "#ff00ff"})
        for other in ("towers", "cctv"):  # they stand at the same spot
            project.set_style(other, {"visible": False})
        scene, plotter = _scene(project, overlays=False)  # no legend over the view
        try:
            glyphs = scene.visual("facilities").parts["glyphs"]
            first = glyphs.mesh.regular_faces[np.asarray(glyphs.mesh.cell_data["fid"]) == 0][0, 0]
            anchor = np.asarray(glyphs.screen.anchors)[first]  # where "inA" (fid 0) stands
            target = np.array([anchor[0], anchor[1], HEIGHT_A])  # building A's roof, where the glyph should be
            plotter.camera.focal_point = tuple(target)
            plotter.camera.position = tuple(target + np.array([0.0, -80.0, 5.0 - HEIGHT_A]))  # eye 5 m up, 80 m away
            plotter.camera.up = (0.0, 0.0, 1.0)
            image = scene.screenshot(SAVE).astype(int)
            renderer = plotter.renderer
            renderer.SetWorldPoint(*target, 1.0)
            renderer.WorldToDisplay()
            x, y, _ = renderer.GetDisplayPoint()
            row, col = image.shape[0] - 1 - int(round(y)), int(round(x))
            near = image[max(row - 40, 0):row + 10, max(col - 25, 0):col + 25]  # around the roof point, above it
            magenta = (near[..., 0] > 150) & (near[..., 2] > 150) & (near[..., 1] < 100)
            assert magenta.sum() > 100, magenta.sum()  # the glyph shows above the roof edge (inside it: 0 pixels)
        finally:
            scene.close()
            plotter.close()


def test_roofs_of_a_dataset_layer_come_from_the_buildings_hit_only(tmp_path):
    from tests.test_datasets import X0, Y0, write_buildings
    from twin.scene.roofs import roof_z
    from twin.store.project import Project

    write_buildings(tmp_path / "city", per_side=6, spacing=25.0)  # fid 8: gx 2, gy 1, 12 m high (drawn tiled)
    path = tmp_path / "p.twin.duckdb"
    assert main(["import", str(path), str(tmp_path / "city")]) == 0
    with Project.open(path, read_only=True) as project:
        xy = np.array([[X0 + 55.0, Y0 + 30.0], [X0 + 57.0, Y0 + 33.0], [X0 + 15.0, Y0 + 5.0], [np.nan, np.nan]])
        assert roof_z(project, xy) == pytest.approx([12.0, 12.0, np.nan, np.nan], abs=0.01, nan_ok=True)


def test_cctv_domes_keep_a_size_on_screen_at_any_distance(town, tmp_path):
    from twin.scene.camera import CameraPose
    from twin.scene.glyphs import GLYPH_STREET_M, automatic_size
    from twin.scene.origin import project_extent
    from twin.scene.screen import POINT_PX
    from twin_plugins.safety.cctv_visual import HEAD_RADIUS

    with _opened(town, tmp_path) as project:
        scene, plotter = _scene(project)
        try:
            visual = scene.visual("cctv")
            heads = visual.ensure_built()["heads"]
            fids = np.asarray(heads.mesh.cell_data["fid"])
            dome = np.unique(heads.mesh.regular_faces[fids == 1])  # the camera without direction on the street
            centre = np.asarray(heads.screen.anchors)[dome[0]]

            def radius_at(distance: float) -> tuple[float, float]:
                plotter.camera.focal_point = tuple(centre)
                plotter.camera.position = tuple(centre + np.array([0.0, -0.6, 0.8]) * distance)
                plotter.camera.up = (0.0, 0.0, 1.0)
                scene.screenshot()
                mpp = CameraPose.of(plotter.renderer.GetActiveCamera()).metres_per_pixel(300)
                xs = np.asarray(heads.mesh.points)[dome, 0]
                return (xs.max() - xs.min()) / 2.0, mpp

            near, _ = radius_at(30.0)
            far, far_mpp = radius_at(20_000.0)
            city = automatic_size(project_extent(project.layers()))
            assert HEAD_RADIUS * city > 8.0  # the dome the project's extent gave at any distance before
            assert near == pytest.approx(HEAD_RADIUS * GLYPH_STREET_M, rel=0.01)  # street furniture, under 1 m
            assert far / far_mpp >= HEAD_RADIUS * POINT_PX * 0.95  # still a few pixels over the region
            assert far > 10 * near
            visual.apply_style(visual.style.replace(size=4.0, size_units="m"))  # fixed metres stay metres
            heads = visual.ensure_built()["heads"]
            dome = np.unique(heads.mesh.regular_faces[np.asarray(heads.mesh.cell_data["fid"]) == 1])
            assert heads.screen is None
            assert np.ptp(np.asarray(heads.mesh.points)[dome, 0]) / 2 == pytest.approx(HEAD_RADIUS * 4.0, rel=0.01)
        finally:
            scene.close()
            plotter.close()


def test_a_buildings_layer_that_cannot_be_read_leaves_the_points_on_the_ground(town, tmp_path, monkeypatch, caplog):
    import duckdb

    import twin.scene.roofs as roofs

    def damaged(project, layer, xy):
        raise duckdb.IOException("IO Error: cannot open file part-0.parquet")

    with _opened(town, tmp_path) as project:
        monkeypatch.setattr(roofs, "_hits", damaged)
        assert np.isnan(roofs.roof_z(project, np.array([[0.0, 0.0]]))).all()
        assert "layer 'buildings' left out (IO Error: cannot open file part-0.parquet)" in caplog.text
