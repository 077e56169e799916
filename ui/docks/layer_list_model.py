"""The layer tree as a Qt item model bound to a project: groups by stage (1-4, then "No stage") and by
service; layer rows carry their visibility (a check box, saved in the layer's style) and the stage
filter (layers of later stages are hidden and shown greyed)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from twin import stages
from twin.errors import TwinError
from twin.store.project import LayerInfo, Project
from twin_ui import icons
from twin_ui.project_events import QtProjectEvents

NAME_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
LEVEL_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2  # "stage", "service" or "layer"
STAGES = (1, 2, 3, 4, None)
NO_SERVICE = "(no service)"


def stage_label(stage: int | None, *, long: bool = False) -> str:
    """``Stage 2`` (or ``Stage 2 · U-City infrastructure in new towns`` with ``long``), ``No stage``."""
    if stage is None:
        return "No stage"
    if long:
        info = _stage_info(stage)
        if info is not None:
            return f"Stage {stage} · {info.title}"
    return f"Stage {stage}"


_STAGES: dict[int, object] | None = None


def reload_stages() -> None:
    """Read the stages the plugins declare again (the tree does it on every rebuild)."""
    global _STAGES
    _STAGES = {item.number: item for item in stages.stages()}


def _stage_info(stage: int):
    if _STAGES is None:
        reload_stages()
    return _STAGES.get(stage)


def stage_colour(stage: int | None) -> str:
    info = _stage_info(stage) if stage is not None else None
    return info.color if info is not None else "#808080"


def service_label(service: str | None) -> str:
    """The title a plugin gives a service id (``traffic`` -> ``Traffic``), else the text itself."""
    if not service:
        return NO_SERVICE
    try:
        return stages.service(service).title
    except KeyError:
        return service


def is_visible(layer: LayerInfo) -> bool:
    """The visibility saved in a layer's style (visible unless said otherwise)."""
    return bool(layer.style.get("visible", True))


