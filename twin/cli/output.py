"""What the CLI prints: strict JSON on stdout, and text from a project made visible, never executed.

- :func:`dump_json`: always strict JSON (RFC 8259): NaN and infinities become ``null`` (never ``NaN`` or
  ``Infinity``, which JSON readers refuse), and control or bidi characters inside strings are ``\\uXXXX``.
- :func:`visible`: a layer name, an attribute value or a file name with its control characters (ANSI
  escapes, ``\\r``, line breaks, bidi overrides) written as escapes (:mod:`twin.printable`).
- :func:`say`: one line on stderr (messages) with :func:`visible` applied to it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
from typing import IO, Any

from twin.printable import visible

__all__ = ["dump_json", "finite", "say", "strict_json", "visible"]

#: characters json.dumps(ensure_ascii=False) leaves raw that a terminal may act on (DEL, C1, bidi, separators)
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
                             "\ufeff\ufff9-\ufffb]")


def finite(value: Any) -> Any:
    """``value`` with every float that is not finite (NaN, +-inf) replaced by None, through dicts, lists,
    tuples and numpy scalars."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a numpy scalar
        return finite(value.item())
    return value


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return finite(value.item())
    if hasattr(value, "tolist"):  # a numpy array
        return finite(value.tolist())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def strict_json(value: Any, *, indent: int | None = None) -> str:
    """``value`` as strict JSON text (see the module docstring)."""
    text = json.dumps(finite(value), ensure_ascii=False, allow_nan=False, default=_default, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dump_json(value: Any, file: IO[str] | None = None, *, indent: int | None = None) -> None:
    """Write ``value`` as strict JSON and a newline to ``file`` (stdout by default)."""
    out = file or sys.stdout
    out.write(strict_json(value, indent=indent))
    out.write("\n")


def say(text: str, *, file: IO[str] | None = None) -> None:
    """Print one message line (stderr by default) with control characters made visible."""
    print(visible(text), file=file or sys.stderr)
