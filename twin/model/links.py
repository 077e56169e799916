"""The links of what is selected: read from the project's ``links`` table whenever the selection changes, with
the position of each linked feature, so that every view draws the same arcs and routes and lists the same
rows (the window's links dock, the 3D view, ``twin render`` of a selection).

A link is shown while its time span contains the time the model shows (during a replay, an incident's links
appear from the call to the arrival); without a time, every link of the selection is shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
from psygnal import Signal, SignalGroup

from twin.errors import TwinError
from twin.store.identifiers import table_ref
from twin.store.links import properties_of, read_links

#: at most this many links of a selection are drawn and listed (a whole layer selected can have thousands)
MAX_LINKS = 2000


@dataclasses.dataclass(frozen=True)
class Link:
    """One link of the selection, with where its two features are (project CRS, on the ground)."""

    relation: str
    from_layer: str
    from_fid: int
    to_layer: str
    to_fid: int
    distance_m: float | None
    travel_time_s: float | None
    t_start: dt.datetime | None
    t_end: dt.datetime | None
    route: bytes | None  # WKB in the project CRS
    properties: dict
    start_xy: tuple[float, float] | None
    end_xy: tuple[float, float] | None

    def active(self, start: dt.datetime | None, end: dt.datetime | None) -> bool:
        """True when the link's span overlaps [start, end] (no time, or a link without a span: always)."""
        if start is None or self.t_start is None:
            return True
        return self.t_start <= end and (self.t_end is None or self.t_end >= start)

    def other(self, layer: str, fid: int) -> tuple[str, int]:
        """The feature at the other end of the link from (``layer``, ``fid``)."""
        return (self.to_layer, self.to_fid) if (self.from_layer, self.from_fid) == (layer, fid) else \
            (self.from_layer, self.from_fid)


class LinkEvents(SignalGroup):
    changed = Signal(object)  # the SelectionLinks itself


class SelectionLinks:
    """The links of the model's selection (see the module docstring); ``enabled`` False hides them."""

    def __init__(self, model) -> None:
        self.events = LinkEvents()
        self.model = model
        self.enabled = True
        self.items: tuple[Link, ...] = ()
        self.truncated = False
        model.selection.events.changed.connect(lambda _s: self.refresh())
        model.events.project.connect(lambda _p: self.refresh())

    def set_enabled(self, flag: bool) -> None:
        if bool(flag) != self.enabled:
            self.enabled = bool(flag)
            self.refresh()

    def refresh(self) -> None:
        """Read the links of the selected features again."""
        project, selection = self.model.project, self.model.selection
        items: list[Link] = []
        self.truncated = False
        if self.enabled and project is not None and selection.features:
            try:
                items = self._read(project, selection)
            except TwinError as exc:
                self.model.events.message.emit(f"links: {exc}")
        self.items = tuple(items)
        self.events.changed.emit(self)

    def active(self) -> list[Link]:
        """The links active at the model's time."""
        value = self.model.time.range
        start, end = (value.start, value.end) if value is not None else (None, None)
        return [link for link in self.items if link.active(start, end)]

    def _read(self, project, selection) -> list[Link]:
        tables = [read_links(project, layer=name, fids=sorted(fids)) for name, fids in selection.features.items()
                  if name in self.model.layers]
        tables = [t for t in tables if t.num_rows]
        if not tables:
            return []
        table = pa.concat_tables(tables)
        if table.num_rows > MAX_LINKS:
            table, self.truncated = table.slice(0, MAX_LINKS), True
        rows = table.to_pylist()
        places = self._places(project, rows)
        out, seen = [], set()
        for row in rows:
            key = (row["linker"], row["relation"], row["from_layer"], row["from_fid"], row["to_layer"], row["to_fid"])
            if key in seen:  # selected at both ends
                continue
            seen.add(key)
            out.append(Link(row["relation"], row["from_layer"], int(row["from_fid"]), row["to_layer"],
                            int(row["to_fid"]), row["distance_m"], row["travel_time_s"], row["t_start"], row["t_end"],
                            row["route"], properties_of(row["properties"]),
                            places.get((row["from_layer"], int(row["from_fid"]))),
                            places.get((row["to_layer"], int(row["to_fid"])))))
        return out

    def _places(self, project, rows) -> dict[tuple[str, int], tuple[float, float]]:
        """A point on each linked feature, one query per layer."""
        wanted: dict[str, set[int]] = {}
        for row in rows:
            wanted.setdefault(row["from_layer"], set()).add(int(row["from_fid"]))
            wanted.setdefault(row["to_layer"], set()).add(int(row["to_fid"]))
        places = {}
        for name, fids in wanted.items():
            state = self.model.layers.get(name)
            if state is None:
                continue
            result = project.numpy(
                f"SELECT fid, ST_X(ST_PointOnSurface(geom)) AS x, ST_Y(ST_PointOnSurface(geom)) AS y "
                f"FROM {table_ref(state.info.table_name)} WHERE list_contains(?, fid) AND geom IS NOT NULL",
                [sorted(fids)])
            for fid, x, y in zip(result["fid"], result["x"], result["y"]):
                if np.isfinite(x) and np.isfinite(y):
                    places[(name, int(fid))] = (float(x), float(y))
        return places
