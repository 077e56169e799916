"""The font that draws Korean text: found once among the system's CJK fonts (fonts-noto-cjk on Debian/Ubuntu).

Used by the 3D view's legend and captions (VTK text actors) and by analysis pictures (matplotlib).
"""

from __future__ import annotations

import functools
import logging

log = logging.getLogger(__name__)

#: families tried in order; Noto Sans CJK comes with the fonts-noto-cjk package setup.sh installs
CJK_FAMILIES = ["Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic", "Malgun Gothic", "AppleGothic",
                "Noto Sans CJK JP"]


@functools.cache
def hangul_font() -> str | None:
    """A font file with Hangul glyphs, or None (Latin text only is then legible)."""
    try:
        from matplotlib import font_manager

        return str(font_manager.findfont(font_manager.FontProperties(family=CJK_FAMILIES), fallback_to_default=False))
    except Exception:  # noqa: BLE001 - no such font on this machine, or no font cache
        log.info("no font with Hangul glyphs found; Korean text will not be legible")
        return None
