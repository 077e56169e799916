"""Captions and a clock drawn over the 3D view: VTK 2D text, the same off-screen (movies) and in the app.

The caption sits at the bottom centre on a dark translucent band, wrapped to the window's width
(Hangul counted as two columns); the clock (the time shown, in the project's zone) at the top left.
Sizes follow the window's height so a 720p movie and a full-screen presentation read alike.
"""

from __future__ import annotations

import unicodedata

from twin.render.overlay import _text_actor as legend_text

CAPTION_COLOR = "#ffffff"
BAND_COLOR = (0.08, 0.11, 0.14)
BAND_OPACITY = 0.72


def display_width(text: str) -> int:
    """Columns ``text`` takes: wide (Hangul, CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def wrap(text: str, columns: int) -> str:
    """``text`` wrapped to ``columns`` display columns (explicit line breaks kept)."""
    columns = max(columns, 8)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if display_width(candidate) <= columns or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while display_width(line) > columns:  # one long word (or Hangul without spaces): cut it
                cut = _cut(line, columns)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return "\n".join(lines).strip("\n")


def _cut(text: str, columns: int) -> int:
    width = 0
    for i, c in enumerate(text):
        width += display_width(c)
        if width > columns:
            return max(i, 1)
    return len(text)


def _text_actor(size: int, *, band: bool):
    actor = legend_text("", size, CAPTION_COLOR)  # the legend's text: a font with Hangul glyphs
    prop = actor.GetTextProperty()
    prop.SetLineSpacing(1.15)
    if band:
        prop.SetBackgroundColor(*BAND_COLOR)
        prop.SetBackgroundOpacity(BAND_OPACITY)
        prop.SetFrame(False)
    actor.PickableOff()
    actor.VisibilityOff()
    return actor


class CaptionOverlay:
    """A caption (bottom centre) and a clock (top left) on one renderer."""

    def __init__(self, renderer) -> None:
        self.renderer = renderer
        self.caption = _text_actor(24, band=True)
        self.caption.GetTextProperty().SetJustificationToCentered()
        self.caption.GetTextProperty().SetVerticalJustificationToBottom()
        self.clock = _text_actor(18, band=True)
        self.clock.GetTextProperty().SetVerticalJustificationToTop()
        self.text = ""
        self.clock_text = ""
        for actor in (self.caption, self.clock):
            renderer.AddViewProp(actor)

    def show(self, text: str, opacity: float = 1.0) -> None:
        """Show ``text`` (empty: hide) at ``opacity`` 0..1, laid out for the current window size."""
        width, height = self.renderer.GetRenderWindow().GetSize()
        size = max(12, round(height / 28))
        prop = self.caption.GetTextProperty()
        prop.SetFontSize(size)
        columns = int(width * 0.8 / (size * 0.55))
        self.text = wrap(text or "", columns)
        self.caption.SetInput(" " + self.text.replace("\n", " \n ") + " " if self.text else "")
        self.caption.SetPosition(width / 2.0, max(52, round(height * 0.07)))
        opacity = min(max(float(opacity), 0.0), 1.0)
        prop.SetOpacity(opacity)
        prop.SetBackgroundOpacity(BAND_OPACITY * opacity)
        self.caption.SetVisibility(bool(self.text) and opacity > 0.0)

    def show_clock(self, text: str) -> None:
        """Show the clock (empty: hide) at the top left."""
        width, height = self.renderer.GetRenderWindow().GetSize()
        self.clock_text = text or ""
        self.clock.GetTextProperty().SetFontSize(max(11, round(height / 40)))
        self.clock.SetInput(f" {self.clock_text} " if self.clock_text else "")
        self.clock.SetPosition(16, height - 16)
        self.clock.SetVisibility(bool(self.clock_text))

    def band_top(self) -> int:
        """Pixels from the bottom of the window to the top of the caption band (0 when no caption shows)."""
        if not self.text or not self.caption.GetVisibility():
            return 0
        height = self.renderer.GetRenderWindow().GetSize()[1]
        size = max(12, round(height / 28))
        return int(max(52, round(height * 0.07)) + (self.text.count("\n") + 1) * size * 1.5)

    def raise_(self) -> None:
        """Draw the caption and the clock above the other overlays (a long legend must not hide them)."""
        for actor in (self.caption, self.clock):
            self.renderer.RemoveViewProp(actor)
            self.renderer.AddViewProp(actor)

    def remove(self) -> None:
        """Take both off the renderer."""
        for actor in (self.caption, self.clock):
            self.renderer.RemoveViewProp(actor)
