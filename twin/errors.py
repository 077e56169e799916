"""Errors the user sees: one clear line naming the file, the object or line, and the reason."""

from __future__ import annotations


class TwinError(Exception):
    """Base class of errors shown to the user as a single line."""


class InputError(TwinError):
    """A source file cannot be imported.

    The message names the file, where in it (object id or line number) and why.
    """

    def __init__(self, path: object, reason: str, *, where: str | None = None) -> None:
        self.path = str(path)
        self.where = where
        self.reason = reason
        place = f"{self.path}: {where}" if where else self.path
        super().__init__(f"{place}: {reason}")


class ProjectError(TwinError):
    """The project file is missing, damaged or asked for something it does not hold."""


class ImportCancelled(TwinError):
    """The user cancelled an import; the project is unchanged."""
