"""Quarterly operations: partitions, the inbox sensor, the schedule, history, restatements."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR, PROJECT_ROOT
from orchestration.warehouse.publish import OLDEST_CLIENT, STORAGE_COMPATIBILITY_VERSION
from tests.conftest import PipelineRun, copy_published, worker_working_file
from tests.deliveries import age, deliver, restate_leaf


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    monkeypatch.setenv("KUNTASEURANTA_INBOX", str(path))
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(tmp_path / "warehouse" / "w.duckdb"))
    return path


def _sensor():
    from orchestration.defs.schedules.deliveries import inbox_sensor

    return inbox_sensor


def _evaluate(cursor: str | None = None):
    context = dg.build_sensor_context(cursor=cursor)
    result = _sensor()(context)
    return result.run_requests or [], result.cursor


def test_the_version_names_the_project_and_its_engines(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    import importlib.metadata

    from orchestration import cli

    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"warehouse (kuntaseuranta) {importlib.metadata.version('kuntaseuranta')}"
    assert f"  dbt-core {importlib.metadata.version('dbt-core')}" in lines
    assert f"  duckdb {importlib.metadata.version('duckdb')}" in lines
    assert len(lines) == 1 + len(cli.ENGINES)
    # An engine that is not installed is said so, not a traceback.
    monkeypatch.setattr(cli, "ENGINES", ("dbt-core", "no-such-engine"))
    assert cli.version_text().splitlines()[1:] == [
        f"  dbt-core {importlib.metadata.version('dbt-core')}",
        "  no-such-engine not installed",
    ]


def test_reporting_periods_are_every_month_end(capsys: pytest.CaptureFixture):
    from orchestration.cli import main
    from orchestration.defs.ingest.partitions import reporting_periods

    keys = reporting_periods.get_partition_keys()
    assert keys[:3] == ["2010-01", "2010-02", "2010-03"]  # a decade of history
    assert {"2023-03", "2023-04", "2023-08"} <= set(keys) and keys[-1] == "2040-12"
    # A year outside the partitions is a clear refusal before anything starts.
    assert main(["run", "/nowhere/2041-03"]) == 2
    assert capsys.readouterr().err == (
        "error: /nowhere/2041-03: reporting period 2041-03 is outside the warehouse's "
        "periods 2010-01..2040-12\n"
    )
    assert main(["run", "/nowhere/deliveries"]) == 2
    assert "cannot tell the reporting period" in capsys.readouterr().err


def test_the_sensor_and_the_schedule_are_on_without_being_switched_on():
    from orchestration.definitions import defs

    definitions = defs()
    sensor = definitions.resolve_sensor_def("inbox_sensor")
    schedule = definitions.resolve_schedule_def("warehouse_schedule")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_the_sensor_starts_one_run_per_complete_delivery(inbox: Path):
    assert _evaluate() == ([], "{}")
    q1 = deliver(inbox, "2023-03")
    age(q1)
    requests, cursor = _evaluate()
    assert [(r.partition_key, r.tags["delivery"]) for r in requests] == [("2023-03", "2023-03")]
    assert requests[0].run_config["ops"]["raw_extracts"]["config"]["delivery_dir"] == str(q1)
    # Each delivery runs once: the cursor remembers it.
    assert _evaluate(cursor)[0] == []
    # A second quarter lands: only it is requested.
    age(deliver(inbox, "2023-06"))
    requests, cursor = _evaluate(cursor)
    assert [r.partition_key for r in requests] == ["2023-06"]
    # A corrected Q1 (restatement) is a new delivery.
    ledger = q1 / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b";-1900;1", b";-2900;1"))
    age(q1)
    requests, cursor = _evaluate(cursor)
    assert [r.partition_key for r in requests] == ["2023-03"]
    assert _evaluate(cursor)[0] == []


def test_the_sensor_waits_for_a_complete_settled_readable_set(inbox: Path):
    q1 = deliver(inbox, "2023-03")
    (q1 / "control_totals.csv").unlink()
    age(q1)
    assert _evaluate()[0] == []  # a required extract is missing
    shutil.copy(DEFAULT_DELIVERY_DIR / "control_totals.csv", q1 / "control_totals.csv")
    assert _evaluate()[0] == []  # just written: perhaps still being copied
    age(q1)
    (q1 / "goals.csv").write_bytes(b"")
    assert _evaluate()[0] == []  # unreadable
    shutil.copy(DEFAULT_DELIVERY_DIR / "goals.csv", q1 / "goals.csv")
    age(q1)
    assert [r.partition_key for r in _evaluate()[0]] == ["2023-03"]
    (inbox / "notes").mkdir()  # folders that are no reporting period are ignored
    (inbox / "2023-05").mkdir()
    assert len(_evaluate()[0]) == 1


def test_the_schedule_builds_the_quarter_just_closed(
    inbox: Path, embedded_run: PipelineRun, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.defs.schedules.deliveries import warehouse_schedule

    after_q1 = dt.datetime(2023, 4, 20, 7, tzinfo=dt.UTC)
    context = dg.build_schedule_context(scheduled_execution_time=after_q1)
    assert isinstance(warehouse_schedule(context), dg.SkipReason)  # nothing delivered yet
    deliver(inbox, "2023-03")
    requests = warehouse_schedule(context)
    assert [r.partition_key for r in requests] == ["2023-03"]
    # Once the delivery is in the published warehouse, the schedule has nothing to do.
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(embedded_run.published))
    skipped = warehouse_schedule(context)
    assert isinstance(skipped, dg.SkipReason) and "already" in skipped.skip_message
    after_q4 = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2024, 1, 20, 7, tzinfo=dt.UTC)
    )
    assert "2023-12" in warehouse_schedule(after_q4).skip_message


def test_the_schedule_follows_each_municipalitys_months(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.defs.schedules.deliveries import warehouse_schedule
    from orchestration.ingest import calendar

    months = tmp_path / "municipalities.csv"
    months.write_text(
        "municipality_code;name_fi;follow_up_months;expected_scopes\n"
        "HEINOLA;Heinolan kaupunki;4|8|12;\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(calendar, "CALENDAR_FILE", months)
    (inbox / "welfare").mkdir()
    deliver(inbox / "welfare", "2023-03")
    deliver(inbox / "welfare", "2023-04")
    after_march = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2023, 4, 20, 7, tzinfo=dt.UTC)
    )
    skipped = warehouse_schedule(after_march)
    assert "welfare/2023-03: HEINOLA does not follow up 2023-03" in skipped.skip_message
    after_april = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2023, 5, 20, 7, tzinfo=dt.UTC)
    )
    requests = warehouse_schedule(after_april)
    assert [(r.partition_key, r.tags["delivery"]) for r in requests] == [
        ("2023-04", "welfare/2023-04")
    ]
    # Without the line, the municipality follows up quarterly.
    months.write_text("municipality_code;name_fi;follow_up_months;expected_scopes\n")
    calendar._calendar.cache_clear()
    assert [r.partition_key for r in warehouse_schedule(after_march)] == ["2023-03"]
    assert isinstance(warehouse_schedule(after_april), dg.SkipReason)


def test_the_sensor_starts_one_run_per_department_folder(inbox: Path):
    from tests.deliveries import TECHNICAL_CODES, TECHNICAL_NAMES, recode

    welfare = recode(DEFAULT_DELIVERY_DIR, inbox / "heinola" / "welfare" / "2023-03", {}, {})
    technical = recode(
        DEFAULT_DELIVERY_DIR,
        inbox / "heinola" / "technical" / "2023-03",
        TECHNICAL_CODES,
        TECHNICAL_NAMES,
    )
    age(welfare)
    age(technical)
    requests, cursor = _evaluate()
    assert [(r.partition_key, r.tags["delivery"]) for r in requests] == [
        ("2023-03", "heinola/technical/2023-03"),
        ("2023-03", "heinola/welfare/2023-03"),
    ]
    assert len({r.run_key for r in requests}) == 2
    assert _evaluate(cursor)[0] == []


def _figures(path: Path) -> dict[tuple, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("""
            select reporting_period, org_code, line_code, actual, budget, remaining,
                   realised_pct, forecast_linear, source_load_id
            from marts.fct_budget_vs_actual""").fetchall()
    return {r[:3]: r[3:] for r in rows}


def _execute(requests: list[dg.RunRequest], published: Path) -> None:
    """Run what the sensor asked for, as the Dagster daemon would: one run at a time."""
    from orchestration.definitions import defs

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUNTASEURANTA_WAREHOUSE", str(published))
        mp.setenv("KUNTASEURANTA_WORKING", str(worker_working_file()))
        job = defs().resolve_job_def("warehouse_job")
        quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
        for request in requests:
            result = job.execute_in_process(
                run_config={**request.run_config, **quiet},
                partition_key=request.partition_key,
                instance=dg.DagsterInstance.ephemeral(),
                raise_on_error=False,
            )
            assert result.success, request.partition_key


def test_two_quarters_through_the_inbox_and_a_restatement_replaces_only_its_figures(
    inbox: Path, tmp_path: Path, embedded_run: PipelineRun
):
    q1 = deliver(inbox, "2023-03")
    age(q1)
    requests, cursor = _evaluate()
    assert [r.partition_key for r in requests] == ["2023-03"]
    # Q1 in the inbox is the embedded delivery byte for byte: the run it asks for publishes
    # what the embedded run published, so the test starts from a copy of that.
    assert {p.name: p.read_bytes() for p in q1.iterdir()} == {
        p.name: p.read_bytes() for p in DEFAULT_DELIVERY_DIR.iterdir()
    }
    published = copy_published(embedded_run, tmp_path, with_files=True)
    after_q1 = _figures(published)
    assert {k[0] for k in after_q1} == {"2023-03"}

    age(deliver(inbox, "2023-06"))  # the next quarter lands
    requests, cursor = _evaluate(cursor)
    assert [r.partition_key for r in requests] == ["2023-06"]  # picked up once, alone
    _execute(requests, published)
    after_q2 = _figures(published)
    assert {k[0] for k in after_q2} == {"2023-03", "2023-06"}
    assert {k: v for k, v in after_q2.items() if k[0] == "2023-03"} == after_q1
    q1_row, q2_row = (after_q2[(p, "VIRE", "avustukset")] for p in ("2023-03", "2023-06"))
    assert q1_row[0] == q2_row[0] == Decimal("-1900.00")
    assert q2_row[4] == Decimal("-3800.00")  # the same actual, half a year: linear x2
    assert _evaluate(cursor)[0] == []  # nothing new in the inbox
    reports_q2 = _reports(published)
    assert sorted(reports_q2) == [
        "osavuosikatsaus_2023-03_HEINOLA_HYTO.html",
        "osavuosikatsaus_2023-06_HEINOLA_HYTO.html",
    ]

    # Q1 restated in the inbox: VIRE's avustukset was -2 900; the printed figures agree.
    restate_leaf(q1, "VIRE", "avustukset", "-1900", "-2900")
    age(q1)
    requests, cursor = _evaluate(cursor)
    assert [r.partition_key for r in requests] == ["2023-03"]
    _execute(requests, published)
    after = _figures(published)
    changed = {k for k in after if after[k][:-1] != after_q2[k][:-1]}
    chain = {
        "avustukset",
        "toimintakulut",
        "toimintakate",
        "vuosikate",
        "tilikauden_tulos",
        "tilikauden_ylijaama",
    }
    assert changed == {
        ("2023-03", org, line) for org in ("VIRE", "HYTO", "HYLA", "HEINOLA") for line in chain
    }
    assert after[("2023-03", "VIRE", "avustukset")][0] == Decimal("-2900.00")
    # Every Q1 figure now names the restated delivery; Q2's still name theirs.
    relabelled = {k[0] for k in after if after[k][-1] != after_q2[k][-1]}
    assert relabelled == {"2023-03"}
    with duckdb.connect(str(published), read_only=True) as con:
        deliveries = con.execute("""
            select reporting_period, count(*) from raw.load_log where extract_kind = 'ledger'
            group by 1 order by 1""").fetchall()
    assert deliveries == [("2023-03", 2), ("2023-06", 1)]  # raw keeps every delivery
    # The restated period's report is rendered again; the newer period's is carried over.
    reports = _reports(published)
    assert (
        reports["osavuosikatsaus_2023-06_HEINOLA_HYTO.html"]
        == (reports_q2["osavuosikatsaus_2023-06_HEINOLA_HYTO.html"])
    )
    q1_before, q1_after = (
        r["osavuosikatsaus_2023-03_HEINOLA_HYTO.html"].decode() for r in (reports_q2, reports)
    )
    assert _avustukset_cell(q1_before, "VIRE") == "-1 900"
    assert _avustukset_cell(q1_after, "VIRE") == "-2 900"


def _reports(published: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (published.parent / "report").glob("*.html")}


def _avustukset_cell(html: str, org: str) -> str:
    """The actual (TOT) the report prints for a service area's avustukset."""
    import re

    table = html[html.index(f'data-org="{org}"') :]
    row = table[table.index('data-line="avustukset"') :]
    cell = re.search(r'data-measure="actual"[^>]*>([^<]*)<', row).group(1)
    return cell.replace("\u00a0", " ").replace("\u2212", "-").strip()


