"""The dbt project built on Apache Spark (dbt-spark), from the published warehouse's raw
tables: the same models, macros and tests, for a deployment that outgrows one DuckDB file.

Loading, validation and publication stay as they are (DuckDB, the loader, Great
Expectations). `build` exports the published file's raw schema to Parquet (one folder per
table, `<spark dir>/raw/<table>/`), and runs `dbt build --target spark` with the folder as
var('raw_parquet_path'): its on-run-start hook puts an external Spark table over each
(dbt_project/macros/spark_sources.sql). The target's Spark runs in the dbt process
(PySpark, the session method) and keeps its tables' Parquet files and its metastore under
the Spark dir (KUNTASEURANTA_SPARK_DIR); `<spark dir>/spark-warehouse/<schema>.db/<table>/`
is what readers open. A cluster target (thrift) is in docs/spark.md.

`mart_differences` compares the marts of a Spark build with the DuckDB file's, row for
row, over every column (EXCEPT ALL both ways), reading the Spark tables' own Parquet files.

Needs `make spark`: dbt with dbt-spark and PySpark in an environment of their own
(.venv-spark; Great Expectations imports PySpark wherever it is installed, so the main
environment stays without it), and a Java runtime. The main job needs neither.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from orchestration.ingest.contracts import sql_identifier, sql_literal
from orchestration.warehouse.paths import DBT_PROJECT_DIR

SPARK_TARGET = "spark"
SPARK_DIR_VARIABLE = "KUNTASEURANTA_SPARK_DIR"
SPARK_VENV_VARIABLE = "KUNTASEURANTA_SPARK_VENV"
RAW_FOLDER = "raw"
SPARK_WAREHOUSE_FOLDER = "spark-warehouse"
# How many differing rows a comparison keeps per mart and direction, to show.
SHOWN_ROWS = 5


class SparkBuildError(RuntimeError):
    """The Spark build could not start (no Spark installed, no warehouse) or failed."""


@dataclass(frozen=True)
class SparkBuild:
    """What one `dbt build` on Spark did."""

    spark_dir: Path
    raw_rows: dict[str, int]  # raw table -> rows exported
    kinds: dict[str, int]  # resource type (model, seed, test, unit_test, operation) -> nodes
    failures: list[str]  # one line per node that did not succeed
    seconds: float  # the dbt build's wall time
    log: Path  # everything dbt and Spark printed

    @property
    def succeeded(self) -> bool:
        return not self.failures

    @property
    def tables_dir(self) -> Path:
        return self.spark_dir / SPARK_WAREHOUSE_FOLDER


@dataclass(frozen=True)
class MartDifference:
    """How one mart of the Spark build differs from the DuckDB file's (empty: equal)."""

    mart: str
    problems: list[str] = field(default_factory=list)  # columns, types, a missing table
    only_in_spark: int = 0  # rows (EXCEPT ALL: with their multiplicity)
    only_in_duckdb: int = 0
    shown_spark: list[tuple] = field(default_factory=list)
    shown_duckdb: list[tuple] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.problems and not self.only_in_spark and not self.only_in_duckdb


def default_spark_dir(warehouse_file: Path) -> Path:
    """Beside the published warehouse: warehouse/spark/."""
    return Path(warehouse_file).parent / "spark"


def spark_environment() -> Path:
    """The Python environment dbt runs in for Spark: dbt-core with dbt-spark and PySpark,
    apart from the project's own (`make spark`; KUNTASEURANTA_SPARK_VENV to move it)."""
    return Path(os.environ.get(SPARK_VENV_VARIABLE, DBT_PROJECT_DIR.parent / ".venv-spark"))


def missing_requirements() -> list[str]:
    """What the Spark build needs and this machine lacks (`make spark` installs it)."""
    venv = spark_environment()
    missing = [
        f"{package} in {venv}"
        for package, found in (
            ("dbt", (venv / "bin" / "dbt").exists()),
            ("dbt-spark", any(venv.glob("lib/python*/site-packages/dbt/adapters/spark"))),
            ("pyspark", any(venv.glob("lib/python*/site-packages/pyspark/__init__.py"))),
        )
        if not found
    ]
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and (Path(java_home) / "bin/java").exists()):
        missing.append("a Java runtime (java on PATH or JAVA_HOME)")
    return missing


