"""The model's layers as a Qt item model: grouped by stage (1-4, then "No stage") and by service, each row
with its check box (the layer's visibility in the model), its kind's icon and its legend; layers the stage
lens hides are greyed. It holds no state of its own: every change goes to the :class:`TwinModel`, and the
rows are redrawn from the model's events."""

from __future__ import annotations

import html

from PySide6 import QtCore, QtGui

from twin import stages
from twin.errors import TwinError
from twin.model.layers import LayerState
from twin.model.twin import TwinModel
from twin_ui import icons
from twin_ui.labels import NO_SERVICE, reload_stages, service_label, stage_colour, stage_info, stage_label

NAME_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
LEVEL_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2  # "stage", "service", "layer" or "legend"
STAGES = (1, 2, 3, 4, None)


class LayerListModel(QtGui.QStandardItemModel):
    """Rows of ``model.layers`` grouped by stage and service (see the module docstring)."""

    #: something the user asked for failed (e.g. a rename to an existing name)
    error = QtCore.Signal(str)

    def __init__(self, model: TwinModel, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._legends: dict[str, object] = {}
        self._updating = False
        self._rebuild_posted = False
        self._watched: dict[int, tuple[LayerState, list]] = {}
        self.setHorizontalHeaderLabels(["Layer"])
        self.itemChanged.connect(self._on_item_changed)
        model.events.project.connect(lambda _p: self._post_rebuild())  # the scene sends the new legends itself
        for signal in (model.layers.events.inserted, model.layers.events.removed, model.layers.events.moved):
            signal.connect(lambda *_args: self._post_rebuild())
        model.lens.events.changed.connect(lambda _lens: self._decorate_all())
        self.rebuild()

    # ----- reading ---------------------------------------------------------------------------
    def layer(self, name: str) -> LayerState | None:
        return self.model.layers.get(name)

    def item_for(self, name: str) -> QtGui.QStandardItem | None:
        """The row of a layer."""
        for item in self._walk():
            if item.data(LEVEL_ROLE) == "layer" and item.data(NAME_ROLE) == name:
                return item
        return None

    # ----- building ------------------------------------------------------------------------------
    def _post_rebuild(self) -> None:
        """Rebuild on the next event-loop turn (never inside an item's own signal), once per burst."""
        if not self._rebuild_posted:
            self._rebuild_posted = True
            QtCore.QTimer.singleShot(0, self.rebuild)

    def rebuild(self) -> None:
        """Draw every row from the model."""
        self._rebuild_posted = False
        reload_stages()
        self._watch_layers()
        layers = list(self.model.layers)
        self._legends = {name: block for name, block in self._legends.items() if name in self.model.layers}
        self._updating = True
        try:
            self.removeRows(0, self.rowCount())
            for stage in STAGES:
                in_stage = [la for la in layers if la.stage == stage]
                if not in_stage:
                    continue
                stage_item = self._group_item(stage_label(stage, long=True), "stage", stage, stage_colour(stage))
                info = stage_info(stage) if stage is not None else None
                if info is not None:
                    stage_item.setToolTip(f"<b>Stage {stage}: {info.title}</b> ({info.title_ko}, {info.period})"
                                          f"<br>{info.description}")
                services = list(dict.fromkeys(la.service or NO_SERVICE for la in in_stage))
                services.sort(key=lambda s: (s == NO_SERVICE, s))
                for service in services:
                    service_item = self._group_item(
                        service_label(None if service == NO_SERVICE else service), "service", service,
                        stages.service_color(None if service == NO_SERVICE else service))
                    for layer in in_stage:
                        if (layer.service or NO_SERVICE) == service:
                            service_item.appendRow(self._layer_item(layer))
                    self._sync_group_check(service_item)
                    stage_item.appendRow(service_item)
                self._sync_group_check(stage_item)
                self.appendRow(stage_item)
        finally:
            self._updating = False

    def _watch_layers(self) -> None:
        """Follow each layer's own events (style and visibility: that row; name, stage, service: the tree)."""
        current = {id(layer) for layer in self.model.layers}
        for key in [k for k in self._watched if k not in current]:
            for signal, slot in self._watched.pop(key)[1]:
                signal.disconnect(slot)
        for layer in self.model.layers:
            if id(layer) in self._watched:
                continue
            slots = [(layer.events.style, lambda _s, layer=layer: self._update_row(layer)),
                     (layer.events.name, lambda *_a: self._post_rebuild()),
                     (layer.events.info, lambda *_a: self._post_rebuild())]
            for signal, slot in slots:
                signal.connect(slot)
            self._watched[id(layer)] = (layer, slots)

    def _group_item(self, text: str, level: str, key: object, colour: str) -> QtGui.QStandardItem:
        item = QtGui.QStandardItem(icons.group_icon(level, colour), text)
        item.setData(level, LEVEL_ROLE)
        item.setData(key, NAME_ROLE)
        item.setEditable(False)
        item.setCheckable(True)
        item.setAutoTristate(False)
        font = item.font()
        font.setBold(level == "stage")
        item.setFont(font)
        return item

    def _layer_item(self, layer: LayerState) -> QtGui.QStandardItem:
        item = QtGui.QStandardItem(icons.kind_icon(layer.kind), layer.name)
        item.setData("layer", LEVEL_ROLE)
        item.setData(layer.name, NAME_ROLE)
        item.setEditable(True)
        item.setCheckable(True)
        item.setCheckState(_check(layer.visible))
        self._decorate(item, layer)
        self._fill_legend(item, layer)
        if layer.broken:  # listed as broken (the reason in its tooltip), never drawn nor renamed
            item.setIcon(icons.standard("SP_MessageBoxWarning"))
            item.setEditable(False)
            item.setCheckable(False)
            item.setData(None, QtCore.Qt.ItemDataRole.CheckStateRole)
        return item

    def _update_row(self, layer: LayerState) -> None:
        """The layer's style changed in the model: its check box and tooltip follow."""
        item = self.item_for(layer.name)
        if item is None:
            return
        self._updating = True
        try:
            if not layer.broken and item.checkState() != _check(layer.visible):
                item.setCheckState(_check(layer.visible))
                self._sync_parents(item)
            self._decorate(item, layer)
        finally:
            self._updating = False

    # ----- legend ----------------------------------------------------------------------------
    def set_legend(self, name: str, block: object) -> None:
        """Show a layer's legend (a :class:`twin.render.overlay.LegendBlock`) under its row."""
        self._legends[name] = block
        item, layer = self.item_for(name), self.model.layers.get(name)
        if item is not None and layer is not None:
            self._updating = True
            try:
                self._fill_legend(item, layer)
            finally:
                self._updating = False

    def legend(self, name: str) -> object:
        return self._legends.get(name)

    def _fill_legend(self, item: QtGui.QStandardItem, layer: LayerState) -> None:
        """One colour: the layer icon takes it; several: one row per class; a ramp: the ramp and its range."""
        item.removeRows(0, item.rowCount())
        block = self._legends.get(layer.name)
        if block is None:
            return
        swatches = list(getattr(block, "swatches", []))
        colormap, clim = getattr(block, "colormap", None), getattr(block, "clim", None)
        if len(swatches) == 1 and colormap is None:
            item.setIcon(icons.kind_icon(layer.kind, swatches[0][1]))
            return
        item.setIcon(icons.kind_icon(layer.kind))
        subtitle = getattr(block, "subtitle", "")
        if subtitle:
            item.appendRow(self._legend_row(subtitle, None, italic=True))
        for label, colour in swatches:
            item.appendRow(self._legend_row(str(label), icons.colour_swatch(colour)))
        if colormap is not None and clim is not None:
            item.appendRow(self._legend_row(f"{clim[0]:,.4g} – {clim[1]:,.4g}",
                                            icons.ramp_icon(colormap, width=16, height=16, steps=16)))

    @staticmethod
    def _legend_row(text: str, icon: QtGui.QIcon | None, *, italic: bool = False) -> QtGui.QStandardItem:
        row = QtGui.QStandardItem(text)
        if icon is not None:
            row.setIcon(icon)
        row.setData("legend", LEVEL_ROLE)
        row.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
        row.setForeground(QtGui.QBrush(QtGui.QColor("#404040")))
        if italic:
            font = row.font()
            font.setItalic(True)
            row.setFont(font)
        return row

    def _decorate(self, item: QtGui.QStandardItem, layer: LayerState) -> None:
        filtered = not self.model.lens.admits(layer.stage, layer.service)
        font = item.font()
        font.setItalic(filtered)
        item.setFont(font)
        item.setForeground(QtGui.QBrush(QtGui.QColor("#b03a2e" if layer.broken else "#9a9a9a" if filtered else "#202020")))
        info = layer.info
        text = html.escape  # names and values come from the project file: shown, never read as markup
        lines = [f"<b>{text(layer.name)}</b>" + (" — <b>broken</b>" if layer.broken else ""),
                 f"{text(layer.kind)}, {info.feature_count:,} features",
                 f"{stage_label(layer.stage, long=True)}, {text(service_label(layer.service))}"]
        if info.source_file:
            lines.append(f"source: {text(info.source_file)}")
        if filtered:
            lines.append(f"<i>hidden by the stage lens ({self.model.lens.describe()})</i>")
        for problem in layer.problems:
            lines.append(f"<span style='color:#b03a2e'>{text(problem)}</span>")
        item.setToolTip("<br>".join(lines))

    def _decorate_all(self) -> None:
        self._updating = True
        try:
            for item in self._walk():
                if item.data(LEVEL_ROLE) == "layer":
                    layer = self.model.layers.get(item.data(NAME_ROLE))
                    if layer is not None:
                        self._decorate(item, layer)
        finally:
            self._updating = False

    # ----- what the user does ----------------------------------------------------------------------
    def _on_item_changed(self, item: QtGui.QStandardItem) -> None:
        if self._updating:
            return
        level = item.data(LEVEL_ROLE)
        if level == "layer":
            name = item.data(NAME_ROLE)
            if item.text() != name:
                self._rename(item, name, item.text())
                return
            layer = self.model.layers.get(name)
            if layer is not None:
                layer.visible = item.checkState() == QtCore.Qt.CheckState.Checked
            self._updating = True
            try:
                self._sync_parents(item)
            finally:
                self._updating = False
        elif level in ("stage", "service"):
            state = item.checkState()
            if state == QtCore.Qt.CheckState.PartiallyChecked:
                return
            for child in self._walk(item):
                if child.data(LEVEL_ROLE) == "layer" and child.checkState() != state:
                    child.setCheckState(state)

    def _rename(self, item: QtGui.QStandardItem, old: str, new: str) -> None:
        try:
            self.model.rename_layer(old, new)
        except TwinError as exc:
            self._updating = True
            item.setText(old)
            self._updating = False
            self.error.emit(str(exc))

    def _sync_parents(self, item: QtGui.QStandardItem) -> None:
        parent = item.parent()
        while parent is not None:
            self._sync_group_check(parent)
            parent = parent.parent()

    def _sync_group_check(self, group: QtGui.QStandardItem) -> None:
        states = {child.checkState() for child in self._walk(group) if child.data(LEVEL_ROLE) == "layer"}
        if states == {QtCore.Qt.CheckState.Checked}:
            group.setCheckState(QtCore.Qt.CheckState.Checked)
        elif states == {QtCore.Qt.CheckState.Unchecked}:
            group.setCheckState(QtCore.Qt.CheckState.Unchecked)
        else:
            group.setCheckState(QtCore.Qt.CheckState.PartiallyChecked)

    def _walk(self, parent: QtGui.QStandardItem | None = None):
        root = parent if parent is not None else self.invisibleRootItem()
        for row in range(root.rowCount()):
            child = root.child(row)
            yield child
            yield from self._walk(child)


def _check(flag: bool) -> QtCore.Qt.CheckState:
    return QtCore.Qt.CheckState.Checked if flag else QtCore.Qt.CheckState.Unchecked
