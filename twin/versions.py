"""The versions of the app and of the stack it runs on, as loaded in this process (the About box, bug reports)."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

import twin


def dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def versions(*, gui: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(component, version) of the app and its stack; ``gui`` rows (Qt, PySide6: the window knows them) come
    after Python."""
    import duckdb
    import pyproj
    from vtkmodules.vtkCommonCore import vtkVersion

    rows = [
        ("Smart City Twin", twin.__version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}, {sys.platform})"),
        *(gui or []),
        ("VTK", vtkVersion.GetVTKVersion()),
        ("PyVista", dist_version("pyvista")),
        ("pyvistaqt", dist_version("pyvistaqt")),
        ("DuckDB", duckdb.__version__),
        ("DuckDB spatial extension", _spatial_version()),
        ("pyogrio", dist_version("pyogrio")),
        ("GDAL", _gdal_version()),
        ("pyproj", pyproj.__version__),
        ("PROJ", pyproj.proj_version_str),
        ("shapely / GEOS", f"{dist_version('shapely')} / {_geos_version()}"),
        ("pyarrow", dist_version("pyarrow")),
        ("numpy", dist_version("numpy")),
    ]
    return rows


def _spatial_version() -> str:
    try:
        from twin.store.spatial import connect

        con = connect()
        try:
            row = con.execute(
                "SELECT extension_version FROM duckdb_extensions() WHERE extension_name = 'spatial'").fetchone()
        finally:
            con.close()
        build = row[0] if row and row[0] else "?"
        return f"{dist_version('duckdb-extension-spatial')} (build {build})"
    except Exception as exc:  # noqa: BLE001 - the About box must open even with a broken extension
        return f"unavailable ({exc})"


def _gdal_version() -> str:
    try:
        import pyogrio

        return pyogrio.__gdal_version_string__
    except Exception:  # noqa: BLE001
        return "unavailable"


def _geos_version() -> str:
    try:
        import shapely

        return shapely.geos_version_string
    except Exception:  # noqa: BLE001
        return "?"
