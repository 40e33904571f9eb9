"""Runs start when a delivery lands in the inbox, and after each quarter's close."""

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.ingest.assets import delivery_run_config
from orchestration.defs.ingest.partitions import reporting_periods
from orchestration.defs.jobs import warehouse_job
from orchestration.lib.paths import inbox_dir, warehouse_path
from orchestration.lib.reporting_period import ReportingPeriod
from orchestration.lib.validation import delivery_readiness

SETTLE_SECONDS = 30.0


def _inbox_periods() -> list[tuple[ReportingPeriod, Path]]:
    inbox = inbox_dir()
    if not inbox.is_dir():
        return []
    valid = set(reporting_periods.get_partition_keys())
    found = []
    for folder in sorted(inbox.iterdir()):
        period = ReportingPeriod.from_folder(folder)
        if folder.is_dir() and period is not None and str(period) in valid:
            found.append((period, folder))
    return found


@dg.sensor(job=warehouse_job, minimum_interval_seconds=60)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """One run per delivery: a complete extract set in inbox/<YYYY-MM>/. A changed set
    (restatement) is a new delivery; the cursor remembers what has been requested."""
    requested: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    run_requests, waiting = [], []
    for period, folder in _inbox_periods():
        readiness = delivery_readiness(folder, settle_seconds=SETTLE_SECONDS)
        if not readiness.ready:
            waiting.append(f"{folder.name}: {readiness.reason}")
            continue
        if requested.get(str(period)) == readiness.fingerprint:
            continue
        run_requests.append(
            dg.RunRequest(
                run_key=f"{period}:{readiness.fingerprint[:16]}",
                partition_key=str(period),
                run_config=delivery_run_config(str(folder), str(period)),
                tags={"delivery": folder.name, "delivery_fingerprint": readiness.fingerprint},
            )
        )
        requested[str(period)] = readiness.fingerprint
    for note in waiting:
        context.log.info(f"not ready: {note}")
    return dg.SensorResult(run_requests=run_requests, cursor=json.dumps(requested, sort_keys=True))


def _already_loaded(period: ReportingPeriod, fingerprint_hashes: set[str]) -> bool:
    published = warehouse_path()
    if not published.exists():
        return False
    with duckdb.connect(str(published), read_only=True) as con:
        loaded = {
            h
            for (h,) in con.execute(
                "select sha256 from raw.load_log where reporting_period = ?", [str(period)]
            ).fetchall()
        }
    return fingerprint_hashes <= loaded


@dg.schedule(
    job=warehouse_job,
    cron_schedule="0 7 20 1,4,7,10 *",  # the 20th after each quarter's close, 07:00
    execution_timezone="Europe/Helsinki",
)
def warehouse_schedule(context: dg.ScheduleEvaluationContext):
    """After a quarter closes, build the quarter if its delivery is in the inbox and
    has not been loaded yet (the inbox sensor usually got there first)."""
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    period = ReportingPeriod(scheduled.year, scheduled.month).previous_quarter_end()
    folder = inbox_dir() / str(period)
    readiness = delivery_readiness(folder)
    if not readiness.ready:
        return dg.SkipReason(f"delivery {folder} for {period} is not ready: {readiness.reason}")
    if _already_loaded(period, set(readiness.file_hashes.values())):
        return dg.SkipReason(f"delivery for {period} is already in the warehouse")
    return dg.RunRequest(
        run_key=f"schedule:{period}:{readiness.fingerprint[:16]}",
        partition_key=str(period),
        run_config=delivery_run_config(str(folder), str(period)),
    )
