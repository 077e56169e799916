"""What is written over the view while presenting: a caption (fading in and out) and the clock."""

from __future__ import annotations

from psygnal import Signal, SignalGroup


class CaptionEvents(SignalGroup):
    changed = Signal(object)  # the Caption itself


class Caption:
    """``text`` at ``opacity`` 0..1 at the bottom of the view; ``clock`` shows the time range's end
    (where moving objects stand) in the project's time zone at the top left."""

    def __init__(self) -> None:
        self.events = CaptionEvents()
        self.text = ""
        self.opacity = 0.0
        self.clock = False

    def show(self, text: str, opacity: float = 1.0) -> None:
        text, opacity = str(text or ""), min(max(float(opacity), 0.0), 1.0)
        if (text, opacity) != (self.text, self.opacity):
            self.text, self.opacity = text, opacity
            self.events.changed.emit(self)

    def set_clock(self, flag: bool) -> None:
        if bool(flag) != self.clock:
            self.clock = bool(flag)
            self.events.changed.emit(self)

    def clear(self) -> None:
        if self.text or self.opacity or self.clock:
            self.text, self.opacity, self.clock = "", 0.0, False
            self.events.changed.emit(self)
