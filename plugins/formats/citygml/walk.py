"""One ``cityObjectMember`` (a top-level city object and everything inside it) into :class:`Collected`.

A recursive descent with a small context (LoD, semantic code, solid, CRS, dimension, orientation):
LoD properties (``lod2Solid``, ``lod0RoofEdge``...) set the LoD, thematic surfaces (``RoofSurface``,
3.0's ``con:WallSurface``...) the code, ``srsName`` and ``boundedBy`` envelopes the CRS. Polygons are
stored once; ``xlink:href`` references are resolved inside the member first, then across the file.
Elements of other namespaces (ADEs such as PLATEAU's ``uro:``) are counted and skipped.
"""

from __future__ import annotations

import os
import pathlib
from collections import Counter
from typing import NamedTuple

import numpy as np

from twin_plugins.formats.citygml import attributes as attrs
from twin_plugins.formats.citygml import srs
from twin_plugins.formats.citygml.collected import UNKNOWN_LOD, Collected
from twin_plugins.formats.citygml.names import (
    AGGREGATES, CHILD_OBJECTS, GEOMETRY_MEMBERS, GML_IDS, GML_NAMESPACES, IMPLICIT, LOD_PROPERTY, NOT_SURFACE,
    POLYGONS, POSLISTS, SEMANTIC_CODES, SOLIDS, XLINK_HREF, is_standard, module_of, split, tag_info,
)


class Context(NamedTuple):
    lod: int = UNKNOWN_LOD
    code: int = 0
    solid: bool = False
    crs: str | None = None
    dim: int = 3
    flip: bool = False


def gml_id(el) -> str | None:
    for key in GML_IDS:
        value = el.get(key)
        if value is not None:
            return value
    return None


def envelope_crs(bounded_by) -> tuple[str | None, int | None]:
    """srsName and srsDimension of a ``gml:boundedBy/gml:Envelope``."""
    for env in bounded_by:
        if isinstance(env.tag, str):
            dim = env.get("srsDimension")
            return env.get("srsName"), int(dim) if dim and dim.isdigit() else None
    return None, None


