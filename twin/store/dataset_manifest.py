"""The manifest of a partitioned dataset (``twin-dataset.json``), read as data a stranger may have sent.

JSON only (no NaN, no duplicate keys, at most :data:`MAX_MANIFEST_BYTES`), every field checked; partition
paths are relative, hive keyed (``tile=<ix>_<iy>/...`` or ``date=<YYYY-MM-DD>/...``), end in ``.parquet``, hold
no ``..`` and resolve inside the folder. A bad manifest is one :class:`~twin.errors.InputError` naming the
file and the field. The format itself: docs/datasets.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import pathlib
import re
from typing import Any

from twin.errors import InputError

MANIFEST = "twin-dataset.json"
FORMAT = "smart-city-twin-dataset"
VERSION = 1
KINDS = {"buildings": "tile", "moving": "date"}
#: a manifest larger than this is refused before it is parsed (20k partitions take about 5 MB)
MAX_MANIFEST_BYTES = 256 << 20
MAX_PARTITIONS = 1_000_000
#: rows of one dataset (buildings or samples): far above a nation's buildings or a year of a city's traffic
MAX_ROWS = 1 << 40
MAX_TILE_M = 1000.0
REQUIRED_COLUMNS = {"buildings": ("fid", "vertices", "triangles", "surfaces", "geometry"),
                    "moving": ("fid", "t", "x", "y", "z")}
_HIVE = {"tile": re.compile(r"tile=-?[0-9]{1,9}_-?[0-9]{1,9}"), "date": re.compile(r"date=[0-9]{4}-[0-9]{2}-[0-9]{2}")}
_PART = re.compile(r"[A-Za-z0-9_.=-]{1,200}")


@dataclasses.dataclass(frozen=True)
class Partition:
    """One file of a dataset and what the manifest says about it."""

    path: str  # relative to the dataset folder, '/'-separated
    rows: int
    bbox: tuple[float, float, float, float] | None
    zrange: tuple[float, float] | None
    t_start: dt.datetime | None
    t_end: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A checked ``twin-dataset.json``."""

    folder: pathlib.Path  # resolved
    sha256: str
    kind: str
    crs: str
    partitioning: str
    tile_size_m: float | None
    feature_count: int
    sample_count: int
    bbox: tuple[float, float, float, float]
    zrange: tuple[float, float] | None
    time_span: tuple[dt.datetime, dt.datetime] | None
    columns: dict[str, str]
    sources: list[dict[str, Any]]
    created_by: str
    created_at: str
    partitions: list[Partition]

    @property
    def path(self) -> pathlib.Path:
        return self.folder / MANIFEST

    def files(self) -> list[str]:
        """Absolute paths of the partitions, in manifest order."""
        return [str(self.folder / p.path) for p in self.partitions]


def is_dataset_folder(path: str | pathlib.Path) -> bool:
    """True when ``path`` is a folder holding a ``twin-dataset.json``."""
    path = pathlib.Path(path)
    return path.is_dir() and (path / MANIFEST).is_file()


def read_manifest(folder: str | pathlib.Path) -> Manifest:
    """Read and check the manifest of the dataset in ``folder``; InputError naming the file and the field."""
    folder = pathlib.Path(folder).expanduser()
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError(folder, "no such dataset folder")
    if not path.is_file():
        raise InputError(path, "no such file: a dataset folder holds its manifest twin-dataset.json")
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:
        raise InputError(path, f"the manifest is {size:,} bytes (more than {MAX_MANIFEST_BYTES:,}): refused")
    raw = path.read_bytes()
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(path, f"not a JSON manifest ({str(exc).splitlines()[0][:120]})") from None
    return _check(doc, folder.resolve(), path, hashlib.sha256(raw).hexdigest())


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice")
        out[key] = value
    return out


