"""Housekeeping after every run: evidence and Dagster run history kept to a set number.

Each run writes its reconciliation evidence (JSON and Great Expectations data docs, a few
MB) and leaves its events in Dagster's run storage; a warehouse run every quarter (or
every day, for a sensor) for years would otherwise grow both without end.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

    from orchestration.warehouse.publish import Layout

JOB_NAME = "warehouse_job"


def keep_runs() -> int:
    """Runs whose evidence and Dagster history are kept (KUNTASEURANTA_KEEP_RUNS, 20)."""
    return max(int(os.environ.get("KUNTASEURANTA_KEEP_RUNS", "20")), 1)


def prune_evidence(layout: Layout, keep: int, keep_current: str = "") -> list[str]:
    """Remove the evidence folders of all but the newest `keep` runs."""
    folder = layout.evidence_dir
    if not folder.is_dir():
        return []
    runs = sorted(
        (p for p in folder.iterdir() if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    removed = []
    for old in runs[keep:]:
        if old.name == keep_current:
            continue
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old.name)
    return removed


def prune_run_history(instance: dg.DagsterInstance, keep: int, keep_current: str = "") -> int:
    """Delete the finished warehouse runs beyond the newest `keep` from run storage."""
    import dagster as dg

    if instance.is_ephemeral:
        return 0
    finished = dg.RunsFilter(
        job_name=JOB_NAME,
        statuses=[
            dg.DagsterRunStatus.SUCCESS,
            dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED,
        ],
    )
    old = instance.get_run_ids(filters=finished, cursor=None, limit=None)[keep:]
    for run_id in old:
        if run_id != keep_current:
            instance.delete_run(run_id)
    return len(old)


def prune(layout: Layout, instance: dg.DagsterInstance, keep_current: str = "") -> None:
    keep = keep_runs()
    prune_evidence(layout, keep, keep_current)
    prune_run_history(instance, keep, keep_current)
