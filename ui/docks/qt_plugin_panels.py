"""Panels that plugins contribute (``[[panels]]``), hosted as dock widgets of the main window.

Every panel gets the window's :class:`twin.model.context.PanelContext`, a view of the window's model
(project reader, selection, time, stage lens, layers). Each panel gets a dock listed under View > Panels; the plugin's code is
imported and the panel built (``registry.call(contribution, context)``) only when its dock is first
shown, so plugins cost nothing at start-up. A panel that fails to build shows its error in the dock
and the registry disables its plugin; the window keeps working.
"""

from __future__ import annotations

import html

from PySide6 import QtCore, QtWidgets

from twin.model.context import PanelContext
from twin.plugins.registry import PluginRegistry

AREAS = {
    "left": QtCore.Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": QtCore.Qt.DockWidgetArea.RightDockWidgetArea,
    "bottom": QtCore.Qt.DockWidgetArea.BottomDockWidgetArea,
    "top": QtCore.Qt.DockWidgetArea.TopDockWidgetArea,
}


class QtPluginPanels(QtCore.QObject):
    """One dock per panel contribution of the enabled plugins."""

    def __init__(self, context: PanelContext, window: QtWidgets.QMainWindow, *,
                 registry: PluginRegistry | None = None) -> None:
        super().__init__(window)
        self.context = context
        self.window = window
        self.registry = registry or context.registry
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self.errors: dict[str, str] = {}
        try:
            contributions = self.registry.contributions("panels")
        except Exception as exc:  # noqa: BLE001 - a broken plugin set must not stop the window
            self.errors["*"] = str(exc)
            contributions = []
        for contribution in contributions:
            self._add_dock(contribution)

    def _add_dock(self, contribution) -> None:
        key = f"{contribution.plugin}/{contribution.id}"
        dock = QtWidgets.QDockWidget(contribution.title, self.window)
        dock.setObjectName(f"panel_{contribution.plugin}_{contribution.id}")
        dock.setToolTip(contribution.fields.get("description", ""))
        placeholder = QtWidgets.QLabel("Opening the panel…", dock)
        placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        dock.setWidget(placeholder)
        self.window.addDockWidget(AREAS.get(str(contribution.fields.get("area", "right")), AREAS["right"]), dock)
        dock.hide()
        dock.visibilityChanged.connect(lambda visible, c=contribution, d=dock: visible and self.build(c, d))
        dock.setProperty("built", False)
        self.docks[key] = dock

    def build(self, contribution, dock: QtWidgets.QDockWidget) -> QtWidgets.QWidget:
        """Build the panel of ``contribution`` into ``dock`` (once)."""
        if dock.property("built"):
            return dock.widget()
        dock.setProperty("built", True)
        try:
            widget = self.registry.call(contribution, self.context)
            if not isinstance(widget, QtWidgets.QWidget):
                raise TypeError(f"returned {type(widget).__name__}, not a QWidget")
        except Exception as exc:  # noqa: BLE001 - shown in the dock; the registry disabled the plugin
            text = f"{contribution.plugin}: panel {contribution.id!r} could not be built: {exc}"
            self.errors[f"{contribution.plugin}/{contribution.id}"] = text
            widget = QtWidgets.QLabel(f"<span style='color:#b03a2e'>{html.escape(text)}</span>", dock)
            widget.setWordWrap(True)
            widget.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
            widget.setMargin(8)
        dock.setWidget(widget)
        return widget

    def toggle_actions(self) -> list:
        """Show/hide actions of the panels' docks, for the View > Panels menu."""
        return [dock.toggleViewAction() for dock in self.docks.values()]
