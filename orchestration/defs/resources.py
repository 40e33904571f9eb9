"""The resources every step uses, defined once: the DuckDB working file, the warehouse's
files and lock, and dbt."""

from __future__ import annotations

import contextlib
import importlib.metadata
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version

from orchestration.warehouse import dbt_process, housekeeping, lock
from orchestration.warehouse.dbt_project import DBT_PROJECT
from orchestration.warehouse.dbt_state import PIPELINE_PROFILE_TARGET
from orchestration.warehouse.paths import (
    duckdb_memory_limit,
    evidence_dir,
    warehouse_path,
    working_path,
)
from orchestration.warehouse.publish import Layout, held_for_run, layout_for


class WarehouseFiles(dg.ConfigurableResource):
    """The published file readers open, the working file a run builds in, the evidence.

    A run that uses it holds the warehouse's lock for its whole life (every step of the
    run shares one resource instance: the job runs in one process), waiting at most
    `lock_wait_seconds` for a run in progress.
    """

    published_path: str
    working_path: str
    evidence_dir: str
    lock_wait_seconds: float = 3600.0

    @property
    def published(self) -> Path:
        return Path(self.published_path)

    @property
    def working(self) -> Path:
        return Path(self.working_path)

    @property
    def layout(self) -> Layout:
        return layout_for(self.published, self.working)

    def evidence_for_run(self, run_id: str) -> Path:
        return Path(self.evidence_dir) / run_id

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseFiles]:
        run_id = context.run.run_id if context.run else ""
        log = context.log

        def waiting(holder: lock.Holder | None) -> None:
            if log is not None:
                log.warning(lock.waiting_line(holder, self.lock_wait_seconds))

        with held_for_run(self.layout, run_id, self.lock_wait_seconds, waiting) as notes:
            for note in notes:
                if log is not None:
                    log.warning(note)
            try:
                yield self
            finally:
                if context.instance is not None:
                    housekeeping.prune(self.layout, context.instance, keep_current=run_id)


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without two costs this project does not use.

    Before every dbt command dagster-dbt runs `dbt --version` in a subprocess and builds
    an in-process dbt adapter (for row counts and column metadata fetched after a run).
    Together they took about 5 s of a 30 s run, every run. The dbt this resource runs is
    the dbt-core installed beside this Python, so its version is the package's; and no
    asset here fetches metadata through the adapter.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def _dbt_executable() -> Path:
    launcher = dbt_process.launcher_path()
    return launcher if launcher.exists() else dbt_process.dbt_path()


@dg.definitions
def resources() -> dg.Definitions:
    working = working_path()  # created by the run (start_working_copy), not at load
    return dg.Definitions(
        resources={
            # Every step of a run reads and writes the working file; readers never see it.
            "duckdb": DuckDBResource(
                database=str(working),
                connection_config={"memory_limit": duckdb_memory_limit()},
            ),
            "warehouse_files": WarehouseFiles(
                published_path=str(warehouse_path()),
                working_path=str(working),
                evidence_dir=str(evidence_dir()),
                # A run started while another holds the warehouse waits this long for it.
                lock_wait_seconds=lock.default_wait_seconds(),
            ),
            # The dbt installed beside this Python, whether or not the venv is on PATH,
            # started through the launcher: in the process a `warehouse run` prepared for
            # it while it loaded (orchestration/warehouse/dbt_process.py), or as itself.
            "dbt": WarehouseDbtCliResource(
                project_dir=DBT_PROJECT,
                dbt_executable=str(_dbt_executable()),
                target=PIPELINE_PROFILE_TARGET,
            ),
        }
    )
