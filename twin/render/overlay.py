"""2D overlays drawn over the 3D view: the legend panel and the scale hint.

Both are plain VTK 2D actors laid out in pixels, so they look the same off-screen and in the Qt
window. Text uses a font with Hangul glyphs when the system has one (Noto Sans CJK, Nanum), so
Korean layer names and categories are legible.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from twin.fonts import hangul_font
from twin.scene.camera import CameraPose, format_length, nice_length
from twin.scene.style import to_rgb

log = logging.getLogger(__name__)

TEXT_COLOR = "#263238"
MUTED_COLOR = "#5f6b73"
PANEL_COLOR = "#ffffff"
SWATCH_BORDER = "#8a9299"


@dataclasses.dataclass
class LegendBlock:
    """What one layer contributes to the legend: a title, colour swatches and/or a colour bar."""

    title: str
    swatches: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    colormap: str | None = None
    clim: tuple[float, float] | None = None
    subtitle: str = ""
    #: the layer's smart-city stage (1-4): a legend with stages groups its blocks under one title per stage
    stage: int | None = None


text_font = hangul_font  # the file of a font with Hangul glyphs (twin.fonts)


def _text_actor(text: str, size: int, color: str, *, bold: bool = False):
    from vtkmodules.vtkCommonCore import VTK_FONT_FILE
    from vtkmodules.vtkRenderingCore import vtkTextActor

    actor = vtkTextActor()
    actor.SetInput(text)
    prop = actor.GetTextProperty()
    font = text_font()
    if font:
        prop.SetFontFamily(VTK_FONT_FILE)
        prop.SetFontFile(font)
    prop.SetFontSize(size)
    prop.SetColor(*to_rgb(color))
    prop.SetBold(bold)
    prop.SetVerticalJustificationToBottom()
    actor.PickableOff()
    return actor


def _quads_actor(rects: np.ndarray, colors: np.ndarray, opacity: float = 1.0):
    """A 2D actor of axis-aligned rectangles ``(x0, y0, x1, y1)`` in pixels with per-rectangle RGB (0..255)."""
    import pyvista as pv
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkRenderingCore import vtkActor2D, vtkPolyDataMapper2D

    n = len(rects)
    pts = np.zeros((4 * n, 3))
    pts[0::4, :2] = rects[:, [0, 1]]
    pts[1::4, :2] = rects[:, [2, 1]]
    pts[2::4, :2] = rects[:, [2, 3]]
    pts[3::4, :2] = rects[:, [0, 3]]
    poly = pv.PolyData.from_regular_faces(pts, np.arange(4 * n).reshape(n, 4))
    rgb = numpy_to_vtk(np.ascontiguousarray(colors, dtype=np.uint8), deep=True)
    rgb.SetName("rgb")
    poly.GetCellData().SetScalars(rgb)
    mapper = vtkPolyDataMapper2D()
    mapper.SetInputData(poly)
    mapper.SetColorModeToDirectScalars()
    actor = vtkActor2D()
    actor.SetMapper(mapper)
    actor.GetProperty().SetOpacity(opacity)
    actor.PickableOff()
    return actor


def _rgb255(color: str) -> list[int]:
    return [int(round(c * 255)) for c in to_rgb(color)]


class Overlay:
    """The legend panel (top right) and the scale hint (bottom left) of one renderer."""

    def __init__(self, renderer) -> None:
        self.renderer = renderer
        self._actors: list = []
        self._scale_actors: list = []
        self.blocks: list[LegendBlock] = []
        self.font_size = 13
        #: pixels the legend takes from the right edge (0 without a legend)
        self.width = 0
        #: pixels at the bottom the legend keeps clear (a presenter's caption band)
        self.reserved_bottom = 0
        self._scale_key: tuple | None = None

    def _clear(self, actors: list) -> None:
        for actor in actors:
            self.renderer.RemoveViewProp(actor)
        actors.clear()

    def set_legend(self, blocks: list[LegendBlock]) -> None:
        """Lay out the legend for these blocks (call again after the window was resized)."""
        self.blocks = list(blocks)
        self._clear(self._actors)
        self.width = 0
        if not blocks:
            return
        width, height = self.renderer.GetRenderWindow().GetSize()
        size = self.font_size if height >= 500 else max(9, self.font_size - 3)
        rows, size = fitting_rows(blocks, size, height - self.reserved_bottom)
        line, pad, swatch, gap, indent = int(size * 1.6), 12, int(size * 0.95), 7, 12
        texts = [(_text_actor(r.text, size, r.color, bold=r.heading) if r.text else None) for r in rows]
        rights = [(_text_actor(r.right, size, MUTED_COLOR) if r.right else None) for r in rows]

        def left_of(r: _Row) -> int:
            return indent * r.depth + (swatch + gap if r.swatch else 0)

        text_width = max((left_of(r) + _width(self.renderer, t) for r, t in zip(rows, texts) if t), default=0)
        panel_w = int(min(width - 2 * pad, max(text_width, 150) + 2 * pad))
        tops, y_rel = [], 0  # the top of each row below the panel's top padding, a gap before each later group
        for row in rows:
            y_rel += int(line * GROUP_GAP) if row.gap else 0
            tops.append(y_rel)
            y_rel += line
        panel_h = pad * 2 + y_rel
        x0, y_top = width - pad - panel_w, height - pad
        rects, colors = [[x0, y_top - panel_h, x0 + panel_w, y_top]], [_rgb255(PANEL_COLOR)]
        for i, (row, text, right) in enumerate(zip(rows, texts, rights)):
            y = y_top - pad - tops[i] - line + (line - swatch) // 2
            x = x0 + pad + indent * row.depth
            if row.heading and row.swatch:  # the stage's colour as a bar under its title
                rects.append([x, y - 6, x0 + panel_w - pad, y - 4])
                colors.append(_rgb255(row.swatch))
            elif row.swatch:
                rects.append([x - 1, y - 1, x + swatch + 1, y + swatch + 1])
                colors.append(_rgb255(SWATCH_BORDER))
                rects.append([x, y, x + swatch, y + swatch])
                colors.append(_rgb255(row.swatch))
            if text is not None:
                text.SetPosition(x + (swatch + gap if row.swatch and not row.heading else 0), y - 3)
            if right is not None:
                right.GetTextProperty().SetJustificationToRight()
                right.SetPosition(x0 + panel_w - pad, y - 3)
            if row.colormap:
                import matplotlib

                cmap = matplotlib.colormaps[row.colormap]
                xs = np.linspace(x, x0 + panel_w - pad, 49)
                for k in range(48):
                    rects.append([xs[k], y, xs[k + 1], y + swatch])
                    colors.append([int(c * 255) for c in cmap((k + 0.5) / 48)[:3]])
        panel = _quads_actor(np.array(rects[:1], dtype=float), np.array(colors[:1]), opacity=0.9)
        marks = _quads_actor(np.array(rects[1:], dtype=float).reshape(-1, 4), np.array(colors[1:]).reshape(-1, 3))
        self.width = panel_w + 2 * pad
        self._actors.extend([panel, marks, *(t for t in texts + rights if t is not None)])
        for actor in self._actors:
            self.renderer.AddViewProp(actor)

    def update_scale(self, pose: CameraPose) -> float:
        """Redraw the scale bar for the current camera (only when it changed); returns its length in metres."""
        width, height = self.renderer.GetRenderWindow().GetSize()
        per_px = pose.metres_per_pixel(height)
        target_px = max(60, min(160, width // 8))
        length = nice_length(target_px * per_px)
        bar_px = length / per_px if per_px > 0 else target_px
        key = (length, int(round(bar_px)), width, height)
        if key == self._scale_key and self._scale_actors:
            return length
        self._scale_key = key
        self._clear(self._scale_actors)
        x0, y0, thick = 16, 16, 5
        rects = np.array([[x0 - 2, y0 - 2, x0 + bar_px + 2, y0 + thick + 2], [x0, y0, x0 + bar_px / 2, y0 + thick],
                          [x0 + bar_px / 2, y0, x0 + bar_px, y0 + thick]], dtype=float)
        colors = np.array([_rgb255(PANEL_COLOR), _rgb255(TEXT_COLOR), _rgb255("#ffffff")])
        bar = _quads_actor(rects, colors)
        label = _text_actor(format_length(length), self.font_size, TEXT_COLOR)
        label.SetPosition(x0, y0 + thick + 4)
        self._scale_actors.extend([bar, label])
        for actor in self._scale_actors:
            self.renderer.AddViewProp(actor)
        return length

    def clear(self) -> None:
        self._clear(self._actors)
        self._clear(self._scale_actors)


def fitting_font_size(size: int, rows: int, height: int, *, smallest: int = 8) -> int:
    """The largest font size up to ``size`` whose legend of ``rows`` lines (1.6 lines per size, 12 px
    padding) fits a view ``height`` pixels tall, but not under ``smallest`` (a long legend of many layers
    shrinks to stay on screen instead of running past the bottom)."""
    room = height - 4 * 12
    while size > smallest and int(size * 1.6) * rows > room:
        size -= 1
    return size


def _line_count(rows: list[_Row]) -> float:
    return len(rows) + GROUP_GAP * sum(1 for r in rows if r.gap)


def fitting_rows(blocks: list[LegendBlock], size: int, height: int, *, smallest: int = 8) -> tuple[list[_Row], int]:
    """The legend's rows and font size for a view ``height`` pixels tall: grouped by stage when that fits at a
    readable size, else ungrouped (fewer lines), else the first rows and one "... n more" line."""
    rows = _legend_rows(blocks)
    room = height - 4 * 12

    def fits(candidate: list[_Row], at: int) -> bool:
        return int(at * 1.6) * _line_count(candidate) <= room

    if not fits(rows, smallest) and any(block.stage is not None for block in blocks):
        rows = _legend_rows([dataclasses.replace(block, stage=None) for block in blocks])
    if not fits(rows, smallest):
        keep = max(int(room / int(smallest * 1.6)) - 1, 1)
        hidden = len(rows) - keep
        rows = rows[:keep] + [_Row(f"... {hidden} more line{'s' if hidden != 1 else ''}", MUTED_COLOR)]
    return rows, fitting_font_size(size, _line_count(rows), height, smallest=smallest)


def _width(renderer, actor) -> int:
    box = [0.0] * 4
    actor.GetBoundingBox(renderer, box)
    return int(box[1] - box[0])


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


#: the space before each stage group but the first, in lines
GROUP_GAP = 0.4


@dataclasses.dataclass
class _Row:
    text: str
    color: str = TEXT_COLOR
    depth: int = 0  # indentation steps: 0 a stage title or a layer, 1 a layer in a stage or an entry...
    swatch: str | None = None
    colormap: str | None = None
    right: str = ""
    heading: bool = False  # a stage title (bold, its colour as a bar under it)
    gap: bool = False  # some space above: a new group


def _legend_rows(blocks: list[LegendBlock]) -> list[_Row]:
    """The lines of the legend. Blocks with a stage are grouped under one title per stage (in stage order, each
    keeping the draw order of its layers); blocks without one (links, "what changed") follow, ungrouped."""
    if all(block.stage is None for block in blocks):
        return [row for block in blocks for row in _block_rows(block, 0)]
    rows: list[_Row] = []
    for number in sorted({block.stage for block in blocks if block.stage is not None}):
        title, color = stage_heading(number)
        rows.append(_Row(title, heading=True, swatch=color, gap=bool(rows)))
        rows.extend(row for block in blocks if block.stage == number for row in _block_rows(block, 1))
    rest = [row for block in blocks if block.stage is None for row in _block_rows(block, 0)]
    if rest:
        rest[0].gap = True
    return rows + rest


def _block_rows(block: LegendBlock, depth: int) -> list[_Row]:
    """One layer's lines: the layer with its one colour, or its title and its entries (one step further in)."""
    if len(block.swatches) == 1 and block.colormap is None and not block.subtitle:
        return [_Row(block.title, depth=depth, swatch=block.swatches[0][1])]
    rows = [_Row(block.title + (f"  ·  {block.subtitle}" if block.subtitle else ""), depth=depth)]
    rows.extend(_Row(label, MUTED_COLOR, depth=depth + 1, swatch=color) for label, color in block.swatches)
    if block.colormap is not None and block.clim is not None:
        rows.append(_Row("", depth=depth + 1, colormap=block.colormap))
        rows.append(_Row(_number(block.clim[0]), MUTED_COLOR, depth=depth + 1, right=_number(block.clim[1])))
    return rows


def stage_heading(number: int) -> tuple[str, str | None]:
    """``("Stage 2 · U-City", colour)`` from the stages the plugins declare; ``("Stage 2", None)`` without."""
    from twin.stages import stage

    try:
        item = stage(number)
    except (KeyError, ValueError):
        return f"Stage {number}", None
    return f"Stage {number} · {item.short_title}", item.color
