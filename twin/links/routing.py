"""Travel time over a road network: a directed graph of road links, shortest paths with scipy's csgraph.

:class:`RoadGraph` is built from line geometries (the links of a road layer, in the project CRS) with a
speed per link and a one-way flag: nodes are the links' end points (a network whose links meet at their
ends, as node-link road data and SUMO networks do), edges go both ways unless the link is one-way (then
from its first to its last vertex). Costs are seconds (length / speed); :meth:`RoadGraph.with_speeds`
gives the same graph with other speeds (the traffic at the time of a call).

A point joins the network where it is closest to a road link (an incident in the middle of a block is
reached along its street, from whichever end the street's direction allows), the gap between the point and
the link covered at an approach speed. Everything is vectorised: one Dijkstra from each end of each source's
link over the whole graph (``scipy.sparse.csgraph.dijkstra``), all pairs combined with numpy, routes read
back from the predecessor arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

#: end points closer than this (metres) are the same node
SNAP_M = 0.5
#: speed (m/s) between a point off the network and its nearest node
APPROACH_MPS = 5.0


@dataclasses.dataclass(frozen=True)
class Route:
    """One shortest path: from a source point to a target point, with its time, length and geometry."""

    source: int  # index of the source point
    target: int  # index of the target point
    travel_time_s: float
    distance_m: float
    edges: np.ndarray  # indices of the road links driven, in order
    geometry: object  # shapely LineString in the project CRS (None when no path)


class RoadGraph:
    """A directed road graph (see the module docstring). Build it with :meth:`from_lines`."""

    def __init__(self, nodes: np.ndarray, tail: np.ndarray, head: np.ndarray, edge_link: np.ndarray,
                 lengths: np.ndarray, speeds: np.ndarray, lines: np.ndarray) -> None:
        self.nodes = nodes  # (n, 2) node coordinates
        self.tail, self.head = tail, head  # directed edges: node -> node
        self.edge_link = edge_link  # the road link (index into ``lines``) of each directed edge
        self.lengths = lengths  # per road link, metres
        self.speeds = speeds  # per road link, m/s
        self.lines = lines  # shapely LineStrings of the road links
        self._forward = np.ones(len(tail), dtype=bool)  # the edge runs along its link's vertex order
        self._tree = cKDTree(nodes) if len(nodes) else None
        self._line_tree = shapely.STRtree(lines) if len(lines) else None
        self._matrix: sparse.csr_matrix | None = None
        self._ends: tuple[np.ndarray, np.ndarray] | None = None
        self._oneway = np.zeros(len(lines), dtype=bool)
        self._edge_order: tuple[np.ndarray, np.ndarray] | None = None

    # ----- building ----------------------------------------------------------------------------
    @classmethod
    def from_lines(cls, lines, *, speed_mps, oneway=None) -> "RoadGraph":
        """A graph of road links ``lines`` (shapely LineStrings; MultiLineStrings are merged or their first
        part taken), ``speed_mps`` per link (or one number), ``oneway`` per link (None: all two-way)."""
        geoms = np.asarray(lines, dtype=object)
        geoms = np.array([_single_line(g) for g in geoms], dtype=object)
        count = len(geoms)
        speeds = np.broadcast_to(np.asarray(speed_mps, dtype=np.float64), (count,)).copy()
        if np.any(~np.isfinite(speeds)) or np.any(speeds <= 0):
            raise ValueError("every road link needs a positive speed")
        ways = np.zeros(count, dtype=bool) if oneway is None else np.asarray(oneway, dtype=bool)
        lengths = shapely.length(geoms)
        first = shapely.get_coordinates(shapely.get_point(geoms, 0))
        last = shapely.get_coordinates(shapely.get_point(geoms, -1))
        ends = np.round(np.concatenate([first, last]) / SNAP_M).astype(np.int64)
        keys, inverse = np.unique(ends, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        nodes = np.zeros((len(keys), 2))
        np.add.at(nodes, inverse, np.concatenate([first, last]))
        nodes /= np.bincount(inverse, minlength=len(keys))[:, None]
        a, b = inverse[:count], inverse[count:]
        links = np.arange(count)
        two = ~ways
        tail = np.concatenate([a, b[two]])
        head = np.concatenate([b, a[two]])
        edge_link = np.concatenate([links, links[two]])
        graph = cls(nodes, tail, head, edge_link, lengths, speeds, geoms)
        graph._forward = np.concatenate([np.ones(count, dtype=bool), np.zeros(int(two.sum()), dtype=bool)])
        graph._ends = (a, b)
        graph._oneway = ways
        return graph

    def with_speeds(self, speed_mps) -> "RoadGraph":
        """The same graph with other link speeds (m/s per link, or one number)."""
        speeds = np.broadcast_to(np.asarray(speed_mps, dtype=np.float64), self.speeds.shape).copy()
        speeds = np.where(np.isfinite(speeds) & (speeds > 0), speeds, self.speeds)
        graph = RoadGraph(self.nodes, self.tail, self.head, self.edge_link, self.lengths, speeds, self.lines)
        graph._forward, graph._tree, graph._line_tree = self._forward, self._tree, self._line_tree
        graph._ends, graph._oneway = self._ends, self._oneway
        return graph

    @property
    def matrix(self) -> sparse.csr_matrix:
        """Travel seconds between adjacent nodes (the cheapest parallel edge when there are several)."""
        if self._matrix is None:
            seconds = self.lengths[self.edge_link] / self.speeds[self.edge_link]
            seconds = np.maximum(seconds, 1e-6)  # a zero weight would read as "no edge"
            order = np.lexsort((seconds, self.head, self.tail))
            tail, head, cost = self.tail[order], self.head[order], seconds[order]
            keep = np.ones(len(tail), dtype=bool)
            keep[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
            n = len(self.nodes)
            self._matrix = sparse.csr_matrix((cost[keep], (tail[keep], head[keep])), shape=(n, n))
        return self._matrix

    # ----- points to nodes -------------------------------------------------------------------------
    def nearest(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(node index, distance in metres) of the node nearest to each point ``xy`` (n, 2)."""
        if self._tree is None:
            raise ValueError("the road network has no links")
        distance, index = self._tree.query(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
        return index.astype(np.int64), distance

    def attach(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where points join the network: (road link, metres along it from its first vertex, gap in metres)."""
        if self._line_tree is None:
            raise ValueError("the road network has no links")
        pts = shapely.points(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
        link = self._line_tree.nearest(pts).astype(np.int64)
        along = shapely.line_locate_point(self.lines[link], pts)
        gap = shapely.distance(pts, self.lines[link])
        return link, along, gap

    # ----- shortest paths --------------------------------------------------------------------------
    def _legs(self, link: np.ndarray, along: np.ndarray, *, leaving: bool) -> tuple[np.ndarray, np.ndarray]:
        """For points on links: their two end nodes (k, 2) and the seconds between point and each end
        (inf where the link's direction forbids it: leaving towards its first end, or arriving from its last)."""
        a, b = self._ends
        seconds_per_m = 1.0 / self.speeds[link]
        to_first, to_last = along * seconds_per_m, (self.lengths[link] - along) * seconds_per_m
        oneway = self._oneway[link]
        nodes = np.column_stack([a[link], b[link]])
        if leaving:  # from the point to an end: towards the first end only when two-way
            cost = np.column_stack([np.where(oneway, np.inf, to_first), to_last])
        else:  # from an end to the point: from the last end only when two-way
            cost = np.column_stack([to_first, np.where(oneway, np.inf, to_last)])
        return nodes, cost

    def _solve(self, sources_xy, targets_xy, approach_mps, *, predecessors: bool = False):
        s_link, s_along, s_gap = self.attach(sources_xy)
        t_link, t_along, t_gap = self.attach(targets_xy)
        s_nodes, s_cost = self._legs(s_link, s_along, leaving=True)
        t_nodes, t_cost = self._legs(t_link, t_along, leaving=False)
        unique, where = np.unique(s_nodes.ravel(), return_inverse=True)
        result = csgraph.dijkstra(self.matrix, directed=True, indices=unique, return_predecessors=predecessors)
        dist = result[0] if predecessors else result
        d = dist[where.reshape(-1, 2)]  # (sources, 2 exits, nodes)
        d = d[:, :, t_nodes]  # (sources, 2 exits, targets, 2 entries)
        total = s_cost[:, :, None, None] + d + t_cost[None, None, :, :]
        flat = total.reshape(len(s_link), 2, len(t_link), 2).transpose(0, 2, 1, 3).reshape(len(s_link), len(t_link), 4)
        choice = np.argmin(flat, axis=2)
        best = np.take_along_axis(flat, choice[:, :, None], axis=2)[:, :, 0]
        # on the same link, ahead in an allowed direction: along the link, no node at all
        same = s_link[:, None] == t_link[None, :]
        ahead = t_along[None, :] - s_along[:, None]
        allowed = (ahead >= 0) | ~self._oneway[s_link][:, None]
        direct = np.where(same & allowed, np.abs(ahead) / self.speeds[s_link][:, None], np.inf)
        best = np.minimum(best, direct)
        legs = s_gap[:, None] / approach_mps + t_gap[None, :] / approach_mps
        state = dict(s_link=s_link, s_along=s_along, t_link=t_link, t_along=t_along, s_nodes=s_nodes,
                     t_nodes=t_nodes, unique=unique, where=where.reshape(-1, 2), choice=choice,
                     direct=direct <= best, preds=result[1] if predecessors else None)
        return best + legs, state

    def travel_times(self, sources_xy: np.ndarray, targets_xy: np.ndarray, *,
                     approach_mps: float = APPROACH_MPS) -> np.ndarray:
        """Seconds from each source point to each target point (sources x targets): along the source's link
        to one of its ends, over the network, along the target's link from one of its ends (the links'
        directions respected), the gaps between points and links at ``approach_mps``; ``inf`` where no path
        exists."""
        return self._solve(sources_xy, targets_xy, approach_mps)[0]

    def routes(self, sources_xy: np.ndarray, targets_xy: np.ndarray, pairs: np.ndarray, *,
               approach_mps: float = APPROACH_MPS) -> list[Route]:
        """The shortest routes for ``pairs`` (k, 2) of (source index, target index)."""
        sources_xy = np.asarray(sources_xy, dtype=np.float64).reshape(-1, 2)
        targets_xy = np.asarray(targets_xy, dtype=np.float64).reshape(-1, 2)
        times, st = self._solve(sources_xy, targets_xy, approach_mps, predecessors=True)
        return self._routes(sources_xy, targets_xy, pairs, times, st)

    def nearest_routes(self, sources_xy: np.ndarray, targets_xy: np.ndarray, *,
                       approach_mps: float = APPROACH_MPS) -> list[Route]:
        """For each target, the route from its nearest source by travel time (one Dijkstra for all of them)."""
        sources_xy = np.asarray(sources_xy, dtype=np.float64).reshape(-1, 2)
        targets_xy = np.asarray(targets_xy, dtype=np.float64).reshape(-1, 2)
        times, st = self._solve(sources_xy, targets_xy, approach_mps, predecessors=True)
        pick = np.argmin(times, axis=0)
        return self._routes(sources_xy, targets_xy, np.column_stack([pick, np.arange(len(targets_xy))]), times, st)

    def _routes(self, sources_xy, targets_xy, pairs, times, st) -> list[Route]:
        out = []
        for s, t in np.asarray(pairs, dtype=np.int64).reshape(-1, 2):
            seconds = times[s, t]
            if not np.isfinite(seconds):
                out.append(Route(int(s), int(t), float("inf"), float("inf"), np.empty(0, np.int64), None))
                continue
            pieces = [np.asarray(sources_xy[s]).reshape(1, 2)]
            edges = np.empty(0, np.int64)
            if st["direct"][s, t]:
                pieces.append(_piece(self.lines[st["s_link"][s]], st["s_along"][s], st["t_along"][t]))
            else:
                exit_end, entry_end = divmod(int(st["choice"][s, t]), 2)
                end_node = st["t_nodes"][t, entry_end]
                row = st["where"][s, exit_end]
                nodes = _path(st["preds"][row], int(st["unique"][row]), int(end_node))
                edges = self._edges_between(nodes)
                link = self.lines[st["s_link"][s]]
                pieces.append(_piece(link, st["s_along"][s], 0.0 if exit_end == 0 else float(shapely.length(link))))
                for edge in edges:
                    coords = shapely.get_coordinates(self.lines[self.edge_link[edge]])
                    pieces.append(coords if self._forward[edge] else coords[::-1])
                link = self.lines[st["t_link"][t]]
                pieces.append(_piece(link, 0.0 if entry_end == 0 else float(shapely.length(link)), st["t_along"][t]))
            pieces.append(np.asarray(targets_xy[t]).reshape(1, 2))
            geometry = _polyline(pieces)
            out.append(Route(int(s), int(t), float(seconds), float(shapely.length(geometry)), edges, geometry))
        return out

    def _edges_between(self, nodes: np.ndarray) -> np.ndarray:
        """The cheapest directed edge between each pair of consecutive nodes of a path."""
        if len(nodes) < 2:
            return np.empty(0, np.int64)
        if self._edge_order is None:  # edges by (tail, head), the cheapest first: once per graph
            seconds = self.lengths[self.edge_link] / self.speeds[self.edge_link]
            key = self.tail * len(self.nodes) + self.head
            order = np.lexsort((seconds, key))
            self._edge_order = (order, key[order])
        order, sorted_keys = self._edge_order
        wanted = nodes[:-1] * len(self.nodes) + nodes[1:]
        return order[np.searchsorted(sorted_keys, wanted)]


def _path(predecessors: np.ndarray, source: int, target: int) -> np.ndarray:
    """Nodes from ``source`` to ``target`` read back from a Dijkstra predecessor row."""
    nodes = [target]
    while nodes[-1] != source:
        previous = predecessors[nodes[-1]]
        if previous < 0:
            break
        nodes.append(int(previous))
    return np.asarray(nodes[::-1], dtype=np.int64)


def _piece(line, from_m: float, to_m: float) -> np.ndarray:
    """The coordinates of ``line`` between two distances along it, in that order (either direction)."""
    lo, hi = sorted((float(from_m), float(to_m)))
    coords = shapely.get_coordinates(line)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
    lo, hi = np.clip((lo, hi), 0.0, along[-1])
    ends = np.column_stack([np.interp((lo, hi), along, coords[:, 0]), np.interp((lo, hi), along, coords[:, 1])])
    inside = coords[(along > lo) & (along < hi)]
    part = np.vstack([ends[:1], inside, ends[1:]])
    return part if from_m <= to_m else part[::-1]


def _polyline(pieces: list[np.ndarray]):
    """One LineString through the pieces, repeated points dropped."""
    coords = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in pieces])
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-9, axis=1)
    coords = coords[keep]
    if len(coords) < 2:
        coords = np.vstack([coords, coords])
    return shapely.linestrings(coords)


def _single_line(geometry):
    """A LineString for a link: itself, the merge of a MultiLineString, or its longest part."""
    if geometry is None or shapely.is_empty(geometry):
        raise ValueError("a road link has no geometry")
    if shapely.get_type_id(geometry) == 1:
        return geometry
    merged = shapely.line_merge(geometry)
    if shapely.get_type_id(merged) == 1:
        return merged
    parts = shapely.get_parts(merged)
    return parts[np.argmax(shapely.length(parts))]
