"""Memory readings of this process for the benchmarks (Linux): resident size now and its peak so far."""

from __future__ import annotations

import os
import resource


def rss() -> int:
    """Resident memory of this process now, in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak() -> int:
    """The largest resident memory this process has had, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
