"""Shared set-up of the fault tests: a published Q1 and a restated Q1 that changes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import PipelineRun, copy_published, worker_working_file
from tests.deliveries import deliver, restate_leaf

STATE_SQL = """
    select
        (select count(*) from raw.load_log),
        (select actual from marts.fct_budget_vs_actual
         where reporting_period = '2023-03' and org_code = 'VIRE'
           and line_code = 'avustukset'),
        (select count(*) from marts.fct_budget_vs_actual)
"""


def state(path: Path) -> tuple:
    """(deliveries loaded, Q1 actual of VIRE avustukset, rows in the main mart)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return tuple(con.execute(STATE_SQL).fetchall()[0])


def published_and_restated(embedded_run: PipelineRun, tmp_path: Path) -> tuple[Path, Path]:
    published = copy_published(embedded_run, tmp_path)
    restated = deliver(tmp_path / "inbox", "2023-03")
    restate_leaf(restated, "VIRE", "avustukset", "-1900", "-2900")
    return published, restated


def run_env(published: Path) -> dict[str, str]:
    """The environment of a `warehouse run` started as its own process on `published`. It
    builds in the worker's working file (one run at a time holds the warehouse's lock), so
    dbt starts from the parse state kept for it and parses only what changed instead of
    the whole project (tests/conftest.py: worker_working_file)."""
    env = {**os.environ, "KUNTASEURANTA_WAREHOUSE": str(published)}
    env.pop("DAGSTER_HOME", None)
    env["KUNTASEURANTA_WORKING"] = str(worker_working_file())
    return env


def start_run(published: Path, delivery: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "warehouse"), "run", str(delivery)],
        env=run_env(published),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: a kill takes dbt with it
    )
