"""The timeline dock, bound to ``model.time``: a slider over the time extent of the temporal layers,
play/pause, step, speed, loop and window modes, and the time shown in the project's time zone.

It drives the model's :class:`twin.time.timeline.Timeline` (which has no clock): the dock's QTimer, the
only one of the app, runs only while playing and calls ``Timeline.advance`` with the wall time since its
last tick. The labels and the slider show ``model.time.range``, whoever moved it (the timeline, a tour, a
panel); the 3D view applies the newest range only, so dragging the slider never queues frames.
"""

from __future__ import annotations

import datetime as dt
import time

from PySide6 import QtCore, QtGui, QtWidgets

from twin.model.twin import TwinModel
from twin.time.range import format_time
from twin.time.timeline import SPEED_PRESETS, STEP_PRESETS, LoopMode, Timeline, WindowMode
from twin_ui import icons

SLIDER_STEPS = 10_000
TICK_MS = 33  # about 30 frames a second while playing
LOOP_LABELS = {LoopMode.ONCE: "Once", LoopMode.LOOP: "Loop", LoopMode.BOUNCE: "Back and forth"}
WINDOW_LABELS = {WindowMode.POINT: "Point in time", WindowMode.INTERVAL: "Moving interval",
                 WindowMode.CUMULATIVE: "Cumulative", WindowMode.TRAIL: "Trail"}
UNITS = (("min", 60.0), ("h", 3600.0), ("days", 86400.0))


