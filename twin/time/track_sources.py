"""Where a ``moving`` layer's samples come from when the layer lives in a partitioned dataset.

:class:`DatasetTrack` answers :meth:`twin.time.slicing.MovingTrack.samples` from the partitions (one UTC day
each, or several per day in time order) whose time span meets the window: their files only, through
``read_parquet(?)`` with the file list as a parameter, the time bounds pushed into the scan (the files are
sorted by time, so Parquet row-group statistics skip the rest of the day). Results are those of the
project's track table: the same columns, dtypes and order.
"""

from __future__ import annotations

import numpy as np

from twin.store import datasets
from twin.store.project import LayerInfo, Project


class DatasetTrack:
    """Samples of an external ``moving`` layer, read partition by partition."""

    def __init__(self, project: Project, layer: LayerInfo) -> None:
        self.project = project
        self.layer = layer
        self.dataset = datasets.external(project, layer)

    def files_for(self, start_us: int, end_us: int) -> list[str]:
        """The partition files whose time span meets ``[start_us, end_us]``."""
        return self.dataset.files(self.dataset.index.in_window(int(start_us), int(end_us)))

    def samples(self, select: str, start_us: int, end_us: int) -> dict[str, np.ndarray]:
        """``SELECT select`` over the samples with ``start_us <= t <= end_us`` (``select`` is the caller's
        column list, never text from the project or the dataset)."""
        files = self.files_for(start_us, end_us) or self.dataset.files([0])  # none: an empty result, typed
        return self.project.numpy(
            f"SELECT {select} FROM read_parquet(?, hive_partitioning = false) "
            "WHERE t >= make_timestamptz(?) AND t <= make_timestamptz(?)", [files, int(start_us), int(end_us)])


def dataset_track(project: Project, layer: LayerInfo) -> DatasetTrack | None:
    """The dataset source of ``layer``'s samples, or None when its samples are in the project file."""
    return DatasetTrack(project, layer) if datasets.dataset_ref(layer.properties) is not None else None
