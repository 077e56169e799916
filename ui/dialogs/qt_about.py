"""The About box: what the app is and the versions of everything it runs on."""

from __future__ import annotations

import html
import importlib.metadata
import platform
import sys

from PySide6 import QtCore, QtWidgets

import twin
from twin_ui import icons


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def versions() -> list[tuple[str, str]]:
    """(component, version) of the app and its stack, as they are loaded in this process."""
    import duckdb
    import pyproj
    import PySide6
    from vtkmodules.vtkCommonCore import vtkVersion

    rows = [
        ("Smart City Twin", twin.__version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}, {sys.platform})"),
        ("Qt", QtCore.qVersion()),
        ("PySide6", PySide6.__version__),
        ("VTK", vtkVersion.GetVTKVersion()),
        ("PyVista", _dist_version("pyvista")),
        ("pyvistaqt", _dist_version("pyvistaqt")),
        ("DuckDB", duckdb.__version__),
        ("DuckDB spatial extension", _spatial_version()),
        ("pyogrio", _dist_version("pyogrio")),
        ("GDAL", _gdal_version()),
        ("pyproj", pyproj.__version__),
        ("PROJ", pyproj.proj_version_str),
        ("shapely / GEOS", f"{_dist_version('shapely')} / {_geos_version()}"),
        ("pyarrow", _dist_version("pyarrow")),
        ("numpy", _dist_version("numpy")),
    ]
    return rows


def _spatial_version() -> str:
    try:
        from twin.store.spatial import connect

        con = connect()
        try:
            row = con.execute(
                "SELECT extension_version FROM duckdb_extensions() WHERE extension_name = 'spatial'").fetchone()
        finally:
            con.close()
        build = row[0] if row and row[0] else "?"
        return f"{_dist_version('duckdb-extension-spatial')} (build {build})"
    except Exception as exc:  # noqa: BLE001 - the About box must open even with a broken extension
        return f"unavailable ({exc})"


def _gdal_version() -> str:
    try:
        import pyogrio

        return pyogrio.__gdal_version_string__
    except Exception:  # noqa: BLE001
        return "unavailable"


def _geos_version() -> str:
    try:
        import shapely

        return shapely.geos_version_string
    except Exception:  # noqa: BLE001
        return "?"


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
