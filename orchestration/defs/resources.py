import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.lib.paths import warehouse_path


@dg.definitions
def resources() -> dg.Definitions:
    database = warehouse_path()
    database.parent.mkdir(parents=True, exist_ok=True)
    return dg.Definitions(resources={"duckdb": DuckDBResource(database=str(database))})
