"""The links of the selection drawn in 3D: an arc from each selected feature to each feature it is linked to
(coloured by relation), a dot on each linked feature and, for links that carry one, the route on the road."""

from __future__ import annotations

import numpy as np
import shapely

from twin.render.overlay import LegendBlock

#: colour of each relation (others: slate)
RELATION_COLORS = {
    "seen_by": "#00acc1",
    "nearest_police_by_road": "#1e63d6",
    "nearest_fire_by_road": "#e53935",
    "on_route": "#fb8c00",
    "monitored_by": "#8e24aa",
    "at_risk": "#f4c20d",
}
OTHER_COLOR = "#546e7a"
#: relation -> the words of the legend
RELATION_LABELS = {
    "seen_by": "seen by CCTV", "nearest_police_by_road": "112 police by road",
    "nearest_fire_by_road": "119 fire by road", "on_route": "ITS on the route", "monitored_by": "operation centre",
    "at_risk": "utility at risk",
}
ARC_SAMPLES = 24
LIFT_M = 2.0  # arcs start and end this high above the ground; routes float this high over the road


def color_of(relation: str) -> str:
    return RELATION_COLORS.get(relation, OTHER_COLOR)


def _rgb(colors: list[str]) -> np.ndarray:
    return np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=np.uint8)


def arcs_mesh(links, origin):
    """One PolyData of arcs (parabolas rising with the distance) between the two ends of each link."""
    import pyvista as pv

    ends = [(k, link) for k, link in enumerate(links) if link.start_xy is not None and link.end_xy is not None]
    if not ends:
        return None
    a = np.array([link.start_xy for _, link in ends], dtype=np.float64)
    b = np.array([link.end_xy for _, link in ends], dtype=np.float64)
    span = np.hypot(*(b - a).T)
    height = np.clip(span * 0.3, 12.0, 250.0)
    s = np.linspace(0.0, 1.0, ARC_SAMPLES)
    xy = a[:, None, :] + (b - a)[:, None, :] * s[None, :, None]
    z = origin.z + LIFT_M + height[:, None] * 4.0 * s[None, :] * (1.0 - s[None, :])
    points = np.concatenate([xy, z[:, :, None]], axis=2).reshape(-1, 3) - origin.xyz
    n = len(ends)
    cells = np.column_stack([np.full(n, ARC_SAMPLES), np.arange(n * ARC_SAMPLES).reshape(n, ARC_SAMPLES)]).ravel()
    mesh = pv.PolyData(points.astype(np.float32), lines=cells)
    mesh.cell_data["rgb"] = _rgb([color_of(link.relation) for _, link in ends])
    return mesh


def ends_mesh(links, origin):
    """One point per link at the feature it reaches, in the relation's colour (drawn as a dot on top)."""
    import pyvista as pv

    ends = [link for link in links if link.end_xy is not None]
    if not ends:
        return None
    b = np.array([link.end_xy for link in ends], dtype=np.float64)
    points = np.column_stack([b, np.full(len(b), origin.z + LIFT_M)]) - origin.xyz
    mesh = pv.PolyData(points.astype(np.float32))
    mesh.point_data["rgb"] = _rgb([color_of(link.relation) for link in ends])
    return mesh


def routes_mesh(links, origin):
    """One PolyData of the routes of the links that carry one, on the road."""
    import pyvista as pv

    with_route = [link for link in links if link.route]
    if not with_route:
        return None
    geoms = shapely.from_wkb([link.route for link in with_route])
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(index, minlength=len(geoms))
    keep = counts >= 2
    xyz = np.column_stack([coords, np.full(len(coords), origin.z + LIFT_M * 0.5)]) - origin.xyz
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    cells = np.concatenate([np.concatenate([[c], np.arange(s, s + c)]) for s, c in zip(starts[keep], counts[keep])])
    mesh = pv.PolyData(xyz.astype(np.float32), lines=cells)
    mesh.cell_data["rgb"] = _rgb([color_of(link.relation) for link, k in zip(with_route, keep) if k])
    return mesh


def links_legend(links) -> LegendBlock | None:
    relations = list(dict.fromkeys(link.relation for link in links))
    if not relations:
        return None
    return LegendBlock("Links", [(RELATION_LABELS.get(r, r.replace("_", " ")), color_of(r)) for r in relations])


class LinkOverlay:
    """The arcs and routes of the selection's active links on one plotter."""

    def __init__(self, plotter) -> None:
        self.plotter = plotter
        self.actors: list = []
        self.shown = 0

    def draw(self, links, origin) -> None:
        self.clear()
        self.shown = len(links)
        common = dict(scalars="rgb", rgb=True, pickable=False, reset_camera=False, render=False, lighting=False)
        routes = routes_mesh(links, origin)
        if routes is not None:
            self.actors.append(self.plotter.add_mesh(routes, line_width=6, name="twin:link-routes", **common))
        arcs = arcs_mesh(links, origin)
        if arcs is not None:
            self.actors.append(self.plotter.add_mesh(arcs, line_width=3, name="twin:link-arcs", **common))
        ends = ends_mesh(links, origin)
        if ends is not None:  # the linked features, marked where they are, seen through what stands in front
            actor = self.plotter.add_mesh(ends, point_size=13, render_points_as_spheres=True, name="twin:link-ends",
                                          **common)
            mapper = actor.GetMapper()
            mapper.SetResolveCoincidentTopologyToPolygonOffset()
            mapper.SetRelativeCoincidentTopologyPointOffsetParameter(-60000.0)
            self.actors.append(actor)

    def clear(self) -> None:
        for actor in self.actors:
            self.plotter.remove_actor(actor, render=False)
        self.actors = []
        self.shown = 0
