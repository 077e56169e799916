"""One tile's content as a binary glTF (``.glb``), built with pygltflib.

The triangles are written unindexed with one flat normal per triangle (walls and roofs keep their
hard edges under Cesium's lighting), a vertex colour per semantic surface (roofs, walls, ground),
``_FEATURE_ID_0`` (the feature's row in the tile's property table) under EXT_mesh_features, and the
features' attributes as an EXT_structural_metadata property table. Every buffer view starts on an
8-byte boundary, as property tables require.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pygltflib

FLOAT, UNSIGNED_BYTE = 5126, 5121
ARRAY_BUFFER = 34962
EXTENSIONS = ["EXT_mesh_features", "EXT_structural_metadata"]

#: RGBA per semantic surface code (twin.layerdata.SURFACE_CODES): unclassified, ground, wall, roof, ...
SURFACE_COLOURS = np.array(
    [[214, 208, 196, 255], [120, 116, 108, 255], [232, 226, 214, 255], [178, 92, 76, 255], [200, 200, 200, 255],
     [220, 214, 200, 255], [210, 204, 190, 255], [140, 170, 200, 255], [150, 110, 80, 255], [90, 140, 200, 255],
     [160, 160, 160, 255], [180, 180, 170, 255]], dtype=np.uint8)


class BinaryBody:
    """The binary chunk of a glb: byte pieces, each an 8-byte aligned buffer view."""

    def __init__(self) -> None:
        self.views: list[pygltflib.BufferView] = []
        self._pieces: list[bytes] = []
        self._length = 0

    def add(self, data: bytes, *, target: int | None = None) -> int:
        """Store ``data`` as a new buffer view; return its index. glTF forbids empty views: b"" is stored as one zero byte."""
        data = data or b"\0"
        pad = -self._length % 8
        if pad:
            self._pieces.append(b"\0" * pad)
            self._length += pad
        self.views.append(pygltflib.BufferView(buffer=0, byteOffset=self._length, byteLength=len(data), target=target))
        self._pieces.append(data)
        self._length += len(data)
        return len(self.views) - 1

    def blob(self) -> bytes:
        return b"".join(self._pieces) + b"\0" * (-self._length % 8)


def tile_glb(positions: np.ndarray, surfaces: np.ndarray, feature_of_triangle: np.ndarray, feature_count: int,
             *, metadata_schema: dict[str, Any], table: dict[str, Any] | None = None, body: BinaryBody | None = None) -> bytes:
    """The glb of triangles ``positions`` (3m, 3) in glTF axes, one ``surfaces`` code and one feature index
    (0..feature_count-1) per triangle; ``table`` (built on ``body``) is the property table of those features."""
    body = body or BinaryBody()
    positions = np.ascontiguousarray(positions, dtype=np.float32)
    corners = positions.reshape(-1, 3, 3).astype(np.float64)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.where(length > 0, normals / np.where(length > 0, length, 1.0), np.array([0.0, 1.0, 0.0]))
    normals = np.repeat(normals.astype(np.float32), 3, axis=0)
    colours = np.repeat(SURFACE_COLOURS[np.minimum(surfaces, len(SURFACE_COLOURS) - 1)], 3, axis=0)
    ids = np.repeat(np.asarray(feature_of_triangle, dtype=np.float32), 3)
    accessors = [
        pygltflib.Accessor(bufferView=body.add(positions.tobytes(), target=ARRAY_BUFFER), componentType=FLOAT,
                           count=len(positions), type="VEC3", min=positions.min(axis=0).tolist(),
                           max=positions.max(axis=0).tolist()),
        pygltflib.Accessor(bufferView=body.add(normals.tobytes(), target=ARRAY_BUFFER), componentType=FLOAT,
                           count=len(normals), type="VEC3"),
        pygltflib.Accessor(bufferView=body.add(np.ascontiguousarray(colours).tobytes(), target=ARRAY_BUFFER),
                           componentType=UNSIGNED_BYTE, normalized=True, count=len(colours), type="VEC4"),
        pygltflib.Accessor(bufferView=body.add(ids.tobytes(), target=ARRAY_BUFFER), componentType=FLOAT,
                           count=len(ids), type="SCALAR"),
    ]
    feature_ids: dict[str, Any] = {"featureCount": int(feature_count), "attribute": 0}
    if table is not None:
        feature_ids["propertyTable"] = 0
    primitive = pygltflib.Primitive(
        attributes=pygltflib.Attributes(POSITION=0, NORMAL=1, COLOR_0=2, _FEATURE_ID_0=3), material=0,
        extensions={"EXT_mesh_features": {"featureIds": [feature_ids]}})
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="Smart City Twin (pygltflib)"),
        scene=0, scenes=[pygltflib.Scene(nodes=[0])], nodes=[pygltflib.Node(mesh=0)],
        meshes=[pygltflib.Mesh(primitives=[primitive])],
        materials=[pygltflib.Material(
            pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(baseColorFactor=[1, 1, 1, 1], metallicFactor=0.0,
                                                                roughnessFactor=1.0),
            doubleSided=True)],
        accessors=accessors, extensionsUsed=list(EXTENSIONS) if table is not None else EXTENSIONS[:1],
    )
    if table is not None:
        gltf.extensions = {"EXT_structural_metadata": {"schema": metadata_schema, "propertyTables": [table]}}
    blob = body.blob()
    gltf.bufferViews = body.views
    gltf.buffers = [pygltflib.Buffer(byteLength=len(blob))]
    gltf.set_binary_blob(blob)
    return b"".join(gltf.save_to_bytes())
