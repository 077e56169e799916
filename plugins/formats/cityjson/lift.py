"""Boundaries lifted out of the JSON text and read with numpy: no Python list per ring or index.

Before a CityJSON file is parsed, every ``"boundaries": [...]`` array of integers is cut out of
the text (one regular expression) and replaced by a short placeholder string holding its number.
simdjson then parses a much smaller document (no nested lists become Python objects), and all
the cut-out arrays are read together: simdjson checks them and reads all their integers into one
buffer, numpy finds surfaces and rings from the depth at which each bracket opens.

Anything unexpected (a placeholder not reached by the walk, invalid syntax in an array, huge
numbers) makes the caller read the file again the ordinary way, so behaviour never changes.
"""

from __future__ import annotations

import os
import re
from operator import methodcaller

import numpy as np
import orjson
import simdjson

_ARRAY = re.compile(rb'("boundaries"\s*:\s*)(\[[-0-9\s,\[\]]*\])')
_CLASS = np.zeros(256, np.uint8)
_CLASS[ord("[")], _CLASS[ord("]")] = 1, 2
_CLASS[[ord(c) for c in "-0123456789"]] = 4


class LiftFallback(Exception):
    """The lifted text cannot be used: read the original text the ordinary way."""


class Lifted:
    """The cut-out boundaries arrays as one JSON list: array ``k`` is ``text[starts[k]:starts[k + 1] - 1]``."""

    def __init__(self, marker: str, text: bytes, starts: np.ndarray) -> None:
        self.marker = marker
        self.text = text
        self.starts = starts
        self.count = len(starts) - 1
        self.used = np.zeros(self.count, np.int64)  # how often each placeholder was reached

    def number(self, value: object) -> int | None:
        """The array number of a placeholder (counted as reached), None for any other value."""
        if type(value) is not str or not value.startswith(self.marker):
            return None
        return int(self.numbers([value])[0])

    def numbers(self, placeholders: list[str]) -> np.ndarray:
        """Array numbers of placeholders (all starting with the marker), counted as reached."""
        n = len(self.marker)
        try:
            ks = np.fromiter((int(p[n:]) for p in placeholders), np.int64, len(placeholders))
        except ValueError:
            raise LiftFallback("a placeholder that is not one") from None
        if len(ks) and (ks.min() < 0 or ks.max() >= self.count):
            raise LiftFallback("a placeholder that is not one")
        np.add.at(self.used, ks, 1)
        return ks

    def value(self, k: int) -> list:
        """Array ``k`` as Python lists (for the rare geometries the fast path does not take)."""
        return orjson.loads(self.text[self.starts[k]:self.starts[k + 1] - 1])

    def check_all_used(self) -> None:
        """Every placeholder reached exactly once (else some were not in geometries)."""
        if not (self.used == 1).all():
            raise LiftFallback("a boundaries array outside a geometry, or a placeholder twice")


def lift_boundaries(data: bytes) -> tuple[bytes, Lifted] | None:
    """The text with boundaries arrays replaced by placeholders, and the arrays; None when not worth it."""
    if b"geometry-templates" in data:
        return None
    marker = "\x01" + os.urandom(6).hex() + ":"
    encoded = b'"\\u0001' + marker[1:].encode()
    parts = _ARRAY.split(data)  # text, key, array, text, key, array, ..., text (all in C)
    count = len(parts) // 3
    if not count:
        return None
    texts = parts[0::3]
    if any(map(methodcaller("endswith", b"\\"), texts[:-1])):
        return None  # an escaped quote: the key is inside a string
    arrays = parts[2::3]
    parts[2::3] = [b'%s%d"' % (encoded, k) for k in range(count)]
    lens = np.fromiter(map(len, arrays), np.int64, count)
    starts = np.ones(count + 1, np.int64)  # after the opening '[' of the whole list
    np.cumsum(lens + 1, out=starts[1:])
    starts[1:] += 1
    return b"".join(parts), Lifted(marker, b"[" + b",".join(arrays) + b"]", starts)


def read_arrays(lifted: Lifted, ks: np.ndarray, depths: np.ndarray):
    """Surfaces, rings and indices of arrays ``ks`` (nesting ``depths`` each).

    Returns ``(surface_array, rings_per_surface, ring_len, indices, bad)``: the array number of each
    surface, and a mask over ``ks`` of arrays whose nesting does not fit their depth (they are left out).
    Raises :class:`LiftFallback` when the text is not valid JSON arrays of integers. simdjson checks
    the syntax and reads all the integers (``as_buffer``); numpy finds the structure from the brackets.
    """
    try:
        parsed = simdjson.Parser().parse(lifted.text)
        if len(parsed) != lifted.count:
            raise LiftFallback("the arrays are not one JSON array each")
        numbers = np.frombuffer(parsed.as_buffer(of_type="i"), np.int64)
    except (ValueError, RuntimeError, TypeError):
        raise LiftFallback("not JSON arrays of integers") from None
    finally:
        parsed = None
    b = np.frombuffer(lifted.text, np.uint8)
    starts = lifted.starts
    cls = _CLASS[b]  # 1 '[', 2 ']', 4 digit or '-', 0 the rest
    bracket = np.flatnonzero(cls & 3)
    opens = cls[bracket] == 1
    level = np.cumsum(np.where(opens, 1, -1).astype(np.int32)) - 1  # within the whole list: 0 = outside an array
    level[~opens] += 1  # a closing bracket at the level of its opening one
    numeric = cls >> 2
    num_at = np.flatnonzero(numeric[1:] > numeric[:-1]) + 1  # the text starts with '['
    del cls, numeric
    if len(num_at) != len(numbers):
        raise LiftFallback("numbers do not match")
    b_array = np.repeat(np.arange(-1, lifted.count), np.diff(np.r_[0, np.searchsorted(bracket, starts[:-1]), len(bracket)]))
    n_array = np.repeat(np.arange(-1, lifted.count), np.diff(np.r_[0, np.searchsorted(num_at, starts[:-1]), len(num_at)]))
    before = np.searchsorted(bracket, num_at) - 1  # the bracket before a number: an opening one at its level,
    num_level = level[before] - (~opens[before]).astype(np.int32)  # a closing one a level deeper
    del before
    depth_of = np.zeros(lifted.count + 1, np.int64)
    depth_of[ks + 1] = depths
    bdepth = depth_of[b_array + 1]
    wrong_b = opens & (level > bdepth)
    wrong_n = num_level != depth_of[n_array + 1]
    bad_arrays = np.zeros(lifted.count + 1, bool)
    bad_arrays[b_array[wrong_b] + 1] = True
    bad_arrays[n_array[wrong_n] + 1] = True
    chosen = np.zeros(lifted.count + 1, bool)
    chosen[ks + 1] = True
    good = chosen & ~bad_arrays
    use_b = good[b_array + 1] & opens
    surface_at = bracket[use_b & (level == bdepth - 1)]
    ring_at = bracket[use_b & (level == bdepth)]
    num_use = good[n_array + 1]
    ring_surface = np.searchsorted(surface_at, ring_at, side="right") - 1
    num_ring = np.searchsorted(ring_at, num_at[num_use], side="right") - 1
    rings = np.bincount(ring_surface, minlength=len(surface_at)).astype(np.int64)
    ring_len = np.bincount(num_ring, minlength=len(ring_at)).astype(np.int64)
    surface_array = b_array[np.searchsorted(bracket, surface_at)]
    return surface_array, rings, ring_len, numbers[num_use], bad_arrays[ks + 1]

