"""Walk city objects into flat arrays: objects, geometries, surfaces, rings and vertex indices.

Each object costs a few dict lookups and appends; its boundaries wait in a batch of geometries of
the same nesting depth, flattened together by :mod:`flatten` (no Python loop per ring or index).
Anything unusual (not a dict, unknown geometry type, broken boundaries) is reported and skipped.
"""

from __future__ import annotations

import dataclasses
import pathlib
from array import array
from collections import Counter
from typing import Any

import numpy as np

from twin.api import ImportReport
from twin_plugins.formats.cityjson.flatten import (
    Flat, SemanticsMismatch, assign_values, flatten, flatten_values, keep_surfaces, semantic_codes,
)
from twin_plugins.formats.cityjson.lift import Lifted, read_arrays

#: nesting of ``boundaries`` down to vertex indices, per surface-bearing geometry type
DEPTH = {"MultiSurface": 3, "CompositeSurface": 3, "Solid": 4, "MultiSolid": 5, "CompositeSolid": 5}
NOT_SURFACES = ("MultiPoint", "MultiLineString")
BATCH = 5_000  # geometries flattened together


def lod_text(value: Any) -> str:
    """LoD as text: 2 -> "2", 2.0 -> "2", 2.2 -> "2.2", "1.3" -> "1.3" (CityJSON 1.0 wrote numbers)."""
    if isinstance(value, bool) or value is None:
        return "?"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


