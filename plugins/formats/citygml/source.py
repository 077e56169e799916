"""Safe, streaming XML: the root check (sniff) and the ``lxml.etree.iterparse`` loop over city objects.

The parser never expands entities, never loads a DTD and never touches the network
(``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False``); a file that declares
entities is refused before parsing. Each member is handed on and then cleared with the siblings before
it, so memory stays flat in the number of objects.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator

from lxml import etree

from twin.api import InputError
from twin_plugins.formats.citygml.names import APPEARANCE_LOCALS, GML_NAMESPACES, MEMBER_LOCALS, VERSIONS, split

HEAD_BYTES = 1 << 16
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY = re.compile(rb"<!ENTITY", re.I)


def parser_options() -> dict:
    """The lxml settings every CityGML parse uses (no entity expansion, no DTD, no network)."""
    return dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                huge_tree=False, remove_comments=True, remove_pis=True)


def _line_count(path: pathlib.Path) -> int:
    count = 1
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
    return count


def _syntax(path: pathlib.Path, exc: etree.XMLSyntaxError) -> InputError:
    """One line from an lxml syntax error; an error on the last line means the file was cut short."""
    line = exc.position[0] if exc.position else None
    message = (exc.msg or str(exc)).split(", line ")[0]
    ends = "Premature end" in message or (line is not None and line >= _line_count(path))
    hint = " (the file ends before its elements are closed: it looks truncated)" if ends else ""
    return InputError(path, f"invalid XML: {message}{hint}", where=f"line {line}" if line else None)


def check_head(path: pathlib.Path, head: bytes) -> None:
    """Refuse a DTD with entities (CityGML needs none; an entity bomb or external entity stops here)."""
    if _DOCTYPE.search(head) and _ENTITY.search(head):
        raise InputError(path, "the file declares XML entities in a DTD, which CityGML never needs; "
                               "it is refused and nothing is expanded")


def root_of(path: pathlib.Path) -> tuple[str, str]:
    """(namespace, local name) of the root element, reading only as far as it."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    check_head(path, head)
    parser = etree.XMLPullParser(events=("start",), **parser_options())
    try:
        parser.feed(head)
        for _, el in parser.read_events():
            return split(el.tag)
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise _syntax(path, exc) from None
    raise InputError(path, "no XML element in the first 64 KB: not a CityGML file")


def citygml_version(path: pathlib.Path) -> str:
    """'1.0', '2.0' or '3.0' from the root ``CityModel``; InputError for any other root."""
    ns, local = root_of(path)
    version = VERSIONS.get(ns)
    if local != "CityModel" or version is None:
        shown = f"{{{ns}}}{local}" if ns else local
        raise InputError(path, f"not a CityGML file: the root element is {shown}, not a CityGML CityModel",
                         where="line 1")
    return version


def members(path: pathlib.Path, source=None) -> Iterator[tuple[str, object]]:
    """('envelope', gml:boundedBy of the CityModel), ('member', cityObjectMember), ('appearance', ...)
    in file order; each element is cleared after the consumer is done with it. ``source``: an open
    binary file of ``path`` (its position tells the progress), else the path is opened."""
    tags = [f"{{*}}{name}" for name in (*MEMBER_LOCALS, *APPEARANCE_LOCALS, "boundedBy")]
    context = etree.iterparse(source if source is not None else str(path), events=("end",), tag=tags, **parser_options())
    root = None
    try:
        for _, el in context:
            parent = el.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # only the CityModel's own children
            root = parent
            ns, local = split(el.tag)
            if local in MEMBER_LOCALS:
                yield "member", el
            elif local in APPEARANCE_LOCALS:
                yield "appearance", el
            elif local == "boundedBy" and ns in GML_NAMESPACES:
                yield "envelope", el
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del root[0]
    except etree.XMLSyntaxError as exc:
        raise _syntax(path, exc) from None
