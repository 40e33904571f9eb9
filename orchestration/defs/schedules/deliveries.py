"""Runs start when a delivery lands in the inbox, and after each follow-up month's close."""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest.assets import delivery_run_config
from orchestration.defs.ingest.partitions import reporting_periods
from orchestration.defs.jobs import warehouse_job
from orchestration.ingest.calendar import follow_up_months
from orchestration.ingest.loading import already_loaded
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.validation import delivery_readiness, municipality_of
from orchestration.warehouse.paths import inbox_deliveries, inbox_dir, warehouse_path

SETTLE_SECONDS = 30.0
INTERVAL_VARIABLE = "KUNTASEURANTA_INBOX_INTERVAL"


def inbox_interval_seconds() -> int:
    """How often the daemon looks into the inbox (KUNTASEURANTA_INBOX_INTERVAL, seconds,
    default 60). Read when the code loads: the daemon's sensor loop runs about every 5 s,
    so intervals below that make no difference."""
    text = os.environ.get(INTERVAL_VARIABLE, "60")
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise ValueError(f"{INTERVAL_VARIABLE} must be whole seconds (1 or more), not {text!r}")
    return seconds


def _inbox_deliveries(period: str | None = None) -> list[tuple[ReportingPeriod, Path]]:
    """(period, folder) of every delivery folder in the inbox within the partitions."""
    valid = set(reporting_periods.get_partition_keys())
    return [
        (ReportingPeriod.parse(folder.name), folder)
        for folder in inbox_deliveries(period)
        if folder.name in valid
    ]


def _name(folder: Path) -> str:
    """The folder as the inbox names it: 2023-03, welfare/2023-03, ..."""
    try:
        return str(folder.relative_to(inbox_dir()))
    except ValueError:
        return str(folder)


# Both run as soon as a Dagster daemon runs the code (`make dev`, or the daemon as a
# service): a delivery dropped into the inbox is picked up without switching anything on.
@dg.sensor(
    job=warehouse_job,
    minimum_interval_seconds=inbox_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """One run per delivery: a complete extract set in inbox/<YYYY-MM>/ or, one delivery
    per department or city, inbox/<who>/<YYYY-MM>/. A changed set (restatement) is a new
    delivery; the cursor remembers what has been requested, folder by folder."""
    requested: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    run_requests, waiting = [], []
    for period, folder in _inbox_deliveries():
        name = _name(folder)
        readiness = delivery_readiness(folder, settle_seconds=SETTLE_SECONDS)
        if not readiness.ready:
            waiting.append(f"{name}: {readiness.reason}")
            continue
        if requested.get(name) == readiness.fingerprint:
            continue
        run_requests.append(
            dg.RunRequest(
                run_key=f"{name}:{readiness.fingerprint[:16]}",
                partition_key=str(period),
                run_config=delivery_run_config(str(folder), str(period)),
                tags={"delivery": name, "delivery_fingerprint": readiness.fingerprint},
            )
        )
        requested[name] = readiness.fingerprint
    for note in waiting:
        context.log.info(f"not ready: {note}")
    return dg.SensorResult(run_requests=run_requests, cursor=json.dumps(requested, sort_keys=True))


@dg.schedule(
    job=warehouse_job,
    cron_schedule="0 7 20 * *",  # the 20th of every month, 07:00: the month before closed
    execution_timezone="Europe/Helsinki",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def warehouse_schedule(context: dg.ScheduleEvaluationContext):
    """After a month closes, build the deliveries of that month that are in the inbox and
    not loaded yet, for the municipalities that follow that month up (quarterly unless
    seeds/reference/municipalities.csv says otherwise; the inbox sensor usually got there
    first)."""
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    period = ReportingPeriod(scheduled.year, scheduled.month).previous_month_end()
    due, skipped = [], []
    for _, folder in _inbox_deliveries(str(period)):
        municipality = municipality_of(folder)
        if municipality is not None and period.month not in follow_up_months(municipality):
            skipped.append(f"{_name(folder)}: {municipality} does not follow up {period}")
            continue
        readiness = delivery_readiness(folder)
        if not readiness.ready:
            skipped.append(f"{_name(folder)} is not ready: {readiness.reason}")
        elif already_loaded(warehouse_path(), period, set(readiness.file_hashes.values())):
            skipped.append(f"{_name(folder)} is already in the warehouse")
        else:
            due.append((folder, readiness))
    if not due:
        reasons = "; ".join(skipped) or f"no delivery for {period} in {inbox_dir()}"
        return dg.SkipReason(f"nothing to build for {period}: {reasons}")
    return [
        dg.RunRequest(
            run_key=f"schedule:{_name(folder)}:{readiness.fingerprint[:16]}",
            partition_key=str(period),
            run_config=delivery_run_config(str(folder), str(period)),
            tags={"delivery": _name(folder)},
        )
        for folder, readiness in due
    ]
