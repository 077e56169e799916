"""Icons: Qt's standard style icons where one fits, small drawn icons for layer kinds and tools.

Drawn icons are vector paintings on a pixmap, so they stay crisp at any size and need no files.
"""

from __future__ import annotations

import functools

from PySide6 import QtCore, QtGui, QtWidgets

#: display colour per layer kind (also the default constant colour of a layer)
KIND_COLOURS = {
    "buildings": "#b9a58a",
    "points": "#d9534f",
    "lines": "#5b6f8a",
    "polygons": "#7fae6e",
    "moving": "#e58e26",
    "events": "#c0392b",
    "sensors": "#2e86c1",
    "segments": "#8e44ad",
}


def standard(name: str) -> QtGui.QIcon:
    """A standard icon of the current style, e.g. ``standard("SP_DialogOpenButton")``."""
    style = QtWidgets.QApplication.style()
    return style.standardIcon(getattr(QtWidgets.QStyle.StandardPixmap, name))


def _canvas(size: int = 32) -> tuple[QtGui.QPixmap, QtGui.QPainter]:
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    return pixmap, painter


@functools.lru_cache(maxsize=256)
def kind_icon(kind: str, colour: str | None = None) -> QtGui.QIcon:
    """A small drawing of a layer kind (a block, a pin, a line, a polygon, a track), in ``colour``."""
    colour = QtGui.QColor(colour or KIND_COLOURS.get(kind, "#888888"))
    pixmap, p = _canvas()
    pen = QtGui.QPen(colour.darker(160), 2)
    p.setPen(pen)
    p.setBrush(colour)
    if kind == "buildings":
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((6, 26), (6, 12), (14, 6), (14, 20))]))
        p.setBrush(colour.lighter(115))
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((14, 20), (14, 6), (26, 10), (26, 26), (6, 26))]))
    elif kind in ("points", "sensors", "events"):
        p.drawEllipse(QtCore.QPointF(16, 13), 8, 8)
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(10, 17), QtCore.QPointF(22, 17), QtCore.QPointF(16, 29)]))
        p.setBrush(QtGui.QColor("white"))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.drawEllipse(QtCore.QPointF(16, 13), 3, 3)
    elif kind in ("lines", "segments"):
        pen = QtGui.QPen(colour, 4)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawPolyline(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((4, 26), (12, 14), (20, 20), (28, 6))]))
    elif kind == "moving":
        p.setPen(QtGui.QPen(colour, 2, QtCore.Qt.PenStyle.DashLine))
        p.drawPolyline(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((4, 28), (12, 18), (20, 16))]))
        p.setPen(pen)
        p.drawEllipse(QtCore.QPointF(23, 12), 6, 6)
    else:  # polygons and anything else
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((5, 10), (18, 4), (28, 14), (22, 28), (7, 24))]))
    p.end()
    return QtGui.QIcon(pixmap)


@functools.lru_cache(maxsize=64)
def group_icon(level: str, colour: str = "#3f6f99") -> QtGui.QIcon:
    """Icon of a layer-tree group: ``stage`` (a stack of plates) or ``service`` (a round badge)."""
    base = QtGui.QColor(colour)
    pixmap, p = _canvas()
    if level == "service":
        p.setPen(QtGui.QPen(base.darker(150), 1.5))
        p.setBrush(base)
        p.drawEllipse(QtCore.QPointF(16, 16), 9, 9)
        p.setBrush(QtGui.QColor(255, 255, 255, 150))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.drawEllipse(QtCore.QPointF(13, 13), 3, 3)
    else:
        for i, factor in enumerate((140, 115, 100)):
            y = 20 - i * 6
            p.setPen(QtGui.QPen(base.darker(170), 1.5))
            p.setBrush(base.lighter(factor))
            p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((4, y), (16, y - 5), (28, y), (16, y + 5))]))
    p.end()
    return QtGui.QIcon(pixmap)


