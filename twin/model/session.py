"""An open project as a user works on it: the store, its read-only view, the import service and the
persistence of a model. The window and the CLI open files through here (``Session.open``), so that the
rest of the code sees a model and a reader, never the database connection."""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

from twin.model.sync import StoreSync
from twin.model.twin import TwinModel
from twin.plugins.registry import PluginRegistry
from twin.store.project import PROJECT_SUFFIX, Project, with_project_suffix
from twin.store.reader import ProjectReader

if TYPE_CHECKING:  # the import service (pyproj, the writer) is loaded when first used: `twin render` never needs it
    from twin.io.service import ImportOutcome, ImportService

__all__ = ["PROJECT_SUFFIX", "Session", "with_project_suffix"]


class Session:
    """One open project file (see the module docstring). Close it when done (or use ``with``)."""

    def __init__(self, project: Project, *, registry: PluginRegistry | None = None) -> None:
        self.project = project
        self.reader = ProjectReader(project)
        self._registry = registry
        self._imports: ImportService | None = None
        self.sync: StoreSync | None = None
        self.model: TwinModel | None = None

    @classmethod
    def open(cls, path: str | pathlib.Path | None, *, create: bool = False, read_only: bool = False,
             crs: str | None = None, registry: PluginRegistry | None = None, shared: bool = False) -> "Session":
        """Open (``create``: or make) a project file; ``None`` opens an empty in-memory project. ``shared`` (the
        window) holds the file read-only between writes, so other commands can read it meanwhile."""
        return cls(Project.open(path, create=create, read_only=read_only, crs=crs, shared=shared), registry=registry)

    @property
    def path(self) -> pathlib.Path | None:
        return self.project.path

    @property
    def imports(self) -> "ImportService":
        """The import service of this project (made on first use)."""
        if self._imports is None:
            from twin.io.service import ImportService

            self._imports = ImportService(self.project, registry=self._registry)
        return self._imports

    def bind(self, model: TwinModel) -> TwinModel:
        """Show this project in ``model`` and write the model's changes back into the file from now on."""
        self.unbind()
        model.open(self.reader)
        self.model = model
        if not self.project.read_only:
            self.sync = StoreSync(model, self.project)
        return model

    def unbind(self) -> None:
        """Stop writing the model's changes (before another project is shown in it)."""
        if self.sync is not None:
            self.sync.detach()
            self.sync = None
        self.model = None

    def adopt(self, outcome: "ImportOutcome") -> None:
        """Show the layers an import just wrote in the bound model (call on the model's thread)."""
        if self.model is not None:
            self.model.add_layers(outcome.layers)

    def save(self) -> None:
        """Fold the write-ahead log into the file (everything is committed as it is made)."""
        self.project.save()

    def save_as(self, target: str | pathlib.Path) -> pathlib.Path:
        """Write a complete copy of the project to ``target``; returns its path (this one stays open)."""
        return self.project.save_as(target)

    def close(self) -> None:
        self.unbind()
        self.project.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
