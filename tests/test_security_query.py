"""``twin query`` cannot break or escape the project (issue 10): read-only, one statement, no file outside the
project unless ``--allow-files DIR``; ``--write`` protects the catalogue. The window's SQL console goes through
the same checks (:mod:`twin.store.statements`, through :class:`twin.store.reader.ProjectReader`)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
import shapely

from twin.cli.main import main
from twin.layerdata import ImportReport, LayerData
from twin.store.project import Project
from twin.store.reader import ProjectReader, ReadOnlyError
from twin.store.writer import write_layer


@pytest.fixture
def city(tmp_path):
    """A project with one points layer ("Poles", lyr_1, 3 features) and a file beside it."""
    path = tmp_path / "city.twin.duckdb"
    with Project.open(path, create=True, crs="EPSG:5186") as p:
        points = shapely.to_wkb(shapely.points([200000.0, 200050.0, 200100.0], [550000.0, 550020.0, 550040.0]))
        write_layer(p, LayerData("points", pa.table({"geometry": points, "height": [3.0, 4.0, 5.0]}), "EPSG:5186",
                                 ImportReport("poles.csv", imported=3)), name="Poles")
        p.save()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("a,b\n1,2\n3,4\n")
    return path


def one_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


REFUSED = {
    "DROP TABLE layers": "DROP",
    "SELECT 1; DROP TABLE meta; SELECT 2": "one statement",
    "COPY (SELECT 'pwned') TO '{tmp}/x.csv'": "COPY",
    "COPY lyr_1 TO '{tmp}/x.parquet' (FORMAT parquet)": "COPY",
    "SELECT * FROM read_text('/etc/hostname')": "file",
    "SELECT * FROM read_csv('{tmp}/data/in.csv')": "file",
    "SELECT * FROM glob('/etc/*')": "file",
    "ATTACH '{tmp}/other.duckdb' AS other": "ATTACH",
    "INSTALL httpfs": "INSTALL",
    "LOAD httpfs": "LOAD",
    "SET enable_external_access = true": "SET",
    "PRAGMA enable_profiling": "PRAGMA",
    "CREATE TABLE t AS SELECT 1": "CREATE",
    "UPDATE lyr_1 SET height = 0": "UPDATE",
    "EXPLAIN ANALYZE DELETE FROM lyr_1": "EXPLAIN",
    "CHECKPOINT": "not allowed",  # DuckDB reads it as a CALL
    "CALL pragma_version()": "CALL",
}


@pytest.mark.parametrize("sql", REFUSED)
def test_twin_query_refuses_with_one_line_and_leaves_the_project_byte_identical(city, sql, capsys):
    before = city.read_bytes()
    assert main(["query", str(city), sql.format(tmp=city.parent)]) == 1
    line = one_line(capsys)
    assert line.startswith("twin query: error:") and REFUSED[sql].lower() in line.lower()
    assert city.read_bytes() == before
    assert not (city.parent / "x.csv").exists() and not (city.parent / "x.parquet").exists()
    assert not (city.parent / "other.duckdb").exists()
    with Project.open(city, read_only=True) as project:  # it still opens, as it was
        assert project.layer("Poles").feature_count == 3


def test_twin_query_reads(city, capsys):
    assert main(["query", str(city), "SELECT count(*) AS n FROM lyr_1", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "3"]
    assert main(["query", str(city), "EXPLAIN SELECT * FROM lyr_1"]) == 0
    assert main(["query", str(city), "WITH a AS (SELECT 1 AS x) SELECT x FROM a", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split()[-2:] == ["x", "1"]


def test_allow_files_lets_reading_in_that_folder_only(city, capsys):
    data = city.parent / "data"
    sql = f"SELECT sum(a) AS s FROM read_csv('{data}/in.csv')"
    assert main(["query", str(city), sql, "--allow-files", str(data), "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["s", "4"]
    before = city.read_bytes()
    for outside in ("SELECT * FROM read_text('/etc/hostname')", f"SELECT * FROM read_csv('{city.parent}/x/../../etc/passwd')",
                    f"SELECT * FROM read_csv('{data}/../city.twin.duckdb')"):
        assert main(["query", str(city), outside, "--allow-files", str(data)]) == 1
        assert "file" in one_line(capsys).lower()
    assert main(["query", str(city), f"ATTACH '{data}/other.duckdb' AS o", "--allow-files", str(data)]) == 1
    one_line(capsys)
    assert city.read_bytes() == before and not (data / "other.duckdb").exists()
    assert main(["query", str(city), "SELECT 1", "--allow-files", str(city.parent / "missing")]) == 1
    assert "not a folder" in one_line(capsys)


def test_write_changes_layer_tables_and_never_the_catalogue(city, capsys):
    assert main(["query", str(city), "UPDATE lyr_1 SET height = height * 2 WHERE fid = 0", "--write"]) == 0
    capsys.readouterr()
    with Project.open(city, read_only=True) as project:
        assert project.rows("SELECT height FROM lyr_1 ORDER BY fid") == [(6.0,), (4.0,), (5.0,)]
    before = city.read_bytes()
    refused = {
        "DROP TABLE layers": "DROP",
        "DELETE FROM layers": "catalogue",
        "UPDATE meta SET value = 'abc' WHERE key = 'schema_version'": "catalogue",
        "UPDATE main.layers SET name = 'x'": "catalogue",
        "INSERT INTO lyr_1 (fid, height) VALUES (99, 1)": "number of features",
        "DELETE FROM lyr_1 WHERE fid = 2": "number of features",
        "UPDATE lyr_1 SET fid = fid + 10": "feature ids",
        "UPDATE lyr_1 SET height = 1; DROP TABLE meta": "one statement",
        "UPDATE lyr_1 SET height = (SELECT count(*) FROM layers)": "catalogue",
        "CREATE TABLE lyr_9 AS SELECT 1": "CREATE",
        "ALTER TABLE lyr_1 ADD COLUMN x INT": "ALTER",
        f"COPY lyr_1 TO '{city.parent}/x.csv'": "COPY",
        "UPDATE other_table SET a = 1": "layer",
    }
    for sql, why in refused.items():
        assert main(["query", str(city), sql, "--write"]) == 1, sql
        assert why.lower() in one_line(capsys).lower(), sql
        assert city.read_bytes() == before, sql
    assert not (city.parent / "x.csv").exists()


def test_the_sql_console_reader_follows_the_same_rules(city):
    """The window's SQL console runs through ProjectReader.cursor_query: the same checks, the same lock-down."""
    with Project.open(city) as project:
        reader = ProjectReader(project)
        for sql in ("DROP TABLE layers", "SELECT 1; DROP TABLE meta; SELECT 2", "INSTALL httpfs",
                    f"COPY (SELECT 1) TO '{city.parent}/x.csv'", f"ATTACH '{city.parent}/o.duckdb'",
                    "EXPLAIN ANALYZE DELETE FROM lyr_1", "SET enable_external_access = true"):
            with pytest.raises(ReadOnlyError):
                reader.cursor_query(sql)
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            reader.cursor_query("SELECT * FROM read_text('/etc/hostname')")  # a SELECT that reads a file
        assert project.has_table("layers") and project.layer("Poles").feature_count == 3
    assert not (city.parent / "x.csv").exists() and not (city.parent / "o.duckdb").exists()
