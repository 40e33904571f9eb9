"""Publication: the audited working file replaces the readers' file in one step."""

import dagster as dg

from orchestration.defs.transform.dbt import warehouse_dbt_models
from orchestration.lib.publish import publish
from orchestration.lib.resources import WarehouseFiles


@dg.asset(
    deps=list(warehouse_dbt_models.keys),
    group_name="publish",
    kinds={"duckdb"},
    description="The warehouse readers open (read-only). Replaced atomically, and only when "
    "every blocking check of the run has passed.",
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse_files: WarehouseFiles
) -> dg.MaterializeResult:
    publish(warehouse_files.working, warehouse_files.published)
    context.log.info(f"Published {warehouse_files.published}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(warehouse_files.published)),
            "bytes": dg.MetadataValue.int(warehouse_files.published.stat().st_size),
        }
    )