def export_raw(warehouse_file: Path, raw_dir: Path) -> dict[str, int]:
    """The published file's raw tables as Parquet, raw_dir/<table>/part-0.parquet; the
    folder is written beside raw_dir and moved into place whole. Returns rows per table."""
    if not Path(warehouse_file).is_file():
        raise SparkBuildError(f"no published warehouse at {warehouse_file}: run `warehouse run`")
    staged = raw_dir.with_name(raw_dir.name + ".partial")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    rows: dict[str, int] = {}
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'raw' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        if not tables:
            raise SparkBuildError(f"{warehouse_file} holds no raw tables: run `warehouse run`")
        for table in tables:
            (staged / table).mkdir()
            target = staged / table / "part-0.parquet"
            con.execute(
                f"copy raw.{sql_identifier(table)} to {sql_literal(str(target))} (format parquet)"
            )
            rows[table] = con.execute(
                f"select count(*) from raw.{sql_identifier(table)}"
            ).fetchone()[0]
    old = raw_dir.with_name(raw_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if raw_dir.exists():
        os.rename(raw_dir, old)
    os.rename(staged, raw_dir)
    shutil.rmtree(old, ignore_errors=True)
    return rows


def build(
    warehouse_file: Path,
    spark_dir: Path | None = None,
    *,
    full_refresh: bool = False,
    tests: bool = True,
    target: str = SPARK_TARGET,
) -> SparkBuild:
    """Export the raw tables of the published warehouse and `dbt build` the project on
    Spark in spark_dir (default: default_spark_dir). Incremental as on DuckDB: a build
    rebuilds the periods whose deliveries changed since the Spark tables were built;
    full_refresh rebuilds everything; tests=False builds the seeds and models without the
    data tests and unit tests (the DuckDB build runs them). Raises SparkBuildError when it
    cannot start; a build that ran returns its result, failed nodes included
    (SparkBuild.failures)."""
    missing = missing_requirements()
    if missing:
        raise SparkBuildError("the Spark build needs " + ", ".join(missing) + ": run `make spark`")
    spark_dir = Path(spark_dir or default_spark_dir(warehouse_file)).resolve()
    raw_dir = spark_dir / RAW_FOLDER
    # Refuses a missing warehouse before it writes anything; creates the Spark dir.
    raw_rows = export_raw(Path(warehouse_file), raw_dir)
    dbt_target = spark_dir / "dbt-target"
    log = spark_dir / "dbt-build.log"  # last_build reads it from there too
    command = [
        str(spark_environment() / "bin" / "dbt"),
        "build",
        "--target",
        target,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        # Its own target and log folders: the pipeline's manifest and parse state stay as
        # they are.
        "--target-path",
        str(dbt_target),
        "--log-path",
        str(spark_dir / "logs"),
        "--vars",
        json.dumps({"raw_parquet_path": str(raw_dir)}),
    ]
    if full_refresh:
        command.append("--full-refresh")
    if not tests:
        command += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    env = {**os.environ, SPARK_DIR_VARIABLE: str(spark_dir)}
    (dbt_target / "run_results.json").unlink(missing_ok=True)  # an earlier build's
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        completed = subprocess.run(
            command, cwd=DBT_PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    seconds = time.monotonic() - started
    result = last_build(spark_dir, raw_rows, seconds)
    if result is None:
        raise SparkBuildError(
            f"dbt build on Spark ended ({completed.returncode}) before building anything; "
            f"what it printed: {log}\n{_tail(log)}"
        )
    if completed.returncode != 0 and not result.failures:
        failure = f"dbt build ended with exit status {completed.returncode}; see {log}"
        result = replace(result, failures=[failure])
    return result


def last_build(
    spark_dir: Path, raw_rows: dict[str, int] | None = None, seconds: float | None = None
) -> SparkBuild | None:
    """The last dbt build in spark_dir, read from dbt's run results (None: there are
    none); its time is dbt's own unless the caller timed it (seconds)."""
    results_file = Path(spark_dir) / "dbt-target" / "run_results.json"
    if not results_file.exists():
        return None
    run_results = json.loads(results_file.read_text(encoding="utf-8"))
    kinds: dict[str, int] = {}
    failures = []
    for result in run_results["results"]:
        kind = result["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
        if result["status"] not in ("success", "pass"):
            message = (result.get("message") or "").strip().splitlines()
            failures.append(
                f"{result['unique_id']}: {result['status']}"
                + (f": {message[-1].strip()}" if message else "")
            )
    elapsed = run_results["elapsed_time"] if seconds is None else seconds
    log = Path(spark_dir) / "dbt-build.log"
    return SparkBuild(Path(spark_dir), raw_rows or {}, kinds, failures, elapsed, log)


def _tail(log: Path, lines: int = 15) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def spark_table_files(tables_dir: Path, schema: str, table: str) -> Path:
    """Where Spark's metastore keeps a managed table of the Spark warehouse."""
    return Path(tables_dir) / f"{schema}.db" / table


def mart_differences(duckdb_file: Path, tables_dir: Path) -> list[MartDifference]:
    """Every mart of the DuckDB file against the Spark build's table of the same name: the
    same columns with the same types, and the same rows over every column (EXCEPT ALL
    both ways, so a row twice on one side and once on the other differs too). Reads
    Spark's Parquet files (a partition column from the folder names), opens the DuckDB
    file read-only."""
    differences = []
    with duckdb.connect() as con:
        con.execute(f"attach {sql_literal(str(duckdb_file))} as duck (read_only)")
        marts = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = "
                "'duck' and table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        for mart in marts:
            files = spark_table_files(tables_dir, "marts", mart)
            differences.append(_compare(con, mart, files))
    return differences


def _compare(con: duckdb.DuckDBPyConnection, mart: str, files: Path) -> MartDifference:
    duck = f"duck.marts.{sql_identifier(mart)}"
    parquet = sorted(files.rglob("*.parquet")) if files.is_dir() else []
    if not parquet:
        return MartDifference(mart, [f"no Spark table at {files}"])
    spark = (
        f"read_parquet({sql_literal(str(files))} || '/**/*.parquet', hive_partitioning = true, "
        "hive_types_autocast = false)"
    )
    duck_columns = con.execute(f"select * from {duck} limit 0").description
    spark_columns = con.execute(f"select * from {spark} limit 0").description
    duck_types = {c[0]: str(c[1]) for c in duck_columns}
    spark_types = {c[0]: str(c[1]) for c in spark_columns}
    problems = [f"column {c} missing on Spark" for c in duck_types if c not in spark_types] + [
        f"column {c} only on Spark" for c in spark_types if c not in duck_types
    ]
    problems += [
        f"column {c}: {duck_types[c]} on DuckDB, {spark_types[c]} on Spark"
        for c in duck_types
        if c in spark_types and spark_types[c] != duck_types[c]
    ]
    if problems:
        return MartDifference(mart, problems)
    columns = ", ".join(sql_identifier(c) for c in duck_types)
    only_spark = f"select {columns} from {spark} except all select {columns} from {duck}"
    only_duck = f"select {columns} from {duck} except all select {columns} from {spark}"
    counts = [
        con.execute(f"select count(*) from ({q})").fetchone()[0] for q in (only_spark, only_duck)
    ]
    shown = [
        con.execute(f"select * from ({q}) order by all limit {SHOWN_ROWS}").fetchall() if n else []
        for q, n in zip((only_spark, only_duck), counts, strict=True)
    ]
    return MartDifference(mart, [], counts[0], counts[1], shown[0], shown[1])
