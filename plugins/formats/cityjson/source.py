"""Reading CityJSON text: sniffing, parsing with simdjson, the header (version, transform, CRS, templates).

simdjson parses a whole file in C++ without making Python objects; the vertices go straight into
numpy (``as_buffer``) and the city objects become Python dicts one at a time while they are walked,
so memory stays a few times the file size (``json.load`` makes 12x).
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import simdjson

from twin.api import ImportOptions, ImportReport, InputError, normalize_crs

SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0")
SNIFF_BYTES = 16 * 1024
_TYPE = re.compile(rb'"type"\s*:\s*"([^"]*)"')
_VERSION = re.compile(r"^(\d+)\.(\d+)")


@dataclasses.dataclass
class Header:
    """What a CityJSON file (or the first line of a CityJSONSeq) says about all its objects."""

    version: str
    scale: np.ndarray | None
    translate: np.ndarray | None
    crs: str | None
    templates: dict[str, Any] | None
    metadata: dict[str, Any]

    def real(self, raw: np.ndarray) -> np.ndarray:
        """Vertices as stored (integers under ``transform``) -> real coordinates, float64 (n, 3)."""
        if self.scale is None:
            return raw
        with np.errstate(over="ignore", invalid="ignore"):  # overflowing vertices are skipped by their objects
            return raw * self.scale + self.translate


def looks_like_cityjson(head: bytes) -> tuple[bool, str]:
    """Decide from the first bytes of a file: (is CityJSON, why not)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return False, "the file is empty"
    if not text.startswith(b"{"):
        return False, "not a JSON object (a CityJSON file starts with '{')"
    match = _TYPE.search(text[:SNIFF_BYTES])
    if match and match.group(1) in (b"CityJSON", b"CityJSONFeature"):
        return True, ""
    if b'"CityObjects"' in text[:SNIFF_BYTES] and (match is None or text.find(b'"CityObjects"') < match.start()):
        return True, ""  # CityObjects first (Delft): "type" comes later
    if match:
        return False, f"its type is {match.group(1).decode('utf-8', 'replace')!r}, not 'CityJSON'"
    return False, "no CityJSON 'type' or 'CityObjects' member near the start"


def json_error(path: pathlib.Path, data: bytes, exc: Exception, *, line: int | None = None) -> InputError:
    """A clear error for text that is not valid JSON: orjson names the position simdjson does not."""
    try:
        orjson.loads(data)
        reason = f"invalid JSON ({exc})"
    except orjson.JSONDecodeError as err:
        reason = f"invalid JSON: {err}"
        if "end of data" in str(err) or (data.rstrip() and err.pos >= len(data.rstrip()) - 1):
            reason += " (the file looks truncated)"
    return InputError(path, reason, where=f"line {line}" if line is not None else None)


def parse_bytes(path: pathlib.Path, data: bytes, *, line: int | None = None):
    """Parse one JSON document with a fresh simdjson parser; InputError when it is not JSON."""
    parser = simdjson.Parser()
    try:
        return parser.parse(data)
    except (ValueError, RuntimeError) as exc:
        raise json_error(path, data, exc, line=line) from None


def _as_dict(value: Any) -> Any:
    return value.as_dict() if isinstance(value, simdjson.Object) else value


def check_version(path: pathlib.Path, version: Any) -> str:
    """'1.0', '1.1' or '2.0' (patch numbers such as '1.0.3' allowed); InputError otherwise."""
    text = str(version) if version is not None else ""
    match = _VERSION.match(text)
    short = f"{match.group(1)}.{match.group(2)}" if match else text
    if short not in SUPPORTED_VERSIONS:
        shown = repr(text) if text else "missing"
        raise InputError(path, f"unsupported CityJSON version {shown} (supported: {', '.join(SUPPORTED_VERSIONS)})",
                         where="version")
    return short