class _Checker:
    """Field checks that raise one InputError naming the manifest and the field."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def fail(self, field: str, text: str) -> InputError:
        return InputError(self.path, f"{field}: {text}")

    def get(self, doc: dict, key: str, where: str = "", *, optional: bool = False) -> Any:
        if key not in doc:
            if optional:
                return None
            raise self.fail(where + key, "missing")
        return doc[key]

    def integer(self, value: Any, field: str, *, limit: int = MAX_ROWS) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(field, f"{_show(value)} is not a whole number")
        if not 0 <= value <= limit:
            raise self.fail(field, f"{value} is outside 0..{limit:,}")
        return value

    def numbers(self, value: Any, field: str, n: int) -> tuple[float, ...]:
        ok = isinstance(value, list) and len(value) == n and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
        if not ok:
            raise self.fail(field, f"{_show(value)} is not a list of {n} finite numbers")
        out = tuple(float(v) for v in value)
        if any(out[i] > out[i + n // 2] for i in range(n // 2)):
            raise self.fail(field, f"{_show(value)}: a minimum is larger than its maximum")
        return out

    def text(self, value: Any, field: str, *, max_len: int = 10_000) -> str:
        if not isinstance(value, str) or len(value) > max_len or "\x00" in value:
            raise self.fail(field, f"{_show(value)} is not a text")
        return value

    def time(self, value: Any, field: str) -> dt.datetime:
        text = self.text(value, field, max_len=64)
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(field, f"{_show(value)} is not an ISO 8601 time") from None
        if when.tzinfo is None:
            raise self.fail(field, f"{_show(value)} has no UTC offset")
        return when.astimezone(dt.timezone.utc)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check(doc: Any, folder: pathlib.Path, path: pathlib.Path, sha256: str) -> Manifest:
    c = _Checker(path)
    if not isinstance(doc, dict):
        raise c.fail("(document)", f"a JSON {type(doc).__name__}, not an object")
    if c.get(doc, "format") != FORMAT:
        raise c.fail("format", f"{_show(doc['format'])} is not {FORMAT!r}")
    version = c.get(doc, "version")
    if version != VERSION or isinstance(version, bool):
        raise c.fail("version", f"{_show(version)}: this app reads version {VERSION}")
    kind = c.get(doc, "kind")
    if kind not in KINDS:
        raise c.fail("kind", f"{_show(kind)} is not one of {', '.join(KINDS)}")
    crs = _crs(c, c.get(doc, "crs"))
    partitioning = c.get(doc, "partitioning")
    if partitioning != KINDS[kind]:
        raise c.fail("partitioning", f"{_show(partitioning)}: a {kind} dataset is partitioned by {KINDS[kind]!r}")
    tile = c.get(doc, "tile_size_m", optional=True)
    if kind == "buildings":
        ok = isinstance(tile, (int, float)) and not isinstance(tile, bool) and 0 < tile <= MAX_TILE_M
        if not ok:
            raise c.fail("tile_size_m", f"{_show(tile)} is not a tile size in metres (0 < size <= {MAX_TILE_M:g})")
    features = c.integer(c.get(doc, "feature_count"), "feature_count")
    samples = c.integer(c.get(doc, "sample_count"), "sample_count")
    if kind == "buildings" and samples:
        raise c.fail("sample_count", f"{samples}: a buildings dataset has no samples (0)")
    bbox = c.numbers(c.get(doc, "bbox"), "bbox", 4)
    zr = c.get(doc, "zrange")
    zrange = None if zr is None else c.numbers(zr, "zrange", 2)
    span = c.get(doc, "time_span")
    time_span = None
    if span is not None:
        if not isinstance(span, list) or len(span) != 2:
            raise c.fail("time_span", f"{_show(span)} is not [start, end] or null")
        time_span = (c.time(span[0], "time_span[0]"), c.time(span[1], "time_span[1]"))
    elif kind == "moving" and samples:
        raise c.fail("time_span", "null, but a moving dataset with samples has a time span")
    columns = _columns(c, c.get(doc, "columns"), kind)
    sources = _sources(c, c.get(doc, "sources"))
    created_by = c.text(c.get(doc, "created_by"), "created_by", max_len=500)
    created_at = c.text(c.get(doc, "created_at"), "created_at", max_len=64)
    parts = _partitions(c, c.get(doc, "partitions"), folder, partitioning, kind)
    total = sum(p.rows for p in parts)
    expected, field = (features, "feature_count") if kind == "buildings" else (samples, "sample_count")
    if total != expected:
        raise c.fail(field, f"{expected:,}, but the partitions hold {total:,} rows")
    return Manifest(folder=folder, sha256=sha256, kind=kind, crs=crs, partitioning=partitioning,
                    tile_size_m=float(tile) if kind == "buildings" else None, feature_count=features,
                    sample_count=samples, bbox=bbox, zrange=zrange, time_span=time_span, columns=columns,
                    sources=sources, created_by=created_by, created_at=created_at, partitions=parts)


def _crs(c: _Checker, value: Any) -> str:
    from twin.crs import is_projected_metric, normalize_crs

    text = c.text(value, "crs", max_len=20_000)
    try:
        crs = normalize_crs(text)
        ok = crs is not None and is_projected_metric(crs)
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise c.fail("crs", f"{_show(value)} is not a projected CRS in metres (e.g. EPSG:5186)")
    return crs


def _columns(c: _Checker, value: Any, kind: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise c.fail("columns", f"{_show(value)} is not an object of column name -> type")
    for name, typ in value.items():
        c.text(typ, f"columns.{name}", max_len=500)
    missing = [n for n in REQUIRED_COLUMNS[kind] if n not in value]
    if missing:
        raise c.fail("columns", f"no column {', '.join(missing)} (a {kind} dataset needs "
                                f"{', '.join(REQUIRED_COLUMNS[kind])})")
    return dict(value)


def _sources(c: _Checker, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise c.fail("sources", f"{_show(value)} is not a list")
    out = []
    for i, item in enumerate(value):
        where = f"sources[{i}]"
        if not isinstance(item, dict):
            raise c.fail(where, f"{_show(item)} is not an object")
        sha = c.get(item, "sha256", where + ".", optional=True)
        if sha is not None and not (isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha)):
            raise c.fail(where + ".sha256", f"{_show(sha)} is not a sha256 in hex")
        rows = c.get(item, "rows", where + ".", optional=True)
        out.append({"path": c.text(c.get(item, "path", where + "."), where + ".path"), "sha256": sha,
                    "rows": None if rows is None else c.integer(rows, where + ".rows")})
    return out


def _partitions(c: _Checker, value: Any, folder: pathlib.Path, partitioning: str, kind: str) -> list[Partition]:
    if not isinstance(value, list):
        raise c.fail("partitions", f"{_show(value)} is not a list")
    if len(value) > MAX_PARTITIONS:
        raise c.fail("partitions", f"{len(value):,} partitions (more than {MAX_PARTITIONS:,})")
    out, seen = [], set()
    for i, item in enumerate(value):
        where = f"partitions[{i}]"
        if not isinstance(item, dict):
            raise c.fail(where, f"{_show(item)} is not an object")
        rel = c.get(item, "path", where + ".")
        check_partition_path(folder, rel, partitioning, fail=lambda text, w=where: c.fail(w + ".path", text))
        if rel in seen:
            raise c.fail(where + ".path", f"{rel!r} is listed twice")
        seen.add(rel)
        rows = c.integer(c.get(item, "rows", where + "."), where + ".rows")
        bbox = c.get(item, "bbox", where + ".", optional=True)
        zr = c.get(item, "zrange", where + ".", optional=True)
        t0, t1 = (c.get(item, key, where + ".", optional=True) for key in ("t_start", "t_end"))
        if kind == "moving" and rows and (t0 is None or t1 is None):
            raise c.fail(where + ".t_start", "a partition of tracks needs t_start and t_end")
        start = None if t0 is None else c.time(t0, where + ".t_start")
        end = None if t1 is None else c.time(t1, where + ".t_end")
        if start and end and start > end:
            raise c.fail(where + ".t_end", f"{t1} is before t_start {t0}")
        if kind == "buildings" and rows and bbox is None:
            raise c.fail(where + ".bbox", "missing (a tile of buildings has a bounding box)")
        out.append(Partition(path=rel, rows=rows, bbox=None if bbox is None else c.numbers(bbox, where + ".bbox", 4),
                             zrange=None if zr is None else c.numbers(zr, where + ".zrange", 2),
                             t_start=start, t_end=end))
    return out


def check_partition_path(folder: pathlib.Path, rel: Any, partitioning: str, *, fail) -> pathlib.Path:
    """The absolute path of the partition ``rel`` of the dataset in ``folder`` (resolved), or ``fail(text)``
    raised: a relative '/'-separated path ``<key>=<value>/<file>.parquet`` with no ``..``, inside ``folder``."""
    if not isinstance(rel, str) or not rel:
        raise fail(f"{_show(rel)} is not a relative path")
    if rel.startswith("/") or "\\" in rel or ":" in rel:
        raise fail(f"{rel!r} is not a relative path inside the dataset folder")
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise fail(f"{rel!r} holds an empty, '.' or '..' part")
    if not rel.endswith(".parquet"):
        raise fail(f"{rel!r} does not end in .parquet")
    if len(parts) < 2 or not _HIVE[partitioning].fullmatch(parts[0]) or not all(_PART.fullmatch(p) for p in parts):
        key = "tile=<ix>_<iy>" if partitioning == "tile" else "date=<YYYY-MM-DD>"
        raise fail(f"{rel!r} is not {key}/<name>.parquet")
    full = (folder / rel).resolve()
    if not full.is_relative_to(folder):
        raise fail(f"{rel!r} leads outside the dataset folder (a link?)")
    return full
