"""OGC 3D Tiles 1.1 export: layers with 3D objects -> ``tileset.json`` + binary glTF tiles (docs/export.md).

- ``source``: a layer's meshes (one LoD per feature) and attributes, flattened with Arrow offsets
- ``placement``: project CRS -> ECEF (pyproj, EPSG:4978) -> an east-north-up frame; glTF's y-up axes
- ``quadtree``: features tiled by their centroids, parents holding boxes of their largest features
- ``metadata``: attributes as EXT_structural_metadata property tables
- ``glb``: one tile's ``.glb`` (pygltflib) with EXT_mesh_features feature ids
- ``writer``: ``export_3dtiles``, written into a temporary folder and renamed into place
"""

from twin.io.tiles3d.writer import DEFAULT_MAX_FEATURES, TilesReport, export_3dtiles

__all__ = ["DEFAULT_MAX_FEATURES", "TilesReport", "export_3dtiles"]
