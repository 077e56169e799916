"""The catalogue of a project read as data: every value checked before the rest of the code sees it.

A project file may come from anyone (mail, a contractor's USB stick), so what its catalogue holds is never
trusted: :func:`layer_fields` turns one ``layers`` row into the fields of a
:class:`~twin.store.project.LayerInfo`, repairing what can be repaired (a style that is not a JSON object,
infinite extents...) and saying so in ``problems``, and marking the layer ``broken`` (listed, never read)
when its table cannot be named or found or its properties cannot be read. :func:`schema_version` and
:func:`check_meta` refuse a ``meta`` table whose values would make the project unusable. Every message is
one line naming the project, the layer and the field (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pathlib
from collections.abc import Callable, Collection
from typing import Any
from zoneinfo import ZoneInfo

from twin.errors import ProjectError
from twin.store.identifiers import is_layer_table

#: the columns of ``layers`` in the order :func:`layer_fields` reads them
LAYER_COLUMNS = (
    "id, name, kind, stage, service, source_file, source_sha256, source_crs, imported_at, feature_count, "
    "xmin, ymin, xmax, ymax, zmin, zmax, t_start, t_end, table_name, properties, style, position"
)


def _where(path: pathlib.Path | str | None) -> str:
    return str(path) if path is not None else "the project"


def schema_version(value: object, path: pathlib.Path | str | None) -> int:
    """``meta.schema_version`` as a number (0 when absent); ProjectError naming the project and the field."""
    if value is None or value == "":
        return 0
    try:
        version = int(str(value).strip())
    except ValueError:
        raise ProjectError(f"{_where(path)}: meta.schema_version {value!r} is not a number") from None
    if version < 0:
        raise ProjectError(f"{_where(path)}: meta.schema_version {value!r} is not a schema version")
    return version


def check_meta(meta: Callable[[str], object], path: pathlib.Path | str | None) -> None:
    """Refuse a ``meta.crs`` that is not a projected CRS in metres or a ``meta.timezone`` that names no zone."""
    where = _where(path)
    zone = meta("timezone")
    if zone is not None:
        try:
            ZoneInfo(str(zone))
        except (KeyError, ValueError, OSError):  # not found (a KeyError), a path, a folder such as 'America'
            raise ProjectError(f"{where}: meta.timezone {zone!r} is not a time zone (e.g. Asia/Seoul)") from None
    crs = meta("crs")
    if crs is not None:
        from twin.crs import is_projected_metric, normalize_crs

        try:
            ok = isinstance(crs, str) and normalize_crs(crs) is not None and is_projected_metric(crs)
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise ProjectError(f"{where}: meta.crs {crs!r} is not a projected CRS in metres (e.g. EPSG:5186)")


def layer_fields(row: tuple, *, tables: Collection[str] | None, path: pathlib.Path | str | None) -> dict[str, Any]:
    """The LayerInfo fields of one ``layers`` row (columns as in :data:`LAYER_COLUMNS`).

    ``tables`` are the tables the file holds (``None``: not checked). The result has ``problems`` (repaired
    values) and ``broken`` (why the layer cannot be read, or ``None``).
    """
    (lid, name, kind, stage, service, src, sha, scrs, at, count, x0, y0, x1, y1, z0, z1, t0, t1, table, props,
     style, pos) = row
    problems: list[str] = []
    broken: list[str] = []
    label = name if isinstance(name, str) and name else f"#{lid}"
    prefix = f"{_where(path)}: layer {label!r}: layers."

    def note(field: str, text: str, *, fatal: bool = False) -> None:
        (broken if fatal else problems).append(prefix + field + " " + text)

    if not isinstance(lid, int) or isinstance(lid, bool):
        note("id", f"{lid!r} is not a number", fatal=True)
        lid = -1
    if not isinstance(name, str) or not name:
        note("name", f"{name!r} is not a name; shown as {label!r}")
        name = label
    if not isinstance(kind, str) or not kind:
        note("kind", f"{kind!r} is not a layer kind", fatal=True)
        kind = "unknown"
    if stage is not None and not (isinstance(stage, int) and 1 <= stage <= 4):
        note("stage", f"{stage!r} is not a stage 1-4; the layer has no stage")
        stage = None
    if not isinstance(table, str) or not is_layer_table(table, suffix=False):
        note("table_name", f"{table!r} is not the name of a layer table (lyr_<number>); the layer is not read",
             fatal=True)
    elif tables is not None and table not in tables:
        note("table_name", f"{table!r}: no such table in the file; the layer is not read", fatal=True)
    properties = _json_object(props, "properties", note, fatal=True)
    style_value = _json_object(style, "style", note, fatal=False, repair="drawn with the default style")
    feature_count = count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None
    if feature_count is None:
        note("feature_count", f"{count!r} is not a count of features; 0 shown")
        feature_count = 0
    bbox = _extent((x0, y0, x1, y1), "xmin/ymin/xmax/ymax", note)
    zrange = _extent((z0, z1), "zmin/zmax", note)
    time_span = None
    if t0 is not None or t1 is not None:
        if isinstance(t0, dt.datetime) and isinstance(t1, dt.datetime) and t0.tzinfo and t1.tzinfo:
            time_span = (t0, t1)
        else:
            note("t_start/t_end", f"{t0!r}/{t1!r} are not times with a zone; the layer has no time span")
    if at is not None and not isinstance(at, dt.datetime):
        note("imported_at", f"{at!r} is not a time")
        at = None
    if not isinstance(pos, int) or isinstance(pos, bool):
        note("position", f"{pos!r} is not a position; listed last")
        pos = 1 << 30
    return {
        "id": lid, "name": name, "kind": kind, "stage": stage, "service": _text(service), "source_file": _text(src),
        "source_sha256": _text(sha), "source_crs": _text(scrs), "imported_at": at, "feature_count": feature_count,
        "bbox": bbox, "zrange": zrange, "time_span": time_span, "table_name": table if isinstance(table, str) else "",
        "properties": properties, "style": style_value, "position": pos,
        "problems": tuple(problems), "broken": "; ".join(broken) or None,
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _json_object(text: object, field: str, note, *, fatal: bool, repair: str = "the layer is not read") -> dict:
    """A JSON object stored as text; ``{}`` (and a note) for anything else."""
    if text is None or text == "":
        return {}
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) else text
    except (ValueError, RecursionError) as exc:
        note(field, f"is not JSON ({str(exc).splitlines()[0][:80]}); {repair}", fatal=fatal)
        return {}
    if not isinstance(value, dict):
        note(field, f"is a JSON {type(value).__name__}, not an object; {repair}", fatal=fatal)
        return {}
    return value


def _extent(values: tuple, field: str, note) -> tuple[float, ...] | None:
    """Finite floats, or None (with a note) when any is missing or not finite."""
    if all(v is None for v in values):
        return None
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        numbers = ()
    if not numbers or not all(math.isfinite(v) for v in numbers):
        note(field, f"{list(values)!r} is not a finite extent; the layer has no extent")
        return None
    return numbers