def read_header(path: pathlib.Path, doc, *, expected: str = "CityJSON") -> Header:
    """Check ``type`` and ``version`` and read transform, CRS, templates and metadata of a parsed document."""
    if not isinstance(doc, simdjson.Object):
        raise InputError(path, f"not a CityJSON object but a JSON {type(doc).__name__.lower()}")
    kind = doc.get("type")
    if kind != expected:
        raise InputError(path, f"type is {kind!r}, not {expected!r}", where="type")
    version = check_version(path, doc.get("version"))
    transform = _as_dict(doc.get("transform"))
    scale = translate = None
    if transform is not None:
        try:
            scale = np.asarray(transform["scale"], dtype=np.float64).reshape(3)
            translate = np.asarray(transform["translate"], dtype=np.float64).reshape(3)
        except (KeyError, TypeError, ValueError):
            raise InputError(path, "transform needs 'scale' and 'translate' of 3 numbers each", where="transform") from None
    metadata = _as_dict(doc.get("metadata")) or {}
    if not isinstance(metadata, dict):
        metadata = {}
    crs = metadata.get("referenceSystem") or metadata.get("crs")
    if isinstance(crs, dict):  # very old files: {"epsg": 7415}
        crs = crs.get("epsg")
    templates = _as_dict(doc.get("geometry-templates"))
    if not isinstance(templates, dict):  # instances then say the file has no usable templates
        templates = None
    return Header(version=version, scale=scale, translate=translate, crs=crs, templates=templates or None,
                  metadata=metadata)


def resolve_crs(path: pathlib.Path, header: Header, options: ImportOptions, report: ImportReport) -> str:
    """The source CRS: the file's (any notation), else ``--crs``; InputError when neither exists."""
    given = options.crs
    if header.crs is not None:
        try:
            crs = normalize_crs(header.crs)
        except ValueError as exc:
            raise InputError(path, f"{exc}; give the CRS with --crs EPSG:NNNN", where="metadata.referenceSystem") from None
        if given and normalize_crs(given) != crs:
            report.note(f"the file declares {crs}; --crs {given} was not used")
        report.detected["crs"] = f"{crs} (from {header.crs})"
        return crs
    if not given:
        raise InputError(path, "the file declares no CRS: give it with --crs EPSG:NNNN")
    try:
        crs = normalize_crs(given)
    except ValueError as exc:
        raise InputError(path, str(exc), where="--crs") from None
    report.detected["crs"] = f"{crs} (from --crs)"
    return crs


def vertices_of(path: pathlib.Path, doc, header: Header, *, where: str = "vertices", raw: bool = False) -> np.ndarray:
    """The ``vertices`` array of a parsed document as real float64 coordinates (n, 3); with ``raw`` as
    stored (still under ``transform``: CityJSONSeq applies it once to all features)."""
    array = doc.get("vertices")
    if array is None:
        return np.empty((0, 3))
    if not isinstance(array, simdjson.Array):
        raise InputError(path, "'vertices' must be an array of [x, y, z]", where=where)
    count = len(array)
    try:
        flat = np.frombuffer(array.as_buffer(of_type="d"), dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(path, "'vertices' must hold numbers only, as [x, y, z]", where=where) from None
    if flat.size != 3 * count:
        raise InputError(path, f"'vertices' must be [x, y, z] triples ({count} vertices, {flat.size} numbers)",
                         where=where)
    return flat.reshape(count, 3) if raw else header.real(flat.reshape(count, 3))


def city_objects(path: pathlib.Path, doc, *, where: str = "CityObjects") -> Iterator[tuple[str, dict]]:
    """(id, object dict) pairs; simdjson makes each object a dict only when it is reached."""
    objects = doc.get("CityObjects")
    if objects is None:
        raise InputError(path, "no 'CityObjects' member", where=where)
    if not isinstance(objects, simdjson.Object):
        raise InputError(path, "'CityObjects' must be an object of id: city object", where=where)
    return iter(objects.items())


def read_lines(path: pathlib.Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of the non-blank lines of a JSON Lines file."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line
