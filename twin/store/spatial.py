"""DuckDB connections with the spatial extension loaded offline from its wheel."""

from __future__ import annotations

import os
import pathlib
import re
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
        str(path), read_only=read_only, config={"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                                                # bulk appends go to disk a row group at a time, not five: a
                                                # streamed import's transaction holds less (docs/scale.md)
                                                "write_buffer_row_group_count": 1}
    )
    try:
        con.execute(f"LOAD '{spatial_extension_path()}'")  # before external access is turned off
        if _already_locked(con):  # the file is open elsewhere in this process: DuckDB shares its instance
            _check_same_access(con, external_access, allowed_directories, path)
            return con
        con.execute("SET GLOBAL TimeZone = 'UTC'")  # cursors inherit it; it cannot be set once locked
        limit = memory_limit(read_only=read_only)
        if limit:  # before the lock: a streamed import's buffers stay bounded (docs/scale.md)
            con.execute(f"SET memory_limit = '{limit}'")
        if not external_access:
            lock_down(con, allowed_directories)
    except BaseException:
        con.close()
        raise
    return con


#: DuckDB's memory limit on read-write connections (imports); read-only ones keep DuckDB's default
WRITE_MEMORY_LIMIT = "1GB"
_LIMIT = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.I)


def memory_limit(*, read_only: bool) -> str | None:
    """``$TWIN_DUCKDB_MEMORY_LIMIT`` (e.g. ``4GB``; any connection), else :data:`WRITE_MEMORY_LIMIT` for a
    read-write connection: DuckDB keeps the blocks a long import transaction writes cached up to its limit
    (80% of RAM by default), which would make a streamed import's memory grow with the file."""
    given = os.environ.get("TWIN_DUCKDB_MEMORY_LIMIT", "").strip()
    if given and _LIMIT.match(given):
        return given
    return None if read_only else WRITE_MEMORY_LIMIT


def _already_locked(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT current_setting('lock_configuration')").fetchone()[0])


def _check_same_access(con: duckdb.DuckDBPyConnection, external_access: bool,
                       allowed_directories: Iterable[str | pathlib.Path], path: str | pathlib.Path) -> None:
    """A second connection to a database instance that is already locked down gets that instance's access:
    refuse it when it asks for more (file access, or other folders) than the instance allows."""
    wanted = sorted(_folder(d) for d in allowed_directories)
    temp = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]  # DuckDB allows its own
    spill = str(pathlib.Path(temp).resolve()).rstrip("/") + "/" if temp else None
    current = sorted(d for d in con.execute("SELECT current_setting('allowed_directories')").fetchone()[0] or []
                     if d != spill)
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