class Collector:
    """Accumulates city objects while they are walked; :meth:`finish` returns flat arrays.

    After :meth:`finish`, ``sem_offset``/``sem_count`` (per geometry) and ``sem_codes`` are numpy
    arrays: geometry g's semantic surface i has code ``sem_codes[sem_offset[g] + i]``.
    """

    def __init__(self, path: pathlib.Path, report: ImportReport) -> None:
        self.path = path
        self.report = report
        self.ids: list[str] = []
        self.types: list[str] = []
        self.attributes: list[Any] = []
        self.parents: list[list | None] = []  # the 'parents' list as written (a group may be one of them)
        self.children: list[tuple[int, list]] = []  # (row, child ids) for files that only list children
        self.geom_obj = array("q")
        self.geom_lod: list[str] = []
        self.geom_type: list[str] = []
        self.geom_base = array("q")  # added to the geometry's indices (CityJSONSeq: the feature's first vertex)
        self.geom_limit = array("q")  # number of vertices its indices may address
        self.sem_offset = self.sem_count = self.sem_codes = np.empty(0)
        self._sem: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (geometry ids, counts, codes)
        self.parts: list[Flat] = []
        self.pending: dict[int, tuple[list, list, list, list]] = {d: ([], [], [], []) for d in (3, 4, 5)}
        self.not_surfaces: Counter = Counter()
        self.instances: list[tuple[int, dict, int, int]] = []  # (geometry id, geometry, base, limit)
        self.bad_semantics: list[str] = []
        self.lifted: Lifted | None = None  # boundaries cut out of the text (see :mod:`lift`)
        self.fast: tuple[list, list, list, list, list] = ([], [], [], [], [])  # gids, arrays, depths, values, sems

    # ----- walking ----------------------------------------------------------------------------
    def add_object(self, oid: str, obj: Any, *, base: int = 0, limit: int = 0) -> None:
        """One city object; its geometries index vertices ``base .. base + limit``."""
        if type(obj) is not dict:
            self.report.skip(oid, "a city object must be a JSON object")
            return
        row = len(self.ids)
        kind = obj.get("type")
        self.ids.append(oid)
        self.types.append(kind if type(kind) is str and kind else "CityObject")
        self.attributes.append(obj.get("attributes"))
        parents = obj.get("parents")
        self.parents.append(parents if type(parents) is list and parents else None)
        children = obj.get("children")
        if children and type(children) is list:  # anything else (a number, text) says nothing about children
            self.children.append((row, children))
        geometries = obj.get("geometry")
        if geometries:
            if type(geometries) is not list:
                self.report.skip(oid, "'geometry' must be a list")
                return
            for geometry in geometries:
                self.add_geometry(row, geometry, base=base, limit=limit)

    def add_geometry(self, row: int, geometry: Any, *, base: int, limit: int, oid: str | None = None) -> int | None:
        """One geometry of object ``row``; returns its id (None when it has no surfaces)."""
        if type(geometry) is not dict:
            self.report.skip(oid or self.ids[row], "a geometry must be a JSON object")
            return None
        gtype = geometry.get("type")
        depth = DEPTH.get(gtype) if type(gtype) is str else None
        if depth is None and gtype != "GeometryInstance":
            if self.lifted is not None:
                self.lifted.number(geometry.get("boundaries"))
            if gtype in NOT_SURFACES:
                self.not_surfaces[gtype] += 1
            else:
                self.report.skip(oid or self.ids[row], f"unknown geometry type {gtype!r}")
            return None
        gid = len(self.geom_obj)
        self.geom_obj.append(row)
        lod = geometry.get("lod")
        self.geom_lod.append(lod if type(lod) is str else lod_text(lod))
        self.geom_type.append(gtype)
        self.geom_base.append(base)
        self.geom_limit.append(limit)
        if depth is None:
            if self.lifted is not None:
                k = self.lifted.number(geometry.get("boundaries"))
                if k is not None:
                    geometry["boundaries"] = self.lifted.value(k)
            self.instances.append((gid, geometry, base, limit))
            return gid
        semantics = geometry.get("semantics")
        surfaces = values = None
        if type(semantics) is dict:
            surfaces = semantics.get("surfaces")
            if type(surfaces) is list:
                values = semantics.get("values")
            else:
                surfaces = None
        bound = geometry.get("boundaries")
        if self.lifted is not None and type(bound) is str and bound.startswith(self.lifted.marker):
            gids, ks, depths, vals, sems = self.fast
            gids.append(gid)
            ks.append(bound)  # the placeholder text; its number is read with the others in flush_lifted
            depths.append(depth)
            vals.append(values)
            sems.append(surfaces)
            return gid
        gids, bounds, vals, sems = self.pending[depth]
        gids.append(gid)
        bounds.append(bound)
        vals.append(values)
        sems.append(surfaces)
        if len(gids) >= BATCH:
            self.flush(depth)
        return gid

    def _keep_semantics(self, gids: list, sems: list) -> None:
        """Remember the surface codes of the geometries that carry semantics (applied after flattening)."""
        with_sem = [i for i, x in enumerate(sems) if x is not None]
        if with_sem:
            counts, codes = semantic_codes([sems[i] for i in with_sem])
            self._sem.append((np.asarray([gids[i] for i in with_sem], np.int64), counts, codes))

    def flush(self, depth: int) -> None:
        """Flatten the pending geometries of one depth; malformed ones are skipped and reported."""
        gids, bounds, vals, sems = self.pending[depth]
        if not gids:
            return
        self._keep_semantics(gids, sems)
        try:
            self.parts.append(flatten(depth, gids, bounds, vals))
        except SemanticsMismatch as exc:
            self._drop_semantics(exc.gids)
            wrong = set(exc.gids.tolist())
            self.parts.append(flatten(depth, gids, bounds, [None if g in wrong else v for g, v in zip(gids, vals)]))
        except (TypeError, ValueError, OverflowError):
            for gid, bound, value in zip(gids, bounds, vals):
                self._flush_one(depth, gid, bound, value)
        for pending in self.pending[depth]:
            pending.clear()

    def _flush_one(self, depth: int, gid: int, bound: Any, value: Any) -> None:
        try:
            self.parts.append(flatten(depth, [gid], [bound], [None]))
        except (TypeError, ValueError, OverflowError):
            oid = self.ids[self.geom_obj[gid]]
            self.report.skip(oid, f"{self.geom_type[gid]} (LoD {self.geom_lod[gid]}): boundaries are not nested "
                                  f"lists of vertex indices as the geometry type needs")
            return
        if value is not None:
            try:
                self.parts[-1].value[:] = flatten_values(depth, value, len(self.parts[-1].owner))
            except (TypeError, ValueError, OverflowError):
                self._drop_semantics(np.array([gid]))

    def flush_lifted(self) -> None:
        """Flatten the geometries whose boundaries were lifted out of the text, all at once."""
        gids, ks, depths, vals, sems = self.fast
        if not gids:
            return
        self._keep_semantics(gids, sems)
        gid_arr = np.asarray(gids, np.int64)
        k_arr = self.lifted.numbers(ks)
        depth_arr = np.asarray(depths, np.int64)
        gid_of = np.full(self.lifted.count, -1, np.int64)
        gid_of[k_arr] = gid_arr
        surface_k, rings, ring_len, indices, bad = read_arrays(self.lifted, k_arr, depth_arr)
        owner = gid_of[surface_k]
        value = np.full(len(owner), np.nan)
        good = ~bad
        for depth in np.unique(depth_arr[good]).tolist():
            chosen = np.flatnonzero(good & (depth_arr == depth))
            self._lifted_values(depth, [gids[i] for i in chosen.tolist()], [vals[i] for i in chosen.tolist()],
                                owner, value)
        self.parts.append(Flat(owner, value, rings, ring_len, indices))
        for i in np.flatnonzero(bad).tolist():  # nesting that does not fit the type: reported as before
            self._flush_one(depths[i], gids[i], self.lifted.value(int(k_arr[i])), vals[i])
        for column in self.fast:
            column.clear()

    def _lifted_values(self, depth: int, gids: list[int], vals: list, owner: np.ndarray, value: np.ndarray) -> None:
        """Semantic values of some lifted geometries of one depth into ``value`` (per surface of ``owner``)."""
        with_values = [i for i, v in enumerate(vals) if v is not None]
        if not with_values:
            return
        mine = np.isin(owner, np.asarray(gids, np.int64))
        sub = np.full(int(mine.sum()), np.nan)
        try:
            assign_values(depth, gids, vals, with_values, owner[mine], sub)
        except SemanticsMismatch as exc:
            self._drop_semantics(exc.gids)
            wrong = set(exc.gids.tolist())
            kept = [i for i in with_values if gids[i] not in wrong]
            if kept:
                assign_values(depth, gids, vals, kept, owner[mine], sub)
        except (TypeError, ValueError, OverflowError):
            sub_owner = owner[mine]
            for i in with_values:
                here = sub_owner == gids[i]
                try:
                    sub[here] = flatten_values(depth, vals[i], int(here.sum()))
                except (TypeError, ValueError, OverflowError):
                    self._drop_semantics(np.array([gids[i]]))
        value[mine] = sub

    def _drop_semantics(self, gids: np.ndarray) -> None:
        for gid in gids:
            self.bad_semantics.append(self.ids[self.geom_obj[int(gid)]])

    # ----- results ----------------------------------------------------------------------------
    def finish(self) -> Flat:
        """All surfaces collected so far, as one :class:`Flat` (and the semantic tables as numpy)."""
        for depth in (3, 4, 5):
            self.flush(depth)
        self.flush_lifted()
        n_geom = len(self.geom_obj)
        self.sem_offset = np.zeros(n_geom, np.int64)
        self.sem_count = np.zeros(n_geom, np.int64)
        if self._sem:
            gids, counts, codes = (np.concatenate(x) for x in zip(*self._sem))
            self.sem_count[gids] = counts
            self.sem_offset[gids] = np.cumsum(counts) - counts
            self.sem_codes = codes
        else:
            self.sem_codes = np.empty(0, np.uint8)
        self._sem = []
        if self.not_surfaces:
            kinds = ", ".join(f"{n} {k}" for k, n in self.not_surfaces.items())
            self.report.note(f"{kinds} geometries are not surfaces and were not imported")
        if self.bad_semantics:
            shown = ", ".join(sorted(set(self.bad_semantics))[:10])
            self.report.note(f"semantic values that do not match the surfaces were ignored in "
                             f"{len(self.bad_semantics)} geometries ({shown})")
        if not self.parts:
            return Flat.empty()
        parts, self.parts = self.parts, []
        return Flat(*(np.concatenate([getattr(p, f.name) for p in parts])
                      for f in dataclasses.fields(Flat)))

    def surface_codes(self, flat: Flat) -> np.ndarray:
        """Semantic code (``SURFACE_CODES``) of each surface: 0 when it has none or its value is out of range."""
        offset = self.sem_offset[flat.owner]
        count = self.sem_count[flat.owner]
        value = flat.value
        valid = np.isfinite(value) & (value >= 0) & (value < count)
        codes = np.zeros(len(value), np.uint8)
        codes[valid] = self.sem_codes[offset[valid] + value[valid].astype(np.int64)]
        return codes


