"""The time zone of each layer, and the zone a time typed without an offset is read in (docs/timeline.md).

A layer keeps the zone of its data in ``properties["timezone"]``: the zone its source times were read in
(``--tz`` or the project's zone), or the zone the data itself names (a GTFS feed's ``agency_timezone``).
Layers imported before this was kept have none and fall back to the project's zone.

A time without an offset on the command line (``twin render --time``, ``twin movie --from/--to``) is read
in the zone of the data being looked at: the time-based layers among those shown (``--layer``, the
``--camera`` layer), else all the project's time-based layers. When they share one zone, that zone;
when they differ, the project's zone, and the caller says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twin.time.range import zone

TIMEZONE_KEY = "timezone"


def layer_zone(layer: Any, default: str) -> str:
    """The zone of a catalogue entry (``LayerInfo.time_zone``): its own, else ``default`` (the project's)."""
    if hasattr(layer, "time_zone"):
        return layer.time_zone(default)
    name = (getattr(layer, "properties", None) or {}).get(TIMEZONE_KEY)
    if isinstance(name, str) and name.strip():
        try:
            zone(name)
            return name
        except ValueError:
            pass
    return default


def viewing_zone(layers: Iterable[Any], default: str, *, shown: Iterable[str] | None = None) -> tuple[str, str | None]:
    """``(zone, note)``: the zone to read a typed time in when looking at ``layers`` (``shown``: the names
    drawn, None for all). ``note`` is a sentence when the shown time-based layers disagree, else None."""
    wanted = set(shown) if shown is not None else None
    timed = [la for la in layers if getattr(la, "time_span", None) and (wanted is None or la.name in wanted)]
    zones = sorted({layer_zone(la, default) for la in timed})
    if len(zones) == 1:
        return zones[0], None
    if not zones:
        return default, None
    return default, (f"the time-based layers shown are in several time zones ({', '.join(zones)}): a time "
                     f"without an offset is read in the project's zone {default}; add an offset such as +09:00 "
                     f"or show one layer with --layer")
