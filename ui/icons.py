"""Icons: Qt's standard style icons where one fits, small drawn icons for layer kinds and tools.

Drawn icons are vector paintings on a pixmap, so they stay crisp at any size and need no files.
"""

from __future__ import annotations

import functools

from PySide6 import QtCore, QtGui, QtWidgets

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


#: the icon of a layer kind that declares none (a plain shape in the kind's colour)
FALLBACK_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">'
                '<path d="M16 4 L28 16 L16 28 L4 16 Z" fill="currentColor" stroke="#000000" stroke-opacity="0.45" '
                'stroke-width="1.5"/></svg>')


@functools.lru_cache(maxsize=256)
def kind_icon(kind: str, colour: str | None = None) -> QtGui.QIcon:
    """The icon a layer kind declares (an SVG of its plugin, ``currentColor`` painted in ``colour``, by default
    the kind's own colour): :mod:`twin.plugins.kinds`, so a plugin's kind brings its icon with it."""
    from twin.plugins.kinds import DEFAULT_COLOR, layer_kind

    declared = layer_kind(kind)
    colour = QtGui.QColor(colour or (declared.color if declared is not None else DEFAULT_COLOR)).name()
    svg = FALLBACK_SVG
    if declared is not None and declared.icon is not None:
        try:
            svg = declared.icon.read_text(encoding="utf-8")
        except OSError:
            svg = FALLBACK_SVG
    return svg_icon(svg.replace("currentColor", colour))


def svg_icon(svg: str, size: int = 32) -> QtGui.QIcon:
    """An icon painted from SVG text (an unreadable SVG paints nothing rather than failing)."""
    from PySide6 import QtSvg

    pixmap, painter = _canvas(size)
    renderer = QtSvg.QSvgRenderer(QtCore.QByteArray(svg.encode("utf-8")))
    if renderer.isValid():
        renderer.render(painter)
    painter.end()
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
