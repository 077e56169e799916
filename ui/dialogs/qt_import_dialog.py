"""The import dialog: the core's import service plans the import off the GUI thread; the dialog shows the
plan (format, CRS, coordinate columns, encoding, feature count, skipped rows, the suggested stage and
service), lets the user name the layer and set stage, service, source CRS and x/y columns, then has the
service write it (progress bar, cancel) and shows the report. The dialog itself reads and writes nothing.

A partitioned dataset folder (or its ``twin-dataset.json``) is checked and referenced in place, as
``twin import PROJECT DATASET_DIR`` does (:mod:`twin.io.dataset_import`, docs/datasets.md): the dialog shows what
the manifest says and the layer's name, stage and service; the source options do not apply."""

from __future__ import annotations

import html
import pathlib
import re
import textwrap

from PySide6 import QtCore, QtGui, QtWidgets

from twin import stages
from twin.errors import ImportCancelled, TwinError
from twin.io.options import ImportOptions
from twin.io.service import ImportOutcome, ImportPlan, ImportService, default_layer_name
from twin_ui import icons
from twin_ui.dialogs.import_jobs import (dataset_folder, read_dataset_job, read_job, write_dataset_job,
                                         write_job)
from twin_ui.workers import LatestRunner

ENCODINGS = ("", "utf-8", "utf-8-sig", "cp949", "euc-kr", "latin-1")
DETECTED_LABELS = {
    "format": "Format", "importer": "Importer", "kind": "Layer kind", "crs": "CRS", "encoding": "Encoding",
    "columns": "Columns", "x": "X column", "y": "Y column", "xy": "Coordinate columns", "layers": "Layers",
    "features": "Features", "rows": "Rows", "skipped": "Rows skipped",
}


#: a detected value longer than this is wrapped onto several lines (its full text is in the tooltip)
WRAP_CHARS = 40
_AUTHORITY = re.compile(r"^\s*([A-Za-z]+:\d+)\b")


def short_detected(key: str, value: str) -> str:
    """The text of a detected value in the list: a CRS as its code and name (``EPSG:4326 · WGS 84``,
    ``(assumed)`` when the importer assumed it), a custom CRS as its name; other long values wrapped."""
    if key == "crs":
        code = _AUTHORITY.match(value)
        name = _crs_name(code.group(1) if code else value)
        assumed = " (assumed)" if "assumed" in value.lower() else ""
        if code:
            return f"{code.group(1)} · {name}{assumed}" if name else f"{code.group(1)}{assumed}"
        return f"custom · {name}{assumed}" if name else textwrap.fill(value[:200], WRAP_CHARS)
    return textwrap.fill(value, WRAP_CHARS, break_long_words=True) if len(value) > WRAP_CHARS else value


def _crs_name(text: str) -> str:
    try:
        from twin.crs import horizontal

        return horizontal(text).name or ""
    except Exception:  # noqa: BLE001 - a label never fails the dialog
        return ""