def locate(collector: Collector, flat: Flat, n_vertices: int, *, what: str = "the file",
           finite: np.ndarray | None = None) -> Flat:
    """Check every vertex index against the vertices its geometry may use and make them global.

    Geometries with an index out of range, or (with ``finite``, one flag per vertex) pointing at a vertex
    whose coordinates are not finite, are skipped and reported with their object id.
    """
    base = np.frombuffer(collector.geom_base, np.int64)
    limit = np.frombuffer(collector.geom_limit, np.int64)
    idx = flat.indices
    uniform = not base.any() and (limit == n_vertices).all()
    if finite is not None and not finite.all():
        flat = _drop_not_finite(collector, flat, base, limit, finite)
        idx = flat.indices
    if uniform:
        bad = (idx < 0) | (idx >= n_vertices)
        if not bad.any():
            return flat
    ring_surface = np.repeat(np.arange(len(flat.rings)), flat.rings)
    index_geom = flat.owner[ring_surface][np.repeat(np.arange(len(flat.ring_len)), flat.ring_len)]
    bad = (idx < 0) | (idx >= limit[index_geom])
    if bad.any():
        bad_geoms, first = np.unique(index_geom[bad], return_index=True)
        for gid, value in zip(bad_geoms.tolist(), idx[bad][first].tolist()):
            oid = collector.ids[collector.geom_obj[gid]]
            count = int(limit[gid])
            collector.report.skip(oid, f"vertex index {value} is out of range ({what} has {count} vertices)")
        drop = np.zeros(len(base), bool)
        drop[bad_geoms] = True
        flat = keep_surfaces(flat, ~drop[flat.owner])
        index_geom = index_geom[~drop[index_geom]]
    if not uniform:
        flat.indices = flat.indices + base[index_geom]
    return flat


def _drop_not_finite(collector: Collector, flat: Flat, base: np.ndarray, limit: np.ndarray,
                     finite: np.ndarray) -> Flat:
    """Skip geometries using a vertex whose real coordinates are not finite (an overflowing transform)."""
    ring_surface = np.repeat(np.arange(len(flat.rings)), flat.rings)
    index_geom = flat.owner[ring_surface][np.repeat(np.arange(len(flat.ring_len)), flat.ring_len)]
    idx = flat.indices
    in_range = (idx >= 0) & (idx < limit[index_geom])
    glob = np.where(in_range, idx + base[index_geom], 0)
    bad = in_range & ~finite[np.clip(glob, 0, max(len(finite) - 1, 0))]
    if not bad.any():
        return flat
    bad_geoms, first = np.unique(index_geom[bad], return_index=True)
    for gid, value in zip(bad_geoms.tolist(), idx[bad][first].tolist()):
        oid = collector.ids[collector.geom_obj[gid]]
        collector.report.skip(oid, f"vertex {value} has coordinates that are not finite "
                                   "(vertices x transform.scale + translate overflow)")
    drop = np.zeros(len(base), bool)
    drop[bad_geoms] = True
    return keep_surfaces(flat, ~drop[flat.owner])
