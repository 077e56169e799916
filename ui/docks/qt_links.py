"""The links dock, bound to ``model.links``: what the selected features are linked to across layers (the cameras
that see an incident, the stations that answer it and how long they take by road, the detectors on the
route, the pipes an excavation endangers). A row's colour is its relation's, as the arcs in 3D; clicking a
row frames the linked feature."""

from __future__ import annotations

import html

from PySide6 import QtCore, QtGui, QtWidgets

from twin.model.links import SelectionLinks
from twin.render.links import RELATION_LABELS, color_of
from twin_ui import icons

COLUMNS = ("Link", "To", "Distance", "By road", "Active")


def duration_text(seconds: float | None) -> str:
    """``4:05`` (minutes:seconds), or empty."""
    if seconds is None:
        return ""
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}"


class QtLinks(QtWidgets.QWidget):
    """The links of the selection, one row each (see the module docstring)."""

    def __init__(self, links: SelectionLinks, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.links = links
        self.model = links.model
        self.title = QtWidgets.QLabel(self)
        self.title.setWordWrap(True)
        self.title.setContentsMargins(6, 4, 6, 4)
        self.show_arcs = QtWidgets.QCheckBox("Draw links in 3D", self)
        self.show_arcs.setChecked(links.enabled)
        self.show_arcs.toggled.connect(links.set_enabled)
        self.tree = QtWidgets.QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setMinimumHeight(40)  # the dock shares the right side with the attributes: it may be short
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.show_arcs)
        layout.addWidget(self.tree, 1)
        links.events.changed.connect(self._fill)
        self.model.time.events.range.connect(lambda _r: self._mark_active())
        self._fill(links)

    def _fill(self, _links=None) -> None:
        self.tree.clear()
        items = self.links.items
        selection = self.model.selection
        if not selection.features:
            self.title.setText("<span style='color:#777'>Select a feature to see what it is linked to.</span>")
            return
        if not items:
            self.title.setText(f"<b>{html.escape(selection.layer or '')}</b>: no links "
                               "<span style='color:#777'>(Layer &gt; Compute Links, or twin links --compute)</span>")
            return
        more = " (the first 2,000)" if self.links.truncated else ""
        self.title.setText(f"<b>{len(items):,}</b> link(s) of the selection{more}")
        chosen = selection.items
        for link in items:
            here = (link.from_layer, link.from_fid) if (link.from_layer, link.from_fid) in chosen else \
                (link.to_layer, link.to_fid)
            layer, fid = link.other(*here)
            distance = f"{link.distance_m:,.0f} m" if link.distance_m is not None else ""
            span = ""
            if link.t_start is not None:
                from zoneinfo import ZoneInfo

                zone = ZoneInfo(self.model.timezone)
                span = link.t_start.astimezone(zone).strftime("%H:%M")
                if link.t_end is not None:
                    span += "–" + link.t_end.astimezone(zone).strftime("%H:%M")
            label = RELATION_LABELS.get(link.relation, link.relation.replace("_", " "))
            extra = link.properties.get("utility")
            item = QtWidgets.QTreeWidgetItem([label + (f" ({extra})" if extra else ""), f"{layer} #{fid}", distance,
                                              duration_text(link.travel_time_s), span])
            item.setIcon(0, icons.colour_swatch(color_of(link.relation)))
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, (layer, fid))
            item.setData(1, QtCore.Qt.ItemDataRole.UserRole, link)
            for column in (2, 3):
                item.setTextAlignment(column, QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(item)
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self._mark_active()

    def _mark_active(self) -> None:
        """Links not active at the model's time are greyed (they are not drawn either)."""
        value = self.model.time.range
        start, end = (value.start, value.end) if value is not None else (None, None)
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            link = item.data(1, QtCore.Qt.ItemDataRole.UserRole)
            colour = QtGui.QColor("#202020" if link.active(start, end) else "#9a9a9a")
            for column in range(len(COLUMNS)):
                item.setForeground(column, QtGui.QBrush(colour))

    def rows(self) -> list[tuple[str, ...]]:
        """The rows as shown (tests, accessibility)."""
        return [tuple(self.tree.topLevelItem(i).text(c) for c in range(len(COLUMNS)))
                for i in range(self.tree.topLevelItemCount())]

    def _clicked(self, item: QtWidgets.QTreeWidgetItem, _column: int = 0) -> None:
        layer, fid = item.data(0, QtCore.Qt.ItemDataRole.UserRole)
        try:
            self.model.camera.look(layer, fid=int(fid))
        except Exception as exc:  # noqa: BLE001 - a feature that cannot be framed is a message, not a crash
            self.model.events.message.emit(f"{layer} #{fid}: {exc}")
