import sys
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.lib.dbt_project import DBT_PROJECT, PIPELINE_PROFILE_TARGET
from orchestration.lib.lock import default_wait_seconds
from orchestration.lib.paths import (
    duckdb_memory_limit,
    evidence_dir,
    warehouse_path,
    working_path,
)
from orchestration.lib.resources import WarehouseDbtCliResource, WarehouseFiles


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
                lock_wait_seconds=default_wait_seconds(),
            ),
            # The dbt installed beside this Python, whether or not the venv is on PATH.
            "dbt": WarehouseDbtCliResource(
                project_dir=DBT_PROJECT,
                dbt_executable=str(Path(sys.executable).parent / "dbt"),
                target=PIPELINE_PROFILE_TARGET,
            ),
        }
    )
