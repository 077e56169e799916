"""Everything read from one CityGML file as flat arrays, shaped like the CityJSON ``Collector`` so the
CityJSON layer builder (``cityjson.layers.build_layers``) turns it into layers the same way.

Each polygon is stored once (its rings as vertex ranges); a surface is a (object, LoD, semantic code)
use of a polygon, so an ``xlink:href`` to a shared polygon is a second surface pointing to the same
rings. Geometries are the (object, LoD) pairs, made at :meth:`Collected.finish`.
"""

from __future__ import annotations

import pathlib
from array import array
from collections import Counter
from typing import Any

import numpy as np

from twin.api import ImportReport
from twin_plugins.formats.cityjson.flatten import Flat
from twin_plugins.formats.cityjson.triangulate import ranges
from twin_plugins.formats.citygml import srs

LOD_NAMES = ("0", "1", "2", "3", "4", "?")
UNKNOWN_LOD = 5


class Collected:
    """Objects, polygons, surfaces and xlinks of a file; ``finish`` gives the Collector-like view."""

    def __init__(self, path: pathlib.Path, report: ImportReport) -> None:
        self.path = path
        self.report = report
        self.ids: list[str] = []
        self.types: list[str] = []
        self.attributes: list[Any] = []
        self.parents: list[list | None] = []
        self.children: list[tuple[int, list]] = []
        self.crs_names: list[str] = []  # CRS of each vertex chunk group (index = crs id)
        self.chunks: list[np.ndarray] = []
        self.chunk_crs = array("q")
        self.n_vertices = 0
        self.ring_vstart, self.ring_len = array("q"), array("q")
        self.surf_obj, self.surf_lod, self.surf_code = array("q"), array("b"), array("B")
        self.surf_solid, self.surf_flip = array("b"), array("b")
        self.surf_ring0, self.surf_nrings = array("q"), array("q")
        self.id_hash, self.id_first, self.id_count = array("q"), array("q"), array("q")
        self.refs: list[array] = [array("q") for _ in range(6)]  # hash, obj, lod, code, solid, flip
        self.not_surfaces: Counter = Counter()
        # set by finish (what build_layers reads)
        self.geom_obj = np.empty(0, np.int64)
        self.geom_lod: list[str] = []
        self.geom_type: list[str] = []

    # ----- while walking ----------------------------------------------------------------------
    def add_object(self, oid: str, kind: str, attributes: dict, parent: str | None) -> int:
        self.ids.append(oid)
        self.types.append(kind)
        self.attributes.append(attributes or None)
        self.parents.append([parent] if parent is not None else None)
        return len(self.ids) - 1

    def crs_id(self, name: str) -> int:
        try:
            return self.crs_names.index(name)
        except ValueError:
            self.crs_names.append(name)
            return len(self.crs_names) - 1

    def add_vertices(self, xyz: np.ndarray, crs: int) -> None:
        """One member's vertices (already x = easting/longitude first), all in CRS ``crs``."""
        self.chunks.append(xyz)
        self.chunk_crs.append(crs)

    def add_surface(self, obj: int, lod: int, code: int, solid: bool, flip: bool, ring0: int, nrings: int) -> int:
        self.surf_obj.append(obj)
        self.surf_lod.append(lod)
        self.surf_code.append(code)
        self.surf_solid.append(solid)
        self.surf_flip.append(flip)
        self.surf_ring0.append(ring0)
        self.surf_nrings.append(nrings)
        return len(self.surf_obj) - 1

    def name_surfaces(self, gml_id: str, first: int, count: int) -> None:
        """Remember that ``gml_id`` names surfaces ``first .. first + count`` (for xlinks from other objects)."""
        self.id_hash.append(hash(gml_id))
        self.id_first.append(first)
        self.id_count.append(count)

    def add_ref(self, href: str, obj: int, lod: int, code: int, solid: bool, flip: bool) -> None:
        """An xlink not resolved inside its own object member: resolved against the whole file at the end."""
        for column, value in zip(self.refs, (hash(href), obj, lod, code, solid, flip)):
            column.append(value)

    # ----- results ----------------------------------------------------------------------------
    def _resolve_refs(self) -> None:
        ref_hash = np.frombuffer(self.refs[0], np.int64)
        if not len(ref_hash):
            return
        ids = np.frombuffer(self.id_hash, np.int64)
        order = np.argsort(ids, kind="stable")
        pos = np.searchsorted(ids[order], ref_hash)
        pos = np.minimum(pos, max(len(ids) - 1, 0))
        found = (len(ids) > 0) & (ids[order][pos] == ref_hash) if len(ids) else np.zeros(len(ref_hash), bool)
        missing = int((~found).sum())
        if missing:
            self.report.note(f"{missing} xlink reference(s) to geometry that is not in the file were ignored")
        target = order[pos[found]]
        first = np.frombuffer(self.id_first, np.int64)[target]
        count = np.frombuffer(self.id_count, np.int64)[target]
        surf = ranges(first, count)
        ring0 = np.frombuffer(self.surf_ring0, np.int64)[surf]
        nrings = np.frombuffer(self.surf_nrings, np.int64)[surf]
        cols = [np.repeat(np.frombuffer(c, np.int64)[found], count) for c in self.refs[1:]]
        defined = np.frombuffer(self.surf_code, np.uint8)[surf]
        code = np.where(cols[2] > 0, cols[2], defined)
        for column, values in ((self.surf_obj, cols[0]), (self.surf_lod, cols[1]), (self.surf_code, code),
                               (self.surf_solid, cols[3]), (self.surf_flip, cols[4]), (self.surf_ring0, ring0),
                               (self.surf_nrings, nrings)):
            column.extend(values.tolist())

    def vertices(self) -> tuple[np.ndarray, str | None]:
        """All vertices in the file's main CRS (the first one seen, normally the CityModel's envelope)."""
        if not self.chunks:
            return np.empty((0, 3)), next((n for n in self.crs_names if n), None)
        named = [i for i, n in enumerate(self.crs_names) if n]
        if not named:
            return np.concatenate(self.chunks), None
        main = self.crs_names[named[0]]
        crs = np.frombuffer(self.chunk_crs, np.int64)
        others = sorted(set(crs.tolist()) - {named[0]} - {i for i, n in enumerate(self.crs_names) if not n})
        for other in others:
            for i in np.flatnonzero(crs == other).tolist():
                self.chunks[i] = srs.reproject(self.chunks[i], self.crs_names[other], main)
        if others:
            self.report.note(f"geometries in {', '.join(self.crs_names[o] for o in others)} were reprojected "
                             f"into {main}")
        out = np.concatenate(self.chunks)
        self.chunks = [out]
        return out, main

    def finish(self) -> Flat:
        """Resolve file-wide xlinks, make geometries (one per object and LoD) and return all surfaces."""
        self._resolve_refs()
        obj = np.frombuffer(self.surf_obj, np.int64)
        lod = np.frombuffer(self.surf_lod, np.int8).astype(np.int64)
        key = obj * len(LOD_NAMES) + lod
        geoms, owner = np.unique(key, return_inverse=True)
        self.geom_obj = (geoms // len(LOD_NAMES)).astype(np.int64)
        self.geom_lod = [LOD_NAMES[i] for i in (geoms % len(LOD_NAMES)).tolist()]
        solid = np.zeros(len(geoms), bool)
        solid[owner[np.frombuffer(self.surf_solid, np.int8) > 0]] = True
        self.geom_type = ["Solid" if s else "MultiSurface" for s in solid.tolist()]
        if self.not_surfaces:
            kinds = ", ".join(f"{n} {k}" for k, n in self.not_surfaces.most_common())
            self.report.note(f"geometries without surfaces were not imported: {kinds}")
        nrings = np.frombuffer(self.surf_nrings, np.int64)
        ring_sel = ranges(np.frombuffer(self.surf_ring0, np.int64), nrings)
        ring_len = np.frombuffer(self.ring_len, np.int64)[ring_sel]
        start = np.frombuffer(self.ring_vstart, np.int64)[ring_sel]
        indices = ranges(start, ring_len)
        flip = np.frombuffer(self.surf_flip, np.int8) > 0
        if flip.any():  # an OrientableSurface with orientation="-": every ring reversed
            ring_flip = np.repeat(flip, nrings)
            at = np.repeat(ring_flip, ring_len)
            local = indices - np.repeat(start, ring_len)
            indices = np.where(at, np.repeat(start + ring_len - 1, ring_len) - local, indices)
        return Flat(owner.astype(np.int64), np.frombuffer(self.surf_code, np.uint8).astype(np.float64),
                    nrings.copy(), ring_len, indices)

    def surface_codes(self, flat: Flat) -> np.ndarray:
        """Semantic code of each surface (``Flat.value`` holds it for CityGML)."""
        return flat.value.astype(np.uint8)
