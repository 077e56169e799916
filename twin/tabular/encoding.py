"""Text encodings and line endings of tabular files (UTF-8, UTF-8 with BOM, UTF-16, CP949/EUC-KR).

Korean public data is mostly CP949 (a superset of EUC-KR) or UTF-8, often with a BOM when it went
through Excel. Detection is strict decoding, in this order: a byte-order mark, UTF-8, CP949. Bytes
that are neither are an error naming the first bad line, never silently replaced.
"""

from __future__ import annotations

import codecs
import dataclasses
import re

from twin.errors import InputError

#: Names users and files give, mapped to the Python codec that decodes them. EUC-KR files are
#: decoded as CP949 (its superset): real "EUC-KR" exports often hold CP949-only syllables.
CODEC_ALIASES = {
    "euc-kr": "cp949",
    "euckr": "cp949",
    "euc_kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ksc5601": "cp949",
    "uhc": "cp949",
    "ms949": "cp949",
    "utf8": "utf-8",
    "utf-8-bom": "utf-8-sig",
}

@dataclasses.dataclass(frozen=True)
class DecodedText:
    """A text file decoded to UTF-8 bytes with ``\\n`` line ends, and what was found on the way."""

    data: bytes  # UTF-8, no BOM, lines ending in "\n" (CR LF kept: pyarrow and csv read it)
    encoding: str  # label for the report: "UTF-8", "UTF-8 with BOM", "CP949", ...
    codec: str  # Python codec name that decoded it
    newline: str  # "LF", "CRLF", "CR CR LF", "CR" or "none"


def codec_for(name: str) -> str:
    """The Python codec for an encoding name (``EUC-KR`` reads as ``cp949``); ``ValueError`` if unknown."""
    key = name.strip().lower()
    codec = CODEC_ALIASES.get(key, key)
    try:
        return codecs.lookup(codec).name
    except LookupError as exc:
        raise ValueError(f"unknown text encoding {name!r}") from exc


def _label(codec: str, *, bom: bool) -> str:
    names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp949": "CP949", "utf-16": "UTF-16", "euc_kr": "EUC-KR"}
    label = names.get(codec, codec.upper())
    return f"{label} with BOM" if bom else label


def _first_bad_line(data: bytes, exc: UnicodeDecodeError) -> int:
    return data.count(b"\n", 0, exc.start) + 1


_LONE_CR = re.compile(rb"\r(?!\n)")


def detect_newline(data: bytes) -> str:
    """The line ending of the first line: "LF", "CRLF", "CR CR LF", "CR" or "none"."""
    end = data.find(b"\n")
    if end < 0:
        return "CR" if b"\r" in data else "none"
    if data[max(end - 2, 0):end] == b"\r\r":
        return "CR CR LF"
    if end > 0 and data[end - 1:end] == b"\r":
        return "CRLF"
    return "LF"


def normalise_newlines(data: bytes) -> tuple[bytes, str]:
    """Make line ends readable by CSV parsers: ``\\r\\r\\n`` (records written twice through a text-mode
    layer, as in TAAS exports) counts as one line end and bare ``\\r`` becomes ``\\n``. Returns the
    bytes and the detected style (see :func:`detect_newline`)."""
    style = detect_newline(data)
    if style == "CR CR LF":
        data = data.replace(b"\r\r\n", b"\n")
    elif style == "CR":
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"\r" in data:  # a stray bare CR: pyarrow ends a line there, so every reader (and line count) must too
        data = _LONE_CR.sub(b"\n", data)
    return data, style


def decode_text(data: bytes, *, path: object = "", encoding: str | None = None) -> DecodedText:
    """Detect the encoding of ``data`` (or use ``encoding``) and return UTF-8 bytes with normal line ends.

    Raises :class:`InputError` for binary data and for bytes the encoding cannot decode (with the
    line number of the first bad byte and a hint to use ``--encoding``).
    """
    bom = False
    if encoding:
        try:
            codec = codec_for(encoding)
        except ValueError as exc:
            raise InputError(path, str(exc)) from None
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid {encoding} text ({exc.reason})",
                             where=f"line {_first_bad_line(data, exc)}") from None
        bom = text.startswith("\ufeff")
        out = text.lstrip("\ufeff").encode("utf-8")
        label = _label(codec, bom=bom)
    elif data.startswith(codecs.BOM_UTF8):
        codec, label = "utf-8", "UTF-8 with BOM"
        out = _strict_utf8(data[3:], path)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
        try:
            out = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid UTF-16 text ({exc.reason})") from None
        label = "UTF-16 with BOM"
    else:
        if b"\x00" in data[:65536]:
            raise InputError(path, "binary data (NUL bytes), not a text file")
        codec, label, out = _guess(data, path)
    out, newline = normalise_newlines(out)
    return DecodedText(data=out, encoding=label, codec=codec, newline=newline)


def _strict_utf8(data: bytes, path: object) -> bytes:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 after its byte-order mark ({exc.reason}); give --encoding",
                         where=f"line {_first_bad_line(data, exc)}") from None
    return data


def _guess(data: bytes, path: object) -> tuple[str, str, bytes]:
    try:
        data.decode("utf-8")
        return "utf-8", "UTF-8", data
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp949")
        except UnicodeDecodeError:
            line = _first_bad_line(data, utf8_error)
            raise InputError(path, "text is neither UTF-8 nor CP949 (EUC-KR); give the encoding with --encoding",
                             where=f"line {line}") from None
        return "cp949", "CP949", text.encode("utf-8")
