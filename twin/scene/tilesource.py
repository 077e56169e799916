"""Where a layer's 3D objects come from, tile by tile: the contract between the store and the tiled scene.

A :class:`TileSource` lists a layer's spatial tiles (key, box, feature count) and reads the mesh rows of
some tiles. Two kinds of layer provide one:

- layers stored in the project file (tiles built at import, :mod:`twin.scene.store_tiles`);
- layers that live outside it as a partitioned GeoParquet dataset, one tile per partition
  (:mod:`twin.scene.dataset_tiles`).

The scene (culling, levels of detail, background loading) only talks to this protocol.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from twin.scene.meshes import MeshRows
    from twin.store.project import LayerInfo, Project


@dataclasses.dataclass(frozen=True)
class Tile:
    """One spatial tile of a layer, in the project CRS."""

    key: str  # stable within the layer ("12_34", a partition's relative path...)
    bbox: tuple[float, float, float, float, float, float]  # xmin, ymin, zmin, xmax, ymax, zmax
    count: int  # features whose centre lies in the tile


class TileSource(Protocol):
    """A layer's objects tile by tile."""

    def tiles(self) -> list[Tile]:
        """Every tile of the layer (cheap: read from the catalogue or the dataset's metadata)."""
        ...

    def mesh_rows(self, keys: Sequence[str], *, lod: str | None = None) -> "MeshRows":
        """The mesh rows (project CRS) of every feature in the given tiles, at ``lod`` (else the default)."""
        ...


#: layer -> module that provides its tile source (an external dataset layer, or one in the project file)
_PROVIDERS = {"dataset": "twin.scene.dataset_tiles", "store": "twin.scene.store_tiles"}


def tile_source(project: "Project", layer: "LayerInfo") -> TileSource:
    """The tile source of a layer: its external dataset's partitions, or its tiles in the project file."""
    where = "dataset" if isinstance(layer.properties.get("dataset"), dict) else "store"
    module = importlib.import_module(_PROVIDERS[where])
    return module.source(project, layer)
