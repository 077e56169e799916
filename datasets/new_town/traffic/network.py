"""The town's road links as SUMO plain XML (``.nod.xml`` and ``.edg.xml``) for ``netconvert``.

Nodes are the links' end points in EPSG:5186 (netconvert moves the network to its origin and records
the shift as ``netOffset``). A junction gets a traffic light when three or more links meet there and at
least two of them are collectors or above, one of them an arterial; the others are priority junctions
(priorities from the road rank). Edges: ``L0001`` runs along a link's vertex order, ``-L0001`` the other
way for a two-way link; a two-way link's lanes are split between its directions.
"""

from __future__ import annotations

import dataclasses
import pathlib
from xml.sax.saxutils import quoteattr

import numpy as np
import shapely

from twin_datasets.new_town import plan

SNAP = 0.01  # metres: end points closer than this are one node


@dataclasses.dataclass
class Network:
    """Nodes and directed edges of the SUMO network (project CRS)."""

    node_xy: np.ndarray
    node_type: np.ndarray
    edge_id: np.ndarray
    edge_from: np.ndarray
    edge_to: np.ndarray
    edge_link: np.ndarray  # index of the road link
    edge_line: np.ndarray  # index into ``lines``
    edge_forward: np.ndarray  # along the link's vertex order
    edge_lanes: np.ndarray
    edge_speed: np.ndarray  # m/s
    edge_priority: np.ndarray
    lines: np.ndarray  # the links in EPSG:5186


def build(links: plan.RoadLinks | None = None, *, keep: np.ndarray | None = None) -> Network:
    """The directed network of ``links`` (default: the whole town; ``keep``: a mask of links to use)."""
    links = links or plan.road_links()
    index = np.arange(len(links)) if keep is None else np.flatnonzero(keep)
    lines = plan.to_project(links.geometry[index])
    first = shapely.get_coordinates(shapely.get_point(lines, 0))
    last = shapely.get_coordinates(shapely.get_point(lines, -1))
    keys, inverse = np.unique(np.round(np.concatenate([first, last]) / SNAP).astype(np.int64), axis=0,
                              return_inverse=True)
    inverse = inverse.ravel()
    node_xy = np.zeros((len(keys), 2))
    node_xy[inverse] = np.concatenate([first, last])
    a, b = inverse[: len(index)], inverse[len(index):]
    rank = links.rank[index]
    signal = plan.signalised(rank, a, b, len(keys))
    node_type = np.where(signal, "traffic_light", "priority").astype(object)
    two = ~links.oneway[index]
    lanes = links.lanes[index]
    per_direction = np.where(two, np.maximum(lanes // 2, 1), lanes)
    ids = links.link_id[index]
    edge_id = np.concatenate([ids, np.char.add("-", ids[two].astype(str)).astype(object)])
    priority = np.array([plan.PRIORITY[r] for r in rank])
    return Network(
        node_xy=node_xy, node_type=node_type, edge_id=edge_id,
        edge_from=np.concatenate([a, b[two]]), edge_to=np.concatenate([b, a[two]]),
        edge_link=np.concatenate([index, index[two]]),
        edge_line=np.concatenate([np.arange(len(index)), np.flatnonzero(two)]),
        edge_forward=np.concatenate([np.ones(len(index), bool), np.zeros(int(two.sum()), bool)]),
        edge_lanes=np.concatenate([per_direction, per_direction[two]]),
        edge_speed=np.concatenate([links.speed[index], links.speed[index][two]]) / 3.6,
        edge_priority=np.concatenate([priority, priority[two]]), lines=lines,
    )


def write_plain(network: Network, folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """Write ``town.nod.xml`` and ``town.edg.xml`` into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    nodes, edges = folder / "town.nod.xml", folder / "town.edg.xml"
    rows = [f'    <node id="n{k}" x="{x:.3f}" y="{y:.3f}" type="{t}"/>'
            for k, ((x, y), t) in enumerate(zip(network.node_xy, network.node_type))]
    nodes.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<nodes>\n' + "\n".join(rows) + "\n</nodes>\n",
                     encoding="utf-8")
    out = []
    for k in range(len(network.edge_id)):
        coords = shapely.get_coordinates(network.lines[network.edge_line[k]])
        if not network.edge_forward[k]:
            coords = coords[::-1]
        shape = ""
        if len(coords) > 2:
            shape = ' shape="' + " ".join(f"{x:.3f},{y:.3f}" for x, y in coords) + '"'
        out.append(f'    <edge id={quoteattr(str(network.edge_id[k]))} from="n{network.edge_from[k]}" '
                   f'to="n{network.edge_to[k]}" numLanes="{network.edge_lanes[k]}" '
                   f'speed="{network.edge_speed[k]:.2f}" priority="{network.edge_priority[k]}"{shape}/>')
    edges.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<edges>\n' + "\n".join(out) + "\n</edges>\n",
                     encoding="utf-8")
    return nodes, edges