def test_the_published_file_opens_in_older_duckdb_and_marts_are_in_parquet(
    embedded_run: PipelineRun,
):
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        tags = dict(
            con.execute(
                "select database_name, tags from duckdb_databases() where not internal"
            ).fetchall()
        )
        marts = dict(
            con.execute("""
            select table_name, estimated_size from duckdb_tables()
            where schema_name = 'marts'""").fetchall()
        )
    assert list(tags.values()) == [{"storage_version": f"{STORAGE_COMPATIBILITY_VERSION}+"}]
    parquet = embedded_run.published.parent / "parquet"
    assert sorted(p.stem for p in parquet.glob("*.parquet")) == sorted(marts)
    with duckdb.connect() as con:
        rows = con.execute(
            f"select count(*) from read_parquet('{parquet / 'fct_budget_vs_actual.parquet'}')"
        ).fetchall()[0][0]
    assert rows == marts["fct_budget_vs_actual"] == 127


# What the oldest supported client reads: every table and view, with a checksum of its rows.
_READ_EVERYTHING = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
objects = con.execute(
    "select schema_name, table_name from duckdb_tables() union all "
    "select schema_name, view_name from duckdb_views() where not internal"
).fetchall()
read = {}
for schema, name in objects:
    count, digest = con.execute(
        f'select count(*), sum(hash(t)) from "{schema}"."{name}" as t'
    ).fetchone()
    read[f"{schema}.{name}"] = [count, str(digest)]
