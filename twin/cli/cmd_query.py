"""``twin query PROJECT "SQL"``: run SQL (with spatial functions) and print the result."""

from __future__ import annotations

import argparse
import json
import sys

import duckdb
import pyarrow as pa

from twin.errors import TwinError
from twin.store.project import Project
from twin.tabular.results import with_wkt


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("query", help="run SQL on the project (spatial functions available)")
    p.add_argument("project")
    p.add_argument("sql")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--max-rows", type=int, default=100, help="rows shown in table format (default 100)")
    return p


def run(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        try:
            result = project.query(args.sql)
        except duckdb.Error as exc:
            raise TwinError(f"SQL failed: {str(exc).splitlines()[0]}") from exc
    print_result(result, format=args.format, max_rows=args.max_rows)
    return 0


def print_result(result: pa.Table, *, format: str = "table", max_rows: int = 100) -> None:
    """Print a result on stdout as an aligned table, CSV or JSON rows (geometries as WKT)."""
    if format == "json":
        rows = with_wkt(result).to_pylist()
        json.dump(rows, sys.stdout, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    elif format == "csv":
        with_wkt(result).to_pandas().to_csv(sys.stdout, index=False)
    else:
        import pandas as pd

        frame = with_wkt(result, max_chars=60).to_pandas()
        with pd.option_context("display.max_rows", max_rows, "display.max_columns", 50, "display.width", 200):
            print(frame.head(max_rows).to_string(index=False) if len(frame) else "(no rows)")
        if len(frame) > max_rows:
            print(f"... {len(frame)} rows in all (--max-rows to see more)", file=sys.stderr)
