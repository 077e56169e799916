"""The stage lens per feature: buildings completed after a stage are hidden; "what changed" keeps the rest as context."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from twin.io.service import ImportOptions, import_file
from twin.model.lens import StageLens
from twin.stages import parse_period, periods

#: one building per stage: completed in 2000 (stage 1), 2010 (2), 2015 (3), 2020 (4), and one of unknown year
YEARS = [2000, 2010, 2015, 2020, None]


@pytest.fixture
def town(project, tmp_path):
    """A project with five buildings in a row (fid 0..4), each with a completion year (준공연도)."""
    base = shapely.box(225_000, 431_000, 225_030, 431_020)
    frame = gpd.GeoDataFrame({"건물명": ["가", "나", "다", "라", "마"], "층수": [3, 5, 7, 9, 4],
                              "준공연도": pd_years()},
                             geometry=[shapely.affinity.translate(base, 60 * i, 0) for i in range(5)], crs="EPSG:5186")
    path = tmp_path / "town.gpkg"
    pyogrio.write_dataframe(frame, path, layer="건물")
    roads = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.LineString([(224_990, 430_990), (225_300, 430_990)])],
                             crs="EPSG:5186")
    pyogrio.write_dataframe(roads, tmp_path / "fibre.gpkg", layer="fibre")
    import_file(project, path)
    import_file(project, tmp_path / "fibre.gpkg", ImportOptions(stage=2, service="infrastructure"))
    return project


def pd_years():
    import pandas as pd

    return pd.array(YEARS, dtype="Int64")


def _fids(mesh) -> set[int]:
    return set(np.unique(mesh.cell_data["fid"]).tolist()) if mesh is not None and mesh.n_cells else set()


def test_periods_come_from_the_stages_plugin():
    assert parse_period("1995-2002") == (1995, 2002) and parse_period("2018-") == (2018, None)
    assert parse_period("2010") == (2010, 2010)
    with pytest.raises(ValueError, match="not YEAR-YEAR"):
        parse_period("soon")
    assert periods() == {1: (1995, 2002), 2: (2003, 2013), 3: (2014, 2017), 4: (2018, None)}


def test_feature_view_hides_later_years_and_ghosts_earlier_ones():
    lens = StageLens(stage=2)
    fids, years = np.array([5, 4, 3, 2, 1]), np.array([np.nan, 2020, 2015, 2010, 2000])
    view = lens.feature_view(fids, years)
    assert view.hidden.tolist() == [3, 4] and view.ghosted.size == 0  # unknown year (5) stays
    lens.changes = True
    view = lens.feature_view(fids, years)
    assert view.hidden.tolist() == [3, 4] and view.ghosted.tolist() == [1]
    assert lens.describe() == "what changed at stage 2"
    assert lens.ghosts(1) and not lens.ghosts(2) and not lens.ghosts(None)
    lens.stage = None  # today: nothing hidden, and no "what changed" without a stage
    assert not lens.changes and lens.feature_view(fids, years).hidden.size == 0
    lens.changes = True
    assert not lens.changes


def test_the_scene_draws_the_city_as_it_stood(town):
    from twin.model.twin import TwinModel
    from twin.render.offscreen import offscreen_plotter
    from twin.render.view import SceneView
    from twin.store.reader import ProjectReader

    model = TwinModel(ProjectReader(town))
    scene = SceneView(model, offscreen_plotter((400, 300)))
    try:
        visual = scene.visuals["town"]
        drawn = lambda: set().union(*(_fids(a.GetMapper().GetInput()) for k, a in visual.actors.items()
                                      if "~context" not in k))
        context = lambda: set().union(*(_fids(a.GetMapper().GetInput()) for k, a in visual.actors.items()
                                        if "~context" in k))
        assert drawn() == {0, 1, 2, 3, 4}
        model.lens.stage = 2
        assert drawn() == {0, 1, 4} and context() == set()
        assert scene.visuals["fibre"].visible
        model.lens.stage = 1
        assert drawn() == {0, 4} and not scene.visuals["fibre"].visible
        # what changed at stage 3: the 2015 building in colour, older ones as context, later ones hidden
        model.lens.look(3, changes=True)
        assert drawn() == {2, 4} and context() == {0, 1}
        fibre = scene.visuals["fibre"]  # a stage-2 layer without years: all context
        assert fibre.visible and all("~context" in k for k in fibre.actors)
        block = next(b for b in scene.overlay.blocks if b.title.startswith("What changed at stage 3 (2014-2017)"))
        assert block.swatches[0] == ("built in the stage", "#9467bd")  # the stage's colour from twin-stages
        new = next(a for k, a in visual.actors.items() if "~context" not in k)
        assert np.allclose(new.GetProperty().GetColor(), (0x94 / 255, 0x67 / 255, 0xbd / 255), atol=0.01)
        # a hidden building cannot be picked: the picker reads what is drawn
        targets = visual.pick_targets()
        assert all(3 not in _fids(t.actor.GetMapper().GetInput()) for t in targets)
        model.lens.stage = None
        assert drawn() == {0, 1, 2, 3, 4} and context() == set()
    finally:
        scene.close()
        scene.plotter.close()


def test_a_layer_can_name_its_year_column_or_turn_the_filter_off(town):
    from twin.model.twin import TwinModel
    from twin.store.reader import ProjectReader

    model = TwinModel(ProjectReader(town))
    model.lens.stage = 1
    assert model.feature_view("town").hidden.tolist() == [1, 2, 3]
    town.set_properties("town", {**town.layer("town").properties, "built_year": ""})
    model.refresh_layer("town")
    assert model.feature_view("town").hidden.size == 0
