"""Which SQL a reader, the SQL console and ``twin query`` may run, decided on DuckDB's own parse before it runs.

- :func:`check_reading`: exactly one statement that reads: ``SELECT`` (``WITH``, ``FROM``, ``DESCRIBE``,
  ``SUMMARIZE``, ``SHOW``, ``PIVOT`` without ``ON`` discovery...) or ``EXPLAIN [ANALYZE]`` *of a SELECT*
  (``EXPLAIN ANALYZE DELETE ...`` runs the DELETE, so the explained statement is checked too). ``COPY`` only
  when the caller allows it (``twin query --allow-files`` on a read-only connection, where it can only
  write into the allowed folder).
- :func:`check_writing`: exactly one ``INSERT``, ``UPDATE`` or ``DELETE`` whose target is a layer table
  of the project and that names no catalogue table (:data:`CATALOGUE`).
- :func:`guarded_write`: runs such a statement in a transaction and rolls it back when it changed a
  catalogue table after all, or changed the number of features of a layer or broke their ``fid``
  0..n-1 (features come and go by importing, so the catalogue's counts and extents stay true).

Refusals raise :class:`StatementRefused` with one line saying why (docs/security.md).
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

from twin.errors import ProjectError
from twin.store.identifiers import quote, table_ref

#: the catalogue tables a statement given by a user may never touch
CATALOGUE = ("meta", "layers", "imports", "bookmarks", "tours", "links")
READING = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
WRITING = (duckdb.StatementType.INSERT, duckdb.StatementType.UPDATE, duckdb.StatementType.DELETE)

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_OPERATOR = re.compile(r"[^\sA-Za-z0-9_'\"]+")


class StatementRefused(ProjectError):
    """A statement was refused before it ran (the message says why)."""


def statements(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    """DuckDB's parse of ``sql`` (ProjectError with the parser's first line when it does not parse)."""
    try:
        return con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ProjectError(f"query: {str(exc).splitlines()[0]}") from None


def check_reading(con: duckdb.DuckDBPyConnection, sql: str, *, allow_copy: bool = False,
                  hint: str = "the project is read-only") -> None:
    """Raise :class:`StatementRefused` unless ``sql`` is exactly one reading statement (see the module)."""
    parsed = _one(con, sql)
    kind = parsed.type
    if kind == duckdb.StatementType.COPY and allow_copy:
        return
    if kind not in READING:
        raise StatementRefused(f"{kind_name(kind)} statements are not allowed here: {hint}")
    if kind == duckdb.StatementType.EXPLAIN and not _explains_select(con, parsed.query):
        raise StatementRefused(f"EXPLAIN of anything but a SELECT is not allowed here (EXPLAIN ANALYZE runs it): {hint}")


def check_writing(con: duckdb.DuckDBPyConnection, sql: str, layer_tables: set[str]) -> str:
    """The layer table that ``sql`` (one INSERT, UPDATE or DELETE) writes; StatementRefused otherwise."""
    parsed = _one(con, sql)
    if parsed.type in READING:
        check_reading(con, sql)
        return ""
    if parsed.type not in WRITING:
        raise StatementRefused(f"{kind_name(parsed.type)} statements are not allowed: --write runs one INSERT, UPDATE or "
                               "DELETE on a layer table (the catalogue changes through twin's own commands)")
    words = _words(parsed.query)
    touched = sorted({w.lower() for w, _ in words if w.lower() in CATALOGUE})
    if touched:
        raise StatementRefused(f"the statement names the catalogue table {touched[0]!r}: --write changes layer "
                               "tables only (import with twin import; rename, restyle or remove layers in the window)")
    target = _target(parsed.query, words, con)
    if target not in layer_tables:
        raise StatementRefused(f"{parsed.type.name} of {target!r} is not allowed: --write changes the tables of "
                               f"the project's layers only (lyr_<id>, lyr_<id>_<suffix>; see twin info)")
    return target


def guarded_write(con: duckdb.DuckDBPyConnection, sql: str, target: str, *, features: dict[str, str]) -> pa.Table:
    """Run one checked write on ``target`` in a transaction (see the module); ``features`` maps each layer's
    feature table to the layer's name. Returns the statement's result (a count, or its ``RETURNING`` rows)."""
    before = _fingerprints(con)
    count_before = _fid_state(con, target)[0] if target in features else None
    con.execute("BEGIN")
    try:
        result = con.execute(sql)
        table = result.to_arrow_table() if result.description is not None else pa.table({})
        after = _fingerprints(con)
        changed = [name for name in before if before[name] != after.get(name)]
        if changed:
            raise StatementRefused(f"the statement changed the catalogue table {changed[0]!r}; nothing was written")
        if count_before is not None:
            count, distinct, low, high = _fid_state(con, target)
            if count != count_before:
                raise StatementRefused(
                    f"the statement changes the number of features of layer {features[target]!r} ({count_before} -> "
                    f"{count}); features are added and removed by importing; nothing was written")
            if count and (distinct != count or low != 0 or high != count - 1):
                raise StatementRefused(f"the statement breaks the feature ids of layer {features[target]!r} "
                                       "(fid must stay 0..n-1); nothing was written")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return table


def kind_name(kind: duckdb.StatementType) -> str:
    """How a statement type is named to the user (DuckDB calls INSTALL a LOAD)."""
    return {"LOAD": "INSTALL and LOAD", "MERGE_INTO": "MERGE"}.get(kind.name, kind.name)


# ----- helpers ----------------------------------------------------------------------------------
def _one(con: duckdb.DuckDBPyConnection, sql: str):
    parsed = statements(con, sql)
    if len(parsed) != 1:
        raise StatementRefused(f"give one statement at a time (this query has {len(parsed)})")
    return parsed[0]


def _words(sql: str) -> list[tuple[str, int]]:
    """The tokens of ``sql`` as (text, position): words, quoted identifiers, strings ('...'), operators;
    comments are left out (DuckDB's own tokenizer)."""
    out = []
    for pos, kind in duckdb.tokenize(sql):
        rest = sql[pos:]
        if kind == duckdb.token_type.string_const:
            out.append(("'", pos))
        elif rest.startswith('"'):
            end = 1
            while True:
                end = rest.find('"', end)
                if end < 0 or not rest.startswith('""', end):
                    break
                end += 2
            out.append((rest[1:end].replace('""', '"') if end > 0 else rest[1:], pos))
        elif kind == duckdb.token_type.operator:
            match = _OPERATOR.match(rest)
            text = match.group(0) if match else rest[:1]
            out.append((text.split("/*")[0].split("--")[0] or text[:1], pos))
        else:
            match = _WORD.match(rest)
            out.append((match.group(0) if match else rest.split(None, 1)[0] if rest.strip() else "", pos))
    return out


def _explains_select(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    """True when an EXPLAIN statement explains one SELECT, however DuckDB reads its options."""
    words = _words(sql)
    i = 1
    if len(words) > 1 and words[1][0].lower() in ("analyze", "analyse"):
        i = 2
    if i >= len(words):
        return False
    starts = [words[i][1]]
    if words[i][0].startswith("("):  # "(ANALYZE, FORMAT json)" options, or a parenthesised SELECT
        depth = 0
        for j in range(i, len(words)):
            text = words[j][0]
            if words[j][0] == "'":
                continue
            depth += text.count("(") - text.count(")")
            if depth <= 0 and j + 1 < len(words):
                starts.append(words[j + 1][1])
                break
    readable = []
    for start in starts:
        try:
            inner = con.extract_statements(sql[start:])
        except duckdb.Error:
            continue
        readable.append(len(inner) == 1 and inner[0].type == duckdb.StatementType.SELECT)
    return bool(readable) and all(readable)


def _target(sql: str, words: list[tuple[str, int]], con: duckdb.DuckDBPyConnection) -> str:
    """The table an INSERT, UPDATE or DELETE writes (lower case), from its first words."""
    lowered = [w.lower() for w, _ in words]
    i = 0
    if lowered[:1] == ["insert"]:
        i = 1
        if lowered[1:2] == ["or"]:
            i = 3
        if lowered[i:i + 1] != ["into"]:
            raise StatementRefused("write INSERT [OR REPLACE] INTO <layer table> ...")
        i += 1
    elif lowered[:1] == ["update"]:
        i = 1
    elif lowered[:2] == ["delete", "from"]:
        i = 2
    else:
        raise StatementRefused("start the statement with INSERT, UPDATE or DELETE FROM (no WITH before it)")
    parts = [words[i][0] if i < len(words) else ""]
    while i + 2 < len(words) and words[i + 1][0] == ".":
        i += 2
        parts.append(words[i][0])
    parts = [p.lower() for p in parts]
    database = con.execute("SELECT current_database()").fetchone()[0].lower()
    if len(parts) == 3 and parts[0] == database:
        parts = parts[1:]
    if len(parts) == 2 and parts[0] == "main":
        parts = parts[1:]
    if len(parts) != 1:
        raise StatementRefused(f"{'.'.join(parts)!r} is not a table of this project")
    return parts[0]


def _fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """(rows, sum of row hashes) of each catalogue table the file has."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall()}
    out = {}
    for name in CATALOGUE:
        if name in present:
            out[name] = con.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM main.{quote(name)} t').fetchone()
    return out


def _fid_state(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, int | None, int | None]:
    return con.execute(f"SELECT count(*), count(DISTINCT fid), min(fid), max(fid) FROM {table_ref(table)}").fetchone()
