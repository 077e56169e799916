"""Flatten nested CityJSON boundaries and semantic values of many geometries at once.

Boundaries are flattened a batch of geometries at a time with C-level iteration
(``itertools.chain`` + ``map(len, ...)`` into ``array('q')``): no Python bytecode runs per
index or per ring, and no nested Python lists outlive their batch.
"""

from __future__ import annotations

import dataclasses
from array import array
from itertools import chain, repeat
from operator import methodcaller
from typing import Any

import numpy as np

from twin.api import SURFACE_CODES


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
        assign_values(depth, gids, values, with_values, owner, value)
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


def assign_values(depth, gids, values, with_values, owner, value) -> None:
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
        raise SemanticsMismatch(np.flatnonzero(has & ~ok) + lo)


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


class SemanticsMismatch(Exception):
    """Some geometries have a different number of semantic values than surfaces (values kept for the rest)."""

    def __init__(self, gids: np.ndarray) -> None:
        super().__init__(f"{len(gids)} geometries")
        self.gids = gids


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
