"""The panels of interconnected services (``[[panels]]``): the day's incidents, and one panel per analysis.

- :class:`IncidentPanel`: every incident of the day with its type, priority, call time, response time (call to
  arrival, red beyond the target), responding unit and the cameras that saw it; clicking one selects it in
  the twin (the 3D view draws its links) and moves to its call; *Play* replays it from call to arrival.
- :class:`AnalysisPanel`: an analysis's table and its picture (the same chart or map as
  ``twin plugins run ... --picture``), refreshed when the project changes.

The queries live in :mod:`twin_plugins.services.analyses` (Qt-free, tested headless).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6 import QtCore, QtGui, QtWidgets

from twin_plugins.services import analyses as A
from twin_plugins.services.roles import layer_for

TARGET_MIN = 8.0


class IncidentPanel(QtWidgets.QWidget):
    """The day's incidents (see the module docstring)."""

    COLUMNS = ("#", "Type", "Priority", "Call", "Response", "Unit", "CCTV")

    def __init__(self, context, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.layer = None
        self.rows: list[dict] = []
        self.summary = QtWidgets.QLabel(self)
        self.summary.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(False)
        self.table.cellClicked.connect(lambda row, _col: self.choose(row))
        self.table.cellDoubleClicked.connect(lambda row, _col: self.play(row))
        self.play_button = QtWidgets.QPushButton("Play call → arrival", self)
        self.play_button.setToolTip("Replay the chosen incident from its call to the arrival of help, its links shown")
        self.play_button.clicked.connect(lambda: self.play(self.table.currentRow()))
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.play_button)
        stops = [context.subscribe(event, lambda _v: self.refresh()) for event in ("project", "layers")]
        stops.append(context.subscribe("selection", self._follow))
        self.destroyed.connect(lambda *_: [stop() for stop in stops])
        self.refresh()

    def refresh(self) -> None:
        """Read the incidents again."""
        project = self.context.project
        self.layer = layer_for(project, "incidents") if project is not None else None
        self.table.setRowCount(0)
        self.rows = []
        if self.layer is None:
            self.summary.setText("No incidents in this project (an events layer of 112/119 calls).")
            self.play_button.setEnabled(False)
            return
        coverage = A.cctv_coverage(project, layer=self.layer).to_pylist()
        base = A.incident_table(project, self.layer).to_pylist()
        zone = ZoneInfo(self.context.timezone)
        late = 0
        for incident, seen in zip(base, coverage):
            minutes = A.minutes_between(incident["call"], incident["arrival"])
            late += minutes is not None and minutes > TARGET_MIN
            self.rows.append({**incident, "minutes": minutes, "cameras": seen["cameras"]})
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            call = row["call"].astimezone(zone).strftime("%H:%M:%S") if row["call"] else ""
            response = f"{row['minutes']:.1f} min" if row["minutes"] is not None else ""
            values = (str(row["fid"]), row["type"] or "", row["priority"] or "", call, response, row["unit"] or "",
                      str(row["cameras"]))
            for c, value in enumerate(values):
                item = QtWidgets.QTableWidgetItem(value)
                if c == 4 and row["minutes"] is not None and row["minutes"] > TARGET_MIN:
                    item.setForeground(QtGui.QBrush(QtGui.QColor("#c62828")))
                if c == 6 and row["cameras"] == 0:
                    item.setForeground(QtGui.QBrush(QtGui.QColor("#c62828")))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        seen = sum(1 for row in self.rows if row["cameras"])
        self.summary.setText(f"<b>{len(self.rows)}</b> incidents today · {late} over {TARGET_MIN:g} min · "
                             f"{seen} seen by CCTV")
        self.play_button.setEnabled(bool(self.rows))

    def choose(self, row: int) -> None:
        """Select the incident of ``row`` in the twin and go to its call."""
        if not 0 <= row < len(self.rows) or self.layer is None:
            return
        incident = self.rows[row]
        self.context.set_selection(self.layer.name, [incident["fid"]])
        if incident["call"] is not None:
            self.context.set_time(incident["call"])

    def play(self, row: int) -> None:
        """Replay the incident of ``row`` from its call to the arrival of help."""
        if not 0 <= row < len(self.rows):
            return
        self.choose(row)
        incident = self.rows[row]
        if incident["call"] is not None and incident["arrival"] is not None:
            self.context.replay(incident["call"], incident["arrival"])

    def _follow(self, selection) -> None:
        if self.layer is None or selection.layer != self.layer.name:
            return
        for r, row in enumerate(self.rows):
            if row["fid"] == selection.fid:
                self.table.blockSignals(True)
                self.table.selectRow(r)
                self.table.blockSignals(False)


class AnalysisPanel(QtWidgets.QWidget):
    """An analysis's table and picture (see the module docstring)."""

    def __init__(self, context, compute, draw, *, parent: QtWidgets.QWidget | None = None) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        super().__init__(parent)
        self.context, self.compute, self.draw = context, compute, draw
        self.figure = Figure(figsize=(6, 4), dpi=90, layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.message = QtWidgets.QLabel(self)
        self.message.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, 0, self)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        refresh = QtWidgets.QPushButton("Refresh", self)
        refresh.clicked.connect(self.refresh)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, self)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.table)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        layout.addWidget(refresh)
        stops = [context.subscribe(event, lambda _v: self.refresh()) for event in ("project", "layers")]
        self.destroyed.connect(lambda *_: [stop() for stop in stops])
        self.result = None
        self.refresh()

    def refresh(self) -> None:
        from twin.api import TwinError

        project = self.context.project
        self.figure.clear()
        self.table.setRowCount(0)
        try:
            if project is None:
                raise TwinError("no project open")
            self.result = self.compute(project)
            self.draw(self.figure, project, self.result)
            self.message.setText(f"{self.result.num_rows} row(s)")
        except TwinError as exc:
            self.result = None
            self.message.setText(f"<span style='color:#b03a2e'>{exc}</span>")
        self.canvas.draw_idle()
        if self.result is None:
            return
        names = [n for n in self.result.column_names if n not in ("x", "y")]
        self.table.setColumnCount(len(names))
        self.table.setHorizontalHeaderLabels(names)
        rows = self.result.select(names).to_pylist()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, name in enumerate(names):
                value = row[name]
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem("" if value is None else str(value)))
        self.table.resizeColumnsToContents()


def incidents_panel(context) -> QtWidgets.QWidget:
    return IncidentPanel(context)


def coverage_panel(context) -> QtWidgets.QWidget:
    return AnalysisPanel(context, A.cctv_coverage, A.draw_coverage)


def response_panel(context) -> QtWidgets.QWidget:
    return AnalysisPanel(context, A.response_times, A.draw_response)


def excavation_panel(context) -> QtWidgets.QWidget:
    return AnalysisPanel(context, A.excavation_risk, A.draw_excavations)