total = con.execute("select sum(actual)::varchar from marts.fct_budget_vs_actual").fetchone()[0]
print(json.dumps({"version": duckdb.__version__, "read": read, "actual": total}))
"""


def _oldest_client(database: Path) -> subprocess.CompletedProcess:
    python = PROJECT_ROOT / f".venv-duckdb-{OLDEST_CLIENT}" / "bin" / "python"
    assert python.exists(), f"{python} is missing: `make oldest-duckdb` installs it"
    return subprocess.run(
        [str(python), "-c", _READ_EVERYTHING, str(database)], capture_output=True, text=True
    )


def test_the_oldest_supported_duckdb_client_reads_every_table_and_view(
    embedded_run: PipelineRun, tmp_path: Path
):
    published = copy_published(embedded_run, tmp_path)
    old = _oldest_client(published)
    assert old.returncode == 0, old.stderr
    seen = json.loads(old.stdout)
    assert seen["version"] == OLDEST_CLIENT
    assert Decimal(seen["actual"]) == Decimal("-176373376.00")
    with duckdb.connect(str(published), read_only=True) as con:
        objects = con.execute(
            "select schema_name, table_name from duckdb_tables() union all "
            "select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
        counts = {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[
                0
            ]
            for schema, name in objects
        }
    assert {name: count for name, (count, _) in seen["read"].items()} == counts
    assert counts["marts.fct_budget_vs_actual"] == 127 and len(counts) > 50


def test_a_file_in_a_newer_storage_format_is_refused_by_the_oldest_client(tmp_path: Path):
    newer = tmp_path / "newer.duckdb"
    with duckdb.connect(str(newer), config={"storage_compatibility_version": "v1.5.0"}) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_budget_vs_actual as select 1.0 as actual")
    old = _oldest_client(newer)
    assert old.returncode != 0
    assert "version number" in old.stderr


def test_a_warehouse_in_a_newer_storage_format_is_converted_by_the_next_run(
    embedded_run: PipelineRun, tmp_path: Path
):
    """A warehouse created before the format was lowered: the run's working copy of it
    (start_working_copy) is converted whole."""
    from orchestration.warehouse.publish import convert_to_compatible_format, storage_version

    working = tmp_path / "working.duckdb"
    with duckdb.connect() as con:
        con.execute(f"attach '{embedded_run.published}' as source (read_only)")
        con.execute(f"attach '{working}' as target (storage_version 'v1.5.0')")
        con.execute("copy from database source to target")
    assert _oldest_client(working).returncode != 0
    notes = convert_to_compatible_format(working)
    assert storage_version(working) == f"{STORAGE_COMPATIBILITY_VERSION}+"
    assert notes and "storage format v1.5.0+" in notes[0]
    old = _oldest_client(working)
    assert old.returncode == 0, old.stderr
    assert Decimal(json.loads(old.stdout)["actual"]) == Decimal("-176373376.00")
    with duckdb.connect(str(working), read_only=True) as con:
        keys = con.execute(
            "select count(*) from duckdb_constraints() where constraint_type = 'PRIMARY KEY'"
        ).fetchone()[0]
        comments = con.execute(
            "select count(*) from duckdb_columns() "
            "where schema_name = 'marts' and comment is not null"
        ).fetchone()[0]
    assert keys >= 2 and comments == 284
    assert convert_to_compatible_format(working) == []  # already in the format: untouched
