"""The dbt project on Apache Spark (dbt-spark's session method, a local PySpark): the
embedded data built on Spark from the same raw tables equals the DuckDB build, mart for
mart and row for row; a second quarter built incrementally on Spark rebuilds only its own
period and equals one build of both quarters. Needs `make spark` (run by `make test`):
dbt-spark and PySpark in .venv-spark, and Java."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.export.spark import (
    MartDifference,
    SparkBuild,
    build,
    last_build,
    mart_differences,
    missing_requirements,
    spark_table_files,
)
from orchestration.warehouse.dbt_project import DBT_PROJECT
from orchestration.warehouse.paths import DBT_PROJECT_DIR
from tests.conftest import PipelineRun, copy_published, run_pipeline
from tests.deliveries import deliver

INCREMENTAL_MODELS = (
    "int_ledger_accounts_aggregated",
    "int_budget_vs_actual_rolled_up",
    "fct_budget_vs_actual",
    "fct_control_total_reconciliation",
)


@dataclass(frozen=True)
class SparkRuns:
    first_output: str  # `warehouse spark-build --compare` on the embedded run's warehouse
    first_exit: int
    first: SparkBuild | None  # what that build did (its run results)
    first_differences: list[MartDifference]  # against the embedded run's marts
    q1_files: dict[str, dict[str, int]]  # incremental mart -> its 2023-03 files -> mtime
    second_duckdb: PipelineRun  # Q2 loaded into a copy of the embedded warehouse
    second: SparkBuild  # Q2 on Spark, incrementally, into the same Spark dir (no tests)
    second_differences: list[MartDifference]  # against second_duckdb, every column
    one_build: Path  # second_duckdb's warehouse rebuilt whole: dbt build --full-refresh
    one_build_differences: list[MartDifference]  # against one_build, every column
    q1_files_after: dict[str, dict[str, int]]


def _period_files(tables_dir: Path, period: str) -> dict[str, dict[str, int]]:
    files = {}
    for mart in ("fct_budget_vs_actual", "fct_control_total_reconciliation"):
        folder = spark_table_files(tables_dir, "marts", mart) / f"reporting_period={period}"
        files[mart] = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet")}
    return files


def _full_refresh_copy(published: Path, folder: Path) -> Path:
    """A copy of a published warehouse whose models dbt rebuilt in one build of every
    period (--full-refresh; the seeds and models, as the Spark builds)."""
    folder.mkdir(parents=True)
    copy = folder / "w.duckdb"
    shutil.copyfile(published, copy)
    done = subprocess.run(
        [
            Path(sys.executable).with_name("dbt"),
            "build",
            "--full-refresh",
            "--project-dir",
            DBT_PROJECT_DIR,
            "--profiles-dir",
            DBT_PROJECT_DIR,
            "--target",
            "pipeline",
            "--vars",
            json.dumps({"warehouse_path": str(copy)}),
            "--exclude-resource-type",
            "test",
            "--exclude-resource-type",
            "unit_test",
            "--target-path",
            folder / "target",
            "--log-path",
            folder / "logs",
        ],  # fmt: skip
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return copy


@pytest.fixture(scope="module")
def spark_runs(embedded_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> SparkRuns:
    """Two Spark builds of the seeds and models into one Spark dir (its metastore keeps the
    tables between them): the embedded Q1 through the CLI, then Q2 incrementally; and the
    DuckDB builds to compare them with."""
    assert not missing_requirements(), f"run `make spark`: {missing_requirements()}"
    from orchestration.cli import main

    work = tmp_path_factory.mktemp("spark")
    spark_dir = work / "spark"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("KUNTASEURANTA_WAREHOUSE", str(embedded_run.published))
        code = main(["spark-build", "--out", str(spark_dir), "--models-only", "--compare"])
    first = last_build(spark_dir)
    tables = spark_dir / "spark-warehouse"
    first_differences = mart_differences(embedded_run.published, tables)
    q1_files = _period_files(tables, "2023-03")

    q2 = deliver(work / "inbox", "2023-06")
    published = copy_published(embedded_run, work / "second")
    second_duckdb = run_pipeline(q2, published)
    assert second_duckdb.exit_code == 0, second_duckdb.output
    second = build(published, spark_dir, tests=False)
    second_differences = mart_differences(published, tables)

    one_build = _full_refresh_copy(published, work / "one-build")
    one_build_differences = mart_differences(one_build, tables)
    return SparkRuns(
        out.getvalue(),
        code,
        first,
        first_differences,
        q1_files,
        second_duckdb,
        second,
        second_differences,
        one_build,
        one_build_differences,
        _period_files(tables, "2023-03"),
    )


def _marts() -> set[str]:
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


def _unequal(differences: list[MartDifference]) -> list[MartDifference]:
    return [d for d in differences if not d.equal]


def test_the_embedded_data_builds_on_spark_with_every_model(spark_runs: SparkRuns):
    assert spark_runs.first_exit == 0, spark_runs.first_output
    first = spark_runs.first
    assert first is not None and first.failures == []
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    expected: dict[str, int] = {}
    for node in [*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values()]:
        if node["resource_type"] in ("model", "seed", "test", "unit_test"):
            expected[node["resource_type"]] = expected.get(node["resource_type"], 0) + 1
    # The seeds and models (the suite's time allows two Spark builds of the models; the
    # data tests and unit tests run in every DuckDB build, and on Spark by hand:
    # `warehouse spark-build --compare`, docs/spark.md).
    assert {k: first.kinds.get(k) for k in ("model", "seed", "test", "unit_test")} == {
        "model": expected["model"],
        "seed": expected["seed"],
        "test": None,
        "unit_test": None,
    }
    assert expected["model"] == 50 and expected["seed"] == 4
    output = spark_runs.first_output.splitlines()
    assert output[1].startswith("  Raw tables: 12 (") and output[1].endswith("/spark/raw")
    assert output[2].startswith("  dbt build: 50 models, 4 seeds: all passed in ")
    assert output[4] == "  Compared with DuckDB: all 17 marts equal row for row (every column)"
    assert output[5] == "Spark build succeeded."


def test_every_mart_built_on_spark_equals_duckdbs_row_for_row(spark_runs: SparkRuns):
    differences = spark_runs.first_differences
    assert {d.mart for d in differences} == _marts() and len(differences) == 17
    assert _unequal(differences) == []
    # Real figures, read from Spark's own files: VAKA's sales income as the report prints it
    # (the files hold the second quarter too once the incremental test's build is done).
    files = spark_table_files(spark_runs.second.tables_dir, "marts", "fct_budget_vs_actual")
    with duckdb.connect() as con:
        row = con.execute(
            "select budget, actual, realised_pct from read_parquet(? || '/**/*.parquet', "
            "hive_partitioning = true) where org_code = 'VAKA' and line_code = 'myyntituotot' "
            "and reporting_period = '2023-03'",
            [str(files)],
        ).fetchall()
    assert row == [(Decimal("75000.00"), Decimal("16454.00"), Decimal("21.9"))]


def test_a_second_quarter_builds_incrementally_on_spark_and_equals_one_build(
    spark_runs: SparkRuns,
):
    second = spark_runs.second
    assert second.failures == [] and second.kinds.get("test") is None
    assert second.raw_rows["load_log"] == 16  # the embedded run's 8 loads and Q2's
    # Only the new period was built: the incremental models' SQL selects it alone, and the
    # files of Q1's partitions are the ones the first build wrote.
    target = second.spark_dir / "dbt-target"
    for model in INCREMENTAL_MODELS:
        compiled = next((target / "compiled").rglob(f"{model}.sql")).read_text(encoding="utf-8")
        # The account-level ledger's table is empty (the embedded data is by report line):
        # it holds no period's signature, so both periods are built, into no rows.
        built = "'2023-03', '2023-06'" if model == "int_ledger_accounts_aggregated" else "'2023-06'"
        assert f"reporting_period in ({built})" in compiled, model
        run = next((target / "run").rglob(f"{model}.sql")).read_text(encoding="utf-8")
        assert f"insert overwrite table work.{model}" in run or (
            f"insert overwrite table marts.{model}" in run
        ), model
        assert "partition (reporting_period)" in run, model
    # Their pre-hook dropped the partitions of the periods they rebuild (so a period rebuilt
    # into no rows keeps none), and of no other period.
    log = (second.spark_dir / "logs" / "dbt.log").read_text(encoding="utf-8")
    drops = dict(re.findall(r"alter table (\S+) drop if exists (.*\))", log))
    q2 = "partition (reporting_period = '2023-06')"
    assert drops == {
        "marts.fct_budget_vs_actual": q2,
        "marts.fct_control_total_reconciliation": q2,
        "work.int_budget_vs_actual_rolled_up": q2,
        # The empty account-level table rebuilds both periods (above).
        "work.int_ledger_accounts_aggregated": f"partition (reporting_period = '2023-03'), {q2}",
    }
    assert spark_runs.q1_files_after == spark_runs.q1_files
    assert all(spark_runs.q1_files.values())
    # Every column equals the DuckDB warehouse built from the same raw tables quarter by
    # quarter, and the same warehouse rebuilt in one build of both quarters.
    assert _unequal(spark_runs.second_differences) == []
    assert _unequal(spark_runs.one_build_differences) == []
    with duckdb.connect() as con:
        files = spark_table_files(second.tables_dir, "marts", "fct_budget_vs_actual")
        periods = con.execute(
            "select reporting_period, count(*) from read_parquet(? || '/**/*.parquet', "
            "hive_partitioning = true, hive_types_autocast = false) group by all order by 1",
            [str(files)],
        ).fetchall()
    assert [p for p, _ in periods] == ["2023-03", "2023-06"]
    assert periods[0][1] == periods[1][1] > 100


def test_the_comparison_finds_a_changed_figure_a_missing_row_a_repeated_row_and_a_type(
    spark_runs: SparkRuns, embedded_run: PipelineRun, tmp_path: Path
):
    """The comparison's failing case: the Spark tables of both quarters against a copy of
    the DuckDB warehouse they equal, its marts changed after the build."""
    changed = tmp_path / "w.duckdb"
    shutil.copyfile(spark_runs.second_duckdb.published, changed)
    with duckdb.connect(str(changed)) as con:
        con.execute(
            "update marts.fct_budget_vs_actual set actual = actual + 0.01 "
            "where org_code = 'VAKA' and line_code = 'myyntituotot' "
            "and reporting_period = '2023-06'"
        )
        con.execute(
            "delete from marts.fct_narratives "
            "where rowid = (select min(rowid) from marts.fct_narratives)"
        )
        con.execute("insert into marts.fct_goals select * from marts.fct_goals limit 1")
        con.execute("alter table marts.fct_forecasts alter column fiscal_year type bigint")
    differences = {d.mart: d for d in mart_differences(changed, spark_runs.second.tables_dir)}
    unequal = {name: d for name, d in differences.items() if not d.equal}
    assert set(unequal) == {
        "fct_budget_vs_actual",
        "fct_narratives",
        "fct_goals",
        "fct_forecasts",
    }
    figure = unequal["fct_budget_vs_actual"]
    assert (figure.only_in_spark, figure.only_in_duckdb) == (1, 1)
    assert Decimal("16454.00") in figure.shown_spark[0]
    assert Decimal("16454.01") in figure.shown_duckdb[0]
    assert (unequal["fct_narratives"].only_in_spark, unequal["fct_narratives"].only_in_duckdb) == (
        1,
        0,
    )
    assert (unequal["fct_goals"].only_in_spark, unequal["fct_goals"].only_in_duckdb) == (0, 1)
    assert unequal["fct_forecasts"].problems == [
        "column fiscal_year: BIGINT on DuckDB, INTEGER on Spark"
    ]


def test_a_spark_build_that_builds_nothing_is_an_error_with_what_dbt_said(
    embedded_run: PipelineRun, tmp_path: Path
):
    from orchestration.export.spark import SparkBuildError

    with pytest.raises(SparkBuildError) as refused:
        build(embedded_run.published, tmp_path / "spark", target="no_such_target")
    message = str(refused.value)
    assert message.startswith("dbt build on Spark ended (2) before building anything; ")
    assert "no_such_target" in message  # dbt's own words, from the end of its log
    assert last_build(tmp_path / "spark") is None


def test_the_spark_build_refuses_without_spark_or_a_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.cli import main

    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(tmp_path / "none" / "w.duckdb"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["spark-build", "--out", str(tmp_path / "spark")])
    assert code == 1
    assert f"REFUSED: no published warehouse at {tmp_path / 'none' / 'w.duckdb'}" in out.getvalue()

    none = tmp_path / "no-venv"
    monkeypatch.setenv("KUNTASEURANTA_SPARK_VENV", str(none))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["spark-build", "--out", str(tmp_path / "spark")])
    assert code == 1
    assert (
        f"REFUSED: the Spark build needs dbt in {none}, dbt-spark in {none}, pyspark in "
        f"{none}, a Java runtime (java on PATH or JAVA_HOME): run `make spark`"
    ) in out.getvalue()
    assert not (tmp_path / "spark").exists()


def test_export_only_writes_every_raw_table_as_parquet_for_a_cluster(
    embedded_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.cli import main

    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(embedded_run.published))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["spark-build", "--export-only", "--out", str(tmp_path / "shared")])
    assert code == 0, out.getvalue()
    raw = tmp_path / "shared" / "raw"
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        for table in tables:
            exported = sorted(
                con.execute(f"select * from '{raw / table}/part-0.parquet'").fetchall(), key=repr
            )
            loaded = sorted(con.execute(f"select * from raw.{table}").fetchall(), key=repr)
            assert exported == loaded, table  # every row and value (raw.forecasts: none)
    assert sorted(p.name for p in raw.iterdir()) == sorted(tables) and len(tables) == 12
    assert f"12 (854 rows) exported to {raw}/<table>/ (Parquet)" in out.getvalue()
    assert not (tmp_path / "shared" / "spark-warehouse").exists()  # nothing was built

    # No warehouse: refused, and nothing written.
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(tmp_path / "none" / "w.duckdb"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["spark-build", "--export-only", "--out", str(tmp_path / "other")])
    assert code == 1
    assert "REFUSED: no published warehouse at" in out.getvalue()
    assert not (tmp_path / "other").exists()
