"""What importers hand back: plain data (features, meshes, tracks) and a report. The store builds the rest.

Importers never touch the project: they return :class:`LayerData` in the source CRS, and
:func:`twin.store.writer.write_layer` reprojects and writes it in one transaction.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pyarrow as pa

#: Layer kinds known to the core. Plugins may add others (see docs/plugins.md).
KINDS = ("buildings", "points", "lines", "polygons", "moving", "events", "sensors", "segments")

#: Semantic surface codes in meshes (``MeshData.triangle_surface``).
SURFACE_CODES = {
    "": 0,
    "GroundSurface": 1,
    "WallSurface": 2,
    "RoofSurface": 3,
    "ClosureSurface": 4,
    "OuterCeilingSurface": 5,
    "OuterFloorSurface": 6,
    "Window": 7,
    "Door": 8,
    "WaterSurface": 9,
    "TrafficArea": 10,
    "AuxiliaryTrafficArea": 11,
}
SURFACE_NAMES = {code: name or "Unclassified" for name, code in SURFACE_CODES.items()}


@dataclasses.dataclass
class Skipped:
    """One skipped row or object: where it was (line number, object id) and why."""

    where: str
    reason: str


@dataclasses.dataclass
class ImportReport:
    """What an import did: how many features it imported, what it skipped and why, and notes."""

    source: str
    imported: int = 0
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    detected: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: what ``imported`` counts, as the summary says it ("sample(s) of 661 object(s)" for tracks)
    counted: str = "feature(s)"

    def skip(self, where: str, reason: str) -> None:
        """Record one skipped row or object."""
        self.skipped.append(Skipped(str(where), reason))

    def note(self, text: str) -> None:
        """Record a remark the user should read (defaults used, values repaired, ...)."""
        self.notes.append(text)

    def skipped_by_reason(self) -> dict[str, list[str]]:
        """Skipped places grouped by reason, in first-seen order."""
        groups: dict[str, list[str]] = {}
        for item in self.skipped:
            groups.setdefault(item.reason, []).append(item.where)
        return groups

    def summary(self, *, max_places: int = 12) -> str:
        """Human-readable multi-line summary for the CLI and the import dialog."""
        lines = [f"{self.source}: imported {self.imported} {self.counted}, skipped {len(self.skipped)}"]
        for key, value in self.detected.items():
            lines.append(f"  detected {key}: {value}")
        for reason, places in self.skipped_by_reason().items():
            shown = ", ".join(places[:max_places]) + (", ..." if len(places) > max_places else "")
            lines.append(f"  skipped {len(places)}: {reason} ({shown})")
        lines.extend(f"  note: {text}" for text in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored with the import's provenance."""
        return {
            "source": self.source,
            "imported": self.imported,
            "skipped": [dataclasses.asdict(s) for s in self.skipped],
            "notes": list(self.notes),
            "detected": {k: _jsonable(v) for k, v in self.detected.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


@dataclasses.dataclass
class MeshData:
    """Triangle meshes of many features as flat arrays (no Python object per feature).

    A *part* is one geometry of one feature at one LoD. Part ``i`` owns vertices
    ``vertices[part_vertex_offsets[i]:part_vertex_offsets[i+1]]`` and triangles
    ``triangles[part_triangle_offsets[i]:part_triangle_offsets[i+1]]``, whose indices are local to
    the part (0 = the part's first vertex).
    """

    vertices: np.ndarray  # (n, 3) float64, source CRS
    triangles: np.ndarray  # (m, 3) int32, local to the part
    triangle_surface: np.ndarray  # (m,) uint8, SURFACE_CODES
    part_vertex_offsets: np.ndarray  # (k + 1,) int64
    part_triangle_offsets: np.ndarray  # (k + 1,) int64
    part_feature: np.ndarray  # (k,) int64: row of the feature in LayerData.features
    part_lod: np.ndarray  # (k,) object (str LoD such as "1", "1.2", "2.2")

    def __post_init__(self) -> None:
        k = len(self.part_feature)
        if len(self.part_vertex_offsets) != k + 1 or len(self.part_triangle_offsets) != k + 1:
            raise ValueError("MeshData: offsets must have one entry more than parts")
        if len(self.triangle_surface) != len(self.triangles):
            raise ValueError("MeshData: one surface code per triangle")

    @property
    def part_count(self) -> int:
        return len(self.part_feature)


@dataclasses.dataclass
class LayerData:
    """One layer as an importer returns it, in the source CRS.

    ``features`` holds one row per feature: a ``geometry`` column of WKB (may be null, 2D or 3D)
    and attribute columns with their original names and types. Optional reserved columns:
    ``object_id`` (source identifier), ``parent_fid`` (row of the parent, e.g. a BuildingPart's
    Building; such rows are not counted as features), ``height``.
    """

    kind: str
    features: pa.Table
    crs: str | None
    report: ImportReport
    mesh: MeshData | None = None
    name: str | None = None
    properties: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: extra tables written beside the features, e.g. ``{"track": table sorted by time}``
    tables: dict[str, pa.Table] = dataclasses.field(default_factory=dict)
    #: columns of ``tables[...]`` holding x/y in the source CRS, reprojected on write:
    #: ``{"track": ("x", "y")}``
    table_xy: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    #: number of top-level objects when it is not the feature rows (e.g. distinct vehicles)
    feature_count: int | None = None
    #: (start, end) as timezone-aware datetimes for temporal layers
    time_span: tuple[Any, Any] | None = None
