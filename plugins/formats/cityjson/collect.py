"""Walk city objects into flat arrays: objects, geometries, surfaces, rings and vertex indices.

Boundaries are flattened a batch of geometries at a time with C-level iteration
(``itertools.chain`` + ``map(len, ...)`` into ``array('q')``): no Python bytecode runs per
index or per ring, and no nested Python lists outlive their batch.
"""

from __future__ import annotations

import dataclasses
import pathlib
from array import array
from collections import Counter
from itertools import chain, repeat
from operator import methodcaller
from typing import Any

import numpy as np

from twin.api import SURFACE_CODES, ImportReport

#: nesting of ``boundaries`` down to vertex indices, per surface-bearing geometry type
DEPTH = {"MultiSurface": 3, "CompositeSurface": 3, "Solid": 4, "MultiSolid": 5, "CompositeSolid": 5}
NOT_SURFACES = ("MultiPoint", "MultiLineString")
BATCH = 20_000


def lod_text(value: Any) -> str:
    """LoD as text: 2 -> "2", 2.0 -> "2", 2.2 -> "2.2", "1.3" -> "1.3" (CityJSON 1.0 wrote numbers)."""
    if isinstance(value, bool) or value is None:
        return "?"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


@dataclasses.dataclass
class Flat:
    """Surfaces of some geometries, flattened. ``owner`` is the geometry id of each surface."""

    owner: np.ndarray  # (s,) int64
    value: np.ndarray  # (s,) float64 semantic value index, NaN when none
    rings: np.ndarray  # (s,) int64 rings per surface (the first is the outer one)
    ring_len: np.ndarray  # (r,) int64
    indices: np.ndarray  # (sum ring_len,) int64, as written in the file

    @staticmethod
    def empty() -> "Flat":
        e = np.empty(0, np.int64)
        return Flat(e, np.empty(0), e, e, e)


def _expand(level: list, owner: np.ndarray, times: int) -> tuple[list, np.ndarray]:
    for _ in range(times):
        counts = np.fromiter(map(len, level), np.int64, len(level))
        owner = np.repeat(owner, counts)
        level = list(chain.from_iterable(level))
    return level, owner


def flatten(depth: int, gids: list[int], bounds: list, values: list) -> Flat:
    """Flatten boundaries of geometries of one nesting ``depth``; TypeError/ValueError when malformed."""
    surfaces, owner = _expand(bounds, np.asarray(gids, np.int64), depth - 2)
    surf_rings = np.fromiter(map(len, surfaces), np.int64, len(surfaces))
    rings = list(chain.from_iterable(surfaces))
    ring_len = np.fromiter(map(len, rings), np.int64, len(rings))
    flat = array("q")
    flat.extend(chain.from_iterable(rings))
    value = np.full(len(surfaces), np.nan)
    with_values = [i for i, v in enumerate(values) if v is not None]
    if with_values:
        _assign_values(depth, gids, values, with_values, owner, value)
    return Flat(owner, value, surf_rings, ring_len, np.frombuffer(flat, np.int64))


def _numbers(leaves: list) -> np.ndarray:
    """Semantic values as float64 with NaN for null (integers only; ValueError/TypeError otherwise)."""
    fast = array("q")
    try:
        fast.extend(leaves)
        return np.frombuffer(fast, np.int64).astype(np.float64)
    except TypeError:
        if any(v is not None and (isinstance(v, bool) or not isinstance(v, int)) for v in leaves):
            raise ValueError("semantic values must be integers or null") from None
        return np.array([np.nan if v is None else v for v in leaves], dtype=np.float64)


def _assign_values(depth, gids, values, with_values, owner, value) -> None:
    """Semantic values (one per surface) of the geometries that have them and whose counts match."""
    chosen = np.asarray([gids[i] for i in with_values], np.int64)
    leaves, vowner = _expand([values[i] for i in with_values], chosen, depth - 2)
    numbers = _numbers(leaves)
    lo = min(gids)
    span = max(gids) - lo + 1
    n_surf = np.bincount(owner - lo, minlength=span)
    n_val = np.bincount(vowner - lo, minlength=span)
    has = np.zeros(span, bool)
    has[chosen - lo] = True
    ok = has & (n_surf == n_val)
    value[ok[owner - lo]] = numbers[ok[vowner - lo]]
    if (has & ~ok).any():
        raise _Mismatch(np.flatnonzero(has & ~ok) + lo)


