"""Machine checks of the architecture (docs/architecture.md): the import-linter contracts of pyproject.toml
(the core never imports Qt, the store nothing above it, the import service neither the window nor the
plugins, plugins only twin.api, the layers of the core), the core importing with Qt blocked, the window
reaching the project only through the model, and no ``if kind == ...`` ladders in the window."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
LINT_IMPORTS = pathlib.Path(sys.executable).with_name("lint-imports")

BLOCK_QT = r"""
import importlib.abc, pkgutil, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'pyvistaqt', 'PyQt5', 'PyQt6', 'qtpy', 'twin_ui'):
            raise ImportError('Qt is blocked in the core: ' + name)
sys.meta_path.insert(0, Block())
import twin
for info in pkgutil.walk_packages(twin.__path__, 'twin.'):
    __import__(info.name)
print('ok', len(sys.modules))
"""


def test_core_imports_with_qt_blocked():
    result = subprocess.run([sys.executable, "-c", BLOCK_QT], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_builtin_plugins_use_only_the_public_api():
    offenders = []
    for path in (REPO / "plugins").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*(?:from|import)\s+(twin(?:\.[\w.]+)?)(?![\w])", line)  # twin_plugins is not the core
            if match and not (match.group(1) == "twin.api" or match.group(1).startswith("twin.api.")):
                offenders.append(f"{path.relative_to(REPO)}: {line.strip()}")
    assert not offenders, "plugins must import the core through twin.api only:\n" + "\n".join(offenders)


def test_the_import_contracts_hold():
    """``lint-imports`` with the contracts of pyproject.toml: a broken rule fails the suite (and CI)."""
    assert LINT_IMPORTS.exists(), f"import-linter is not installed beside {sys.executable} (the 'test' extra)"
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    kept = re.findall(r"^(.+?) KEPT$", result.stdout, flags=re.M)
    assert len(kept) >= 6 and "BROKEN" not in result.stdout


def test_at_most_three_window_modules_import_the_store():
    """Opening and creating projects only; every other widget binds to the model (TYPE_CHECKING included)."""
    importers = sorted(str(path.relative_to(REPO)) for path in (REPO / "ui").rglob("*.py")
                       if re.search(r"^\s*(from|import)\s+twin\.store\b", path.read_text(encoding="utf-8"), re.M))
    assert len(importers) <= 3, importers


def test_the_window_does_not_decide_by_layer_kind():
    """Layer kinds bring their icon, style controls and visual through the registry (twin.plugins.kinds)."""
    ladder = re.compile(r"""\.kind\s*(==|!=|\bin\b|\bnot in\b)|\bkind\s*(==|!=)\s*["']""")
    offenders = [f"{path.relative_to(REPO)}:{n}: {line.strip()}" for path in (REPO / "ui").rglob("*.py")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if ladder.search(line)]
    assert not offenders, "\n".join(offenders)
