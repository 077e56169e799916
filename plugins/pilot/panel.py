"""The ``sensor-readings`` panel: the selected sensor's readings at the timeline's time and its last 24 hours.

``make_panel(context)`` is the contribution (``[[panels]]`` in twin.toml). The panel follows the context: a new
project, a selected sensor (its facility point or its readings) and a timeline move all refresh it. The
queries behind it live in :mod:`twin_plugins.pilot.readings` (no Qt, tested headless).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from twin.api import PanelContext, zone
from twin_plugins.pilot.readings import SERIES_HOURS, SensorReadings, readings_at, sensor_of

HINT = "Select an IoT sensor (its point or its readings) to see its measurements."


def make_panel(context: PanelContext) -> QtWidgets.QWidget:
    """The panel contribution: a widget that follows ``context``."""
    return SensorReadingsPanel(context)


class Sparkline(QtWidgets.QWidget):
    """A small line chart of recent values (gaps where a value is missing)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: list[float | None] = []
        self.setMinimumHeight(60)

    def set_values(self, values: list[float | None]) -> None:
        self.values = list(values)
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        known = [v for v in self.values if v is not None]
        if len(known) < 2:
            return
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(4, 6, -4, -6)
        low, high = min(known), max(known)
        span = (high - low) or 1.0
        step = rect.width() / max(len(self.values) - 1, 1)
        painter.setPen(QtGui.QPen(self.palette().color(QtGui.QPalette.ColorRole.Highlight), 2))
        path, pen_down = QtGui.QPainterPath(), False
        for i, v in enumerate(self.values):
            if v is None:
                pen_down = False
                continue
            point = QtCore.QPointF(rect.left() + i * step, rect.bottom() - (v - low) / span * rect.height())
            path.lineTo(point) if pen_down else path.moveTo(point)
            pen_down = True
        painter.drawPath(path)
        painter.end()


class SensorReadingsPanel(QtWidgets.QWidget):
    """Title (sensor id), time of the reading, a table of the reading columns and a sparkline of the main one."""

    def __init__(self, context: PanelContext, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.readings: SensorReadings | None = None
        self.title = QtWidgets.QLabel(HINT)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.time = QtWidgets.QLabel("")
        self.table = QtWidgets.QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Reading", "Value"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.series_label = QtWidgets.QLabel("")
        self.sparkline = Sparkline()
        layout = QtWidgets.QVBoxLayout(self)
        for widget in (self.title, self.time, self.table, self.series_label, self.sparkline):
            layout.addWidget(widget)
        unsubscribe = [context.subscribe(event, self._changed) for event in ("project", "selection", "time")]
        self.destroyed.connect(lambda *_: [stop() for stop in unsubscribe])
        self.refresh()

    def _changed(self, _value: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Show the selected sensor at the context's time (or the hint when no sensor is selected)."""
        project = self.context.project
        found = sensor_of(project, self.context.selection) if project is not None else None
        if found is None:
            self.readings = None
            self.title.setText(HINT)
            self.time.setText("")
            self.table.setRowCount(0)
            self.series_label.setText("")
            self.sparkline.set_values([])
            return
        layer, key = found
        self.readings = r = readings_at(project, layer, key, self.context.time)
        self.title.setText(f"Sensor {r.key} ({r.layer})")
        local = r.time.astimezone(zone(self.context.timezone)) if r.time else None
        if not r.timed:
            self.time.setText("static profile: mean of the sensor's readings")
        else:
            self.time.setText(f"reading of {local:%Y-%m-%d %H:%M %Z}" if local else "no reading before this time")
        self.table.setRowCount(len(r.values))
        for row, (name, value) in enumerate(r.values.items()):
            for column, text in enumerate((name, "-" if value is None else f"{value:g}")):
                self.table.setItem(row, column, QtWidgets.QTableWidgetItem(text))
        self.series_label.setText(f"{r.value}, last {SERIES_HOURS} hours" if r.series else "")
        self.sparkline.set_values([v for _, v in r.series])
