"""The attribute inspector of ``model.selection``: every attribute of the primary selected feature (original
keys, Korean included), its layer, stage, service, geometry type and coordinates in the project CRS and in
lon/lat, and how many other features are selected with it."""

from __future__ import annotations

import dataclasses
import html

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from twin.crs import transform_xy
from twin.errors import TwinError
from twin.model.twin import TwinModel
from twin_ui import icons
from twin_ui.docks.arrow_model import format_value
from twin_ui.labels import stage_label


@dataclasses.dataclass
class FeatureRecord:
    """One feature read back from its layer table."""

    layer: object  # twin.store.project.LayerInfo
    fid: int
    attributes: dict[str, object]
    geometry_type: str | None
    centroid: tuple[float, float] | None  # project CRS
    bounds: tuple[float, float, float, float] | None


def read_feature(project, layer, fid: int) -> FeatureRecord | None:
    """The attributes and location of feature ``fid`` of ``layer`` (``None`` when there is no such row)."""
    table = project.query(
        f'SELECT * EXCLUDE (geom), ST_GeometryType(geom) AS "__type", ST_X(ST_Centroid(geom)) AS "__cx", '
        f'ST_Y(ST_Centroid(geom)) AS "__cy", ST_XMin(geom) AS "__x0", ST_YMin(geom) AS "__y0", '
        f'ST_XMax(geom) AS "__x1", ST_YMax(geom) AS "__y1" FROM {layer.ref()} WHERE fid = ?',
        [int(fid)],
    )
    if table.num_rows == 0:
        return None
    row = {name: table.column(name)[0].as_py() for name in table.column_names}
    extra = {k: row.pop(k) for k in ("__type", "__cx", "__cy", "__x0", "__y0", "__x1", "__y1")}
    row.pop("fid", None)
    centroid = (extra["__cx"], extra["__cy"]) if extra["__cx"] is not None else None
    bounds = (extra["__x0"], extra["__y0"], extra["__x1"], extra["__y1"]) if extra["__x0"] is not None else None
    return FeatureRecord(layer, int(fid), row, extra["__type"], centroid, bounds)


class QtSelection(QtWidgets.QWidget):
    """Shows the primary feature of ``model.selection``; empty until something is selected."""

    def __init__(self, model: TwinModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.record: FeatureRecord | None = None
        self.title = QtWidgets.QLabel(self)
        self.title.setWordWrap(True)
        self.title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.title.setContentsMargins(6, 4, 6, 4)
        self.filter = QtWidgets.QLineEdit(self)
        self.filter.setPlaceholderText("Filter attributes…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = QtWidgets.QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Attribute", "Value"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.ActionsContextMenu)
        copy = QtGui.QAction("Copy Value", self.tree)
        copy.setShortcut(QtGui.QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self._copy_value)
        self.tree.addAction(copy)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        self.clear()
        model.selection.events.changed.connect(self._on_selection)

    def _on_selection(self, selection) -> None:
        if selection.primary is None:
            self.clear()
            if selection.geometries:
                self.title.setText(f"<b>{selection.describe()}</b> selected in the query results")
            return
        layer, fid = selection.primary
        self.show_feature(layer, fid, picked=selection.picked, others=len(selection.items) - 1)

    # ----- content -------------------------------------------------------------------------
    def clear(self) -> None:
        """Show the hint instead of a feature."""
        self.record = None
        self.tree.clear()
        self.title.setText("<span style='color:#777'>Click a feature in the 3D view to inspect it.</span>")

    def show_feature(self, layer_name: str, fid: int, *, picked: tuple[float, float, float] | None = None,
                     others: int = 0) -> bool:
        """Read and show feature ``fid`` of a layer; ``picked`` is the clicked point (project CRS); ``others``
        how many more features are selected."""
        try:
            layer = self.model.layers[layer_name].info
            record = read_feature(self.model.project, layer, fid)
        except TwinError as exc:
            self.clear()
            self.title.setText(f"<span style='color:#b03a2e'>{html.escape(str(exc))}</span>")
            return False
        if record is None:
            self.clear()
            return False
        self.record = record
        more = f" &nbsp;·&nbsp; {others:,} more selected" if others > 0 else ""
        self.title.setText(f"<b>{html.escape(layer.name)}</b> &nbsp;·&nbsp; feature {fid}{more}")
        self.tree.clear()
        self._section("Feature", [
            ("Layer", layer.name), ("Kind", layer.kind), ("Stage", stage_label(layer.stage)),
            ("Service", layer.service or "—"), ("Feature id (fid)", str(fid)), ("Table", layer.table_name),
        ], icon=icons.kind_icon(layer.kind))
        self._section("Attributes", [(k, format_value(v)) for k, v in record.attributes.items()],
                      icon=icons.standard("SP_FileDialogDetailedView"))
        self._section("Location", self._location_rows(record, picked), icon=icons.tool_icon("top"))
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(max(self.tree.columnWidth(0), 110), 220))
        self._apply_filter(self.filter.text())
        return True

    def value(self, key: str) -> str | None:
        """The displayed value of an attribute (or of a row of the other sections)."""
        for item in self._items():
            if item.text(0) == key and item.parent() is not None:
                return item.text(1)
        return None

    def _location_rows(self, record: FeatureRecord, picked) -> list[tuple[str, str]]:
        crs = self.model.crs
        rows = [("Geometry", (record.geometry_type or "none").title().replace("_", " "))]
        if record.centroid is not None and crs:
            x, y = record.centroid
            lon, lat = transform_xy(np.array([x]), np.array([y]), crs, "EPSG:4326")
            rows += [(f"Centroid ({crs})", f"{x:,.2f}, {y:,.2f}"), ("Centroid (lon, lat)", f"{lon[0]:.6f}, {lat[0]:.6f}")]
        if record.bounds is not None:
            x0, y0, x1, y1 = record.bounds
            rows.append(("Extent (m)", f"{x1 - x0:,.1f} × {y1 - y0:,.1f}"))
        if picked is not None and crs:
            px, py, pz = picked
            lon, lat = transform_xy(np.array([px]), np.array([py]), crs, "EPSG:4326")
            rows += [(f"Picked point ({crs})", f"{px:,.2f}, {py:,.2f}, z {pz:,.2f}"),
                     ("Picked point (lon, lat)", f"{lon[0]:.6f}, {lat[0]:.6f}")]
        return rows

    def _section(self, title: str, rows: list[tuple[str, str]], *, icon: QtGui.QIcon) -> None:
        head = QtWidgets.QTreeWidgetItem(self.tree, [title])
        head.setIcon(0, icon)
        font = head.font(0)
        font.setBold(True)
        head.setFont(0, font)
        head.setFirstColumnSpanned(True)
        for key, value in rows:
            item = QtWidgets.QTreeWidgetItem(head, [key, value])
            item.setToolTip(1, value)
            if value == "NULL":
                item.setForeground(1, QtGui.QBrush(QtGui.QColor("#999999")))

    def _items(self):
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            yield head
            for j in range(head.childCount()):
                yield head.child(j)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for item in self._items():
            if item.parent() is not None:
                item.setHidden(bool(needle) and needle not in item.text(0).lower() and needle not in item.text(1).lower())

    def _copy_value(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            QtWidgets.QApplication.clipboard().setText(item.text(1) or item.text(0))
