"""Machine checks of the architecture: the core never imports Qt; plugins use the public API only."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]

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
