"""The pipeline as one call: run the warehouse job on deliveries, get a typed result.

The CLI (and anything else running the pipeline outside Dagster's UI) talks to this
module, not to Dagster's events: which step is which, what the steps' metadata hold and
where the timings come from is known here and nowhere else.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.definitions import defs
from orchestration.defs.ingest.assets import (
    deliveries_run_config,
    delivery_run_config,
    raw_extracts,
)
from orchestration.defs.publish.assets import published_warehouse
from orchestration.defs.quality.reconciliation import reconciliation_checks
from orchestration.defs.report.assets import interim_report
from orchestration.defs.transform.dbt import warehouse_dbt_models
from orchestration.warehouse.failures import describe
from orchestration.warehouse.paths import PROJECT_ROOT

JOB_NAME = "warehouse_job"
STAGE_OF_STEP = {
    raw_extracts.node_def.name: "load",
    warehouse_dbt_models.node_def.name: "dbt",
    interim_report.node_def.name: "report",
    published_warehouse.node_def.name: "publish",
}
CHECKS_STAGE = "checks"
# The step of each blocking reconciliation check -> the check's name.
CHECK_OF_STEP = {
    checks.node_def.name: key.name
    for checks in reconciliation_checks()
    for key in checks.check_keys
}


@dataclass(frozen=True)
class Progress:
    """A step of the run as it happens: started, a dbt node done, or finished."""

    stage: str  # load, dbt, checks, report, publish
    state: str  # started, running (dbt: done of planned), succeeded, failed
    done: int = 0
    planned: int = 0


@dataclass(frozen=True)
class RunRequest:
    """Which deliveries to load: reporting period (YYYY-MM) -> delivery folders."""

    periods: dict[str, list[Path]]
    scope: str = ""  # the unit the deliveries cover, where their organisation does not say
    full_refresh: bool = False
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # dbt's own lines (START, OK, PASS ... per node) on standard output, as in Dagster's UI
    dbt_lines: bool = True
    # called with each Progress of the run, from the thread that runs it
    progress: Callable[[Progress], None] | None = None


@dataclass(frozen=True)
class TableLoad:
    """What the run did to one raw table."""

    table: str  # raw/ledger
    rows: int
    # loaded, restated, unchanged or withdrawn (several, '/'-joined, over several periods)
    status: str
    source_file: str


@dataclass(frozen=True)
class Figure:
    """One reconciled figure: a published control total against the computed one."""

    org_code: str
    statement: str
    line_code: str
    measure: str
    expected: str | None
    computed: str | None
    difference: str | None
    tolerance: str | None

    @classmethod
    def from_evidence(cls, row: dict[str, Any]) -> Figure:
        return cls(
            row["org_code"],
            row["statement"],
            row["line_code"],
            row["measure"],
            row["expected_value"],
            row["computed_value"],
            row["difference"],
            row["tolerance"],
        )


@dataclass(frozen=True)
class CheckOutcome:
    """One blocking reconciliation check (Great Expectations) of the run."""

    name: str
    passed: bool
    summary: str
    failing: list[Figure]
    rounding: list[Figure]  # differences within the tolerance of the printed precision
    evidence: Path | None  # the folder with the validation result and data docs


@dataclass(frozen=True)
class StepProblem:
    """Why a step did not succeed: a refusal the pipeline explains, or a failure's cause."""

    stage: str
    refused: bool
    message: str


@dataclass(frozen=True)
class RunResult:
    run_id: str
    succeeded: bool  # every step that ran succeeded
    published: bool  # the publication step switched readers to the run's generation
    loads: list[TableLoad]
    models_built: list[str]
    checks: list[CheckOutcome]
    problems: list[StepProblem]
    skipped: list[str]  # stages that did not run
    reports: list[Path]  # the HTML interim reports published (a PDF beside each)
    reports_not_rendered: str  # periods loaded whose reports the run did not render
    stage_seconds: dict[str, float]  # from Dagster's step statistics

    @property
    def checks_passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def rows_loaded(self) -> int:
        return sum(load.rows for load in self.loads if load.status != "unchanged")


