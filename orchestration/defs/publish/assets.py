"""Publication: the audited working file, its Parquet export and the report become what
readers see, together, in one atomic switch."""

import dagster as dg

from orchestration.defs.ingest.assets import WAREHOUSE_POOL
from orchestration.defs.resources import WarehouseFiles
from orchestration.defs.transform.dbt import warehouse_dbt_models
from orchestration.warehouse.publish import export_marts, publish

INTERIM_REPORT = dg.AssetKey(["interim_report"])


@dg.asset(
    deps=[*warehouse_dbt_models.keys, INTERIM_REPORT],
    group_name="publish",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
    description="The warehouse readers open (read-only), the marts as Parquet and the "
    "interim report: one generation, switched in atomically and only when every blocking "
    "check of the run has passed. The previous generation is kept for rollback.",
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse_files: WarehouseFiles
) -> dg.MaterializeResult:
    layout = warehouse_files.layout
    if not layout.staged_report.is_dir():
        raise dg.Failure(
            description="nothing staged: the interim report belongs to every publication, "
            "so materialize interim_report in the same run"
        )
    parquet_files = export_marts(layout.working, layout.staged_parquet)
    generation = publish(layout, context.run.run_id)
    context.log.info(
        f"Published {generation.id}: {layout.published}, {len(parquet_files)} marts as "
        f"Parquet and the interim report"
    )
    database = generation.database(layout.name)
    return dg.MaterializeResult(
        metadata={
            "generation": generation.id,
            "path": dg.MetadataValue.path(str(layout.published)),
            "bytes": dg.MetadataValue.int(database.stat().st_size),
            "parquet_dir": dg.MetadataValue.path(str(layout.parquet_link)),
            "parquet_files": dg.MetadataValue.int(len(parquet_files)),
        }
    )
