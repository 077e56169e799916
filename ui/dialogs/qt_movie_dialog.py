"""*Present > Export Movie…*: a tour or a timeline replay written to an H.264 MP4.

The movie is rendered off-screen at its own size by the same code as ``twin movie``
(:mod:`twin.render.movies`), from a copy of the window's model (its layers, styles, lens and camera as they
are now), on the GUI thread (VTK renders only there) one frame at a time: the dialog's progress bar moves
and *Cancel* stops between two frames (the partial file is removed).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from zoneinfo import ZoneInfo

from PySide6 import QtCore, QtWidgets

from twin.errors import TwinError
from twin.model.twin import TwinModel
from twin.time.timeline import extent_of

SIZES = (("1280 × 720 (HD)", (1280, 720)), ("1920 × 1080 (Full HD)", (1920, 1080)), ("854 × 480", (854, 480)),
         ("3840 × 2160 (4K)", (3840, 2160)))
FPS = (30, 25, 24, 60)
CURRENT_VIEW = "(the current view)"


class QtMovieDialog(QtWidgets.QDialog):
    """Choose a tour or a replay span, a size, an fps and a file; *Export* writes the movie."""

    def __init__(self, model: TwinModel, *, tour: str | None = None, out: str | pathlib.Path | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Movie")
        self.model = model
        self.cancelled = False
        self.running = False
        self.result = None
        self.tour_radio = QtWidgets.QRadioButton("Tour", self)
        self.tour_combo = QtWidgets.QComboBox(self)
        self.tour_combo.addItems(model.tours.names())
        if tour:
            self.tour_combo.setCurrentText(tour)
        self.replay_radio = QtWidgets.QRadioButton("Timeline replay", self)
        self.extent = extent_of(layer.info.time_span for layer in model.layers)
        zone = ZoneInfo(model.timezone)
        self.start_edit, self.end_edit = QtWidgets.QDateTimeEdit(self), QtWidgets.QDateTimeEdit(self)
        for edit, value in ((self.start_edit, self.extent.start if self.extent else None),
                            (self.end_edit, self.extent.end if self.extent else None)):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
            if value is not None:
                edit.setDateTime(QtCore.QDateTime(value.astimezone(zone).replace(tzinfo=None)))
        self.speed = QtWidgets.QDoubleSpinBox(self)
        self.speed.setRange(0.1, 1_000_000.0)
        self.speed.setValue(max(self.extent.duration.total_seconds() / 20.0, 1.0) if self.extent else 60.0)
        self.speed.setSuffix(" ×")
        self.speed.setToolTip("Simulated seconds per second of movie")
        self.trail = QtWidgets.QSpinBox(self)
        self.trail.setRange(0, 24 * 60)
        self.trail.setSuffix(" min trails")
        self.camera = QtWidgets.QComboBox(self)
        self.camera.addItems([CURRENT_VIEW, *model.bookmarks.names()])
        self.size_combo = QtWidgets.QComboBox(self)
        for label, size in SIZES:
            self.size_combo.addItem(label, size)
        self.fps_combo = QtWidgets.QComboBox(self)
        for fps in FPS:
            self.fps_combo.addItem(f"{fps} fps", fps)
        self.path_edit = QtWidgets.QLineEdit(str(out or self._default_path()), self)
        browse = QtWidgets.QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.status = QtWidgets.QLabel(self)
        self.status.setWordWrap(True)
        form = QtWidgets.QFormLayout()
        form.addRow(self.tour_radio, self.tour_combo)
        form.addRow(self.replay_radio)
        form.addRow("From", self.start_edit)
        form.addRow("To", self.end_edit)
        form.addRow("Speed", self.speed)
        form.addRow("Window", self.trail)
        form.addRow("Camera", self.camera)
        form.addRow("Size", self.size_combo)
        form.addRow("Frame rate", self.fps_combo)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.buttons = QtWidgets.QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("Export", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self._close_or_cancel)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        has_tours, has_time = self.tour_combo.count() > 0, self.extent is not None
        self.tour_radio.setEnabled(has_tours)
        self.replay_radio.setEnabled(has_time)
        (self.tour_radio if has_tours or not has_time else self.replay_radio).setChecked(True)
        self.tour_radio.toggled.connect(self._update)
        self._update()
        if not has_tours and not has_time:
            self.status.setText("Nothing to film yet: make a tour in the Bookmarks panel, or import time-based layers.")

    def _default_path(self) -> pathlib.Path:
        path = self.model.project.path if self.model.project is not None else None
        folder = path.parent if path else pathlib.Path.home()
        stem = path.name.removesuffix(".twin.duckdb") if path else "twin"
        return folder / f"{stem}.mp4"

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export movie", self.path_edit.text(), "MP4 movies (*.mp4)")
        if path:
            self.path_edit.setText(path if path.lower().endswith(".mp4") else path + ".mp4")

    def _update(self) -> None:
        tour = self.tour_radio.isChecked()
        self.tour_combo.setEnabled(tour)
        for widget in (self.start_edit, self.end_edit, self.speed, self.trail, self.camera):
            widget.setEnabled(not tour and self.extent is not None)
        self.export_button.setEnabled(self.tour_radio.isEnabled() or self.replay_radio.isEnabled())

    def _time(self, edit: QtWidgets.QDateTimeEdit) -> dt.datetime:
        local = edit.dateTime().toPython()
        return local.replace(tzinfo=ZoneInfo(self.model.timezone))

    # ----- exporting ---------------------------------------------------------------------------------
    def export(self) -> bool:
        """Write the movie (returns when done, cancelled or failed)."""
        from twin.render.movies import replay_movie, tour_movie

        out = pathlib.Path(self.path_edit.text().strip())
        if out.suffix.lower() != ".mp4":
            self.status.setText("Give a file name ending in .mp4")
            return False
        size, fps = self.size_combo.currentData(), float(self.fps_combo.currentData())
        self.cancelled, self.running = False, True
        self.export_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.progress.setValue(0)
        try:
            film = self.model.copy()  # the window's state as it is now; the window's view is left alone
            if self.tour_radio.isChecked():
                self.result = tour_movie(film, out, self.tour_combo.currentText(), size=size, fps=fps,
                                         progress=self._progress, cancelled=lambda: self.cancelled)
            else:
                choice = self.camera.currentText()
                camera = self.model.camera.pose if choice == CURRENT_VIEW and self.model.camera.pose else "iso"
                self.result = replay_movie(
                    film, out, start=self._time(self.start_edit), end=self._time(self.end_edit),
                    speed=self.speed.value(), size=size, fps=fps, camera=camera,
                    bookmark=None if choice == CURRENT_VIEW else choice,
                    window="trail" if self.trail.value() else "point", width=dt.timedelta(minutes=max(self.trail.value(), 1)),
                    progress=self._progress, cancelled=lambda: self.cancelled)
        except TwinError as exc:
            self.status.setText(str(exc))
            return False
        finally:
            self.running = False
            self.export_button.setEnabled(True)
            self.close_button.setText("Close")
        r = self.result
        self.status.setText(f"Wrote {r.path} ({r.size[0]}×{r.size[1]}, {r.frames} frames, {r.frames / r.fps:.1f} s "
                            f"of movie in {r.seconds:.0f} s)")
        return True

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.status.setText(f"Rendering {message}…")
        QtWidgets.QApplication.processEvents()  # repaint the bar, take the Cancel click

    def _close_or_cancel(self) -> None:
        if self.running:
            self.cancelled = True
        else:
            self.reject()

    def reject(self) -> None:  # Esc or the window's close button while exporting cancels instead
        if self.running:
            self.cancelled = True
            return
        super().reject()