def error_text(exc: object) -> str:
    """One line for the user: our errors as they are, anything else with its type."""
    if isinstance(exc, TwinError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class QtImportDialog(QtWidgets.QDialog):
    """Import one file through ``service``. Emits :attr:`imported` with the :class:`ImportOutcome`."""

    imported = QtCore.Signal(object)

    def __init__(self, service: ImportService, path: str | pathlib.Path, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.project = service.project
        #: the dataset folder when ``path`` is one (referenced in place), else None
        self.dataset = dataset_folder(path)
        self.path = self.dataset or pathlib.Path(path)
        self.read_result: ImportPlan | None = None
        self.write_result: ImportOutcome | None = None
        self.setWindowTitle(f"Import {self.path.name}")
        self.setMinimumWidth(900)
        self.reader = LatestRunner(self)
        self.reader.finished.connect(self._on_read)
        self.reader.failed.connect(self._on_read_failed)
        self.reader.progress.connect(self._on_progress)
        self.writer = LatestRunner(self)
        self.writer.finished.connect(self._on_written)
        self.writer.failed.connect(self._on_write_failed)
        self.writer.progress.connect(self._on_progress)
        self._build()
        self.start_read()

    # ----- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        head = QtWidgets.QLabel(self)
        size = self.path.stat().st_size if self.path.is_file() else 0
        what = "partitioned dataset, referenced in place" if self.dataset else f"{size / 1e6:.2f} MB"
        head.setText(f"<b>{html.escape(self.path.name)}</b><br><span style='color:#666'>"
                     f"{html.escape(str(self.path.parent))} · {what}</span>")
        icon = QtWidgets.QLabel(self)
        icon.setPixmap(icons.tool_icon("import").pixmap(32, 32))
        top = QtWidgets.QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(head, 1)

        self.detected_box = QtWidgets.QGroupBox("Detected", self)
        self.detected_view = QtWidgets.QTreeWidget(self.detected_box)
        self.detected_view.setColumnCount(2)
        self.detected_view.setHeaderHidden(True)
        self.detected_view.setRootIsDecorated(False)
        self.detected_view.setAlternatingRowColors(True)
        self.detected_view.setWordWrap(True)
        self.detected_view.setUniformRowHeights(False)
        box = QtWidgets.QVBoxLayout(self.detected_box)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.detected_view)

        options = QtWidgets.QGroupBox("Layer", self)
        form = QtWidgets.QFormLayout(options)
        form.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        self.name_edit = QtWidgets.QLineEdit(default_layer_name(self.path), options)
        self.stage_combo = QtWidgets.QComboBox(options)
        self.stage_combo.addItem("No stage", None)
        for stage in (1, 2, 3, 4):
            self.stage_combo.addItem(f"Stage {stage}", stage)
        self.service_combo = QtWidgets.QComboBox(options)
        self.service_combo.setEditable(True)
        self.service_combo.addItem("", "")
        for service in stages.services():
            self.service_combo.addItem(icons.group_icon("service", service.color), service.id, service.id)
            self.service_combo.setItemData(self.service_combo.count() - 1,
                                           f"{service.title} ({service.title_ko}): {service.description}",
                                           QtCore.Qt.ItemDataRole.ToolTipRole)
        self.suggestion = QtWidgets.QLabel(options)
        self.suggestion.setWordWrap(True)
        self.suggestion.setStyleSheet("color: #666")
        self.service_combo.lineEdit().setPlaceholderText("free text, e.g. safety")
        form.addRow("Layer name:", self.name_edit)
        form.addRow("Stage:", self.stage_combo)
        form.addRow("Service:", self.service_combo)
        form.addRow("", self.suggestion)

        source = QtWidgets.QGroupBox("Source (changing these reads the file again)", self)
        sform = QtWidgets.QFormLayout(source)
        sform.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        self.crs_edit = QtWidgets.QLineEdit(source)
        self.crs_edit.setPlaceholderText("as detected, e.g. EPSG:5181")
        self.crs_edit.setToolTip("The CRS of the file when it has none or it is wrong, e.g. EPSG:5181; empty: as detected")
        self.x_combo = self._column_combo(source)
        self.y_combo = self._column_combo(source)
        self.encoding_combo = QtWidgets.QComboBox(source)
        for enc in ENCODINGS:
            self.encoding_combo.addItem(enc or "detect", enc or None)
        self.reread_button = QtWidgets.QPushButton(icons.standard("SP_BrowserReload"), "Read Again", source)
        self.reread_button.clicked.connect(self.start_read)
        sform.addRow("Source CRS:", self.crs_edit)
        sform.addRow("X / longitude column:", self.x_combo)
        sform.addRow("Y / latitude column:", self.y_combo)
        enc_row = QtWidgets.QHBoxLayout()
        enc_row.addWidget(self.encoding_combo)
        enc_row.addStretch(1)
        enc_row.addWidget(self.reread_button)
        sform.addRow("Encoding:", enc_row)
        source.setVisible(self.dataset is None)  # a dataset is read as it is stored (its manifest says how)

        self.message = QtWidgets.QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.report = QtWidgets.QPlainTextEdit(self)
        self.report.setReadOnly(True)
        self.report.setMaximumBlockCount(2000)
        self.report.setPlaceholderText("The import report appears here.")
        self.report.setMinimumHeight(110)

        self.buttons = QtWidgets.QDialogButtonBox(self)
        self.import_button = self.buttons.addButton("Import", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setIcon(icons.tool_icon("import"))
        self.import_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self.start_write)
        self.cancel_button.clicked.connect(self.cancel)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        columns = QtWidgets.QHBoxLayout()
        columns.addWidget(self.detected_box, 5)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(options)
        right.addWidget(source)
        columns.addLayout(right, 6)
        layout.addLayout(columns)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.buttons)

    def _column_combo(self, parent: QtWidgets.QWidget) -> QtWidgets.QComboBox:
        combo = QtWidgets.QComboBox(parent)
        combo.setEditable(True)
        combo.addItem("")
        combo.lineEdit().setPlaceholderText("detect")
        combo.setMinimumContentsLength(10)
        return combo

    # ----- options -------------------------------------------------------------------------
    def options(self) -> ImportOptions:
        """The read options the dialog currently says (CRS, x/y, encoding; project time zone)."""
        return ImportOptions(
            crs=self.crs_edit.text().strip() or None,
            x=self.x_combo.currentText().strip() or None,
            y=self.y_combo.currentText().strip() or None,
            encoding=self.encoding_combo.currentData(),
            timezone=self.project.timezone,
        )

    # ----- reading -------------------------------------------------------------------------
    def start_read(self) -> None:
        """(Re-)read the file with the current options; a newer read replaces a running one."""
        self.read_result = None
        self._set_busy(True, "Reading…")
        self.message.setText("")
        job = read_dataset_job if self.dataset else read_job
        self.reader.submit(job, self.service, self.path, self.options())

    def _on_read(self, result: ImportPlan) -> None:
        self.read_result = result
        self._set_busy(False)
        self._show_detected(result.detected())
        if self.dataset is None:
            self._fill_columns(result)
            self._suggest(result)
        n, skipped = result.feature_count, result.skipped_count
        note = f", <b>{skipped}</b> row(s) will be skipped (see below)" if skipped else ""
        self._say(f"Ready to import <b>{n:,}</b> feature(s){note}.", ok=True)
        self.report.setPlainText(result.summary())
        self.progress.setValue(0)
        self.progress.setFormat("Read; not yet imported")
        self.import_button.setEnabled(result.writable)

    def _on_read_failed(self, exc: object, trace: str) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        if isinstance(exc, ImportCancelled):
            self._say("Reading cancelled.")
            self.progress.setFormat("Cancelled")
            return
        self.progress.setFormat("Could not read the file")
        self._say(html.escape(error_text(exc)) + "<br>Set the source CRS, coordinate columns or encoding and "
                  "press <i>Read Again</i>.", ok=False)
        self.report.setPlainText(error_text(exc) if isinstance(exc, TwinError) else trace)
        self.import_button.setEnabled(False)

    def _show_detected(self, detected: dict) -> None:
        self.detected_view.clear()
        for key, value in detected.items():
            if key == "importer" or value is None or value == "":
                continue
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, int):
                value = f"{value:,}"
            label = DETECTED_LABELS.get(key, key.replace("_", " ").capitalize())
            item = QtWidgets.QTreeWidgetItem(self.detected_view, [label, short_detected(key, str(value))])
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, key)
            item.setToolTip(0, str(value))
            item.setToolTip(1, str(value))  # the full text: a CRS's whole description, a long list
            item.setForeground(0, QtGui.QBrush(QtGui.QColor("#555555")))
        self.detected_view.resizeColumnToContents(0)

    def detected_text(self, key: str) -> str | None:
        """The text shown for one detected item (for tests and accessibility)."""
        for i in range(self.detected_view.topLevelItemCount()):
            item = self.detected_view.topLevelItem(i)
            if item.data(0, QtCore.Qt.ItemDataRole.UserRole) == key:
                return item.text(1)
        return None

    def _suggest(self, result: ImportPlan) -> None:
        """Pre-select the stage and service the twin-stages rules suggest (unless the user chose)."""
        hint = result.suggestion
        if hint.stage is not None and self.stage_combo.currentData() is None:
            self.stage_combo.setCurrentIndex(self.stage_combo.findData(hint.stage))
        if hint.service is not None and not self.service_combo.currentText():
            self.service_combo.setCurrentText(hint.service)
        self.suggestion.setText(f"Suggested: {hint.describe()}" if hint else "")

    def _fill_columns(self, result: ImportPlan) -> None:
        columns = result.columns()
        detected = result.datas[0].report.detected
        for combo, key in ((self.x_combo, "x column"), (self.y_combo, "y column")):
            current = combo.currentText() or str(detected.get(key) or "")
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("")
            combo.addItems(columns)
            combo.setCurrentText(current)
            combo.blockSignals(False)

    # ----- writing -------------------------------------------------------------------------
    def start_write(self) -> None:
        """Write the data already read into the project (off the GUI thread)."""
        if self.read_result is None:
            return
        self._set_busy(True, "Writing…")
        self.cancel_button.setEnabled(False)  # one transaction: it completes or fails as a whole
        job = write_dataset_job if self.dataset else write_job
        self.writer.submit(job, self.service, self.read_result, name=self.name_edit.text().strip(),
                           stage=self.stage_combo.currentData(), service_name=self.service_combo.currentText().strip())

    def _on_written(self, result: ImportOutcome) -> None:
        self.write_result = result
        self._set_busy(False)
        self.progress.setValue(1000)
        self.progress.setFormat("Imported")
        names = [layer.name for layer in result.layers]
        lines = [f"Imported into {self.project.crs}:"]
        for layer, report in zip(result.layers, result.reports):
            lines.append(f"• layer “{layer.name}” ({layer.kind}, {layer.feature_count:,} features)")
            lines.append(report.summary())
        self.report.setPlainText("\n".join(lines))
        skipped = sum(len(r.skipped) for r in result.reports)
        extra = f"; {skipped} row(s) skipped, see the report" if skipped else ""
        self._say(f"Imported {len(names)} layer(s): {html.escape(', '.join(names))}{extra}.", ok=True)
        self.import_button.hide()
        self.cancel_button.setText("Close")
        self.imported.emit(result)

    def _on_write_failed(self, exc: object, trace: str) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self.progress.setFormat("Not imported")
        self._say(html.escape(error_text(exc)) + "<br>The project is unchanged.", ok=False)
        if not isinstance(exc, TwinError):
            self.report.setPlainText(trace)
        self.import_button.setEnabled(True)

    # ----- common --------------------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel a running read, else close (a write is one transaction and cannot be cut short)."""
        if self.reader.busy:
            self.reader.cancel()
            return
        self.reject() if self.write_result is None else self.accept()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.reader.cancel()
        if self.writer.busy:
            event.ignore()  # never leave a half-finished write behind a closed dialog
            return
        super().closeEvent(event)

    def reject(self) -> None:
        if self.writer.busy:
            return
        self.reader.cancel()
        super().reject()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(f"{message or 'working'} — {fraction * 100:.0f} %")

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.cancel_button.setEnabled(True)
        for widget in (self.reread_button, self.crs_edit, self.x_combo, self.y_combo, self.encoding_combo,
                       self.name_edit, self.stage_combo, self.service_combo):
            widget.setEnabled(not busy)
        if busy:
            self.import_button.setEnabled(False)
            self.progress.setValue(0)
            self.progress.setFormat(text)
        self.cancel_button.setText("Cancel" if busy or self.write_result is None else "Close")

    def _say(self, text: str, *, ok: bool | None = None) -> None:
        colour = {True: "#1e7d32", False: "#b03a2e", None: "#444444"}[ok]
        self.message.setText(f"<span style='color:{colour}'>{text}</span>")