class LayerTreeModel(QtGui.QStandardItemModel):
    """Layers of ``project`` grouped by stage and service; rebuilt when the catalogue changes."""

    #: a layer's effective visibility changed (its check box or the stage filter): name, visible
    visibility_changed = QtCore.Signal(str, bool)
    #: something the user asked for failed (e.g. a rename to an existing name)
    error = QtCore.Signal(str)

    def __init__(self, project: Project, events: QtProjectEvents | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.stage_filter: int | None = None
        self._layers: dict[str, LayerInfo] = {}
        self._legends: dict[str, object] = {}
        self._updating = False
        self.setHorizontalHeaderLabels(["Layer"])
        self.itemChanged.connect(self._on_item_changed)
        if events is not None:
            queued = QtCore.Qt.ConnectionType.QueuedConnection  # never rebuild inside an item's own signal
            for signal in (events.layer_added, events.layer_removed, events.layer_changed):
                signal.connect(self.refresh, queued)
            events.layer_renamed.connect(self.refresh, queued)
            events.layer_styled.connect(self.update_layer)
        self.refresh()

    # ----- queries -------------------------------------------------------------------------
    def layers(self) -> list[LayerInfo]:
        return list(self._layers.values())

    def layer(self, name: str) -> LayerInfo | None:
        return self._layers.get(name)

    def passes_stage_filter(self, layer: LayerInfo) -> bool:
        """True when the stage filter lets the layer through (layers without a stage always pass)."""
        return self.stage_filter is None or layer.stage is None or layer.stage <= self.stage_filter

    def effective_visible(self, name: str) -> bool:
        """Visible in 3D: its check box is on and the stage filter lets it through."""
        layer = self._layers.get(name)
        return layer is not None and is_visible(layer) and self.passes_stage_filter(layer)

    def item_for(self, name: str) -> QtGui.QStandardItem | None:
        """The tree item of a layer."""
        for item in self._walk():
            if item.data(LEVEL_ROLE) == "layer" and item.data(NAME_ROLE) == name:
                return item
        return None

    # ----- building ------------------------------------------------------------------------
    def refresh(self, *_signal_args: object) -> None:
        """Rebuild the tree from the project's catalogue."""
        before = {name: self.effective_visible(name) for name in self._layers}
        reload_stages()
        self._layers = {layer.name: layer for layer in self.project.layers()}
        self._updating = True
        try:
            self.removeRows(0, self.rowCount())
            for stage in STAGES:
                in_stage = [la for la in self._layers.values() if la.stage == stage]
                if not in_stage:
                    continue
                stage_item = self._group_item(stage_label(stage, long=True), "stage", stage, stage_colour(stage))
                info = _stage_info(stage) if stage is not None else None
                if info is not None:
                    stage_item.setToolTip(f"<b>Stage {stage}: {info.title}</b> ({info.title_ko}, {info.period})"
                                          f"<br>{info.description}")
                services = sorted({la.service or NO_SERVICE for la in in_stage}, key=lambda s: (s == NO_SERVICE, s))
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
        for name in self._layers:
            now = self.effective_visible(name)
            if before.get(name) is not None and before[name] != now:
                self.visibility_changed.emit(name, now)

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

    def _layer_item(self, layer: LayerInfo) -> QtGui.QStandardItem:
        item = QtGui.QStandardItem(icons.kind_icon(layer.kind), layer.name)
        item.setData("layer", LEVEL_ROLE)
        item.setData(layer.name, NAME_ROLE)
        item.setEditable(True)
        item.setCheckable(True)
        item.setCheckState(QtCore.Qt.CheckState.Checked if is_visible(layer) else QtCore.Qt.CheckState.Unchecked)
        self._decorate(item, layer)
        self._fill_legend(item, layer)
        return item

    # ----- legend ----------------------------------------------------------------------------
    def set_legend(self, name: str, block: object) -> None:
        """Show a layer's legend (a :class:`twin.render.overlay.LegendBlock`) under its row."""
        self._legends[name] = block
        item = self.item_for(name)
        layer = self._layers.get(name)
        if item is not None and layer is not None:
            self._updating = True
            try:
                self._fill_legend(item, layer)
            finally:
                self._updating = False

    def legend(self, name: str) -> object:
        return self._legends.get(name)

    def _fill_legend(self, item: QtGui.QStandardItem, layer: LayerInfo) -> None:
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
            item.appendRow(self._legend_row(f"{clim[0]:,.4g} – {clim[1]:,.4g}", icons.ramp_icon(colormap, width=16, height=16, steps=16)))

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

    def _decorate(self, item: QtGui.QStandardItem, layer: LayerInfo) -> None:
        filtered = not self.passes_stage_filter(layer)
        font = item.font()
        font.setItalic(filtered)
        item.setFont(font)
        item.setForeground(QtGui.QBrush(QtGui.QColor("#9a9a9a" if filtered else "#202020")))
        lines = [f"<b>{layer.name}</b>", f"{layer.kind}, {layer.feature_count:,} features",
                 f"{stage_label(layer.stage, long=True)}, {service_label(layer.service)}"]
        if layer.source_file:
            lines.append(f"source: {layer.source_file}")
        if filtered:
            lines.append(f"<i>hidden by the stage filter (Stage {self.stage_filter})</i>")
        item.setToolTip("<br>".join(lines))

    # ----- changes -------------------------------------------------------------------------
    def set_stage_filter(self, stage: int | None) -> None:
        """Show the city as it was at ``stage`` (layers of later stages hidden); ``None`` shows all."""
        before = {name: self.effective_visible(name) for name in self._layers}
        self.stage_filter = stage
        for item in self._walk():
            if item.data(LEVEL_ROLE) == "layer":
                self._decorate(item, self._layers[item.data(NAME_ROLE)])
        for name, was in before.items():
            if self.effective_visible(name) != was:
                self.visibility_changed.emit(name, not was)

    def set_visible(self, name: str, visible: bool) -> None:
        """Turn a layer on or off (saved in the project's style of the layer)."""
        item = self.item_for(name)
        if item is not None:
            item.setCheckState(QtCore.Qt.CheckState.Checked if visible else QtCore.Qt.CheckState.Unchecked)

    def update_style(self, name: str, **changes: object) -> None:
        """Merge ``changes`` into a layer's style and save it in the project."""
        layer = self._layers.get(name)
        if layer is None:
            return
        self.project.set_style(name, {**layer.style, **changes})
        self._layers[name] = self.project.layer(name)

    def update_layer(self, name: str) -> None:
        """Re-read one layer's catalogue entry (after its style changed) without rebuilding the tree."""
        try:
            self._layers[name] = self.project.layer(name)
        except TwinError:
            return

    def _on_item_changed(self, item: QtGui.QStandardItem) -> None:
        if self._updating:
            return
        level = item.data(LEVEL_ROLE)
        if level == "layer":
            name = item.data(NAME_ROLE)
            if item.text() != name:
                self._rename(item, name, item.text())
                return
            self._store_visibility(name, item.checkState() == QtCore.Qt.CheckState.Checked)
            self._updating = True
            try:
                parent = item.parent()
                while parent is not None:
                    self._sync_group_check(parent)
                    parent = parent.parent()
            finally:
                self._updating = False
        elif level in ("stage", "service"):
            state = item.checkState()
            if state == QtCore.Qt.CheckState.PartiallyChecked:
                return
            for child in self._walk(item):
                if child.data(LEVEL_ROLE) == "layer" and child.checkState() != state:
                    child.setCheckState(state)

    def _store_visibility(self, name: str, visible: bool) -> None:
        layer = self._layers.get(name)
        if layer is None or is_visible(layer) == visible:
            return
        was = self.effective_visible(name)
        style = dict(layer.style, visible=visible)
        self.project.set_style(name, style)
        self._layers[name] = self.project.layer(name)
        if self.effective_visible(name) != was:
            self.visibility_changed.emit(name, not was)

    def _rename(self, item: QtGui.QStandardItem, old: str, new: str) -> None:
        try:
            self.project.rename_layer(old, new)
        except TwinError as exc:
            self._updating = True
            item.setText(old)
            self._updating = False
            self.error.emit(str(exc))

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
