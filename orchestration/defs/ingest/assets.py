"""Ingest: one raw table per extract kind, loaded together per reporting period."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.defs.ingest.partitions import reporting_periods
from orchestration.lib.contracts import CONTRACTS
from orchestration.lib.csv_reader import ExtractRefused
from orchestration.lib.loader import load_delivery
from orchestration.lib.paths import DEFAULT_DELIVERY_DIR, inbox_dir
from orchestration.lib.publish import start_working_copy
from orchestration.lib.reporting_period import ReportingPeriod
from orchestration.lib.resources import WarehouseFiles
from orchestration.lib.validation import validate_delivery


class DeliveryConfig(dg.Config):
    """Which delivery to load. Empty fields: the partition's folder in the inbox."""

    delivery_dir: str = ""
    reporting_period: str = ""  # YYYY-MM; empty: the partition key or the folder name


def delivery_run_config(folder: str, period: str) -> dict:
    return {
        "ops": {"raw_extracts": {"config": {"delivery_dir": folder, "reporting_period": period}}}
    }


def _resolve_delivery(
    context: dg.AssetExecutionContext, config: DeliveryConfig
) -> tuple[Path, ReportingPeriod | None]:
    partition = context.partition_key if context.has_partition_key else None
    period_text = config.reporting_period or partition
    if partition and config.reporting_period and config.reporting_period != partition:
        raise dg.Failure(
            f"reporting period {config.reporting_period} does not match the "
            f"run's partition {partition}"
        )
    if config.delivery_dir:
        folder = Path(config.delivery_dir)
    elif partition:
        folder = inbox_dir() / partition
    else:
        folder = DEFAULT_DELIVERY_DIR
    return folder, ReportingPeriod.parse(period_text) if period_text else None


# Every step that writes the working file runs alone (dagster.yaml: pools default_limit 1).
WAREHOUSE_POOL = "warehouse"


def raw_asset_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", kind])


LOAD_LOG_KEY = dg.AssetKey(["raw", "load_log"])


def _raw_specs() -> list[dg.AssetSpec]:
    # Built in a function: specs at module level would be loaded as assets of their own.
    load_log = dg.AssetSpec(
        LOAD_LOG_KEY,
        group_name="raw",
        description="One row per extract file loaded for a reporting period: the deliveries.",
        kinds={"duckdb"},
    )
    return [load_log, *(_raw_spec(kind) for kind in CONTRACTS)]


def _raw_spec(kind: str) -> dg.AssetSpec:
    contract = CONTRACTS[kind]
    return dg.AssetSpec(
        raw_asset_key(kind),
        group_name="raw",
        description=contract.description,
        kinds={"duckdb", "csv"},
        skippable=not contract.required,
        metadata={
            "table": contract.table_name,
            "key": ", ".join(contract.key),
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(c.name, c.duckdb_type, description=c.description)
                    for c in contract.columns
                ]
            ),
        },
    )


@dg.multi_asset(
    specs=_raw_specs(),
    name="raw_extracts",
    can_subset=False,
    partitions_def=reporting_periods,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
    pool=WAREHOUSE_POOL,
)
def raw_extracts(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    duckdb: DuckDBResource,
    warehouse_files: WarehouseFiles,
):
    """Validate a delivery folder against the extract contracts and load it into `raw`.

    A delivery that breaks any contract is refused whole: nothing is written.
    """
    folder, period = _resolve_delivery(context, config)
    try:
        delivery = validate_delivery(folder, period)
    except ExtractRefused as refused:
        raise dg.Failure(
            description=f"delivery {folder}: {len(refused.errors)} problem(s); nothing was "
            "loaded.\n" + "\n".join(f"  - {e}" for e in refused.errors),
            metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in refused.errors))},
        ) from refused
    context.log.info(f"Delivery {folder} for {delivery.reporting_period} is valid")
    # The run builds on a copy of what readers see; they see the result only once published.
    start_working_copy(warehouse_files.published, warehouse_files.working)
    with duckdb.get_connection() as con:
        loads = load_delivery(con, delivery, list(CONTRACTS.values()))
    yield dg.MaterializeResult(
        asset_key=LOAD_LOG_KEY,
        metadata={
            "reporting_period": str(delivery.reporting_period),
            "extracts_loaded": dg.MetadataValue.int(
                sum(1 for load in loads if load.status != "unchanged")
            ),
        },
    )
    for load in loads:
        context.log.info(f"{load.kind}: {load.rows} rows {load.status} from {load.source_file}")
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(load.kind),
            metadata={
                "reporting_period": str(delivery.reporting_period),
                "source_file": load.source_file,
                "sha256": load.sha256,
                "rows": dg.MetadataValue.int(load.rows),
                "status": load.status,
                "load_id": load.load_id or "",
            },
        )