class Walker:
    """Reads members into ``out``; keeps the counts the report shows (ADEs, textures, bad polygons)."""

    def __init__(self, out: Collected, *, folder: pathlib.Path) -> None:
        self.out = out
        self.folder = folder
        self.ade: Counter = Counter()
        self.missing_images: set[str] = set()
        self.images: set[str] = set()
        self.bad_srs: dict[str, str] = {}
        self.kept_order: set[str] = set()
        self._unnamed = 0

    # ----- a member ---------------------------------------------------------------------------
    def member(self, el, ctx: Context) -> None:
        """A ``cityObjectMember``: its city object (and parts), then its xlinks and vertices."""
        self.rings: list[np.ndarray] = []
        self.ring_crs: list[str] = []
        self.local_ids: dict[str, tuple[int, int]] = {}
        self.local_refs: list[tuple[str, int, int, int, bool, bool]] = []
        self.base = self.out.n_vertices
        for child in el:
            if isinstance(child.tag, str):
                self.city_object(child, None, ctx)
        self._flush_vertices()
        self._resolve_local()

    def city_object(self, el, parent: int | None, ctx: Context) -> None:
        ns, local = split(el.tag)
        if not is_standard(ns):
            self.ade[el.prefix or ns] += 1
            return
        oid = gml_id(el)
        if oid is None:
            self._unnamed += 1
            oid = f"{local}#{self._unnamed}"
        values: dict = {}
        row = self.out.add_object(oid, local, values, self.out.ids[parent] if parent is not None else None)
        for child in el:
            if not isinstance(child.tag, str):
                continue
            cns, clocal = split(child.tag)
            if not is_standard(cns):
                self.ade[child.prefix or cns] += 1
            elif clocal == "boundedBy" and cns in GML_NAMESPACES:
                name, dim = envelope_crs(child)
                ctx = ctx._replace(crs=name or ctx.crs, dim=dim or ctx.dim)
            elif clocal == "appearance":
                self.appearance(child)
            elif clocal == "address":
                _put(values, "address", attrs.address(child))
            elif clocal == "genericAttribute":  # 3.0
                for inner in child:
                    if isinstance(inner.tag, str):
                        key, value = attrs.generic(inner)
                        if key:
                            _put(values, key, value)
            elif module_of(cns) == "generics" and clocal.endswith(("Attribute", "AttributeSet")):  # 2.0
                key, value = attrs.generic(child)
                if key:
                    _put(values, key, value)
            elif (pair := attrs.simple(child)) is not None and child.get(XLINK_HREF) is None:
                _put(values, *pair)
            else:
                self.node(child, row, ctx)
        self.out.attributes[row] = values or None

    # ----- geometry ---------------------------------------------------------------------------
    def node(self, el, row: int, ctx: Context) -> None:
        """Any element below a city object: geometry, thematic surfaces, child objects, spaces."""
        tag = el.tag
        if not isinstance(tag, str):
            return
        ns, local, standard = tag_info(tag)
        if not standard:
            self.ade[el.prefix or ns] += 1
            return
        if local in POLYGONS:
            self.polygon(el, row, ctx)
            return
        if local in CHILD_OBJECTS:
            self.city_object(el, row, ctx)
            return
        if local == "appearance":
            self.appearance(el)
            return
        lod, code, solid, crs, dim, flip = ctx
        is_lod = LOD_PROPERTY.match(local)
        if is_lod:
            if NOT_SURFACE.search(local) or IMPLICIT.search(local):
                self.out.not_surfaces[local] += 1
                return
            lod, solid = int(is_lod.group(1)), "Solid" in local
        elif local in SEMANTIC_CODES:
            code = SEMANTIC_CODES[local] or code
        elif local in SOLIDS:
            solid = True
        elif local == "OrientableSurface" and el.get("orientation") == "-":
            flip = not flip
        name = el.get("srsName")
        if name:
            d = el.get("srsDimension")
            crs, dim = name, int(d) if d and d.isdigit() else dim
        href = el.get(XLINK_HREF)
        if href is not None and (is_lod or local in GEOMETRY_MEMBERS):
            self.local_refs.append((href.lstrip("#"), row, lod, code, solid, flip))
            return
        if local == "boundedBy" and ns in GML_NAMESPACES:
            return
        ctx = Context(lod, code, solid, crs, dim, flip)
        first = len(self.out.surf_obj)
        for child in el:
            self.node(child, row, ctx)
        if local in AGGREGATES:
            oid = gml_id(el)
            if oid is not None and len(self.out.surf_obj) > first:
                self._name(oid, first, len(self.out.surf_obj) - first)

    def polygon(self, el, row: int, ctx: Context) -> None:
        name = el.get("srsName")
        if name:
            ctx = ctx._replace(crs=name)
        rings = []
        lists = list(el.iter(POSLISTS))
        if lists and len(lists) == sum(1 for _ in el.iter("{*}LinearRing")):  # the usual case: one posList a ring
            for item in lists:
                d = item.get("srsDimension")
                xyz, why = self.numbers(item.text or "", int(d) if d and d.isdigit() else ctx.dim)
                if xyz is None:
                    self.bad_polygon(row, el, why)
                    return
                rings.append(xyz)
        else:
            for part in el:
                if not isinstance(part.tag, str):
                    continue
                plocal = split(part.tag)[1]
                if plocal not in ("exterior", "interior", "outerBoundaryIs", "innerBoundaryIs"):
                    continue
                for ring in part:
                    if isinstance(ring.tag, str):
                        xyz, why = self.coordinates(ring, ctx.dim)
                        if xyz is None:
                            self.bad_polygon(row, el, why)
                            return
                        if plocal in ("exterior", "outerBoundaryIs"):
                            rings.insert(0, xyz)
                        else:
                            rings.append(xyz)
        if not rings:
            self.bad_polygon(row, el, "a polygon without rings")
            return
        out = self.out
        ring0 = len(out.ring_len)
        for xyz in rings:
            out.ring_vstart.append(out.n_vertices)
            out.ring_len.append(len(xyz))
            out.n_vertices += len(xyz)
            self.rings.append(xyz)
            self.ring_crs.append(ctx.crs)
        surface = out.add_surface(row, ctx.lod, ctx.code, ctx.solid, ctx.flip, ring0, len(rings))
        oid = gml_id(el)
        if oid is not None:
            self._name(oid, surface, 1)

    def coordinates(self, ring, dim: int) -> tuple[np.ndarray | None, str]:
        """A LinearRing's points (n, 3) without the closing repeat; (None, reason) when unreadable."""
        texts = []
        for item in ring:
            if not isinstance(item.tag, str):
                continue
            local = split(item.tag)[1]
            if local == "posList":
                d = item.get("srsDimension")
                dim = int(d) if d and d.isdigit() else dim
                texts.append(item.text or "")
            elif local == "pos":
                texts.append(item.text or "")
            elif local == "coordinates":
                texts.append((item.text or "").replace(",", " "))
        return self.numbers(" ".join(texts), dim)

    @staticmethod
    def numbers(text: str, dim: int) -> tuple[np.ndarray | None, str]:
        """Points (n, 3) of a coordinate text, without the closing repeat; (None, reason) when unreadable."""
        try:
            numbers = np.fromstring(text, sep=" ") if text.strip() else np.empty(0)
        except ValueError:
            return None, "coordinates that are not numbers"
        if dim not in (2, 3) or len(numbers) % dim:
            return None, f"{len(numbers)} numbers are not points of {dim} coordinates"
        xyz = numbers.reshape(-1, dim)
        if dim == 2:
            xyz = np.column_stack([xyz, np.zeros(len(xyz))])
        if len(xyz) > 1 and xyz[0].tolist() == xyz[-1].tolist():
            xyz = xyz[:-1]
        if len(xyz) < 3:
            return None, "a ring of fewer than 3 points"
        return xyz, ""

    def bad_polygon(self, row: int, el, why: str) -> None:
        pid = gml_id(el)
        where = f"{self.out.ids[row]}" + (f" polygon {pid}" if pid else "")
        self.out.report.skip(where, f"polygon skipped: {why}")

    # ----- appearances ------------------------------------------------------------------------
    def appearance(self, el) -> None:
        """Texture images are checked (missing ones reported); appearances are not imported."""
        for uri in el.iter("{*}imageURI"):
            name = (uri.text or "").strip()
            if not name or name in self.images:
                continue
            self.images.add(name)
            if "://" not in name and not os.path.exists(self.folder / name):
                self.missing_images.add(name)

    # ----- end of a member --------------------------------------------------------------------
    def _name(self, oid: str, first: int, count: int) -> None:
        self.local_ids[oid] = (first, count)
        self.out.name_surfaces(oid, first, count)

    def _resolve_local(self) -> None:
        """xlinks to polygons of the same member; the same polygon at the same (object, LoD) counts once."""
        out = self.out
        seen: set[tuple[int, int, int]] = set()
        for href, row, lod, code, solid, flip in self.local_refs:
            target = self.local_ids.get(href)
            if target is None:
                out.add_ref(href, row, lod, code, solid, flip)
                continue
            first, count = target
            for s in range(first, first + count):
                if out.surf_obj[s] == row and out.surf_lod[s] == lod:
                    if code and not out.surf_code[s]:
                        out.surf_code[s] = code
                    if solid:
                        out.surf_solid[s] = True
                    continue
                if (row, lod, s) in seen:
                    continue
                seen.add((row, lod, s))
                out.add_surface(row, lod, code or out.surf_code[s], solid, flip, out.surf_ring0[s], out.surf_nrings[s])

    def _flush_vertices(self) -> None:
        if not self.rings:
            return
        xyz = np.concatenate(self.rings)
        names = self.ring_crs
        if all(n == names[0] for n in names):
            self._add(xyz, names[0])
        else:
            lens = np.fromiter(map(len, self.rings), np.int64, len(self.rings))
            per_vertex = np.repeat(np.arange(len(names)), lens)
            for name in dict.fromkeys(names):
                mask = np.isin(per_vertex, [i for i, n in enumerate(names) if n == name])
                xyz[mask] = self._order(xyz[mask], name)
            self._add(xyz, None, ordered=True, names=names, lens=lens)

    def _order(self, xyz: np.ndarray, name: str | None) -> np.ndarray:
        crs = self._crs(name)
        if crs is None:
            return xyz
        xyz, kept = srs.to_xy_order(xyz, crs)
        if kept:
            self.kept_order.add(crs)
        return xyz

    def _crs(self, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            return srs.parse_srs(name)
        except (ValueError, Exception) as exc:  # pyproj raises its own CRSError
            self.bad_srs.setdefault(name, str(exc))
            return None

    def _add(self, xyz: np.ndarray, name: str | None, *, ordered: bool = False, names=None, lens=None) -> None:
        if not ordered:
            xyz = self._order(xyz, name)
            crs = self._crs(name)
            self.out.add_vertices(xyz, self.out.crs_id(crs or ""))
            return
        crs_of = [self._crs(n) or "" for n in names]
        ring_ids = np.repeat(np.asarray([self.out.crs_id(c) for c in crs_of]), lens)
        cuts = np.flatnonzero(np.diff(ring_ids)) + 1
        for piece, ids in zip(np.split(xyz, cuts), np.split(ring_ids, cuts)):
            self.out.add_vertices(piece, int(ids[0]))


def _put(values: dict, key: str, value) -> None:
    """Set an attribute; a repeated name becomes a list of its values."""
    if key in values:
        old = values[key]
        values[key] = old + [value] if isinstance(old, list) else [old, value]
    else:
        values[key] = value
