"""Tiles of a buildings layer that lives in a partitioned dataset: one tile per partition (docs/datasets.md).

The tiles come from the project's ``lyr_<id>_partitions`` table (no file is opened to list them); the mesh
rows of some tiles are read from those partitions only, and only their ``fid, vertices, triangles,
surfaces`` columns (:func:`twin.store.datasets.read`). The dataset is in the project CRS (the import refuses
another), so rows need no transformation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twin.errors import ProjectError
from twin.scene.meshes import MeshRows, _flatten
from twin.scene.tilesource import Tile
from twin.store import datasets
from twin.store.project import LayerInfo, Project


class DatasetTiles:
    """The :class:`~twin.scene.tilesource.TileSource` of an external buildings layer."""

    def __init__(self, project: Project, layer: LayerInfo) -> None:
        self.project = project
        self.layer = layer
        self.dataset = datasets.external(project, layer)  # ProjectError saying why when it cannot be read
        if self.dataset.kind != "buildings":
            raise ProjectError(f"layer {layer.name!r}: a {self.dataset.kind} dataset has no building tiles")
        self._index = {path: i for i, path in enumerate(self.dataset.index.paths)}

    def tiles(self) -> list[Tile]:
        """One tile per non-empty partition, keyed by its relative path."""
        idx = self.dataset.index
        z0, z1 = self.layer.zrange or (0.0, 0.0)
        zr = np.where(np.isnan(idx.zrange), [z0, z1], idx.zrange)
        return [Tile(key=idx.paths[i], bbox=(*idx.bbox[i, :2], zr[i, 0], *idx.bbox[i, 2:], zr[i, 1]),
                     count=int(idx.rows[i]))
                for i in np.flatnonzero(idx.rows > 0)]

    def keys_in(self, xmin: float, ymin: float, xmax: float, ymax: float) -> list[str]:
        """The keys of the tiles that meet a box (project CRS): a district's view."""
        return [self.dataset.index.paths[i] for i in self.dataset.index.in_bbox(xmin, ymin, xmax, ymax)]

    def mesh_rows(self, keys: Sequence[str], *, lod: str | None = None) -> MeshRows:
        """The LoD1 mesh rows of every building in the tiles ``keys`` (a dataset holds one LoD: ``lod`` is
        accepted and the LoD1 blocks returned)."""
        try:
            indices = [self._index[key] for key in keys]
        except KeyError as exc:
            raise ProjectError(f"layer {self.layer.name!r}: no tile {exc.args[0]!r} in its dataset") from None
        table = datasets.read(self.project, self.layer, indices, datasets.MESH_COLUMNS)
        return _flatten(table, self.layer)


def source(project: Project, layer: LayerInfo) -> DatasetTiles:
    """The tile source of an external buildings layer (see :func:`twin.scene.tilesource.tile_source`)."""
    return DatasetTiles(project, layer)