def ramp_icon(name: str, *, width: int = 72, height: int = 12, steps: int = 64) -> QtGui.QIcon:
    """A horizontal strip of a matplotlib colormap or palette (legends, ramp choosers)."""
    import matplotlib
    from matplotlib.colors import to_hex

    cmap = matplotlib.colormaps[name]
    pixmap = QtGui.QPixmap(width, height)
    painter = QtGui.QPainter(pixmap)
    step = width / steps
    for i in range(steps):
        colour = QtGui.QColor(to_hex(cmap(i / max(steps - 1, 1))))
        painter.fillRect(QtCore.QRectF(i * step, 0, step + 1, height), colour)
    painter.setPen(QtGui.QColor("#555555"))
    painter.drawRect(0, 0, width - 1, height - 1)
    painter.end()
    return QtGui.QIcon(pixmap)


def colour_swatch(colour: str | QtGui.QColor, *, size: int = 14, border: str = "#555555") -> QtGui.QIcon:
    """A filled square of one colour, for legends and colour buttons."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtGui.QColor(colour))
    p = QtGui.QPainter(pixmap)
    p.setPen(QtGui.QColor(border))
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return QtGui.QIcon(pixmap)


@functools.lru_cache(maxsize=16)
def tool_icon(name: str) -> QtGui.QIcon:
    """Drawn toolbar icons: ``import``, ``sql``, ``zoom_full``, ``iso``, ``top``, ``select``, ``clear``."""
    pixmap, p = _canvas()
    dark = QtGui.QColor("#34495e")
    accent = QtGui.QColor("#2e86c1")
    p.setPen(QtGui.QPen(dark, 2))
    if name == "import":
        p.setBrush(QtGui.QColor("#ecf0f1"))
        p.drawRect(6, 14, 20, 14)
        p.setPen(QtGui.QPen(accent, 3))
        p.drawLine(16, 3, 16, 20)
        p.drawLine(10, 14, 16, 20)
        p.drawLine(22, 14, 16, 20)
    elif name == "sql":
        p.setBrush(QtGui.QColor("#d6eaf8"))
        for y in (22, 15, 8):
            p.drawEllipse(QtCore.QRectF(6, y - 4, 20, 8))
        p.drawLine(6, 8, 6, 22)
        p.drawLine(26, 8, 26, 22)
    elif name == "zoom_full":
        p.drawEllipse(QtCore.QRectF(4, 4, 18, 18))
        p.setPen(QtGui.QPen(dark, 3))
        p.drawLine(19, 19, 28, 28)
        p.setPen(QtGui.QPen(accent, 2))
        p.drawRect(9, 9, 8, 8)
    elif name == "iso":
        p.setBrush(QtGui.QColor("#d5dbdb"))
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((16, 4), (28, 10), (16, 16), (4, 10))]))
        p.setBrush(QtGui.QColor("#aab7b8"))
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((4, 10), (16, 16), (16, 28), (4, 22))]))
        p.setBrush(QtGui.QColor("#839192"))
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((16, 16), (28, 10), (28, 22), (16, 28))]))
    elif name == "top":
        p.setBrush(QtGui.QColor("#d5dbdb"))
        p.drawRect(6, 6, 20, 20)
        p.setPen(QtGui.QPen(accent, 2))
        p.drawLine(16, 10, 16, 22)
        p.drawLine(10, 16, 22, 16)
    elif name == "select":
        p.setBrush(QtGui.QColor("white"))
        p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*xy) for xy in ((8, 4), (8, 26), (13, 21), (18, 29), (21, 27), (16, 19), (24, 19))]))
    elif name == "clear":
        p.setPen(QtGui.QPen(QtGui.QColor("#c0392b"), 3))
        p.drawLine(8, 8, 24, 24)
        p.drawLine(24, 8, 8, 24)
    p.end()
    return QtGui.QIcon(pixmap)
