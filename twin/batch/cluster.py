"""A Dask ``distributed`` client: a local cluster of processes by default, or an existing scheduler."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, Callable

Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    """A progress line on stderr (``twin batch: ...``)."""
    print(f"twin batch: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def open_client(*, scheduler: str | None = None, workers: int | None = None, processes: bool = True,
                threads_per_worker: int = 1, memory_limit: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` (``tcp://HOST:PORT``) when given, else to a new
    ``LocalCluster`` of ``workers`` processes (one thread each: the work holds the GIL in places)."""
    import logging

    from distributed import Client, LocalCluster

    if not logging.getLogger().isEnabledFor(logging.INFO):  # `twin -v` shows Dask's own log
        for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker"):
            logging.getLogger(name).setLevel(logging.ERROR)
        # worker processes read it from the environment: a failing task is reported once, by the client
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    kwargs: dict[str, Any] = {"n_workers": workers or 2, "threads_per_worker": threads_per_worker,
                              "processes": processes,
                              "dashboard_address": ":0", "scheduler_kwargs": {"dashboard": False}}  # no port 8787 clash
    if memory_limit:
        kwargs["memory_limit"] = memory_limit
    with LocalCluster(**kwargs) as cluster, Client(cluster) as client:
        yield client


def wait_all(client: Any, futures: list, what: str, progress: Progress | None, *, every_s: float = 2.0) -> None:
    """Wait for ``futures``, printing ``what: done/total`` now and then; the first failure is raised."""
    from distributed import as_completed

    total, done, last = len(futures), 0, 0.0
    for future in as_completed(futures):
        if future.status == "error":
            future.result()  # raises the worker's exception here
        done += 1
        now = time.monotonic()
        if progress is not None and (now - last >= every_s or done == total):
            progress(f"{what}: {done}/{total}")
            last = now


def split_results(client: Any, futures: list, what: str, progress: Progress | None) -> tuple[list, list]:
    """For tasks that return ``(value, meta)``: wait for them (with progress), gather the small metas to the
    client and keep the values on the workers; returns ``(value futures, metas)``."""
    import operator

    metas = client.map(operator.itemgetter(1), futures)
    wait_all(client, metas, what, progress)
    return client.map(operator.itemgetter(0), futures), client.gather(metas)
