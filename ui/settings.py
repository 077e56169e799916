"""What the app remembers between sessions (QSettings): recent projects, window state, preferences,
SQL history. One small typed wrapper so that no widget spells setting keys by hand."""

from __future__ import annotations

import pathlib

from PySide6 import QtCore

ORGANIZATION = "SmartCityTwin"
APPLICATION = "twin-app"
MAX_RECENT = 10
MAX_HISTORY = 200


class AppSettings:
    """Typed access to the app's QSettings (an INI file in the user's config folder)."""

    def __init__(self, settings: QtCore.QSettings | None = None) -> None:
        self.qsettings = settings or QtCore.QSettings(
            QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
        )

    # ----- recent projects -----------------------------------------------------------------
    def recent_projects(self) -> list[str]:
        """Recently opened project files, newest first (files that no longer exist are dropped)."""
        value = self._list("recent/projects")
        return [p for p in value if pathlib.Path(p).exists()]

    def add_recent_project(self, path: str | pathlib.Path) -> None:
        """Put ``path`` first in the recent list."""
        text = str(pathlib.Path(path).resolve())
        items = [text] + [p for p in self._list("recent/projects") if p != text]
        self.qsettings.setValue("recent/projects", items[:MAX_RECENT])

    def clear_recent_projects(self) -> None:
        self.qsettings.setValue("recent/projects", [])

    # ----- SQL history ---------------------------------------------------------------------
    def query_history(self) -> list[str]:
        """Queries run in the SQL console, newest first."""
        return self._list("sql/history")

    def add_query(self, sql: str) -> None:
        sql = sql.strip()
        if not sql:
            return
        items = [sql] + [q for q in self._list("sql/history") if q != sql]
        self.qsettings.setValue("sql/history", items[:MAX_HISTORY])

    # ----- window --------------------------------------------------------------------------
    def window_state(self) -> tuple[QtCore.QByteArray | None, QtCore.QByteArray | None]:
        """Saved (geometry, dock/toolbar state) of the main window."""
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        return (geometry if isinstance(geometry, QtCore.QByteArray) else None,
                state if isinstance(state, QtCore.QByteArray) else None)

    def save_window_state(self, geometry: QtCore.QByteArray, state: QtCore.QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    # ----- preferences ---------------------------------------------------------------------
    def preference(self, key: str, default: object) -> object:
        """A preference (``prefs/<key>``), converted to the type of ``default``."""
        value = self.qsettings.value(f"prefs/{key}", default)
        if isinstance(default, bool):
            return value in (True, "true", "1", 1)
        if isinstance(default, int):
            try:
                return int(value)
            except (TypeError, ValueError):
                return default
        if isinstance(default, float):
            try:
                return float(value)
            except (TypeError, ValueError):
                return default
        return value

    def set_preference(self, key: str, value: object) -> None:
        self.qsettings.setValue(f"prefs/{key}", value)

    def last_directory(self) -> str:
        """The folder of the last file dialog (home when none)."""
        return str(self.qsettings.value("dialogs/last_directory", str(pathlib.Path.home())))

    def set_last_directory(self, path: str | pathlib.Path) -> None:
        folder = pathlib.Path(path)
        self.qsettings.setValue("dialogs/last_directory", str(folder if folder.is_dir() else folder.parent))

    def sync(self) -> None:
        """Write pending changes to disk."""
        self.qsettings.sync()

    def _list(self, key: str) -> list[str]:
        value = self.qsettings.value(key, [])
        if value is None:
            return []
        if isinstance(value, str):
            return [value] if value else []
        return [str(v) for v in value]
