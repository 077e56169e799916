"""The local origin of a scene: project coordinates minus the project centre, float64 until then.

Projected CRSs such as EPSG:2056 or EPSG:5186 have 6- and 7-digit eastings; float32 (what the GPU
uses) has a spacing of 0.25 m at 2.6 million, so absolute coordinates jitter. Subtracting the
project centre in float64 first leaves values of a few kilometres at most, exact to well under 1 mm.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from twin.store.project import LayerInfo, Project


@dataclasses.dataclass(frozen=True)
class LocalOrigin:
    """The project point drawn at (0, 0, 0): x, y in the project CRS, z the ground elevation."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0

    @property
    def xyz(self) -> np.ndarray:
        return np.array([self.x, self.y, self.z], dtype=np.float64)

    def to_local(self, xyz: np.ndarray) -> np.ndarray:
        """Project coordinates (n, 3) or (n, 2) in float64 -> local float32 (n, 3); missing z is ground."""
        xyz = np.asarray(xyz, dtype=np.float64)
        if xyz.ndim != 2 or xyz.shape[1] not in (2, 3):
            raise ValueError(f"coordinates must be (n, 2) or (n, 3), not {xyz.shape}")
        out = np.empty((len(xyz), 3), dtype=np.float32)
        out[:, 0] = xyz[:, 0] - self.x
        out[:, 1] = xyz[:, 1] - self.y
        if xyz.shape[1] == 3:
            z = xyz[:, 2] - self.z
            out[:, 2] = np.where(np.isfinite(z), z, 0.0)
        else:
            out[:, 2] = 0.0
        return out

    def to_project(self, local: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Local coordinates back to the project CRS (float64)."""
        return np.asarray(local, dtype=np.float64) + self.xyz

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def project_origin(project: Project, layers: list[LayerInfo] | None = None) -> LocalOrigin:
    """The centre of the project's extent (whole metres) at the ground elevation.

    The ground is the lowest z of the layers that carry 3D meshes (buildings), else of any layer
    with a z range, else 0: 2D points and roads are then drawn on the ground.
    """
    layers = project.layers() if layers is None else layers
    boxes = np.array([layer.bbox for layer in layers if layer.bbox], dtype=np.float64).reshape(-1, 4)
    boxes = boxes[np.isfinite(boxes).all(axis=1)]
    if not len(boxes):
        return LocalOrigin()
    cx = (boxes[:, 0].min() + boxes[:, 2].max()) / 2.0
    cy = (boxes[:, 1].min() + boxes[:, 3].max()) / 2.0
    return LocalOrigin(float(round(cx)), float(round(cy)), ground_elevation(layers))


def project_extent(layers: list[LayerInfo]) -> float:
    """The diagonal (m) of the union of the layers' extents; 1000 m when none has one."""
    boxes = np.array([layer.bbox for layer in layers if layer.bbox], dtype=np.float64).reshape(-1, 4)
    boxes = boxes[np.isfinite(boxes).all(axis=1)]
    if not len(boxes):
        return 1000.0
    return max(math.hypot(boxes[:, 2].max() - boxes[:, 0].min(), boxes[:, 3].max() - boxes[:, 1].min()), 1.0)


def ground_elevation(layers: list[LayerInfo]) -> float:
    """Lowest z of the building layers (else of point and polygon layers with z), rounded down to 0.1 m.

    Lines are left out: underground utilities lie below the ground. Without any z, the ground is 0.
    """
    meshed = [layer.zrange[0] for layer in layers if layer.zrange and layer.kind == "buildings"]
    other = [layer.zrange[0] for layer in layers if layer.zrange and layer.kind in ("points", "polygons")]
    values = [z for z in (meshed or other) if z is not None and math.isfinite(z)]
    return math.floor(min(values) * 10.0) / 10.0 if values else 0.0
