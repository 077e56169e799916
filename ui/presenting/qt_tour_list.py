"""Tours under the bookmarks, bound to ``model.tours``: an ordered list of stops (a bookmark, seconds of
flight to it, seconds held there, how fast time runs while holding), written to the project by the model as
soon as they are edited.

*Present* plays the chosen tour full screen (:mod:`twin_ui.presenting.qt_presentation`), *Export Movie…*
writes it to MP4 (:mod:`twin_ui.dialogs.qt_movie_dialog`): both are requests the window answers.
"""

from __future__ import annotations

import dataclasses

from PySide6 import QtCore, QtWidgets

from twin.errors import TwinError
from twin.model.twin import TwinModel
from twin.present.tours import Tour, TourStop
from twin_ui import icons

COLUMNS = ("Bookmark", "Fly (s)", "Hold (s)", "Time ×")
FIELDS = ("transition", "hold", "speed")


class QtTourList(QtWidgets.QWidget):
    """The tours of ``model``; new stops come from ``bookmarks`` (the :class:`QtBookmarkList` above)."""

    present_requested = QtCore.Signal(str)
    movie_requested = QtCore.Signal(str)
    error = QtCore.Signal(str)

    def __init__(self, model: TwinModel, bookmarks, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.bookmarks = model, bookmarks
        self._filling = False
        self.combo = QtWidgets.QComboBox(self)
        self.combo.setToolTip("The tour to edit, present (F5) or film")
        self.combo.currentIndexChanged.connect(lambda _i: self._fill_stops())
        new = QtWidgets.QToolButton(self)
        new.setText("New")
        new.setToolTip("A new tour through every bookmark, in their order")
        new.clicked.connect(lambda: self.new_tour())
        self.delete_button = QtWidgets.QToolButton(self)
        self.delete_button.setIcon(icons.standard("SP_TrashIcon"))
        self.delete_button.setToolTip("Delete this tour (its bookmarks stay)")
        self.delete_button.clicked.connect(self.delete_tour)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Tour:", self))
        top.addWidget(self.combo, 1)
        top.addWidget(new)
        top.addWidget(self.delete_button)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setMinimumHeight(36)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, 62)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        bar = QtWidgets.QToolBar(self)
        bar.setIconSize(QtCore.QSize(18, 18))
        self.add_stop_action = bar.addAction(icons.standard("SP_FileDialogNewFolder"), "Add Stop", self.add_stop)
        self.add_stop_action.setToolTip("Add the bookmark selected above as the last stop")
        bar.addAction(icons.standard("SP_TrashIcon"), "Remove Stop", self.remove_stop)
        bar.addAction(icons.standard("SP_ArrowUp"), "Up", lambda: self.move_stop(-1))
        bar.addAction(icons.standard("SP_ArrowDown"), "Down", lambda: self.move_stop(1))
        self.duration = QtWidgets.QLabel(self)
        self.present_button = QtWidgets.QPushButton(icons.standard("SP_MediaPlay"), "Present", self)
        self.present_button.setToolTip("Play this tour full screen with its captions (F5; Esc leaves)")
        self.present_button.clicked.connect(lambda: self.present_requested.emit(self.current_tour() or ""))
        self.movie_button = QtWidgets.QPushButton(icons.standard("SP_DialogSaveButton"), "Export Movie…", self)
        self.movie_button.clicked.connect(lambda: self.movie_requested.emit(self.current_tour() or ""))
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.duration, 1)
        bottom.addWidget(self.present_button)
        bottom.addWidget(self.movie_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(bar)
        layout.addLayout(bottom)
        self._editing = False
        model.tours.events.changed.connect(self._on_changed)
        model.bookmarks.events.changed.connect(self._fill_stops)
        self.refresh()

    def current_tour(self) -> str | None:
        return self.combo.currentData()

    def tour(self) -> Tour | None:
        name = self.current_tour()
        return self.model.tours.get(name) if name else None

    def _on_changed(self) -> None:
        if not self._editing:  # a value typed in a stop's cell: the table is already right
            self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """Show the model's tours again (keeping the chosen one, or choosing ``select``)."""
        keep = select or self.current_tour()
        self.combo.blockSignals(True)
        self.combo.clear()
        names = self.model.tours.names()
        for name in names:
            self.combo.addItem(name, name)
        self.combo.setCurrentIndex(max(self.combo.findData(keep), 0) if names else -1)
        self.combo.blockSignals(False)
        self._fill_stops()

    def _fill_stops(self) -> None:
        self._filling = True
        self.table.setRowCount(0)
        tour = self.tour()
        has = tour is not None
        for widget in (self.delete_button, self.present_button, self.table):
            widget.setEnabled(has)
        self.present_button.setEnabled(has or bool(len(self.model.bookmarks)))
        if tour is not None:
            for row, stop in enumerate(tour.stops):
                self.table.insertRow(row)
                item = QtWidgets.QTableWidgetItem(stop.bookmark + (f"  “{stop.caption}”" if stop.caption else ""))
                item.setFlags(item.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, 0, item)
                for column, field in enumerate(FIELDS, start=1):
                    spin = QtWidgets.QDoubleSpinBox(self.table)
                    spin.setRange(0.0, 3600.0 if field == "speed" else 600.0)
                    spin.setDecimals(1)
                    spin.setButtonSymbols(QtWidgets.QAbstractSpinBox.ButtonSymbols.NoButtons)  # narrow: type or wheel
                    spin.setFrame(False)
                    spin.setSingleStep(0.5 if field != "speed" else 10.0)
                    spin.setValue(getattr(stop, field))
                    spin.setEnabled(not (field == "transition" and row == 0))  # the first stop is not flown to
                    spin.valueChanged.connect(lambda value, r=row, f=field: self._edit(r, f, value))
                    self.table.setCellWidget(row, column, spin)
            self.duration.setText(f"{len(tour.stops)} stops, {tour.duration:.1f} s")
        else:
            self.duration.setText("No tour: New makes one through every bookmark" if len(self.model.bookmarks) else "")
        self._filling = False

    # ----- editing -------------------------------------------------------------------------------
    def _save(self, tour: Tour) -> None:
        try:
            self.model.tours.save(tour, replace=True)
        except (TwinError, ValueError) as exc:
            self.error.emit(str(exc))
        self.refresh(select=tour.name)

    def _edit(self, row: int, field: str, value: float) -> None:
        if self._filling:
            return
        tour = self.tour()
        stops = list(tour.stops)
        stops[row] = dataclasses.replace(stops[row], **{field: float(value)})
        self._editing = True
        try:
            self.model.tours.save(Tour(tour.name, tuple(stops), tour.description), replace=True)
        except (TwinError, ValueError) as exc:
            self.error.emit(str(exc))
        finally:
            self._editing = False
        self.duration.setText(f"{len(stops)} stops, {Tour(tour.name, tuple(stops)).duration:.1f} s")

    def new_tour(self, name: str | None = None) -> str | None:
        """A tour through every bookmark in their order (named ``Tour N`` unless given)."""
        marks = self.model.bookmarks.names()
        if not marks:
            self.error.emit("Add bookmarks first: a tour flies from one to the next")
            return None
        taken = set(self.model.tours.names())
        if name is None:
            n = len(taken) + 1
            while f"Tour {n}" in taken:
                n += 1
            name = f"Tour {n}"
        try:
            self.model.tours.save(Tour(name, tuple(TourStop(m) for m in marks)))
        except (TwinError, ValueError) as exc:
            self.error.emit(str(exc))
            return None
        self.refresh(select=name)
        return name

    def delete_tour(self) -> None:
        name = self.current_tour()
        if name:
            self.model.tours.remove(name)

    def add_stop(self) -> None:
        mark = self.bookmarks.current_name()
        tour = self.tour()
        if mark is None:
            return
        if tour is None:
            self.new_tour()
            return
        self._save(Tour(tour.name, (*tour.stops, TourStop(mark)), tour.description))

    def remove_stop(self) -> None:
        tour, row = self.tour(), self.table.currentRow()
        if tour is None or row < 0:
            return
        stops = tour.stops[:row] + tour.stops[row + 1:]
        if not stops:
            self.delete_tour()
            return
        self._save(Tour(tour.name, stops, tour.description))

    def move_stop(self, step: int) -> None:
        tour, row = self.tour(), self.table.currentRow()
        if tour is None or row < 0:
            return
        stops = list(tour.stops)
        to = min(max(row + step, 0), len(stops) - 1)
        stops.insert(to, stops.pop(row))
        self._save(Tour(tour.name, tuple(stops), tour.description))
        self.table.selectRow(to)
