"""Text from a project or a source file made safe to print: control characters shown, never executed.

A layer name, an attribute value or a file name can hold ANSI escapes (``\\x1b[2J`` clears a terminal),
``\\r`` (overwrites the line shown), bidi overrides (reverse what is read) or line breaks (forge extra
output lines). :func:`visible` writes each such character as a Python-style escape (``\\x1b``, ``\\r``,
``\\u202e``) and leaves everything else, Hangul and spaces of every kind included, as it is.
"""

from __future__ import annotations

import unicodedata

#: categories escaped: controls (C0, DEL, C1), format characters (bidi overrides, zero-width), line and
#: paragraph separators, lone surrogates
_ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: object) -> str:
    """``text`` (any object, through ``str``) with control characters written as escapes (see the module)."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _ESCAPED else ch for ch in text)


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
