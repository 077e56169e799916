"""DuckDB connections with the spatial extension loaded offline from its wheel."""

from __future__ import annotations

import pathlib

import duckdb


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


def connect(path: str | pathlib.Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB database with the spatial extension loaded (never downloads anything)."""
    con = duckdb.connect(
        str(path), read_only=read_only, config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute(f"LOAD '{spatial_extension_path()}'")
    return con
