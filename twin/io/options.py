"""Options every importer receives (from the CLI flags or the import dialog)."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from twin.errors import ImportCancelled


@dataclasses.dataclass
class ImportOptions:
    """What the user said about a file. Importers read what applies to them and ignore the rest."""

    crs: str | None = None  # source CRS when the file lacks one (--crs)
    x: str | None = None  # coordinate column names that detection cannot find (--x/--y)
    y: str | None = None
    layer: str | None = None
    stage: int | None = None
    service: str | None = None
    strict: bool = False  # any skipped row fails the import
    timezone: str = "Asia/Seoul"  # zone of source times without an offset
    storey_height: float = 3.0  # metres per storey for footprints with storeys only
    default_height: float = 10.0  # metres for footprints with neither height nor storeys
    encoding: str | None = None  # force a text encoding instead of detecting it
    height_column: str | None = None  # footprint height column in metres instead of detection (--height-column)
    storeys_column: str | None = None  # footprint storeys column instead of detection (--storeys-column)
    force: bool = False  # import data far from the project anyway (--force; twin.io.placement)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # importer-specific (net, date, start...)
    progress: Callable[[float, str], None] | None = None  # fraction 0..1, message
    cancelled: Callable[[], bool] | None = None

    def report_progress(self, fraction: float, message: str = "") -> None:
        """Tell the caller how far we are; raise :class:`ImportCancelled` if the user cancelled."""
        if self.cancelled is not None and self.cancelled():
            raise ImportCancelled("import cancelled; the project is unchanged")
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)