def semantic_codes(surfaces: list) -> tuple[np.ndarray, np.ndarray]:
    """Per geometry the number of semantic surfaces, and their SURFACE_CODES (0 for other types)."""
    counts = np.fromiter(map(len, surfaces), np.int64, len(surfaces))
    dicts = list(chain.from_iterable(surfaces))
    try:
        types = list(map(methodcaller("get", "type"), dicts))
        codes = np.fromiter(map(SURFACE_CODES.get, types, repeat(0)), np.uint8, len(types))
    except (AttributeError, TypeError):
        codes = np.fromiter((SURFACE_CODES.get(d.get("type"), 0) if isinstance(d, dict) and
                             isinstance(d.get("type"), str) else 0 for d in dicts), np.uint8, len(dicts))
    return counts, codes


class _Mismatch(Exception):
    """Some geometries have a different number of semantic values than surfaces (values kept for the rest)."""

    def __init__(self, gids: np.ndarray) -> None:
        super().__init__(f"{len(gids)} geometries")
        self.gids = gids


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
        self.parents: list[str | None] = []
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
        self.parents.append(parents[0] if type(parents) is list and parents else None)
        children = obj.get("children")
        if children:
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
        gids, bounds, vals, sems = self.pending[depth]
        gids.append(gid)
        bounds.append(geometry.get("boundaries"))
        vals.append(values)
        sems.append(surfaces)
        if len(gids) >= BATCH:
            self.flush(depth)
        return gid

    def flush(self, depth: int) -> None:
        """Flatten the pending geometries of one depth; malformed ones are skipped and reported."""
        gids, bounds, vals, sems = self.pending[depth]
        if not gids:
            return
        with_sem = [i for i, x in enumerate(sems) if x is not None]
        if with_sem:
            counts, codes = semantic_codes([sems[i] for i in with_sem])
            self._sem.append((np.asarray([gids[i] for i in with_sem], np.int64), counts, codes))
        try:
            self.parts.append(flatten(depth, gids, bounds, vals))
        except _Mismatch as exc:
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

    def _drop_semantics(self, gids: np.ndarray) -> None:
        for gid in gids:
            self.bad_semantics.append(self.ids[self.geom_obj[int(gid)]])

    # ----- results ----------------------------------------------------------------------------
    def finish(self) -> Flat:
        """All surfaces collected so far, as one :class:`Flat` (and the semantic tables as numpy)."""
        for depth in (3, 4, 5):
            self.flush(depth)
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


def flatten_values(depth: int, values: Any, expected: int) -> np.ndarray:
    """Semantic values of one geometry as floats (NaN for null); ValueError when the count is wrong."""
    leaves, _ = _expand([values], np.zeros(1, np.int64), depth - 2)
    numbers = _numbers(leaves)
    if numbers.shape != (expected,):
        raise ValueError("semantic values do not match the surfaces")
    return numbers


def keep_surfaces(flat: Flat, keep: np.ndarray) -> Flat:
    """The surfaces where ``keep`` is true, with their rings and indices."""
    if keep.all():
        return flat
    keep_ring = np.repeat(keep, flat.rings)
    keep_index = np.repeat(keep_ring, flat.ring_len)
    return Flat(flat.owner[keep], flat.value[keep], flat.rings[keep], flat.ring_len[keep_ring], flat.indices[keep_index])


def locate(collector: Collector, flat: Flat, n_vertices: int, *, what: str = "the file") -> Flat:
    """Check every vertex index against the vertices its geometry may use and make them global.

    Geometries with an index out of range are skipped and reported with their object id.
    """
    base = np.frombuffer(collector.geom_base, np.int64)
    limit = np.frombuffer(collector.geom_limit, np.int64)
    idx = flat.indices
    uniform = not base.any() and (limit == n_vertices).all()
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
