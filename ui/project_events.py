"""Project events as Qt signals: the core calls plain callbacks; widgets connect to signals.

An import writes its layers on a worker thread, so the project's callbacks may run there: Qt queues
signals emitted from another thread to receivers living on the GUI thread, so every slot still runs
on the main thread.
"""

from __future__ import annotations

from PySide6 import QtCore

from twin.store.project import Project


class QtProjectEvents(QtCore.QObject):
    """Relays :meth:`Project.subscribe` callbacks as signals."""

    layer_added = QtCore.Signal(str)
    layer_removed = QtCore.Signal(str)
    layer_renamed = QtCore.Signal(str, str)
    layer_styled = QtCore.Signal(str)
    layer_changed = QtCore.Signal(str)
    #: any change of the layer catalogue (after each of the above)
    catalogue_changed = QtCore.Signal()

    def __init__(self, project: Project, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self._active = True
        project.subscribe(self._relay)

    def detach(self) -> None:
        """Stop relaying (the project is being closed)."""
        self._active = False

    def _relay(self, event: str, *args: object) -> None:
        if not self._active:
            return
        signal = {
            "added": self.layer_added,
            "removed": self.layer_removed,
            "renamed": self.layer_renamed,
            "styled": self.layer_styled,
            "changed": self.layer_changed,
        }.get(event)
        if signal is not None:
            signal.emit(*args)
        self.catalogue_changed.emit()
