"""``export_3dtiles``: layers with 3D objects -> an OGC 3D Tiles 1.1 tileset (``tileset.json`` + ``.glb`` content).

The layout (docs/export.md, "3D Tiles"): ``DIR/tileset.json`` holds an explicit tree whose root carries
the east-north-up ``transform`` at the centre of the exported layers and has one child per layer, the
root of that layer's quadtree; content files are ``DIR/content/<layer id>/<level>_<x>_<y>.glb``. The
tileset is written into a temporary folder beside ``DIR`` and renamed into place once complete, so a
failed export leaves ``DIR`` as it was.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from twin.errors import ProjectError, TwinError
from twin.io.tiles3d import glb, metadata
from twin.io.tiles3d.placement import EnuFrame, enu_to_gltf, frame_for, project_to_ecef
from twin.io.tiles3d.quadtree import build_quadtree
from twin.io.tiles3d.source import LayerMeshes, has_mesh, offsets, read_layer
from twin.store.project import Project

#: features per tile before it is split into four
DEFAULT_MAX_FEATURES = 1000
#: metres: the smallest half-size of a bounding box (flat or point-like features)
_MIN_HALF = 0.01

# the 12 triangles of a box over its 8 corners (bit 0: x, bit 1: y, bit 2: z), outward, z-up
_BOX_TRIANGLES = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                           [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
_BOX_SURFACES = np.array([1, 1, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2], dtype=np.uint8)  # ground, roof, walls
_CORNER_BITS = (np.arange(8)[:, None] >> np.arange(3)[None, :]) & 1  # (8, 3)


@dataclasses.dataclass
class TilesReport:
    """What an export wrote."""

    out: pathlib.Path
    layers: list[str]
    features: int = 0
    skipped: int = 0  # features without triangles
    tiles: int = 0
    content_files: int = 0
    bytes: int = 0
    depth: int = 0

    def summary(self) -> str:
        skipped = f", skipped {self.skipped} without triangles" if self.skipped else ""
        return (f"wrote {self.features} features of {', '.join(map(repr, self.layers))} as {self.tiles} tiles "
                f"({self.content_files} .glb, {self.bytes / 1e6:.1f} MB, depth {self.depth}){skipped} to {self.out}")


@dataclasses.dataclass
class _Placed:
    """One layer placed in the tileset frame."""

    data: LayerMeshes
    gltf: np.ndarray  # (n, 3) float64 vertices in glTF axes
    lo: np.ndarray  # (features, 3) east-north-up bounds of each feature
    hi: np.ndarray
    keep: np.ndarray  # indices of the features with triangles


def export_3dtiles(project: Project, out: str | pathlib.Path, *, layers: Sequence[str] | None = None,
                   max_features: int = DEFAULT_MAX_FEATURES, parent_boxes: bool = True,
                   progress: Callable[[str], None] | None = None) -> TilesReport:
    """Write the 3D objects of ``layers`` (default: every layer that has them) as a 3D Tiles 1.1 tileset in ``out``."""
    out = pathlib.Path(out)
    _check_target(out)
    if not project.crs:
        raise ProjectError(f"{project.path}: the project has no CRS, so its layers cannot be placed on the Earth")
    chosen = [project.layer(name) for name in layers] if layers else [l for l in project.layers() if has_mesh(project, l)]
    if not chosen:
        raise ProjectError(f"{project.path}: no layer has 3D objects to export as 3D Tiles")
    datas = [read_layer(project, layer) for layer in chosen]
    if not any(len(d.vertices) for d in datas):
        raise ProjectError(f"{project.path}: the layers {', '.join(l.name for l in chosen)} hold no triangles")
    every = np.concatenate([d.vertices for d in datas if len(d.vertices)])
    frame = frame_for(np.nanmin(every, axis=0), np.nanmax(every, axis=0), project.crs)
    report = TilesReport(out=out, layers=[l.name for l in chosen])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a tileset is meant to be served
    try:
        children = []
        for data in datas:
            if progress:
                progress(f"tiling {data.layer.name}")
            placed = _place(data, frame, project.crs)
            report.skipped += data.feature_count - len(placed.keep)
            report.features += len(placed.keep)
            if len(placed.keep):
                children.append(_write_layer(placed, tmp, report, max_features=max_features, parent_boxes=parent_boxes))
        if not children:
            raise ProjectError(f"{project.path}: the layers {', '.join(report.layers)} hold no triangles")
        lo = np.min([c["_lo"] for c in children], axis=0)
        hi = np.max([c["_hi"] for c in children], axis=0)
        extent = float(np.linalg.norm(hi - lo))
        root = {"transform": frame.transform(), "boundingVolume": {"box": _box(lo, hi)},
                "geometricError": extent, "refine": "ADD", "children": [_strip(c) for c in children]}
        tileset = {"asset": {"version": "1.1", "generator": "Smart City Twin"},
                   "geometricError": extent, "root": root}
        text = json.dumps(tileset, ensure_ascii=False, indent=1)
        (tmp / "tileset.json").write_text(text, encoding="utf-8")
        report.tiles += 1
        report.bytes += len(text.encode("utf-8"))
        _publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def _place(data: LayerMeshes, frame: EnuFrame, crs: str) -> _Placed:
    enu = frame.to_local(project_to_ecef(data.vertices, crs)) if len(data.vertices) else np.zeros((0, 3))
    n = data.feature_count
    lo, hi = np.zeros((n, 3)), np.zeros((n, 3))
    with_vertices = np.flatnonzero(data.vertex_counts > 0)
    if len(with_vertices):
        starts = offsets(data.vertex_counts)[with_vertices]
        lo[with_vertices] = np.minimum.reduceat(enu, starts, axis=0)
        hi[with_vertices] = np.maximum.reduceat(enu, starts, axis=0)
    keep = np.flatnonzero((data.triangle_counts > 0) & (data.vertex_counts > 0))
    return _Placed(data, enu_to_gltf(enu), lo, hi, keep)


def _write_layer(placed: _Placed, tmp: pathlib.Path, report: TilesReport, *, max_features: int,
                 parent_boxes: bool) -> dict[str, Any]:
    data, keep = placed.data, placed.keep
    lo, hi = placed.lo[keep], placed.hi[keep]
    centres = (lo[:, :2] + hi[:, :2]) / 2.0
    tree = build_quadtree(centres, (hi - lo).max(axis=1), max_features=max_features, parent_boxes=parent_boxes)
    props = metadata.properties_of(data.attributes)
    cid = metadata.class_id(data.layer.id)
    schema = metadata.schema({cid: (data.layer.name, props)})
    folder = tmp / "content" / str(int(data.layer.id))
    folder.mkdir(parents=True, exist_ok=True)
    tri_starts = offsets(data.triangle_counts)
    written: dict[int, dict[str, Any]] = {}
    for tile in reversed(list(tree.walk())):  # children first, so a parent can take their bounds
        node: dict[str, Any] = {"_lo": lo[tile.members].min(axis=0), "_hi": hi[tile.members].max(axis=0)}
        node["boundingVolume"] = {"box": _box(node["_lo"], node["_hi"])}
        node.update(geometricError=tile.geometric_error, refine="REPLACE")
        if len(tile.content):
            features = keep[tile.content]
            body = glb.BinaryBody()
            table = metadata.property_table(data.attributes.take(pa.array(features)), cid, props, body.add)
            if tile.boxes:
                positions, surfaces, owner = _boxes(placed.lo[features], placed.hi[features])
            else:
                positions, surfaces, owner = _triangles(placed, data, features, tri_starts)
            blob = glb.tile_glb(positions, surfaces, owner, len(features), metadata_schema=schema, table=table, body=body)
            name = f"{tile.key}.glb"
            (folder / name).write_bytes(blob)
            node["content"] = {"uri": f"content/{int(data.layer.id)}/{name}"}
            report.content_files += 1
            report.bytes += len(blob)
        kids = [written.pop(id(child)) for child in tile.children]
        if kids:
            node["children"] = kids
        report.tiles += 1
        report.depth = max(report.depth, tile.level + 1)
        written[id(tile)] = node
    return written[id(tree)]


def _triangles(placed: _Placed, data: LayerMeshes, features: np.ndarray, tri_starts: np.ndarray):
    counts = data.triangle_counts[features]
    rows = np.repeat(tri_starts[features] - offsets(counts), counts) + np.arange(int(counts.sum()))
    positions = placed.gltf[data.triangles[rows].ravel()]
    owner = np.repeat(np.arange(len(features)), counts)
    return positions, data.surfaces[rows], owner


def _boxes(lo: np.ndarray, hi: np.ndarray):
    """Each feature's bounding box as 12 triangles (glTF axes), its surfaces and owner."""
    corners = lo[:, None, :] + _CORNER_BITS[None, :, :] * (hi - lo)[:, None, :]  # (k, 8, 3) east-north-up
    enu = corners[:, _BOX_TRIANGLES.ravel(), :].reshape(-1, 3)
    k = len(lo)
    return enu_to_gltf(enu), np.tile(_BOX_SURFACES, k), np.repeat(np.arange(k), len(_BOX_TRIANGLES))


