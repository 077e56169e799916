"""The import dialog's "Detected" list: short CRS names (full text in the tooltip), every value readable."""

from __future__ import annotations

import pathlib

import pytest

pytest.importorskip("PySide6.QtWidgets")

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def test_short_crs_names_and_wrapped_long_values():
    from twin_ui.dialogs.qt_import_dialog import WRAP_CHARS, short_detected

    long = "EPSG:4326 (longitude/latitude in degrees, WGS84 assumed (EPSG:4326))"
    assert short_detected("crs", long) == "EPSG:4326 · WGS 84 (assumed)"
    assert short_detected("crs", "EPSG:5186") == "EPSG:5186 · KGD2002 / Central Belt 2010"
    wkt = ('PROJCS["My local grid",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
           'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
           'PARAMETER["latitude_of_origin",38],PARAMETER["central_meridian",127],PARAMETER["scale_factor",1],'
           'PARAMETER["false_easting",200000],PARAMETER["false_northing",600000],UNIT["metre",1]]')
    assert short_detected("crs", wkt) == "custom · My local grid"
    columns = ", ".join(f"column_{i}" for i in range(12))
    wrapped = short_detected("columns", columns)
    assert all(len(line) <= WRAP_CHARS for line in wrapped.splitlines()) and wrapped.replace("\n", " ") == columns
    assert short_detected("encoding", "CP949") == "CP949"


def test_every_detected_value_fits_its_column(qtbot, tmp_path):
    from PySide6 import QtCore

    from twin.io.service import ImportService
    from twin.store.project import Project
    from twin_ui.dialogs.qt_import_dialog import QtImportDialog

    project = Project.open(tmp_path / "p.twin.duckdb", create=True)
    try:
        dialog = QtImportDialog(ImportService(project), FIXTURES / "csv" / "facilities_cp949.csv")
        qtbot.addWidget(dialog)
        dialog.resize(1440 * 3 // 4, 700)  # the dialog as it opens over a 1440x900 window
        dialog.show()
        qtbot.waitUntil(lambda: dialog.detected_view.topLevelItemCount() > 0, timeout=60_000)
        view = dialog.detected_view
        assert dialog.detected_text("crs").startswith("EPSG:4326 · WGS 84")
        metrics = view.fontMetrics()
        room = view.viewport().width() - view.columnWidth(0)
        for i in range(view.topLevelItemCount()):
            item = view.topLevelItem(i)
            assert item.toolTip(1)  # the full text on hover
            for line in item.text(1).splitlines():
                assert metrics.horizontalAdvance(line) + 8 <= room, (item.text(0), line, room)
            crs = item.data(0, QtCore.Qt.ItemDataRole.UserRole) == "crs"
            assert not crs or "longitude/latitude in degrees" in item.toolTip(1)
        dialog.reject()
    finally:
        project.close()
