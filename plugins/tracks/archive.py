"""Limits on zip archives (GTFS feeds): members that inflate past a sane ratio or size are refused before
anything is inflated, and members are read as streams, never inflated whole into memory first.

A 1.6 MB zip can hold a 1.5 GB ``stop_times.txt`` (a zip bomb). The sizes in the zip's central directory
bound what :mod:`zipfile` inflates (it stops at the declared size and checks the CRC), so checking them
first is enough. See docs/security.md.
"""

from __future__ import annotations

import pathlib
import zipfile

from twin.api import InputError

#: a member may inflate to at most this many times its compressed size (text compresses 5-20x; bombs 1000x)
MAX_RATIO = 200
#: members smaller than this are never refused for their ratio (a few repeated lines compress very well)
RATIO_FLOOR = 8 * 1024 * 1024
#: largest member and largest total, inflated (a national feed's stop_times.txt is well below)
MAX_MEMBER = 2 * 1024**3
MAX_TOTAL = 4 * 1024**3


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size} bytes"


def check_archive(path: pathlib.Path, zf: zipfile.ZipFile, names: list[str] | None = None) -> None:
    """Refuse ``zf`` (InputError naming the member and its sizes) when a member in ``names`` (default:
    all) would inflate past :data:`MAX_RATIO`, :data:`MAX_MEMBER` or, together, :data:`MAX_TOTAL`."""
    wanted = None if names is None else set(names)
    total = 0
    for info in zf.infolist():
        if info.is_dir() or (wanted is not None and info.filename not in wanted):
            continue
        size, packed = info.file_size, info.compress_size
        ratio = size / max(packed, 1)
        if size > MAX_MEMBER:
            raise InputError(path, f"inflates to {_mb(size)} from {_mb(packed)}, more than the "
                             f"{_mb(MAX_MEMBER)} a member may hold; refused", where=info.filename)
        if size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise InputError(path, f"inflates to {_mb(size)} from {_mb(packed)} ({ratio:.0f}x, more "
                             f"than {MAX_RATIO}x): a zip bomb, refused", where=info.filename)
        total += size
        if total > MAX_TOTAL:
            raise InputError(path, f"the archive inflates to {_mb(total)} up to this member, more than the "
                             f"{_mb(MAX_TOTAL)} an archive may hold; refused", where=info.filename)
