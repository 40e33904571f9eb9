"""Publication: the audited working file replaces the readers' file in one step."""

import dagster as dg

from orchestration.defs.ingest.assets import WAREHOUSE_POOL
from orchestration.defs.transform.dbt import warehouse_dbt_models
from orchestration.lib.publish import export_marts, publish
from orchestration.lib.resources import WarehouseFiles


@dg.asset(
    deps=list(warehouse_dbt_models.keys),
    group_name="publish",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description="The warehouse readers open (read-only). Replaced atomically, and only when "
    "every blocking check of the run has passed.",
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse_files: WarehouseFiles
) -> dg.MaterializeResult:
    # Parquet first: if the export fails, the DuckDB file is not published either.
    parquet_files = export_marts(warehouse_files.working, warehouse_files.parquet_dir)
    publish(warehouse_files.working, warehouse_files.published)
    context.log.info(
        f"Published {warehouse_files.published} and {len(parquet_files)} marts "
        f"as Parquet in {warehouse_files.parquet_dir}"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(warehouse_files.published)),
            "bytes": dg.MetadataValue.int(warehouse_files.published.stat().st_size),
            "parquet_dir": dg.MetadataValue.path(str(warehouse_files.parquet_dir)),
            "parquet_files": dg.MetadataValue.int(len(parquet_files)),
        }
    )
