"""The About box: what the app is and the versions of everything it runs on."""

from __future__ import annotations

import html

from PySide6 import QtCore, QtWidgets

import twin
from twin.versions import versions as stack_versions
from twin_ui import icons


def versions() -> list[tuple[str, str]]:
    """(component, version) of the app, Qt and the stack, as they are loaded in this process."""
    import PySide6

    return stack_versions(gui=[("Qt", QtCore.qVersion()), ("PySide6", PySide6.__version__)])


class QtAboutDialog(QtWidgets.QDialog):
    """Name, purpose and a table of component versions (copyable)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Smart City Twin")
        self.rows = versions()
        logo = QtWidgets.QLabel(self)
        logo.setPixmap(icons.kind_icon("buildings").pixmap(64, 64))
        logo.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        text = QtWidgets.QLabel(
            f"<h2>Smart City Twin {html.escape(twin.__version__)}</h2>"
            "<p>A desktop digital twin for city planners: 3D city models, facility layers and their "
            "history in one DuckDB project file, rendered with VTK/PyVista, replayed on a timeline.</p>",
            self,
        )
        text.setWordWrap(True)
        table = QtWidgets.QTableWidget(len(self.rows), 2, self)
        table.setHorizontalHeaderLabels(["Component", "Version"])
        table.verticalHeader().hide()
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        for row, (name, version) in enumerate(self.rows):
            table.setItem(row, 0, QtWidgets.QTableWidgetItem(name))
            table.setItem(row, 1, QtWidgets.QTableWidgetItem(version))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().setDefaultSectionSize(22)
        self.table = table
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy Versions", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(logo)
        head.addWidget(text, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(table, 1)
        layout.addWidget(buttons)
        self.resize(560, 560)

    def copy(self) -> None:
        """Put the versions on the clipboard (for bug reports)."""
        QtWidgets.QApplication.clipboard().setText("\n".join(f"{n}: {v}" for n, v in self.rows))