def _instance() -> dg.DagsterInstance:
    """The instance of DAGSTER_HOME (with the project's settings: one run at a time), or
    an ephemeral one."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    Path(home).mkdir(parents=True, exist_ok=True)
    config = Path(home) / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", config)
    return dg.DagsterInstance.get()


def _run_config(request: RunRequest) -> tuple[dict, dict]:
    """Dagster run config and partition arguments for the request."""
    folders = {p: [str(f.resolve()) for f in fs] for p, fs in request.periods.items()}
    if len(folders) == 1:
        ((period, period_folders),) = folders.items()
        delivery_config = delivery_run_config(period_folders, period, request.scope)
        partition: dict = {"partition_key": period}
    else:
        delivery_config = deliveries_run_config(folders, request.scope)
        # One run over the range of periods (Dagster's single-run backfill).
        partition = {
            "tags": {
                "dagster/asset_partition_range_start": min(folders),
                "dagster/asset_partition_range_end": max(folders),
            }
        }
    loggers: dict = {"console": {"config": {"log_level": "CRITICAL"}}}
    if request.progress is not None:
        loggers[PROGRESS_LOGGER] = {}
    config = {
        "loggers": loggers,
        "ops": {
            **delivery_config["ops"],
            warehouse_dbt_models.node_def.name: {
                "config": {"full_refresh": request.full_refresh, "dbt_lines": request.dbt_lines}
            },
        },
    }
    return config, partition


PROGRESS_LOGGER = "warehouse_progress"
# A dbt node done: a model or seed built, or a data test's verdict.
_DBT_NODE_DONE = {"ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION"}


class _ProgressHandler(logging.Handler):
    """Turns the run's Dagster events, as they are logged, into Progress."""

    def __init__(self, callback: Callable[[Progress], None]) -> None:
        super().__init__()
        self.callback = callback
        self.dbt_planned = len(warehouse_dbt_models.keys) + len(warehouse_dbt_models.check_keys)
        self.dbt_done = 0
        self.started: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None or event.step_key is None:
            return
        stage = _stage(event.step_key)
        kind = event.event_type_value
        if kind == "STEP_START" and stage not in self.started:
            self.started.add(stage)  # the checks are several steps: one stage
            self.callback(Progress(stage, "started"))
        elif kind in _DBT_NODE_DONE and stage == "dbt":
            self.dbt_done += 1
            self.callback(Progress(stage, "running", self.dbt_done, self.dbt_planned))
        elif kind == "STEP_FAILURE" and event.step_key not in CHECK_OF_STEP:
            self.callback(Progress(stage, "failed"))
        elif kind == "STEP_SUCCESS" and event.step_key not in CHECK_OF_STEP:
            self.callback(Progress(stage, "succeeded"))


def _progress_logger(callback: Callable[[Progress], None]) -> dg.LoggerDefinition:
    @dg.logger
    def warehouse_progress(_init_context) -> logging.Logger:
        logger = logging.Logger(PROGRESS_LOGGER, level=logging.DEBUG)
        logger.addHandler(_ProgressHandler(callback))
        return logger

    return warehouse_progress


def run(request: RunRequest) -> RunResult:
    """Run the warehouse job in this process; the caller holds the warehouse's lock."""
    instance = _instance()
    run_config, partition = _run_config(request)
    job = defs().resolve_job_def(JOB_NAME)
    if request.progress is not None:
        job = job.with_logger_defs(
            {**job.loggers, PROGRESS_LOGGER: _progress_logger(request.progress)}
        )
    result = job.execute_in_process(
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
        run_id=request.run_id,
        **partition,
    )
    checks = _checks(result)
    reports, not_rendered = _reports(result)
    return RunResult(
        run_id=result.run_id,
        succeeded=result.success,
        published=bool(result.asset_materializations_for_node(published_warehouse.node_def.name)),
        loads=_loads(result),
        models_built=[
            m.asset_key.to_user_string()
            for m in result.asset_materializations_for_node(warehouse_dbt_models.node_def.name)
        ],
        checks=checks,
        problems=_problems(result),
        skipped=sorted(_stage(e.step_key) for e in result.all_events if e.is_step_skipped),
        reports=reports,
        reports_not_rendered=not_rendered,
        stage_seconds=_stage_seconds(instance, result.run_id),
    )


