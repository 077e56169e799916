"""SQL identifiers read from a project are data: validated against what the schema allows, then quoted.

Every table name a query is built with goes through :func:`table_ref` (layer tables are ``lyr_<id>`` and
``lyr_<id>_<suffix>``) and every column name through :func:`quote`, so a catalogue written by a stranger
cannot smuggle SQL into a query.
"""

from __future__ import annotations

import re

from twin.errors import ProjectError

_LAYER_TABLE = re.compile(r"lyr_[0-9]+(_[a-z][a-z0-9_]*)?")  # always fullmatch: "$" would let "\n" through
_MAIN_TABLE = re.compile(r"lyr_[0-9]+")


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier (double quotes doubled inside)."""
    text = str(name)
    if "\x00" in text:
        raise ProjectError(f"identifier {text!r} contains a NUL character")
    return '"' + text.replace('"', '""') + '"'


def is_layer_table(name: object, *, suffix: bool = True) -> bool:
    """True when ``name`` is ``lyr_<n>`` (or, with ``suffix``, ``lyr_<n>_<suffix>``)."""
    return isinstance(name, str) and bool((_LAYER_TABLE if suffix else _MAIN_TABLE).fullmatch(name))


def table_ref(table: str) -> str:
    """The quoted name of a layer table; ProjectError when ``table`` is not ``lyr_<n>`` or ``lyr_<n>_<suffix>``."""
    if not is_layer_table(table):
        raise ProjectError(f"{table!r} is not the name of a layer table (lyr_<number>[_<suffix>])")
    return quote(table)
