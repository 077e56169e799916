"""Export a layer to CityJSON 2.0 (``.city.json``) or CityJSONSeq (``.city.jsonl``): docs/export.md.

Each (feature, LoD) of the layer's mesh becomes one geometry: a ``Solid`` when its triangles close a
volume, else a ``MultiSurface``, one surface per triangle with its semantic surface. A polygon layer
without a mesh becomes LoD0 MultiSurfaces of its footprints; points and lines are refused. Attributes,
object ids and types, parents and children, the project CRS and a ``transform`` are kept, so the file
imports back as it was exported.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any, Iterator

import numpy as np
import orjson

from twin.crs import is_geographic
from twin.errors import TwinError
from twin.io.cityjson_parts import Quantised, Surfaces, closed_parts, footprint_surfaces, mesh_surfaces, quantise
from twin.layerdata import SURFACE_NAMES
from twin.store.identifiers import quote
from twin.store.project import LayerInfo, Project

VERSION = "2.0"
#: columns the twin writes itself; they become ids, types and links, not attributes
RESERVED = ("fid", "geom", "object_id", "object_type", "parent_fid", "parent_id", "lods", "attributes")
_DUMP = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_MAX_DEPTH = 32


def cityjson_flavour(path: str | pathlib.Path) -> str | None:
    """``"document"`` for ``*.city.json`` / ``*.cityjson``, ``"seq"`` for ``*.city.jsonl`` / ``*.jsonl``, else None."""
    name = pathlib.Path(path).name.lower()
    if name.endswith((".city.json", ".cityjson")):
        return "document"
    if name.endswith(".jsonl"):
        return "seq"
    return None


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()  # orjson serialises only C-contiguous arrays itself
    if isinstance(value, np.generic):
        return value.item()
    return value.hex() if isinstance(value, (bytes, bytearray)) else str(value)


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=_DUMP)


def _reference_system(crs: str | None) -> str | None:
    if crs and crs.upper().startswith("EPSG:"):
        return f"https://www.opengis.net/def/crs/EPSG/0/{crs.split(':', 1)[1]}"
    return None


def _columns(project: Project, layer: LayerInfo) -> dict[str, str]:
    return {r["column_name"]: r["column_type"] for r in project.query(f"DESCRIBE {layer.ref()}").to_pylist()}


def _has_mesh(project: Project, layer: LayerInfo) -> bool:
    return layer.mesh_table in project.layer_tables(layer)


def _attributes(project: Project, layer: LayerInfo, columns: dict[str, str]) -> list[dict | None]:
    """Per row: the stored CityJSON attributes (the ``attributes`` JSON column) or the other columns."""
    if columns.get("attributes") == "JSON":
        texts = project.query(f"SELECT attributes::VARCHAR AS a FROM {layer.ref()} ORDER BY fid").column("a").to_pylist()
        return [orjson.loads(t) if t is not None else None for t in texts]
    names = [c for c in columns if c not in RESERVED]
    if not names:
        return [None] * layer_rows(project, layer)
    select = ", ".join(f"t.{quote(c)}" for c in names)
    rows = project.query(f"SELECT {select} FROM {layer.ref()} t ORDER BY fid").to_pylist()
    return [{k: v for k, v in row.items() if v is not None} or None for row in rows]


def layer_rows(project: Project, layer: LayerInfo) -> int:
    """Number of rows (top-level objects and parts) of a layer's feature table."""
    return int(project.query(f"SELECT count(*) AS n FROM {layer.ref()}").column("n")[0].as_py())


def _identity(project: Project, layer: LayerInfo, columns: dict[str, str]) -> tuple[list[str], list[str], np.ndarray]:
    """Object ids (stored ids, unique; ``<layer>-<fid>`` otherwise), object types and parent rows (-1: none)."""
    wanted = [c for c in ("object_id", "object_type", "parent_fid") if c in columns]
    table = project.query(f"SELECT fid{''.join(', ' + c for c in wanted)} FROM {layer.ref()} ORDER BY fid")
    n = table.num_rows
    fids = table.column("fid").to_numpy()
    if not np.array_equal(fids, np.arange(n)):
        raise TwinError(f"layer {layer.name!r}: its fid column is not 0..n-1")
    stored = table.column("object_id").to_pylist() if "object_id" in wanted else [None] * n
    ids, seen = [], set()
    for fid, oid in enumerate(stored):
        oid = oid if isinstance(oid, str) and oid and oid not in seen else f"{layer.name}-{fid}"
        while oid in seen:
            oid += "_"
        seen.add(oid)
        ids.append(oid)
    fallback = "Building" if layer.kind == "buildings" else "GenericCityObject"
    types = table.column("object_type").to_pylist() if "object_type" in wanted else [None] * n
    types = [t if isinstance(t, str) and t else fallback for t in types]
    parent = np.full(n, -1, np.int64)
    if "parent_fid" in wanted:
        values = table.column("parent_fid").to_numpy(zero_copy_only=False)
        valid = ~np.isnan(values.astype(np.float64))
        raw = np.where(valid, values.astype(np.float64), -1).astype(np.int64)
        parent = np.where((raw >= 0) & (raw < n) & (raw != np.arange(n)), raw, -1)
    return ids, types, parent


