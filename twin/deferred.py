"""Modules that are imported on the way to a picture but not used there: their code runs when first used.

pyvista 0.49 imports ``matplotlib.pyplot`` at the top of ``pyvista.plotting.colors`` and ``charts`` and uses it
only inside functions ``twin`` never calls (``get_matplotlib_theme_cycler``, the 2D charts); running pyplot costs
about 0.3 s of CPU at every start (its Artist classes build their docstrings). :func:`defer` makes such an
import put a module object in ``sys.modules`` whose code runs on the first attribute anyone reads, as
:class:`importlib.util.LazyLoader` does, except that the attributes the import system itself reads
(``__spec__``, ``__name__``, ...) do not count as a use: on Python 3.11 the LazyLoader runs the module as soon
as a second ``import`` checks its ``__spec__``. Only plain modules are deferred, never packages (a package's
submodules would run before its ``__init__``). docs/startup.md says what each start-up fix buys.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import types

#: attributes the import machinery reads from a module: reading them is not a use
_PASSIVE = frozenset({"__name__", "__spec__", "__loader__", "__package__", "__path__", "__file__", "__cached__",
                      "__class__", "__dict__", "__warningregistry__"})
_lock = threading.RLock()


class _Deferred(types.ModuleType):
    """A module whose code has not run yet; the first attribute read (but the import system's) runs it."""

    def __getattribute__(self, attr: str):
        if attr in _PASSIVE:
            return super().__getattribute__(attr)
        _run(self)
        return getattr(self, attr)

    def __dir__(self) -> list[str]:
        _run(self)
        return dir(self)


def _run(module: types.ModuleType) -> None:
    """Run a deferred module's code in place (so every reference to it sees the real module)."""
    with _lock:
        if type(module) is not _Deferred:
            return
        spec = object.__getattribute__(module, "__spec__")
        real = spec.loader.loader
        spec.loader = real
        module.__class__ = types.ModuleType
        module.__loader__ = real
        try:
            real.exec_module(module)
        except BaseException:
            if sys.modules.get(spec.name) is module:
                del sys.modules[spec.name]
            raise


class _DeferringLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__class__ = _Deferred


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the modules named to :func:`defer` (once each) and hands them a deferring loader."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def find_spec(self, name, path=None, target=None):
        if name not in self.names or target is not None:
            return None
        self.names.discard(name)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.submodule_search_locations is not None or not hasattr(spec.loader, "exec_module"):
            return None  # a package, or not found here: the other finders import it as usual
        spec.loader = _DeferringLoader(spec.loader)
        return spec


_finder = _Finder()


def defer(*names: str) -> None:
    """Defer the code of these (plain, not yet imported) modules until first used; idempotent."""
    with _lock:
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        _finder.names.update(name for name in names if name not in sys.modules)


def pending(name: str) -> bool:
    """Whether ``name`` is imported but its code has not run yet."""
    return type(sys.modules.get(name)) is _Deferred
