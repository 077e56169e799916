"""``twin query PROJECT "SQL" [--write] [--allow-files DIR]``: run one SQL statement (spatial functions
available) and print the result.

By default the project is opened read-only and the statement must read (one SELECT, see
:mod:`twin.store.statements`); DuckDB reaches no file but the project. ``--write`` runs one INSERT, UPDATE or
DELETE on a layer table (never the catalogue, never a layer's number of features); ``--allow-files DIR``
lets the statement read (and ``COPY ... TO``) files inside DIR only. A refused statement is one line saying
why, and exit code 1 (docs/security.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from twin.cli.output import dump_json, visible
from twin.errors import TwinError

if TYPE_CHECKING:  # the store and Arrow are imported when the command runs, not for ``twin --help``
    import pyarrow as pa

    from twin.store.project import Project


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("query", help="run one SQL statement on the project (read-only unless --write)")
    p.add_argument("project")
    p.add_argument("sql")
    p.add_argument("--write", action="store_true",
                   help="open read-write and run one INSERT, UPDATE or DELETE on a layer table (not the catalogue)")
    p.add_argument("--allow-files", action="append", metavar="DIR", default=[],
                   help="let the statement read files in DIR (and COPY ... TO a file there); repeat for several")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--max-rows", type=int, default=100, help="rows shown in table format (default 100)")
    return p


def run(args: argparse.Namespace) -> int:
    import duckdb

    from twin.store.project import Project

    with Project.open(args.project, read_only=not args.write, allowed_directories=args.allow_files) as project:
        try:
            result = run_statement(project, args.sql, write=args.write, files=bool(args.allow_files))
        except duckdb.PermissionException as exc:
            raise TwinError(f"SQL failed: {str(exc).splitlines()[0]} (twin query reaches no file but the project "
                            "unless --allow-files DIR)") from exc
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            if "Could not open GDAL dataset" in first and not args.allow_files:  # GDAL hides DuckDB's refusal
                first += " (twin query reaches no file but the project unless --allow-files DIR)"
            raise TwinError(f"SQL failed: {first}") from exc
        if args.write:
            project.save()
    print_result(result, format=args.format, max_rows=args.max_rows)
    return 0


def run_statement(project: Project, sql: str, *, write: bool = False, files: bool = False) -> pa.Table:
    """Check ``sql`` against what ``twin query`` allows (module docstring), then run it."""
    from twin.store.statements import check_reading, check_writing, guarded_write

    if not write:
        with project.lock:
            check_reading(project.con, sql, allow_copy=files,
                          hint="twin query reads (one SELECT); --write runs one INSERT, UPDATE or DELETE on a layer table")
        return project.query(sql)
    layers = [layer for layer in project.layers() if not layer.broken]
    with project.lock:
        tables = {table for layer in layers for table in project.layer_tables(layer)}
        target = check_writing(project.con, sql, tables)
        if not target:  # a reading statement
            return project.query(sql)
        return guarded_write(project.con, sql, target, features={layer.table_name: layer.name for layer in layers})


def print_result(result: pa.Table, *, format: str = "table", max_rows: int = 100) -> None:
    """Print a result on stdout as an aligned table, CSV or JSON rows (geometries as WKT)."""
    from twin.tabular.results import with_wkt

    if format == "json":
        dump_json(with_wkt(result).to_pylist())  # strict JSON: NaN and infinities as null
    elif format == "csv":
        frame = with_wkt(result).to_pandas()
        (_visible_frame(frame) if sys.stdout.isatty() else frame).to_csv(sys.stdout, index=False)
    else:  # NULL as NULL, columns aligned by display width (Hangul takes two columns): twin/cli/table.py
        from twin.cli.table import format_table

        print(format_table(with_wkt(result.slice(0, max_rows), max_chars=60)) if result.num_rows else "(no rows)")
        if result.num_rows > max_rows:
            print(f"... {result.num_rows} rows in all (--max-rows to see more)", file=sys.stderr)


def _visible_frame(frame):
    """A copy of ``frame`` whose column names and text cells show control characters as escapes."""
    frame = frame.rename(columns=lambda name: visible(name))
    import pandas as pd

    for column in frame.columns:
        if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: visible(v) if isinstance(v, str) else v)
    return frame
