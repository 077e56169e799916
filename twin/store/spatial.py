"""DuckDB connections with the spatial extension loaded offline from its wheel."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable

import duckdb

from twin.errors import ProjectError


def spatial_extension_path() -> pathlib.Path:
    """Path of the spatial extension shipped in the `duckdb-extension-spatial` wheel."""
    import duckdb_extension_spatial

    path = (
        pathlib.Path(duckdb_extension_spatial.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / "spatial.duckdb_extension"
    )
    if not path.exists():
        raise RuntimeError(
            f"DuckDB spatial extension not found at {path}: install duckdb=={duckdb.__version__} "
            f"with the matching duckdb-extension-spatial (see docs/stack.md)"
        )
    return path


def connect(
    path: str | pathlib.Path = ":memory:",
    *,
    read_only: bool = False,
    external_access: bool = True,
    allowed_directories: Iterable[str | pathlib.Path] = (),
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB database with the spatial extension loaded (never downloads anything).

    SQL runs in UTC (``TimeZone``, for every cursor of the connection). With ``external_access=False`` the
    connection then reaches no file but its own database: ``enable_external_access`` is turned off (no
    ``COPY ... TO``, ``read_text``, ``read_csv``, ``ATTACH``, ``INSTALL``/``LOAD``, ``ST_Read``...) and the
    configuration is locked, so no statement can turn it back on. Only the folders in
    ``allowed_directories`` stay reachable (DuckDB's ``allowed_directories``: reading *and* writing inside
    them). See docs/security.md.
    """
    con = duckdb.connect(
        str(path), read_only=read_only, config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        con.execute(f"LOAD '{spatial_extension_path()}'")  # before external access is turned off
        if _already_locked(con):  # the file is open elsewhere in this process: DuckDB shares its instance
            _check_same_access(con, external_access, allowed_directories, path)
            return con
        con.execute("SET GLOBAL TimeZone = 'UTC'")  # cursors inherit it; it cannot be set once locked
        if not external_access:
            lock_down(con, allowed_directories)
    except BaseException:
        con.close()
        raise
    return con


def _already_locked(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT current_setting('lock_configuration')").fetchone()[0])


def _check_same_access(con: duckdb.DuckDBPyConnection, external_access: bool,
                       allowed_directories: Iterable[str | pathlib.Path], path: str | pathlib.Path) -> None:
    """A second connection to a database instance that is already locked down gets that instance's access:
    refuse it when it asks for more (file access, or other folders) than the instance allows."""
    wanted = sorted(_folder(d) for d in allowed_directories)
    current = sorted(con.execute("SELECT current_setting('allowed_directories')").fetchone()[0] or [])
    if external_access or (wanted and wanted != current):
        con.close()
        raise ProjectError(f"{path}: already open in this process with other file access; close it first")


def lock_down(con: duckdb.DuckDBPyConnection, allowed_directories: Iterable[str | pathlib.Path] = ()) -> None:
    """Turn off DuckDB's access to files and the network on ``con`` (all its cursors), except inside
    ``allowed_directories``, and lock the configuration so that no statement can change it again."""
    folders = [_folder(d) for d in allowed_directories]
    if folders:
        con.execute("SET allowed_directories = ?", [folders])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def open_with_datasets(
    path: str | pathlib.Path, directories: Iterable[str | pathlib.Path], *, read_only: bool = True
) -> duckdb.DuckDBPyConnection:
    """A locked-down connection to ``path`` that can read external datasets in exactly ``directories``
    (for layers that reference files by path instead of holding their rows); nothing else is reachable."""
    return connect(path, read_only=read_only, external_access=False, allowed_directories=directories)


def _folder(directory: str | pathlib.Path) -> str:
    """An absolute folder path ending in a separator (DuckDB matches ``allowed_directories`` as prefixes)."""
    folder = pathlib.Path(directory).expanduser().resolve()
    if not folder.is_dir():
        raise ProjectError(f"{directory}: not a folder (a folder DuckDB may reach was asked for)")
    return str(folder).rstrip("/") + "/"