def _stage(step_key: str | None) -> str:
    if step_key in STAGE_OF_STEP:
        return STAGE_OF_STEP[step_key]
    if step_key in CHECK_OF_STEP:
        return CHECKS_STAGE
    return step_key or "run"


def _meta(materialization) -> dict[str, Any]:
    return {k: v.value for k, v in materialization.metadata.items()}


def _loads(result) -> list[TableLoad]:
    """One load per raw table: the ingest step reports each table once for the whole run,
    and a run over a range of partitions records that report once per partition of the
    range (2024-04..2024-08 is five), so every copy after the first is dropped."""
    loads = []
    seen = set()
    for materialization in result.asset_materializations_for_node(raw_extracts.node_def.name):
        meta = _meta(materialization)
        if "rows" not in meta or meta["status"] == "not delivered":
            continue  # the load log itself, or an optional extract the deliveries lack
        if materialization.asset_key in seen:
            continue
        seen.add(materialization.asset_key)
        loads.append(
            TableLoad(
                materialization.asset_key.to_user_string(),
                meta["rows"],
                meta["status"],
                meta["source_file"],
            )
        )
    return loads


def _checks(result) -> list[CheckOutcome]:
    outcomes = []
    evaluations = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_check_key.name in CHECK_OF_STEP.values()
    ]
    for evaluation in sorted(evaluations, key=lambda e: e.asset_check_key.name):
        meta = {k: v.value for k, v in evaluation.metadata.items()}
        path = Path(meta["validation_result"]) if meta.get("validation_result") else None
        details = {"failing": [], "rounding": []}
        if path is not None and path.exists():
            details = json.loads(path.read_text(encoding="utf-8"))
        outcomes.append(
            CheckOutcome(
                evaluation.asset_check_key.name,
                evaluation.passed,
                meta.get("summary", evaluation.asset_check_key.name),
                [Figure.from_evidence(row) for row in details["failing"]],
                [Figure.from_evidence(row) for row in details["rounding"]],
                path.parent if path is not None and path.exists() else None,
            )
        )
    return outcomes


def _problems(result) -> list[StepProblem]:
    problems = []
    for event in result.all_events:
        if not event.is_step_failure or event.step_key in CHECK_OF_STEP:
            continue  # a failed check is a CheckOutcome, with its figures
        failure = event.step_failure_data
        stage = _stage(event.step_key)
        if failure.user_failure_data is not None:  # a refusal the pipeline explains
            problems.append(StepProblem(stage, True, failure.user_failure_data.description))
        else:
            problems.append(StepProblem(stage, False, describe(failure.error)))
    return problems


def _reports(result) -> tuple[list[Path], str]:
    reports: list[Path] = []
    not_rendered = ""
    for materialization in result.asset_materializations_for_node(interim_report.node_def.name):
        meta = _meta(materialization)
        reports += [Path(html) for html in meta.get("files") or []]
        not_rendered = meta.get("not_rendered") or not_rendered
    return reports, not_rendered


def _stage_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Where the run's time went, stage by stage (the reconciliation checks together)."""
    seconds: dict[str, float] = {}
    steps = instance.get_run_step_stats(run_id)
    for stats in sorted(steps, key=lambda s: s.start_time or 0.0):
        if stats.start_time is None or stats.end_time is None:
            continue
        stage = _stage(stats.step_key)
        seconds[stage] = seconds.get(stage, 0.0) + stats.end_time - stats.start_time
    return seconds
