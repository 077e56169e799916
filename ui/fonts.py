"""Fonts: a readable UI font with a CJK fallback so Korean and Japanese attribute keys never show as boxes."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

#: fallbacks tried after the UI font, first one installed wins (fonts-noto-cjk on Debian)
CJK_FAMILIES = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "Apple SD Gothic Neo",
                "Noto Sans CJK JP", "Source Han Sans K")
UI_FAMILIES = ("Noto Sans", "DejaVu Sans", "Segoe UI", "Helvetica Neue", "Arial")


def cjk_family() -> str | None:
    """The first installed CJK-capable family, or ``None``."""
    installed = set(QtGui.QFontDatabase.families())
    return next((f for f in CJK_FAMILIES if f in installed), None)


def install_fonts(app: QtWidgets.QApplication, *, point_size: float = 9.5) -> QtGui.QFont:
    """Set the application font: a UI family first, then a CJK family for the glyphs it lacks."""
    installed = set(QtGui.QFontDatabase.families())
    families = [f for f in UI_FAMILIES if f in installed][:1]
    cjk = cjk_family()
    if cjk:
        families.append(cjk)
        for family in families[:1] + list(UI_FAMILIES):
            QtGui.QFont.insertSubstitution(family, cjk)
    font = QtGui.QFont(app.font())
    if families:
        font.setFamilies(families)
    font.setPointSizeF(point_size)
    app.setFont(font)
    return font
