"""The timeline dock: a slider over the time extent of the project's temporal layers, play/pause, step,
speed, loop and window modes, and the current time in the project's time zone.

It drives a :class:`twin.time.timeline.Timeline` (the model has no clock): the dock's QTimer, the only
one of the app, runs only while playing and calls ``Timeline.advance`` with the wall time since its
last tick. Every range the model emits goes out as :attr:`QtTimeline.range_changed`; the 3D view
applies the newest one (see ``QtViewer.set_time_range``), so dragging the slider never queues frames.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from PySide6 import QtCore, QtGui, QtWidgets

from twin.time.timeline import SPEED_PRESETS, LoopMode, Timeline, WindowMode
from twin_ui import icons

SLIDER_STEPS = 10_000
TICK_MS = 33  # about 30 frames a second while playing
LOOP_LABELS = {LoopMode.ONCE: "Once", LoopMode.LOOP: "Loop", LoopMode.BOUNCE: "Back and forth"}
WINDOW_LABELS = {WindowMode.POINT: "Point in time", WindowMode.INTERVAL: "Moving interval",
                 WindowMode.CUMULATIVE: "Cumulative", WindowMode.TRAIL: "Trail (last …)"}
STEPS = (("1 s", dt.timedelta(seconds=1)), ("10 s", dt.timedelta(seconds=10)), ("1 min", dt.timedelta(minutes=1)),
         ("10 min", dt.timedelta(minutes=10)), ("1 h", dt.timedelta(hours=1)), ("1 day", dt.timedelta(days=1)),
         ("1 week", dt.timedelta(weeks=1)), ("30 days", dt.timedelta(days=30)))
UNITS = (("min", 60.0), ("h", 3600.0), ("days", 86400.0))


def timeline_for(layers, *, previous: Timeline | None = None) -> Timeline | None:
    """A timeline covering the time spans of ``layers`` (``None`` without any), keeping the modes,
    speed and current time of ``previous``. New timelines step by a preset near 1/500 of the extent
    and play their extent in about a minute (within the model's 1x..3600x)."""
    from twin.time.timeline import SPEED_MAX, SPEED_MIN, extent_of

    extent = extent_of(layer.time_span for layer in layers)
    if extent is None:
        return None
    if previous is not None:
        previous.set_extent(extent)
        return previous
    seconds = extent.duration.total_seconds()
    step = min(STEPS, key=lambda item: abs(item[1].total_seconds() - seconds / 500))[1]
    speed = min(max(seconds / 60.0, SPEED_MIN), SPEED_MAX)
    speed = min(SPEED_PRESETS, key=lambda preset: abs(preset - speed))
    return Timeline(extent, frame_step=step, speed=float(speed))


def format_time(value: dt.datetime, tz: str) -> str:
    """``2017-01-28 14:00:00 KST`` in the project's zone."""
    local = value.astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or tz)


class QtTimeline(QtWidgets.QWidget):
    """Controls of one :class:`Timeline` (``None``: the project has no temporal layer yet)."""

    range_changed = QtCore.Signal(object)  # twin.time.range.TimeRange

    def __init__(self, timeline: Timeline | None, timezone: str = "Asia/Seoul",
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline: Timeline | None = None
        self.timezone = timezone
        self.timer = QtCore.QTimer(self)  # the app's only timer: it ticks only while playing
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last_tick = 0.0
        self._build()
        self.set_timeline(timeline)

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
        for label in (self.range_label, self.extent_label):  # long texts may be cut, never widen the window
            label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.extent_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)

        self.speed = QtWidgets.QComboBox(self)
        for value in SPEED_PRESETS:
            self.speed.addItem(f"{value:g}×", float(value))
        self.speed.setToolTip("Simulated seconds per second (1× = real time, 3600× = an hour a second)")
        self.speed.currentIndexChanged.connect(lambda: self._set(lambda t: t.set_speed(self.speed.currentData())))
        self.step_combo = QtWidgets.QComboBox(self)
        for label, value in STEPS:
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
    def set_timeline(self, timeline: Timeline | None, *, timezone: str | None = None) -> None:
        """Control another timeline (``None`` disables the controls)."""
        self.pause()
        if self.timeline is not None:
            self.timeline.events.range.disconnect(self._on_range)
            self.timeline.events.playing.disconnect(self._on_playing)
        self.timeline = timeline
        if timezone:
            self.timezone = timezone
        enabled = timeline is not None
        for widget in self.findChildren(QtWidgets.QWidget):
            widget.setEnabled(enabled)
        if timeline is None:
            self.time_label.setText("No time-based layers")
            self.range_label.setText("")
            self.extent_label.setText("Import tracks, events or sensor readings to replay them here.")
            self.extent_label.setEnabled(True)
            return
        timeline.events.range.connect(self._on_range)
        timeline.events.playing.connect(self._on_playing)
        for combo, value in ((self.speed, float(timeline.speed)), (self.loop, timeline.loop),
                             (self.window_mode, timeline.window), (self.step_combo, timeline.frame_step)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.blockSignals(False)
        extent = timeline.extent
        self.extent_label.setText(f"{format_time(extent.start, self.timezone)} – {format_time(extent.end, self.timezone)}")
        self.extent_label.setToolTip("Time extent of the project's temporal layers: " + self.extent_label.text())
        self._show_range(timeline.range)
        self.range_changed.emit(timeline.range)

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
    def _on_range(self, value) -> None:
        self._show_range(value)
        self.range_changed.emit(value)

    def _on_playing(self, value: bool) -> None:
        self.play_button.setIcon(icons.standard("SP_MediaPause" if value else "SP_MediaPlay"))
        if value:
            self._last_tick = time.perf_counter()
            self.timer.start()
        else:
            self.timer.stop()

    def _show_range(self, value) -> None:
        timeline = self.timeline
        self.time_label.setText(format_time(timeline.current, self.timezone))
        if value.is_instant:
            self.range_label.setText("")
        else:
            self.range_label.setText(f"showing {format_time(value.start, self.timezone)} – "
                                     f"{format_time(value.end, self.timezone)}")
        self._updating_slider = True
        self.slider.setValue(round(timeline.fraction * SLIDER_STEPS))
        self._updating_slider = False