def _box(lo: np.ndarray, hi: np.ndarray) -> list[float]:
    """A 3D Tiles ``box``: centre and three half-axes (east, north, up) of the bounds."""
    centre = (lo + hi) / 2.0
    half = np.maximum((hi - lo) / 2.0, _MIN_HALF)
    return [float(v) for v in (*centre, half[0], 0, 0, 0, half[1], 0, 0, 0, half[2])]


def _strip(node: dict[str, Any]) -> dict[str, Any]:
    """The node without its private ``_lo``/``_hi`` keys (recursively)."""
    out = {k: v for k, v in node.items() if not k.startswith("_")}
    if "children" in out:
        out["children"] = [_strip(c) for c in out["children"]]
    return out


def _check_target(out: pathlib.Path) -> None:
    if out.exists() and not out.is_dir():
        raise TwinError(f"{out}: exists and is not a folder; 3D Tiles are written into a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "tileset.json").is_file():
        raise TwinError(f"{out}: the folder is not empty and holds no tileset.json; choose an empty or new folder")


def _publish(tmp: pathlib.Path, out: pathlib.Path) -> None:
    """Move the finished tileset into place; an older tileset in ``out`` is replaced."""
    _check_target(out)
    if not out.exists():
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
    out.rename(old)
    try:
        tmp.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
