import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.lib.dbt_project import DBT_PROJECT
from orchestration.lib.paths import warehouse_path


@dg.definitions
def resources() -> dg.Definitions:
    database = warehouse_path()
    database.parent.mkdir(parents=True, exist_ok=True)
    return dg.Definitions(
        resources={
            "duckdb": DuckDBResource(database=str(database)),
            # The dbt installed beside this Python, whether or not the venv is on PATH.
            "dbt": DbtCliResource(
                project_dir=DBT_PROJECT, dbt_executable=str(Path(sys.executable).parent / "dbt")
            ),
        }
    )
