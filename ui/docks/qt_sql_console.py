"""The SQL console: DuckDB SQL (spatial functions included) on the model's project, read-only (one reading
statement at a time, through :class:`twin.store.reader.ProjectReader`), run off the GUI thread on a cursor
of its own; results in a table (geometry as WKT); selecting rows that point at features or geometries
selects them in the model, so every view highlights them; the query history is kept between sessions."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
from PySide6 import QtCore, QtGui, QtWidgets

from twin.model.twin import TwinModel
from twin_ui import icons
from twin_ui.docks.arrow_model import ArrowTableModel
from twin_ui.docks.result_selection import ResultSelection, select_rows
from twin_ui.docks.sql_highlighter import SqlHighlighter
from twin_ui.settings import AppSettings
from twin_ui.workers import LatestRunner, Task

EXAMPLE = "-- Ctrl+Enter runs the query. Layer tables: see Tables ▾\nSELECT name, kind, stage, service, feature_count FROM layers ORDER BY position"


class QueryJob:
    """One query, run on a cursor of its own (DuckDB connections are not shared between threads)."""

    def __init__(self, project, sql: str) -> None:
        self.project = project  # a ProjectReader: one reading statement
        self.sql = sql
        self._cursor = None
        self._lock = threading.Lock()

    def __call__(self, task: Task) -> tuple[pa.Table, float]:
        start = time.perf_counter()
        cursor, result = self.project.cursor_query(self.sql)
        with self._lock:
            self._cursor = cursor
        try:
            table = result.to_arrow_table() if result.description is not None else pa.table({})
        finally:
            with self._lock:
                self._cursor = None
            cursor.close()
        return table, time.perf_counter() - start

    def interrupt(self) -> None:
        """Stop the query where it is (DuckDB raises an interruption error in the worker)."""
        with self._lock:
            if self._cursor is not None:
                self._cursor.interrupt()


class QtSqlConsole(QtWidgets.QWidget):
    """SQL editor, results table and history, on the model's project."""

    #: a query finished: (row count, seconds)
    query_finished = QtCore.Signal(int, float)

    def __init__(self, model: TwinModel, settings: AppSettings, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.settings = settings
        self.last_sql = ""
        self._job: QueryJob | None = None
        self.runner = LatestRunner(self)
        self.runner.finished.connect(self._on_result)
        self.runner.failed.connect(self._on_error)
        self.runner.busy_changed.connect(self._on_busy)

        self.editor = QtWidgets.QPlainTextEdit(self)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        mono.setFamilies([mono.family(), "DejaVu Sans Mono", "Noto Sans Mono CJK KR"])
        self.editor.setFont(mono)
        self.editor.setPlaceholderText("SELECT * FROM layers")
        self.editor.setPlainText(EXAMPLE)
        self.editor.setTabStopDistance(4 * QtGui.QFontMetricsF(mono).horizontalAdvance(" "))
        self._highlighter = SqlHighlighter(self.editor.document())
        self.editor.installEventFilter(self)

        self.results = ArrowTableModel(parent=self)
        self.last_selection = ResultSelection()
        self.table = QtWidgets.QTableView(self)
        self.table.setModel(self.results)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setDefaultSectionSize(120)
        self.table.selectionModel().selectionChanged.connect(self._rows_selected)

        self.status = QtWidgets.QLabel("Ready", self)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        toolbar = self._toolbar()

        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.editor)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(toolbar)
        layout.addWidget(splitter, 1)

    def _toolbar(self) -> QtWidgets.QToolBar:
        bar = QtWidgets.QToolBar(self)
        bar.setIconSize(QtCore.QSize(16, 16))
        bar.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.run_action = bar.addAction(icons.standard("SP_MediaPlay"), "Run", self.run)
        self.run_action.setShortcuts([QtGui.QKeySequence("Ctrl+Return"), QtGui.QKeySequence("Ctrl+Enter")])
        self.run_action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.run_action.setToolTip("Run the query (Ctrl+Enter)")
        self.addAction(self.run_action)
        self.stop_action = bar.addAction(icons.standard("SP_MediaStop"), "Stop", self.stop)
        self.stop_action.setEnabled(False)
        self.history_button, self.history_menu = _menu_button(
            bar, "History", icons.standard("SP_FileDialogContentsView"), self._fill_history)
        self.tables_button, self.tables_menu = _menu_button(bar, "Tables", icons.tool_icon("sql"), self._fill_tables)
        bar.addSeparator()
        bar.addWidget(self.status)
        return bar

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt API)
        """Ctrl+Enter in the editor runs the query (also when the window is not the active one)."""
        if watched is self.editor and event.type() == QtCore.QEvent.Type.KeyPress:
            if event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter) and \
                    event.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
                self.run()
                return True
        return super().eventFilter(watched, event)

    # ----- running -------------------------------------------------------------------------
    def run(self, sql: str | None = None) -> None:
        """Run ``sql`` (default: the selected text, else the whole editor) off the GUI thread."""
        if sql is None:
            cursor = self.editor.textCursor()
            sql = cursor.selectedText().replace("\u2029", "\n") if cursor.hasSelection() else self.editor.toPlainText()
        sql = sql.strip()
        if not sql or self.model.project is None:
            return
        self.last_sql = sql
        self.settings.add_query(sql)
        self.status.setText("Running…")
        if self._job is not None:
            self._job.interrupt()  # the newest request wins
        self._job = QueryJob(self.model.project, sql)
        self.runner.submit(self._job)

    def stop(self) -> None:
        """Interrupt the running query."""
        if self._job is not None:
            self._job.interrupt()

    def set_sql(self, sql: str) -> None:
        self.editor.setPlainText(sql)

    def _on_result(self, outcome: object) -> None:
        table, seconds = outcome
        self.results.set_table(table)
        self.table.resizeColumnsToContents()
        for column in range(self.results.columnCount()):
            if self.table.columnWidth(column) > 320:
                self.table.setColumnWidth(column, 320)
        shown = f"{table.num_rows:,} row{'s' if table.num_rows != 1 else ''}"
        self.status.setText(f"{shown} in {seconds * 1000:.0f} ms")
        self.query_finished.emit(table.num_rows, seconds)

    def _on_error(self, exc: object, _trace: str) -> None:
        message = str(exc).strip()
        self.status.setText(f"<span style='color:#b03a2e'>Error: {message.splitlines()[0][:160]}</span>")
        self.status.setToolTip(message)
        self.results.set_table(pa.table({}))

    def _on_busy(self, busy: bool) -> None:
        self.run_action.setEnabled(not busy)
        self.stop_action.setEnabled(busy)

    # ----- selection -------------------------------------------------------------------------
    def _rows_selected(self, *_args: object) -> None:
        """Rows pointing at features or geometries: the model's selection becomes those."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        layers = [layer.info for layer in self.model.layers]
        selection = select_rows(self.results.table, rows, self.last_sql, layers) if rows else ResultSelection()
        self.last_selection = selection
        if selection.empty:
            return
        self.model.selection.select(selection.features, geometries=selection.geometries)
        self.model.events.message.emit(f"Selected {selection.describe()}")

    # ----- menus -----------------------------------------------------------------------------
    def _fill_history(self) -> None:
        self.history_menu.clear()
        history = self.settings.query_history()
        if not history:
            self.history_menu.addAction("(no queries yet)").setEnabled(False)
        for sql in history[:25]:
            text = " ".join(sql.split())
            act = self.history_menu.addAction(text if len(text) <= 80 else text[:79] + "…")
            act.setToolTip(sql)
            act.triggered.connect(lambda _=False, s=sql: self.set_sql(s))

    def _fill_tables(self) -> None:
        self.tables_menu.clear()
        for label, table in (("layers (catalogue)", "layers"), ("imports (provenance)", "imports"), ("meta", "meta")):
            self.tables_menu.addAction(label).triggered.connect(lambda _=False, t=table: self._insert_table(t))
        self.tables_menu.addSeparator()
        for layer in self.model.layers:
            if layer.broken:  # its catalogue entry names no table that can be read
                continue
            table = layer.info.table_name
            act = self.tables_menu.addAction(icons.kind_icon(layer.kind), f"{layer.name}  —  {table}")
            act.triggered.connect(lambda _=False, t=table: self._insert_table(t))

    def _insert_table(self, table: str) -> None:
        if self.editor.toPlainText().strip() in ("", EXAMPLE.strip()):
            self.set_sql(f"SELECT * FROM {table} LIMIT 100")
        else:
            self.editor.insertPlainText(table)
        self.editor.setFocus()


def _menu_button(bar: QtWidgets.QToolBar, text: str, icon: QtGui.QIcon, fill) -> tuple[QtWidgets.QToolButton, QtWidgets.QMenu]:
    """A tool button with a menu that ``fill`` builds each time it opens."""
    button = QtWidgets.QToolButton(bar)
    button.setText(text)
    button.setIcon(icon)
    button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QtWidgets.QMenu(button)
    menu.aboutToShow.connect(fill)
    button.setMenu(menu)
    bar.addWidget(button)
    return button, menu