class QtTimeline(QtWidgets.QWidget):
    """Controls of the model's timeline (disabled while the project has no temporal layer)."""

    def __init__(self, model: TwinModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.timeline: Timeline | None = None
        self.timer = QtCore.QTimer(self)  # the app's only timer: it ticks only while playing
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last_tick = 0.0
        self._build()
        self.set_timeline(model.time.timeline)
        model.time.events.timeline.connect(self.set_timeline)
        model.time.events.range.connect(self._show_range)

    # ----- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        def button(icon: str, tip: str, slot) -> QtWidgets.QToolButton:
            b = QtWidgets.QToolButton(self)
            b.setIcon(icons.standard(icon))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            return b

        self.start_button = button("SP_MediaSkipBackward", "Go to the start (Home)", self.go_start)
        self.back_button = button("SP_MediaSeekBackward", "One step back (,)", lambda: self.step(-1))
        self.play_button = button("SP_MediaPlay", "Play / pause (Space)", self.toggle)
        self.forward_button = button("SP_MediaSeekForward", "One step forward (.)", lambda: self.step(1))
        self.end_button = button("SP_MediaSkipForward", "Go to the end (End)", self.go_end)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(SLIDER_STEPS // 20)
        self.slider.valueChanged.connect(self._slider_moved)
        self.time_label = QtWidgets.QLabel(self)
        font = self.time_label.font()
        font.setBold(True)
        self.time_label.setFont(font)
        self.time_label.setMinimumWidth(210)
        self.range_label = QtWidgets.QLabel(self)
        self.range_label.setStyleSheet("color: #555")
        self.extent_label = QtWidgets.QLabel(self)
        self.extent_label.setStyleSheet("color: #777")
        # short texts (the end's date only when it differs, one zone name) that are never cut: see span_text
        self.extent_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)

        self.speed = QtWidgets.QComboBox(self)
        for value in SPEED_PRESETS:
            self.speed.addItem(f"{value:g}×", float(value))
        self.speed.setToolTip("Simulated seconds per second (1× = real time, 3600× = an hour a second)")
        self.speed.currentIndexChanged.connect(lambda: self._set(lambda t: t.set_speed(self.speed.currentData())))
        self.step_combo = QtWidgets.QComboBox(self)
        for label, value in STEP_PRESETS:
            self.step_combo.addItem(label, value)
        self.step_combo.setToolTip("Step of the step buttons")
        self.step_combo.currentIndexChanged.connect(
            lambda: self._set(lambda t: t.set_frame_step(self.step_combo.currentData())))
        self.loop = QtWidgets.QComboBox(self)
        for mode, label in LOOP_LABELS.items():
            self.loop.addItem(label, mode)
        self.loop.currentIndexChanged.connect(lambda: self._set(lambda t: t.set_loop(self.loop.currentData())))
        self.window_mode = QtWidgets.QComboBox(self)
        for mode, label in WINDOW_LABELS.items():
            self.window_mode.addItem(label, mode)
        self.window_mode.currentIndexChanged.connect(self._window_changed)
        self.width_value = QtWidgets.QDoubleSpinBox(self)
        self.width_value.setRange(0.1, 100_000)
        self.width_value.setDecimals(1)
        self.width_value.setValue(10)
        self.width_value.setToolTip("Width of the moving interval, or how far back the trails reach")
        self.width_unit = QtWidgets.QComboBox(self)
        for label, seconds in UNITS:
            self.width_unit.addItem(label, seconds)
        self.width_value.valueChanged.connect(self._window_changed)
        self.width_unit.currentIndexChanged.connect(self._window_changed)

        top = QtWidgets.QHBoxLayout()
        for widget in (self.start_button, self.back_button, self.play_button, self.forward_button, self.end_button):
            top.addWidget(widget)
        top.addWidget(self.slider, 1)
        top.addWidget(self.time_label)
        bottom = QtWidgets.QHBoxLayout()
        for label, widget in (("Speed", self.speed), ("Step", self.step_combo), ("Loop", self.loop),
                              ("Window", self.window_mode)):
            bottom.addWidget(QtWidgets.QLabel(label + ":", self))
            bottom.addWidget(widget)
            bottom.addSpacing(8)
        bottom.addWidget(self.width_value)
        bottom.addWidget(self.width_unit)
        bottom.addSpacing(12)
        bottom.addWidget(self.range_label, 1)
        bottom.addWidget(self.extent_label, 1)
        self.width_value.setVisible(False)
        self.width_unit.setVisible(False)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addLayout(bottom)
        for key, slot in (("Space", self.toggle), ("Home", self.go_start), ("End", self.go_end),
                          (",", lambda: self.step(-1)), (".", lambda: self.step(1))):
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), self)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # ----- the model -------------------------------------------------------------------------
    @property
    def timezone(self) -> str:
        return self.model.timezone

    def set_timeline(self, timeline: Timeline | None) -> None:
        """Control another timeline (``None`` disables the controls)."""
        self.pause()
        if self.timeline is not None:
            self.timeline.events.playing.disconnect(self._on_playing)
        self.timeline = timeline
        enabled = timeline is not None
        for widget in self.findChildren(QtWidgets.QWidget):
            widget.setEnabled(enabled)
        if timeline is None:
            self.time_label.setText("No time-based layers")
            self.range_label.setText("")
            self.extent_label.setText("Import tracks, events or sensor readings to replay them here.")
            self.extent_label.setEnabled(True)
            return
        timeline.events.playing.connect(self._on_playing)
        for combo, value in ((self.speed, float(timeline.speed)), (self.loop, timeline.loop),
                             (self.window_mode, timeline.window), (self.step_combo, timeline.frame_step)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.blockSignals(False)
        extent = timeline.extent
        self.extent_label.setText(span_text(extent.start, extent.end, self.timezone))
        self.extent_label.setToolTip("Time extent of the project's temporal layers: "
                                     f"{format_time(extent.start, self.timezone)} – {format_time(extent.end, self.timezone)}")
        self._show_range(self.model.time.range)

    def _set(self, change) -> None:
        if self.timeline is not None:
            change(self.timeline)

    # ----- actions ---------------------------------------------------------------------------
    def toggle(self) -> None:
        """Play or pause."""
        if self.timeline is None:
            return
        self.timeline.toggle()

    def pause(self) -> None:
        if self.timeline is not None:
            self.timeline.pause()
        self.timer.stop()

    def step(self, frames: int) -> None:
        if self.timeline is not None:
            self.timeline.step(frames)

    def go_start(self) -> None:
        if self.timeline is not None:
            self.timeline.seek(self.timeline.extent.start)

    def go_end(self) -> None:
        if self.timeline is not None:
            self.timeline.seek(self.timeline.extent.end)

    def _slider_moved(self, value: int) -> None:
        if self.timeline is not None and not self._updating_slider:
            self.timeline.seek_fraction(value / SLIDER_STEPS)

    _updating_slider = False

    def _window_changed(self, *_args) -> None:
        mode = self.window_mode.currentData()
        sized = mode in (WindowMode.INTERVAL, WindowMode.TRAIL)
        self.width_value.setPrefix("last " if mode is WindowMode.TRAIL else "")
        self.width_value.setVisible(sized)
        self.width_unit.setVisible(sized)
        width = dt.timedelta(seconds=self.width_value.value() * self.width_unit.currentData())
        self._set(lambda t: t.set_window(mode, width=width))

    def _tick(self) -> None:
        now = time.perf_counter()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.timeline is not None:
            self.timeline.advance(min(elapsed, 0.25))  # a long frame must not jump far ahead

    # ----- model events ----------------------------------------------------------------------
    def _on_playing(self, value: bool) -> None:
        self.play_button.setIcon(icons.standard("SP_MediaPause" if value else "SP_MediaPlay"))
        if value:
            self._last_tick = time.perf_counter()
            self.timer.start()
        else:
            self.timer.stop()

    def _show_range(self, value) -> None:
        """Show the model's time range: its end is where moving objects stand (the slider's position)."""
        timeline = self.timeline
        if timeline is None or value is None:
            return
        self.time_label.setText(format_time(_current(value, timeline), self.timezone))
        if value.is_instant:
            self.range_label.setText("")
        else:
            self.range_label.setText("showing " + span_text(value.start, value.end, self.timezone))
        extent = timeline.extent
        total = extent.duration.total_seconds()
        fraction = 0.0 if total <= 0 else (extent.clamp(_current(value, timeline)) - extent.start).total_seconds() / total
        self._updating_slider = True
        self.slider.setValue(round(fraction * SLIDER_STEPS))
        self._updating_slider = False


def span_text(start: dt.datetime, end: dt.datetime, tz: str) -> str:
    """``2024-05-01 08:00:00 – 08:10:00 KST``: a span as short as it reads (one zone; the end's date when it differs)."""
    first, last = format_time(start, tz), format_time(end, tz)
    first_day, first_clock, first_zone = first.split(" ", 2)
    last_day, last_clock, last_zone = last.split(" ", 2)
    head = f"{first_day} {first_clock}" + (f" {first_zone}" if first_zone != last_zone else "")
    return f"{head} – {last_clock if last_day == first_day else last_day + ' ' + last_clock} {last_zone}"


def _current(value, timeline: Timeline) -> dt.datetime:
    """The instant a range stands for: its start for a moving interval window, else its end."""
    return value.start if timeline.window is WindowMode.INTERVAL and not value.is_instant else value.end
