"""The panel: the selected station's readings at the timeline's time, against the WHO levels, and its last 24 hours.

``make_panel(context)`` is the contribution (``[[panels]]`` in twin.toml). The panel follows the
context: a new project, a selected station (its point or its readings) and a timeline move all
refresh it. The queries behind it live in :mod:`twin_airquality.queries` (no Qt, tested headless).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from twin.api import PanelContext, zone

from twin_airquality.guidelines import WHO_2021_24H
from twin_airquality.queries import StationReadings, readings_at, station_of

LABELS = {"pm10": "PM10", "pm25": "PM2.5", "no2": "NO₂", "o3": "O₃", "co": "CO", "so2": "SO₂"}
COLORS = {"ok": "#2ca02c", "high": "#ff7f0e", "very high": "#d62728"}
HINT = "Select an air-quality station (its point or its readings) to see its measurements."


def make_panel(context: PanelContext) -> QtWidgets.QWidget:
    """The panel contribution: a widget that follows ``context``."""
    return AirQualityPanel(context)


def status(value: float | None, level: float | None) -> str | None:
    """``ok`` up to the guideline level, ``high`` up to twice it, ``very high`` above (None when unknown)."""
    if value is None or level is None:
        return None
    return "ok" if value <= level else "high" if value <= 2 * level else "very high"


class Sparkline(QtWidgets.QWidget):
    """A small line chart of recent values, with the guideline level dashed."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: list[float | None] = []
        self.level: float | None = None
        self.setMinimumHeight(60)

    def set_values(self, values: list[float | None], level: float | None) -> None:
        self.values, self.level = values, level
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        known = [v for v in self.values if v is not None]
        if len(known) < 2:
            return
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(4, 6, -4, -6)
        top = max(known + ([self.level] if self.level else [])) or 1.0
        step = rect.width() / max(len(self.values) - 1, 1)

        def y(v: float) -> float:
            return rect.bottom() - v / top * rect.height()

        if self.level:
            painter.setPen(QtGui.QPen(QtGui.QColor(COLORS["very high"]), 1, QtCore.Qt.PenStyle.DashLine))
            painter.drawLine(QtCore.QPointF(rect.left(), y(self.level)), QtCore.QPointF(rect.right(), y(self.level)))
        painter.setPen(QtGui.QPen(self.palette().color(QtGui.QPalette.ColorRole.Highlight), 2))
        path, pen_down = QtGui.QPainterPath(), False
        for i, v in enumerate(self.values):
            if v is None:
                pen_down = False
                continue
            point = QtCore.QPointF(rect.left() + i * step, y(v))
            path.lineTo(point) if pen_down else path.moveTo(point)
            pen_down = True
        painter.drawPath(path)
        painter.end()


class AirQualityPanel(QtWidgets.QWidget):
    """Title, time, a table of pollutants (value, unit, WHO 24 h level, status) and a sparkline."""

    def __init__(self, context: PanelContext, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.readings: StationReadings | None = None
        self.title = QtWidgets.QLabel(HINT)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.time = QtWidgets.QLabel("")
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Pollutant", "Value", "WHO 24 h", "Status"])
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
        """Show the selected station at the context's time (or the hint when no station is selected)."""
        project = self.context.project
        found = station_of(project, self.context.selection) if project is not None else None
        if found is None:
            self.readings = None
            self.title.setText(HINT)
            self.time.setText("")
            self.table.setRowCount(0)
            self.series_label.setText("")
            self.sparkline.set_values([], None)
            return
        layer, code = found
        self.readings = r = readings_at(project, layer, code, self.context.time)
        self.title.setText(f"{r.station_name or 'Station'} ({r.station_code})")
        local = r.time.astimezone(zone(self.context.timezone)) if r.time else None
        self.time.setText(f"reading of {local:%Y-%m-%d %H:%M %Z}" if local else "no reading before this time")
        self.table.setRowCount(len(r.values))
        for row, (pollutant, value) in enumerate(r.values.items()):
            level = WHO_2021_24H.get(pollutant, (None, None))[0]
            state = status(value, level)
            cells = [LABELS.get(pollutant, pollutant), "-" if value is None else f"{value:g} {r.units[pollutant]}",
                     "-" if level is None else f"{level:g}", state or ""]
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 3 and state:
                    item.setForeground(QtGui.QColor(COLORS[state]))
                self.table.setItem(row, column, item)
        level = WHO_2021_24H.get(r.series_pollutant, (None, None))[0]
        self.series_label.setText(f"{LABELS.get(r.series_pollutant, r.series_pollutant)}, last 24 hours")
        self.sparkline.set_values([v for _, v in r.series], level)
