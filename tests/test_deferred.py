"""twin.deferred: a deferred module runs its code on first use only, once, in place (start-up, docs/startup.md)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _child(tmp_path, body: str) -> str:
    (tmp_path / "heavy_mod.py").write_text(textwrap.dedent("""\
        import builtins
        builtins.HEAVY_RUNS = getattr(builtins, "HEAVY_RUNS", 0) + 1
        VALUE = 42
        def answer():
            return VALUE
    """), encoding="utf-8")
    pkg = tmp_path / "heavy_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import builtins\nbuiltins.PKG_RUNS = 1\n", encoding="utf-8")
    code = "import builtins, sys\nsys.path.insert(0, %r)\nfrom twin.deferred import defer, pending\n" % str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code + textwrap.dedent(body)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_deferred_module_runs_on_first_attribute_once(tmp_path):
    out = _child(tmp_path, """
        defer("heavy_mod")
        import heavy_mod
        import heavy_mod as again            # a second import reads __spec__: not a use
        print(getattr(builtins, "HEAVY_RUNS", 0), pending("heavy_mod"), repr(heavy_mod).startswith("<module"))
        print(heavy_mod.answer(), getattr(builtins, "HEAVY_RUNS", 0), pending("heavy_mod"), again is heavy_mod)
        from heavy_mod import VALUE
        print(VALUE, builtins.HEAVY_RUNS)
    """)
    assert out.split("\n")[:3] == ["0 True True", "42 1 False True", "42 1"]


def test_from_import_and_dir_run_it_and_packages_are_never_deferred(tmp_path):
    out = _child(tmp_path, """
        defer("heavy_mod", "heavy_pkg")
        from heavy_mod import answer
        print(answer(), builtins.HEAVY_RUNS)
        import heavy_pkg
        print(pending("heavy_pkg"), builtins.PKG_RUNS)
    """)
    assert out.split("\n")[:2] == ["42 1", "False 1"]


def test_pyplot_deferred_by_pyvista_still_works_when_used(tmp_path):
    out = _child(tmp_path, """
        import os
        os.environ["MPLBACKEND"] = "Agg"
        defer("matplotlib.pyplot")
        import pyvista.plotting.colors as colors
        print(pending("matplotlib.pyplot"), "matplotlib.figure" in sys.modules)
        print(colors.get_matplotlib_theme_cycler() is not None, pending("matplotlib.pyplot"))
        import matplotlib.pyplot as plt
        print(type(plt.figure()).__name__)
    """)
    assert out.split("\n")[:3] == ["True False", "True False", "Figure"]