def _roots(parent: np.ndarray) -> np.ndarray:
    root = np.arange(len(parent))
    for _ in range(_MAX_DEPTH):
        up = parent[root]
        if not (up >= 0).any():
            break
        root = np.where(up >= 0, up, root)
    return root


def _surfaces(project: Project, layer: LayerInfo, out: pathlib.Path) -> Surfaces:
    if _has_mesh(project, layer):
        rows = project.query(f"SELECT fid, lod, vertices, triangles, surfaces FROM {layer.ref('mesh')} ORDER BY fid, lod")
        return mesh_surfaces(rows, layer.name)
    if layer.kind not in ("polygons", "buildings"):
        raise TwinError(f"{out}: layer {layer.name!r} is {layer.kind} without a 3D mesh: CityJSON export takes "
                        "layers with meshes or polygons; export it to .gpkg, .parquet or .geojson")
    table = project.query(f"SELECT fid, ST_AsWKB(geom) AS wkb FROM {layer.ref()} ORDER BY fid")
    wkb = np.asarray(table.column("wkb").to_numpy(zero_copy_only=False), dtype=object)
    return footprint_surfaces(wkb, table.column("fid").to_numpy())


def _transform(corners: np.ndarray, crs: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Scale (1 mm; 1e-7 degree horizontally in a geographic CRS) and a translate at the data's corner."""
    scale = np.array([1e-3, 1e-3, 1e-3])
    if crs and is_geographic(crs):
        scale[:2] = 1e-7
    translate = np.floor(corners.min(axis=0)) if len(corners) else np.zeros(3)
    return translate, scale


class _Geometries:
    """CityJSON geometry objects of every part, as plain dicts holding numpy index arrays."""

    def __init__(self, surfaces: Surfaces, quantised: Quantised, part_group: np.ndarray) -> None:
        self.s, self.q = surfaces, quantised
        self.dropped = 0
        corner = quantised.corner_vertex
        if surfaces.triangles:
            tri = corner.reshape(-1, 3)
            part_of_tri = np.repeat(np.arange(len(surfaces.part_fid)), np.diff(surfaces.part_surfaces))
            grid = quantised.vertices[tri + quantised.group_start[part_group[part_of_tri]][:, None]]
            degenerate = ~np.cross(grid[:, 1] - grid[:, 0], grid[:, 2] - grid[:, 0]).any(axis=1)  # no area on the grid
            self.dropped = int(degenerate.sum())
            keep = ~degenerate
            self.tri, self.tri_code, self.tri_part = tri[keep], surfaces.surface_code[keep], part_of_tri[keep]
            self.tri_start = np.searchsorted(self.tri_part, np.arange(len(surfaces.part_fid) + 1))
            parts = len(surfaces.part_fid)
            width = int(self.tri_code.max()) + 1 if len(self.tri_code) else 1
            present = np.zeros((parts, width), bool)
            present[self.tri_part, self.tri_code] = True
            named = present.copy()
            named[:, 0] = False
            self.rank = np.where(named, np.cumsum(named, axis=1) - 1, -1).astype(np.int16)  # part, code -> index in its surfaces
            self.named = named
            self.has_unclassified = present[:, 0]
            self.closed = closed_parts(surfaces.corners.reshape(-1, 3, 3)[keep], self.tri_part, len(surfaces.part_fid))

    def part(self, i: int) -> dict | None:
        """Geometry of part ``i``; None when none of its surfaces is left."""
        lod = self.s.part_lod[i]
        if self.s.triangles:
            a, b = self.tri_start[i], self.tri_start[i + 1]
            tri, codes = self.tri[a:b], self.tri_code[a:b]
            solid = bool(self.closed[i])
            boundaries = tri.reshape(1, -1, 1, 3) if solid else tri.reshape(-1, 1, 3)
            if not len(tri):
                return None
        else:
            boundaries, codes, solid = self._polygons(i), self.s.surface_code[self.s.part_surfaces[i]:self.s.part_surfaces[i + 1]], False
        if not len(boundaries):
            return None
        geometry = {"type": "Solid" if solid else "MultiSurface", "lod": lod, "boundaries": boundaries}
        semantics = self._triangle_semantics(i, codes) if self.s.triangles else _semantics(codes)
        if semantics is not None:
            surfaces, values = semantics
            geometry["semantics"] = {"surfaces": surfaces, "values": [values] if solid else values}
        return geometry

    def _triangle_semantics(self, i: int, codes: np.ndarray) -> tuple[list[dict], Any] | None:
        named = np.flatnonzero(self.named[i])
        if not len(named):
            return None
        surfaces = [{"type": SURFACE_NAMES[int(c)]} for c in named]
        values = self.rank[i][codes]
        if self.has_unclassified[i]:
            return surfaces, [int(v) if v >= 0 else None for v in values.tolist()]
        return surfaces, values

    def _polygons(self, i: int) -> list:
        s, corner = self.s, self.q.corner_vertex
        out = []
        for surface in range(s.part_surfaces[i], s.part_surfaces[i + 1]):
            rings = [corner[s.ring_corners[r]:s.ring_corners[r + 1]].tolist()
                     for r in range(s.surface_rings[surface], s.surface_rings[surface + 1])]
            out.append([r for r in rings if len(r) >= 3])
        return [rings for rings in out if rings]


def _semantics(codes: np.ndarray) -> tuple[list[dict], Any] | None:
    present = np.unique(codes)
    named = present[present > 0]
    if not len(named):
        return None
    lookup = np.full(256, -1, np.int64)
    lookup[named] = np.arange(len(named))
    values = lookup[codes]
    surfaces = [{"type": SURFACE_NAMES[int(c)]} for c in named]
    if (values < 0).any():
        return surfaces, [int(v) if v >= 0 else None for v in values.tolist()]
    return surfaces, values


def export_cityjson(project: Project, name: str, out: str | pathlib.Path) -> int:
    """Write layer ``name`` as CityJSON 2.0 or CityJSONSeq (from the suffix); return the top-level objects written."""
    out = pathlib.Path(out)
    flavour = cityjson_flavour(out)
    if flavour is None:
        raise TwinError(f"{out}: not a CityJSON name; use .city.json or .city.jsonl")
    layer = project.layer(name)
    surfaces = _surfaces(project, layer, out)
    columns = _columns(project, layer)
    ids, types, parent = _identity(project, layer, columns)
    attributes = _attributes(project, layer, columns)
    n = len(ids)
    root = _roots(parent)
    roots = np.flatnonzero(parent < 0)
    group_of_root = np.full(n, 0, np.int64)
    if flavour == "seq":
        group_of_root[roots] = np.arange(len(roots))
    feature_group = group_of_root[root]
    part_group = feature_group[surfaces.part_fid] if len(surfaces.part_fid) else np.zeros(0, np.int64)
    corner_part = np.repeat(np.arange(len(surfaces.part_fid)),
                            np.diff(surfaces.ring_corners[surfaces.surface_rings[surfaces.part_surfaces]]))
    translate, scale = _transform(surfaces.corners, project.crs)
    groups = len(roots) if flavour == "seq" else 1
    quantised = quantise(surfaces.corners, part_group[corner_part], translate, scale, groups)
    geometries = _Geometries(surfaces, quantised, part_group)
    children: dict[int, list[str]] = {}
    for child in np.flatnonzero(parent >= 0).tolist():
        children.setdefault(int(parent[child]), []).append(ids[child])
    part_start = np.searchsorted(surfaces.part_fid, np.arange(n + 1))

    def city_object(row: int) -> bytes:
        obj: dict[str, Any] = {"type": types[row]}
        if attributes[row]:
            obj["attributes"] = attributes[row]
        parts = (geometries.part(i) for i in range(part_start[row], part_start[row + 1]))
        obj["geometry"] = [g for g in parts if g is not None]
        if parent[row] >= 0:
            obj["parents"] = [ids[parent[row]]]
        if row in children:
            obj["children"] = children[row]
        return _dumps(ids[row]) + b":" + _dumps(obj)

    header = _header(layer, project.crs, translate, scale, quantised)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(tmp, "wb") as fh:
            if flavour == "document":
                fh.write(_dumps(header)[:-1] + b',"CityObjects":{')
                fh.write(b",".join(city_object(r) for r in range(n)))
                fh.write(b'},"vertices":' + _dumps(quantised.vertices) + b"}\n")
            else:
                fh.write(_dumps({**header, "CityObjects": {}, "vertices": []}) + b"\n")
                for line in _features(roots, root, ids, quantised, city_object):
                    fh.write(line)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return len(roots)


def _features(roots: np.ndarray, root: np.ndarray, ids: list[str], quantised: Quantised, city_object) -> Iterator[bytes]:
    """One CityJSONFeature line per top-level object: it, its descendants and the vertices they use."""
    order = np.lexsort((np.arange(len(root)), root))
    bounds = np.searchsorted(root[order], roots)
    bounds = np.append(bounds, len(order))
    for g, r in enumerate(roots.tolist()):
        members = order[bounds[g]:bounds[g + 1]].tolist()
        vertices = quantised.vertices[quantised.group_start[g]:quantised.group_start[g + 1]]
        yield (b'{"type":"CityJSONFeature","id":' + _dumps(ids[r]) + b',"CityObjects":{'
               + b",".join(city_object(m) for m in members) + b'},"vertices":' + _dumps(vertices) + b"}\n")


def _header(layer: LayerInfo, crs: str | None, translate: np.ndarray, scale: np.ndarray, q: Quantised) -> dict:
    metadata: dict[str, Any] = {"title": layer.name}
    reference = _reference_system(crs)
    if reference:
        metadata["referenceSystem"] = reference
    if len(q.vertices):
        lo, hi = q.vertices.min(axis=0) * scale + translate, q.vertices.max(axis=0) * scale + translate
        metadata["geographicalExtent"] = [round(float(v), 3) for v in (*lo, *hi)]
    return {"type": "CityJSON", "version": VERSION,
            "transform": {"scale": scale.tolist(), "translate": translate.tolist()}, "metadata": metadata}
