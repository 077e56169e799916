"""Features tiled by their centroids into an adaptive quadtree (an explicit 3D Tiles tree).

A tile holding more than ``max_features`` features is split into the four quadrants of its square;
empty quadrants are dropped. Leaves hold the full meshes of their features. A parent holds, when
``parent_boxes`` is on, the boxes of the ``max_features`` largest features below it (a block model of
the skyline seen from afar) and is replaced by its children (``refine: REPLACE``) when the camera
comes closer. Each step of the recursion works on numpy index arrays: the loop is per tile, never
per feature.
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: deepest level: features whose centroids coincide still end up in a leaf
MAX_LEVEL = 20
#: metres: the smallest geometric error of a parent tile
MIN_PARENT_ERROR = 0.01
#: a parent's geometric error is at least its side divided by this
SPACING_FRACTION = 16.0


@dataclasses.dataclass
class Tile:
    """One tile: its quadtree key, the features below it and those its own content draws."""

    level: int
    x: int
    y: int
    members: np.ndarray  # indices of all features below this tile
    content: np.ndarray  # indices of the features drawn by this tile's own content
    boxes: bool  # True when ``content`` is drawn as boxes (a parent's simplified content)
    children: list["Tile"] = dataclasses.field(default_factory=list)
    geometric_error: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.level}_{self.x}_{self.y}"

    def walk(self):
        """This tile and all tiles below it, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()


def build_quadtree(centres: np.ndarray, sizes: np.ndarray, *, max_features: int, parent_boxes: bool = True) -> Tile:
    """The quadtree of features with centroids ``centres`` (n, 2) and sizes ``sizes`` (n,): their largest extent.

    ``geometric_error`` of a leaf is 0; of a parent, the size of the largest feature its content leaves
    out, and at least ``1 / SPACING_FRACTION`` of its side (the many small features a parent leaves out
    are an error at the scale of their spacing); never less than its children's.
    """
    if max_features < 1:
        raise ValueError("max_features must be at least 1")
    centres = np.asarray(centres, dtype=np.float64)
    sizes = np.asarray(sizes, dtype=np.float64)
    if len(centres):
        lo, hi = centres.min(axis=0), centres.max(axis=0)
    else:
        lo = hi = np.zeros(2)
    side = max(float((hi - lo).max()), 1e-6) * (1 + 1e-9)
    order = np.argsort(-sizes, kind="stable")  # largest first, for the parents' boxes
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[order] = np.arange(len(sizes))
    root = Tile(0, 0, 0, np.arange(len(centres)), np.empty(0, dtype=np.int64), False)
    stack = [root]
    while stack:
        tile = stack.pop()
        members = tile.members
        if len(members) <= max_features or tile.level >= MAX_LEVEL:
            tile.content, tile.boxes = members, False
            continue
        cell = side / 2 ** tile.level
        mid = lo + (np.array([tile.x, tile.y]) + 0.5) * cell
        quadrant = (centres[members, 0] >= mid[0]).astype(np.int64) + 2 * (centres[members, 1] >= mid[1])
        for q in range(4):
            part = members[quadrant == q]
            if len(part):
                tile.children.append(Tile(tile.level + 1, 2 * tile.x + (q & 1), 2 * tile.y + (q >> 1), part,
                                          np.empty(0, dtype=np.int64), False))
        if parent_boxes:
            biggest = members[np.argsort(rank[members], kind="stable")[:max_features]]
            tile.content, tile.boxes = np.sort(biggest), True
        stack.extend(tile.children)
    _errors(root, sizes, side)
    return root


def _errors(root: Tile, sizes: np.ndarray, side: float) -> None:
    for tile in reversed(list(root.walk())):  # children before parents
        if not tile.children:
            tile.geometric_error = 0.0
            continue
        left_out = np.setdiff1d(tile.members, tile.content, assume_unique=True)
        own = max(float(sizes[left_out].max()) if len(left_out) else 0.0, side / 2**tile.level / SPACING_FRACTION)
        # never 0 for a parent: a client would then never open its children
        tile.geometric_error = max(own, max(c.geometric_error for c in tile.children), MIN_PARENT_ERROR)
