"""Attributes of a city object: generic attributes (``gen:`` of 2.0 and 3.0), xAL 2/3 addresses and
simple properties (``bldg:measuredHeight``, ``gml:name``...), with their names as written (any script)."""

from __future__ import annotations

from typing import Any

from twin_plugins.formats.citygml.names import split

#: simple properties whose text is a number
NUMBERS = frozenset({"measuredHeight", "storeysAboveGround", "storeysBelowGround", "yearOfConstruction",
                     "yearOfDemolition", "averageHeight", "trunkDiameter", "crownDiameter", "height"})
#: xAL leaves named by their parent (3.0 ``xAL:Locality/xAL:NameElement``)
GENERIC_LEAVES = frozenset({"NameElement", "Identifier", "Number"})


def number(text: str) -> Any:
    """'12' -> 12, '31.7' -> 31.7, anything else stays text."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _typed(kind: str, text: str | None) -> Any:
    if text is None:
        return None
    text = text.strip()
    if kind.startswith(("int", "Int")):
        try:
            return int(text)
        except ValueError:
            return text
    if kind.startswith(("double", "Double", "measure", "Measure")):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def generic(el) -> tuple[str | None, Any]:
    """One generic attribute element (2.0 ``gen:stringAttribute name=...`` or 3.0 ``gen:StringAttribute``)."""
    _, local = split(el.tag)
    name = el.get("name")
    value = None
    children = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        _, clocal = split(child.tag)
        if clocal == "name":
            name = (child.text or "").strip()
        elif clocal == "value":
            value = child.text
        elif clocal == "genericAttribute":  # 3.0 set: gen:genericAttribute/gen:XAttribute
            for inner in child:
                if isinstance(inner.tag, str):
                    key, val = generic(inner)
                    if key:
                        children[key] = val
        elif clocal.endswith(("Attribute", "AttributeSet")):  # 2.0 set: members directly inside
            key, val = generic(child)
            if key:
                children[key] = val
    if local.endswith("AttributeSet"):
        return name, children
    return name, _typed(local, value)


def address(el) -> dict[str, str]:
    """An address property (2.0 ``bldg:address/core:Address/core:xalAddress/xAL:AddressDetails``, 3.0
    ``xAL:Address``) as ``{'CountryName': ..., 'LocalityName': ...}`` from its text leaves."""
    out: dict[str, str] = {}
    for leaf in el.iter():
        if not isinstance(leaf.tag, str) or len(leaf) or not (leaf.text and leaf.text.strip()):
            continue
        _, local = split(leaf.tag)
        if local in ("pos", "posList", "coordinates"):
            continue
        if local in GENERIC_LEAVES:  # xAL 3: Locality/NameElement -> Locality, Thoroughfare/Number -> ThoroughfareNumber
            local = split(leaf.getparent().tag)[1] + ("Number" if local == "Number" else "")
        text = leaf.text.strip()
        out[local] = f"{out[local]} {text}" if local in out else text
    return out


def simple(el) -> tuple[str, Any] | None:
    """A simple property (text and no child elements) as (name, value); None when it is not one."""
    if len(el) or el.text is None or not el.text.strip():
        return None
    _, local = split(el.tag)
    text = el.text.strip()
    return local, number(text) if local in NUMBERS else text
